"""Reporting single sales: totals computed by the server, the rules, idempotency, and one store
never seeing or reporting another's sales."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from services.products.sales.tables import Sale, SaleLine
from shared.db import utcnow
from shared.idempotency import keys_t, request_fingerprint
from tests.products.factories import (
    admin,
    as_store,
    create_product,
    create_store,
    report_sale,
    sale_body,
)

SALES = "/v1/products/stores/me/sales"


async def count_sales(products, **where) -> int:
    async with products.sessionmaker() as s:
        query = select(func.count()).select_from(Sale)
        for k, v in where.items():
            query = query.where(getattr(Sale, k) == v)
        return int(await s.scalar(query))


class TestReportSale:
    async def test_valid_sale_totals_computed_by_server(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        chili = await create_product(products, net_weight_grams=500, category="vegetables")
        body = {
            "receipt_number": "HZ01-0001",
            "sold_at": "2024-03-10T04:00:00Z",
            "lines": [
                {"sku": tea["sku"], "quantity": 3, "unit_price_fen": 16800},
                {"sku": chili["sku"], "quantity": 2, "unit_price_fen": 2550},
            ],
        }
        sale = await report_sale(products, store["id"], body)
        assert sale["store_id"] == store["id"]
        assert sale["kind"] == "sale"
        assert sale["business_date"] == "2024-03-10"
        assert [ln["grams"] for ln in sale["lines"]] == [750, 1000]
        assert [ln["fen"] for ln in sale["lines"]] == [50400, 5100]
        assert sale["total_grams"] == 1750
        assert sale["total_fen"] == 55500
        assert sale["total_quantity"] == 5
        async with products.sessionmaker() as s:
            rows = (
                await s.scalars(
                    select(SaleLine)
                    .where(SaleLine.sale_id == uuid.UUID(sale["id"]))
                    .order_by(SaleLine.line_no)
                )
            ).all()
        assert [(r.sku, r.quantity, r.grams, r.fen) for r in rows] == [
            (tea["sku"], 3, 750, 50400),
            (chili["sku"], 2, 1000, 5100),
        ]

    async def test_business_date_is_china_time(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        # 16:30 UTC is 00:30 the next day in Weng'an and Haizhu (UTC+8).
        sale = await report_sale(
            products, store["id"], sale_body(tea["sku"], sold_at="2024-03-10T16:30:00Z")
        )
        assert sale["business_date"] == "2024-03-11"
        sale = await report_sale(
            products, store["id"], sale_body(tea["sku"], sold_at="2024-03-11T07:59:00+08:00")
        )
        assert sale["business_date"] == "2024-03-11"
        assert sale["sold_at"].startswith("2024-03-10T23:59:00")

    async def test_client_totals_refused(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"]) | {"total_fen": 1}
        r = await products.client.post(SALES, json=body, headers=as_store(store["id"]))
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        line = sale_body(tea["sku"])
        line["lines"][0]["fen"] = 1
        r = await products.client.post(SALES, json=line, headers=as_store(store["id"]))
        assert r.status_code == 422
        assert await count_sales(products) == 0

    @pytest.mark.parametrize("field", ["quantity", "unit_price_fen"])
    async def test_numbers_only_as_json_integers(self, products, field):
        # Pydantic read "3", 3.0 and 1e3 as integers: a till sending 128.00 yuan as the price in
        # fen was recorded 100 times too low, with no error.
        store = await create_store(products)
        tea = await create_product(products)
        for value in ("3", 3.0, 1e3, "100", 128.00):
            body = sale_body(tea["sku"])
            body["lines"][0][field] = value
            r = await products.client.post(SALES, json=body, headers=as_store(store["id"]))
            assert r.status_code == 422, (value, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert f"{field}: must be a whole number" in r.json()["detail"], value
        assert await count_sales(products) == 0
        await report_sale(products, store["id"], sale_body(tea["sku"], quantity=3))
        assert await count_sales(products) == 1

    async def test_unknown_sku_names_the_line(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"])
        body["lines"].append({"sku": "NO-SUCH-SKU", "quantity": 1, "unit_price_fen": 100})
        r = await products.client.post(SALES, json=body, headers=as_store(store["id"]))
        assert r.status_code == 422
        problem = r.json()
        assert problem["reason"] == "unknown_sku"
        assert problem["line"] == 2
        assert "NO-SUCH-SKU" in problem["detail"]
        assert await count_sales(products) == 0

    async def test_archived_sku_refused(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        r = await products.client.post(
            f"/v1/products/catalogue/{tea['id']}/archive", headers=admin()
        )
        assert r.status_code == 200
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"]), headers=as_store(store["id"])
        )
        assert r.status_code == 422
        assert (r.json()["reason"], r.json()["line"]) == ("archived_sku", 1)

    async def test_bad_quantities_and_prices(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        cases = [
            ({"quantity": 0}, "non_positive_quantity"),
            ({"quantity": -3}, "non_positive_quantity"),
            ({"quantity": 100_001}, "quantity_too_large"),
            ({"quantity": 10**30}, "quantity_too_large"),
            ({"unit_price_fen": -1}, "negative_price"),
            ({"unit_price_fen": 10**9 + 1}, "price_too_large"),
        ]
        for change, reason in cases:
            body = sale_body(tea["sku"])
            body["lines"].insert(0, {"sku": tea["sku"], "quantity": 1, "unit_price_fen": 5})
            body["lines"][1] |= change
            r = await products.client.post(SALES, json=body, headers=as_store(store["id"]))
            assert r.status_code == 422, (change, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert (r.json()["reason"], r.json()["line"]) == (reason, 2), change
        for wrong in ({"quantity": 1.5}, {"quantity": "two"}, {"unit_price_fen": None}):
            body = sale_body(tea["sku"])
            body["lines"][0] |= wrong
            r = await products.client.post(SALES, json=body, headers=as_store(store["id"]))
            assert r.status_code == 422, wrong
        assert await count_sales(products) == 0

    async def test_free_sample_at_zero_price_accepted(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        sale = await report_sale(products, store["id"], sale_body(tea["sku"], unit_price_fen=0))
        assert sale["total_fen"] == 0
        assert sale["total_grams"] == 500

    async def test_future_sale_time_refused(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        future = (utcnow() + timedelta(hours=1)).isoformat()
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"], sold_at=future), headers=as_store(store["id"])
        )
        assert r.status_code == 422
        assert r.json()["reason"] == "future_sale_time"
        naive = sale_body(tea["sku"], sold_at="2024-03-10T04:00:00")
        r = await products.client.post(SALES, json=naive, headers=as_store(store["id"]))
        assert r.status_code == 422
        assert "sold_at" in r.json()["detail"]

    async def test_recent_sale_within_clock_skew_accepted(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        now = datetime.now(UTC) + timedelta(seconds=30)
        await report_sale(products, store["id"], sale_body(tea["sku"], sold_at=now.isoformat()))

    async def test_duplicate_receipt_number(self, products):
        store = await create_store(products)
        other = await create_store(products)
        tea = await create_product(products)
        await report_sale(products, store["id"], sale_body(tea["sku"], receipt_number="R-1"))
        problem = await report_sale(
            products,
            store["id"],
            sale_body(tea["sku"], receipt_number="R-1", quantity=5),
            expect=409,
        )
        assert problem["type"] == "urn:eastwest:problem:duplicate-receipt"
        # Receipt numbers are per store.
        await report_sale(products, other["id"], sale_body(tea["sku"], receipt_number="R-1"))
        assert await count_sales(products, receipt_number="R-1") == 2

    async def test_hostile_strings_are_4xx(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        for receipt in ["R\x00", "R 1", "x" * 65, "'; DROP TABLE sales; --"]:
            r = await products.client.post(
                SALES,
                json=sale_body(tea["sku"], receipt_number=receipt),
                headers=as_store(store["id"]),
            )
            assert r.status_code == 422, receipt
        body = sale_body(tea["sku"])
        body["lines"][0]["sku"] = "A\x00B"
        r = await products.client.post(SALES, json=body, headers=as_store(store["id"]))
        assert r.status_code == 422
        r = await products.client.post(
            SALES,
            content=b"{not json",
            headers=as_store(store["id"]) | {"content-type": "application/json"},
        )
        assert r.status_code == 422
        body = sale_body(tea["sku"])
        body["lines"] = body["lines"] * 201
        r = await products.client.post(SALES, json=body, headers=as_store(store["id"]))
        assert r.status_code == 422

    async def test_archived_store_cannot_report(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        await products.client.post(f"/v1/products/stores/{store['id']}/archive", headers=admin())
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"]), headers=as_store(store["id"])
        )
        assert r.status_code == 403
        assert r.json()["type"] == "urn:eastwest:problem:store-archived"

    async def test_roles_other_than_store_refused(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        for role in ("admin", "partner", "bureau_clerk", "auditor"):
            from tests.support.apps import identity_headers

            r = await products.client.post(
                SALES, json=sale_body(tea["sku"]), headers=identity_headers(role, store["id"])
            )
            assert r.status_code == 403, role
        r = await products.client.post(SALES, json=sale_body(tea["sku"]))
        assert r.status_code == 401
        # A store key bound to no known store.
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"]), headers=as_store(str(uuid.uuid4()))
        )
        assert r.status_code == 403
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"]), headers=as_store("not-a-uuid")
        )
        assert r.status_code == 403
        assert await count_sales(products) == 0

    async def test_true_is_not_a_quantity(self, products):
        # Pydantic read true as 1: the sale was recorded with one unit.
        store = await create_store(products)
        tea = await create_product(products)
        for line in (
            {"sku": tea["sku"], "quantity": True, "unit_price_fen": 100},
            {"sku": tea["sku"], "quantity": 1, "unit_price_fen": False},
        ):
            r = await products.client.post(
                SALES,
                json={"receipt_number": "B-1", "sold_at": "2024-03-10T04:00:00Z", "lines": [line]},
                headers=as_store(store["id"]) | {"Idempotency-Key": uuid.uuid4().hex},
            )
            assert r.status_code == 422, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert "whole number" in r.json()["detail"]
        async with products.sessionmaker() as s:
            assert await s.scalar(select(func.count()).select_from(Sale)) == 0


class TestIdempotency:
    async def test_same_key_same_body_replays(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"])
        headers = as_store(store["id"]) | {"Idempotency-Key": "till-1-0001"}
        first = await products.client.post(SALES, json=body, headers=headers)
        second = await products.client.post(SALES, json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers.get("idempotent-replayed") == "true"
        assert await count_sales(products) == 1
        async with products.sessionmaker() as s:
            outbox = await s.execute(
                select(func.count()).select_from(
                    __import__("shared.events.outbox", fromlist=["outbox_t"]).outbox_t
                )
            )
            assert outbox.scalar() == 1

    async def test_same_key_other_body_is_422(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        headers = as_store(store["id"]) | {"Idempotency-Key": "till-1-0002"}
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"], receipt_number="A"), headers=headers
        )
        assert r.status_code == 201
        r = await products.client.post(
            SALES, json=sale_body(tea["sku"], receipt_number="B"), headers=headers
        )
        assert r.status_code == 422
        assert "Idempotency-Key" in r.json()["detail"]
        assert await count_sales(products) == 1

    async def test_key_in_flight_is_409(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"])
        path = SALES
        async with products.sessionmaker() as s, s.begin():
            await s.execute(
                insert(keys_t).values(
                    scope=store["id"],
                    key="till-1-0003",
                    request_hash=request_fingerprint("POST", path, body),
                    state="in_flight",
                    created_at=utcnow(),
                )
            )
        r = await products.client.post(
            SALES, json=body, headers=as_store(store["id"]) | {"Idempotency-Key": "till-1-0003"}
        )
        assert r.status_code == 409
        assert "still being processed" in r.json()["detail"]
        assert await count_sales(products) == 0

    async def test_concurrent_same_key_records_once(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"])
        headers = as_store(store["id"]) | {"Idempotency-Key": "till-1-0004"}
        results = await asyncio.gather(
            *[products.client.post(SALES, json=body, headers=headers) for _ in range(4)]
        )
        statuses = sorted(r.status_code for r in results)
        assert statuses.count(201) >= 1
        assert set(statuses) <= {201, 409}
        assert await count_sales(products) == 1

    async def test_key_is_scoped_per_store(self, products):
        a = await create_store(products)
        b = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"], receipt_number="SAME")
        for store in (a, b):
            r = await products.client.post(
                SALES, json=body, headers=as_store(store["id"]) | {"Idempotency-Key": "shared-key"}
            )
            assert r.status_code == 201
            assert r.headers.get("idempotent-replayed") is None
            assert r.json()["store_id"] == store["id"]
        assert await count_sales(products) == 2

    async def test_rejected_request_frees_the_key(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        headers = as_store(store["id"]) | {"Idempotency-Key": "till-1-0005"}
        body = sale_body(tea["sku"], quantity=0)
        assert (await products.client.post(SALES, json=body, headers=headers)).status_code == 422
        body = sale_body(tea["sku"])
        assert (await products.client.post(SALES, json=body, headers=headers)).status_code == 201


class TestStoreIsolation:
    async def test_store_cannot_report_for_another_store(self, products):
        a = await create_store(products)
        b = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"]) | {"store_id": b["id"]}
        r = await products.client.post(SALES, json=body, headers=as_store(a["id"]))
        assert r.status_code == 422
        assert await count_sales(products) == 0
        sale = await report_sale(products, a["id"], sale_body(tea["sku"]))
        assert sale["store_id"] == a["id"]
        assert await count_sales(products, store_id=uuid.UUID(b["id"])) == 0

    async def test_store_cannot_read_another_stores_sale(self, products):
        a = await create_store(products)
        b = await create_store(products)
        tea = await create_product(products)
        b_sale = await report_sale(products, b["id"], sale_body(tea["sku"]))
        r = await products.client.get(f"{SALES}/{b_sale['id']}", headers=as_store(a["id"]))
        assert r.status_code == 404
        r = await products.client.get(
            f"/v1/products/sales/{b_sale['id']}", headers=as_store(a["id"])
        )
        assert r.status_code == 403
        r = await products.client.get(
            f"/v1/products/sales/{b_sale['id']}/trace", headers=as_store(a["id"])
        )
        assert r.status_code == 403
        r = await products.client.get(
            "/v1/products/sales", params={"store_id": b["id"]}, headers=as_store(a["id"])
        )
        assert r.status_code == 403
        r = await products.client.get(f"/v1/products/stores/{b['id']}", headers=as_store(a["id"]))
        assert r.status_code == 403
        listing = await products.client.get(SALES, headers=as_store(a["id"]))
        assert listing.status_code == 200
        assert listing.json()["items"] == []
        r = await products.client.get(f"{SALES}/{b_sale['id']}", headers=as_store(b["id"]))
        assert r.status_code == 200

    async def test_store_cannot_correct_another_stores_sale(self, products):
        a = await create_store(products)
        b = await create_store(products)
        tea = await create_product(products)
        b_sale = await report_sale(products, b["id"], sale_body(tea["sku"]))
        r = await products.client.post(
            f"{SALES}/{b_sale['id']}/corrections",
            json={"kind": "void", "reason": "not mine"},
            headers=as_store(a["id"]),
        )
        assert r.status_code == 404
        assert await count_sales(products, kind="void") == 0


class TestReadOwnSales:
    async def test_list_newest_first_with_pages(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        ids = []
        for hour in range(5):
            sale = await report_sale(
                products, store["id"], sale_body(tea["sku"], sold_at=f"2024-03-10T0{hour}:00:00Z")
            )
            ids.append(sale["id"])
        seen = []
        cursor = None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            r = await products.client.get(SALES, params=params, headers=as_store(store["id"]))
            assert r.status_code == 200
            seen += [s["id"] for s in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        assert seen == list(reversed(ids))
        r = await products.client.get(SALES, params={"limit": 1000}, headers=as_store(store["id"]))
        assert r.status_code == 422
        r = await products.client.get(
            SALES, params={"cursor": "garbage!"}, headers=as_store(store["id"])
        )
        assert r.status_code == 422

    async def test_business_days_given_as_numbers_are_refused(self, products):
        # "0" was read as 1970-01-01 and answered as if it were a date.
        store = await create_store(products)
        for params in ({"date_to": "0"}, {"date_from": "86400"}):
            r = await products.client.get(SALES, params=params, headers=as_store(store["id"]))
            assert r.status_code == 422, params
            assert r.headers["content-type"] == "application/problem+json"
            assert "YYYY-MM-DD" in r.json()["detail"]

    async def test_filter_by_business_days(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        await report_sale(
            products, store["id"], sale_body(tea["sku"], sold_at="2024-03-09T04:00:00Z")
        )
        keep = await report_sale(
            products, store["id"], sale_body(tea["sku"], sold_at="2024-03-10T04:00:00Z")
        )
        r = await products.client.get(
            SALES,
            params={"date_from": "2024-03-10", "date_to": "2024-03-10"},
            headers=as_store(store["id"]),
        )
        assert [s["id"] for s in r.json()["items"]] == [keep["id"]]

    async def test_staff_read_any_sale(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        sale = await report_sale(products, store["id"], sale_body(tea["sku"]))
        from tests.support.apps import identity_headers

        r = await products.client.get(
            f"/v1/products/sales/{sale['id']}", headers=identity_headers("auditor")
        )
        assert r.status_code == 200
        assert r.json()["status"] == "recorded"
        r = await products.client.get(
            "/v1/products/sales",
            params={"store_id": store["id"]},
            headers=identity_headers("bureau_clerk"),
        )
        assert [s["id"] for s in r.json()["items"]] == [sale["id"]]
        r = await products.client.get(
            f"/v1/products/sales/{uuid.uuid4()}", headers=identity_headers("auditor")
        )
        assert r.status_code == 404
