"""Corrections and voids: new records, never edits."""

import uuid

from sqlalchemy import select

from services.products.sales.tables import Sale, SaleLine
from tests.products.factories import (
    as_store,
    correct,
    create_product,
    create_store,
    report_sale,
    rollup_sums,
    sale_body,
)
from tests.support.apps import identity_headers

SALES = "/v1/products/stores/me/sales"


class TestCorrectSale:
    async def test_correction_records_the_delta(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        veg = await create_product(products, net_weight_grams=1000)
        body = sale_body(tea["sku"], quantity=3, unit_price_fen=1000)
        body["lines"].append({"sku": veg["sku"], "quantity": 1, "unit_price_fen": 500})
        sale = await report_sale(products, store["id"], body)
        r = await correct(
            products,
            store["id"],
            sale["id"],
            {
                "kind": "correction",
                "reason": "keyed 3 instead of 2; no vegetables sold",
                "lines": [{"sku": tea["sku"], "quantity": 2, "unit_price_fen": 1000}],
            },
        )
        assert r.status_code == 201, r.text
        correction = r.json()
        assert correction["kind"] == "correction"
        assert correction["original_sale_id"] == sale["id"]
        assert correction["receipt_number"] == sale["receipt_number"]
        assert correction["business_date"] == sale["business_date"]
        deltas = {(ln["sku"], ln["quantity"], ln["grams"], ln["fen"]) for ln in correction["lines"]}
        assert deltas == {(tea["sku"], -1, -250, -1000), (veg["sku"], -1, -1000, -500)}
        assert (correction["total_grams"], correction["total_fen"]) == (-1250, -1500)
        # The original is untouched; the detail shows what is in force now.
        detail = (
            await products.client.get(f"{SALES}/{sale['id']}", headers=as_store(store["id"]))
        ).json()
        assert detail["status"] == "corrected"
        assert [ln["quantity"] for ln in detail["lines"]] == [3, 1]
        assert detail["total_fen"] == 3500
        assert [(ln["sku"], ln["quantity"]) for ln in detail["current_lines"]] == [(tea["sku"], 2)]
        assert (detail["current_total_grams"], detail["current_total_fen"]) == (500, 2000)
        assert [c["id"] for c in detail["corrections"]] == [correction["id"]]
        async with products.sessionmaker() as s:
            original_lines = (
                await s.scalars(select(SaleLine).where(SaleLine.sale_id == uuid.UUID(sale["id"])))
            ).all()
        assert sorted(ln.quantity for ln in original_lines) == [1, 3]
        assert await rollup_sums(products, store["id"]) == ((2, 500, 2000), (2, 500, 2000))

    async def test_price_change_is_two_delta_lines(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=100)
        sale = await report_sale(
            products, store["id"], sale_body(tea["sku"], quantity=2, unit_price_fen=1000)
        )
        r = await correct(
            products,
            store["id"],
            sale["id"],
            {
                "kind": "correction",
                "reason": "wrong price",
                "lines": [{"sku": tea["sku"], "quantity": 2, "unit_price_fen": 900}],
            },
        )
        assert r.status_code == 201
        assert sorted((ln["quantity"], ln["unit_price_fen"]) for ln in r.json()["lines"]) == [
            (-2, 1000),
            (2, 900),
        ]
        assert r.json()["total_grams"] == 0
        assert r.json()["total_fen"] == -200
        assert await rollup_sums(products, store["id"]) == ((2, 200, 1800), (2, 200, 1800))

    async def test_void_negates_every_line_in_force(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        sale = await report_sale(
            products, store["id"], sale_body(tea["sku"], quantity=4, unit_price_fen=100)
        )
        await correct(
            products,
            store["id"],
            sale["id"],
            {
                "kind": "correction",
                "reason": "one more",
                "lines": [{"sku": tea["sku"], "quantity": 5, "unit_price_fen": 100}],
            },
        )
        r = await correct(products, store["id"], sale["id"], {"kind": "void", "reason": "returned"})
        assert r.status_code == 201
        assert [(ln["quantity"], ln["fen"]) for ln in r.json()["lines"]] == [(-5, -500)]
        assert await rollup_sums(products, store["id"]) == ((0, 0, 0), (0, 0, 0))
        detail = (
            await products.client.get(f"{SALES}/{sale['id']}", headers=as_store(store["id"]))
        ).json()
        assert detail["status"] == "voided"
        assert detail["current_lines"] == []
        again = await correct(
            products, store["id"], sale["id"], {"kind": "void", "reason": "twice"}
        )
        assert again.status_code == 409
        assert again.json()["type"] == "urn:eastwest:problem:sale-voided"

    async def test_invalid_corrections(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        sale = await report_sale(products, store["id"], sale_body(tea["sku"], quantity=2))
        same = {"kind": "correction", "reason": "no-op", "lines": sale_body(tea["sku"])["lines"]}
        r = await correct(products, store["id"], sale["id"], same)
        assert r.status_code == 422
        assert r.json()["reason"] == "no_change"
        cases = [
            {
                "kind": "void",
                "reason": "x",
                "lines": [{"sku": tea["sku"], "quantity": 1, "unit_price_fen": 1}],
            },
            {"kind": "correction", "reason": "x"},
            {
                "kind": "correction",
                "reason": "x",
                "lines": [{"sku": "NOPE", "quantity": 1, "unit_price_fen": 1}],
            },
            {
                "kind": "correction",
                "reason": "x",
                "lines": [{"sku": tea["sku"], "quantity": 0, "unit_price_fen": 1}],
            },
            {"kind": "edit", "reason": "x"},
            {"kind": "void"},
            {"kind": "void", "reason": "x", "total_fen": 0},
        ]
        for body in cases:
            r = await correct(products, store["id"], sale["id"], body)
            assert r.status_code == 422, body
        r = await correct(products, store["id"], str(uuid.uuid4()), {"kind": "void", "reason": "x"})
        assert r.status_code == 404
        async with products.sessionmaker() as s:
            kinds = list(await s.scalars(select(Sale.kind)))
        assert kinds == ["sale"]

    async def test_correction_of_a_correction_refused(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        sale = await report_sale(products, store["id"], sale_body(tea["sku"], quantity=2))
        r = await correct(
            products,
            store["id"],
            sale["id"],
            {
                "kind": "correction",
                "reason": "x",
                "lines": [{"sku": tea["sku"], "quantity": 1, "unit_price_fen": 16800}],
            },
        )
        r = await correct(products, store["id"], r.json()["id"], {"kind": "void", "reason": "x"})
        assert r.status_code == 422
        assert r.json()["type"] == "urn:eastwest:problem:not-an-original-sale"

    async def test_replayed_correction_records_once(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        sale = await report_sale(products, store["id"], sale_body(tea["sku"], quantity=2))
        body = {"kind": "void", "reason": "returned"}
        first = await correct(products, store["id"], sale["id"], body, key="void-1")
        second = await correct(products, store["id"], sale["id"], body, key="void-1")
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        async with products.sessionmaker() as s:
            assert len(list(await s.scalars(select(Sale.id).where(Sale.kind == "void")))) == 1

    async def test_archived_product_may_stay_on_corrected_lines(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=100)
        other = await create_product(products)
        sale = await report_sale(
            products, store["id"], sale_body(tea["sku"], quantity=3, unit_price_fen=10)
        )
        for p in (tea, other):
            await products.client.post(
                f"/v1/products/catalogue/{p['id']}/archive", headers=identity_headers("admin")
            )
        r = await correct(
            products,
            store["id"],
            sale["id"],
            {
                "kind": "correction",
                "reason": "2 not 3",
                "lines": [{"sku": tea["sku"], "quantity": 2, "unit_price_fen": 10}],
            },
        )
        assert r.status_code == 201
        r = await correct(
            products,
            store["id"],
            sale["id"],
            {
                "kind": "correction",
                "reason": "add archived",
                "lines": [
                    {"sku": tea["sku"], "quantity": 2, "unit_price_fen": 10},
                    {"sku": other["sku"], "quantity": 1, "unit_price_fen": 10},
                ],
            },
        )
        assert r.status_code == 422
        assert (r.json()["reason"], r.json()["line"]) == ("archived_sku", 2)
