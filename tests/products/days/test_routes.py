"""Closing business days and reading them."""

from datetime import timedelta

from sqlalchemy import select

from services.products.clock import china_today
from services.products.days.tables import StoreDay
from shared.db import utcnow
from tests.products.factories import (
    as_store,
    close,
    correct,
    create_product,
    create_store,
    report_sale,
    rollup_sums,
    sale_body,
)
from tests.support.apps import identity_headers

SALES = "/v1/products/stores/me/sales"


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
