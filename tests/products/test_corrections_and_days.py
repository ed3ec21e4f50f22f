"""Corrections and voids (new records, never edits), and closing business days."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from services.products.clock import china_today
from services.products.days.tables import StoreDay
from services.products.sales.tables import Sale, SaleLine
from services.products.statistics.tables import DailyRollup, MonthlyRollup
from shared.db import utcnow
from tests.products.factories import as_store, create_product, create_store, report_sale, sale_body
from tests.support.apps import identity_headers

SALES = "/v1/products/stores/me/sales"


async def correct(products, store_id: str, sale_id: str, body: dict, *, key: str | None = None):
    return await products.client.post(
        f"{SALES}/{sale_id}/corrections",
        json=body,
        headers=as_store(store_id) | {"Idempotency-Key": key or uuid.uuid4().hex},
    )


async def close(products, store_id: str, day: str):
    return await products.client.post(
        f"/v1/products/stores/me/days/{day}/close", headers=as_store(store_id)
    )


async def rollup_sums(products, store_id: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    async with products.sessionmaker() as s:
        daily = (
            await s.scalars(select(DailyRollup).where(DailyRollup.store_id == uuid.UUID(store_id)))
        ).all()
        monthly = (
            await s.scalars(
                select(MonthlyRollup).where(MonthlyRollup.store_id == uuid.UUID(store_id))
            )
        ).all()
    return (
        (sum(r.quantity for r in daily), sum(r.grams for r in daily), sum(r.fen for r in daily)),
        (
            sum(r.quantity for r in monthly),
            sum(r.grams for r in monthly),
            sum(r.fen for r in monthly),
        ),
    )


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


class TestCloseDay:
    async def test_close_computes_totals_and_refuses_new_sales(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        a = await report_sale(
            products, store["id"], sale_body(tea["sku"], quantity=2, unit_price_fen=100)
        )
        b = await report_sale(
            products, store["id"], sale_body(tea["sku"], quantity=1, unit_price_fen=300)
        )
        await correct(products, store["id"], b["id"], {"kind": "void", "reason": "returned"})
        # A sale on the next business day (China time) is not part of the close.
        await report_sale(
            products, store["id"], sale_body(tea["sku"], sold_at="2024-03-10T16:00:00Z")
        )
        r = await close(products, store["id"], "2024-03-10")
        assert r.status_code == 200, r.text
        day = r.json()
        assert day["closed"] is True
        assert day["closed_totals"] == {
            "sale_count": 1,
            "total_quantity": 2,
            "total_grams": 500,
            "total_fen": 200,
        }
        assert a["business_date"] == "2024-03-10"
        late = await report_sale(
            products, store["id"], sale_body(tea["sku"], sold_at="2024-03-10T09:00:00Z"), expect=409
        )
        assert late["type"] == "urn:eastwest:problem:day-closed"
        assert "2024-03-10" in late["detail"]
        # The next day is still open.
        await report_sale(
            products, store["id"], sale_body(tea["sku"], sold_at="2024-03-11T09:00:00Z")
        )
        again = await close(products, store["id"], "2024-03-10")
        assert again.status_code == 409

    async def test_correction_after_close(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        sale = await report_sale(
            products, store["id"], sale_body(tea["sku"], quantity=4, unit_price_fen=100)
        )
        assert (await close(products, store["id"], "2024-03-10")).status_code == 200
        r = await correct(
            products,
            store["id"],
            sale["id"],
            {
                "kind": "correction",
                "reason": "3 not 4",
                "lines": [{"sku": tea["sku"], "quantity": 3, "unit_price_fen": 100}],
            },
        )
        assert r.status_code == 201
        assert r.json()["business_date"] == "2024-03-10"
        day = (
            await products.client.get(
                "/v1/products/stores/me/days/2024-03-10", headers=as_store(store["id"])
            )
        ).json()
        assert day["closed"] is True
        assert day["closed_totals"]["total_fen"] == 400
        assert day["current_totals"]["total_fen"] == 300
        assert day["current_totals"]["total_grams"] == 750
        assert await rollup_sums(products, store["id"]) == ((3, 750, 300), (3, 750, 300))

    async def test_batch_line_on_closed_day_rejected(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        assert (await close(products, store["id"], "2024-03-10")).status_code == 200
        import json

        body = "\n".join(
            json.dumps(sale_body(tea["sku"], sold_at=t))
            for t in ("2024-03-10T05:00:00Z", "2024-03-11T05:00:00Z")
        )
        r = await products.client.post(
            f"{SALES}:batch",
            content=body,
            headers=as_store(store["id"]) | {"content-type": "application/x-ndjson"},
        )
        assert [(row["status"], row["code"]) for row in r.json()["results"]] == [
            ("rejected", "day_closed"),
            ("accepted", None),
        ]

    async def test_close_empty_day_and_future_day(self, products):
        store = await create_store(products)
        r = await close(products, store["id"], "2024-01-01")
        assert r.status_code == 200
        assert r.json()["closed_totals"] == {
            "sale_count": 0,
            "total_quantity": 0,
            "total_grams": 0,
            "total_fen": 0,
        }
        tomorrow = (china_today(utcnow()) + timedelta(days=1)).isoformat()
        r = await close(products, store["id"], tomorrow)
        assert r.status_code == 422
        assert r.json()["type"] == "urn:eastwest:problem:day-in-future"
        r = await close(products, store["id"], "2024-02-30")
        assert r.status_code == 422

    async def test_day_before_any_possible_sale_is_refused(self, products):
        # Sales before 2000-01-01 are refused, so such a day has nothing to close; closing it
        # would only publish an empty products.day.closed for a mistyped date.
        store = await create_store(products)
        r = await close(products, store["id"], "1999-12-31")
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "urn:eastwest:problem:day-before-records"
        assert "1999-12-31" in r.json()["detail"]
        assert (await close(products, store["id"], "2000-01-01")).status_code == 200
        async with products.sessionmaker() as s:
            days = (await s.scalars(select(StoreDay).where(StoreDay.closed_at.is_not(None)))).all()
        assert [d.business_date.isoformat() for d in days] == ["2000-01-01"]

    async def test_day_given_as_a_number_is_refused(self, products):
        # A number was read as seconds since 1970: "86400" closed 1970-01-02.
        store = await create_store(products)
        for day in ("86400", "0", "1710028800"):
            r = await close(products, store["id"], day)
            assert r.status_code == 422, day
            assert r.headers["content-type"] == "application/problem+json"
            assert "YYYY-MM-DD" in r.json()["detail"]
        async with products.sessionmaker() as s:
            assert (await s.scalars(select(StoreDay))).all() == []

    async def test_closing_is_per_store(self, products):
        a = await create_store(products)
        b = await create_store(products)
        tea = await create_product(products)
        assert (await close(products, a["id"], "2024-03-10")).status_code == 200
        await report_sale(products, b["id"], sale_body(tea["sku"]))
        async with products.sessionmaker() as s:
            days = (await s.scalars(select(StoreDay).where(StoreDay.closed_at.is_not(None)))).all()
        assert [str(d.store_id) for d in days] == [a["id"]]

    async def test_only_a_store_closes_its_day(self, products):
        await create_store(products)
        r = await products.client.post(
            "/v1/products/stores/me/days/2024-03-10/close", headers=identity_headers("admin")
        )
        assert r.status_code == 403


class TestGetOwnDay:
    async def test_day_given_as_a_number_is_refused(self, products):
        store = await create_store(products)
        r = await products.client.get(
            "/v1/products/stores/me/days/86400", headers=as_store(store["id"])
        )
        assert r.status_code == 422
        assert "YYYY-MM-DD" in r.json()["detail"]
        r = await products.client.get(
            "/v1/products/stores/me/days/2024-03-10", headers=as_store(store["id"])
        )
        assert r.status_code == 200
        assert r.json()["business_date"] == "2024-03-10"
