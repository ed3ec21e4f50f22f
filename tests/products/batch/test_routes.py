"""Batch uploads: per-line results, good lines kept when others are bad, limits, idempotency."""

import json
import uuid

from sqlalchemy import func, select

from services.products.sales.tables import Sale, SaleLine
from shared.events.outbox import outbox_t
from tests.products.factories import (
    admin,
    as_store,
    create_product,
    create_store,
    report_sale,
    sale_body,
)

BATCH = "/v1/products/stores/me/sales:batch"
NDJSON = {"content-type": "application/x-ndjson"}
CSV = {"content-type": "text/csv"}


def ndjson(*sales: dict) -> str:
    return "\n".join(json.dumps(s) for s in sales) + "\n"


async def upload(products, store_id: str, body: str, headers: dict, key: str | None = None):
    h = as_store(store_id) | headers | {"Idempotency-Key": key or uuid.uuid4().hex}
    return await products.client.post(BATCH, content=body.encode(), headers=h)


async def counts(products) -> tuple[int, int, int]:
    async with products.sessionmaker() as s:
        sales = await s.scalar(select(func.count()).select_from(Sale))
        lines = await s.scalar(select(func.count()).select_from(SaleLine))
        events = await s.scalar(select(func.count()).select_from(outbox_t))
    return int(sales), int(lines), int(events)


class TestNdjsonBatch:
    async def test_good_and_bad_lines(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        archived = await create_product(products)
        await products.client.post(
            f"/v1/products/catalogue/{archived['id']}/archive", headers=admin()
        )
        await report_sale(products, store["id"], sale_body(tea["sku"], receipt_number="OLD-1"))
        good1 = sale_body(tea["sku"], quantity=4, unit_price_fen=100, receipt_number="B-1")
        good2 = sale_body(tea["sku"], quantity=1, unit_price_fen=900, receipt_number="B-2")
        lines = [
            json.dumps(good1),
            "{not json",
            json.dumps(sale_body("NOPE", receipt_number="B-3")),
            json.dumps(sale_body(tea["sku"], quantity=0, receipt_number="B-4")),
            "",  # blank lines are skipped but counted
            json.dumps(sale_body(tea["sku"], unit_price_fen=-5, receipt_number="B-5")),
            json.dumps(sale_body(tea["sku"], receipt_number="OLD-1")),
            json.dumps(good2),
            json.dumps(sale_body(tea["sku"], receipt_number="B-1")),
            json.dumps(sale_body(archived["sku"], receipt_number="B-6")),
            json.dumps(sale_body(tea["sku"], sold_at="2999-01-01T00:00:00Z", receipt_number="B-7")),
            json.dumps(sale_body(tea["sku"], receipt_number="B-8") | {"total_fen": 5}),
        ]
        r = await upload(products, store["id"], "\n".join(lines), NDJSON)
        assert r.status_code == 200, r.text
        result = r.json()
        by_line = {row["line"]: row for row in result["results"]}
        assert by_line[1]["status"] == "accepted"
        assert by_line[8]["status"] == "accepted"
        expected = {
            2: "invalid_json",
            3: "unknown_sku",
            4: "non_positive_quantity",
            6: "negative_price",
            7: "duplicate_receipt",
            9: "duplicate_in_batch",
            10: "archived_sku",
            11: "future_sale_time",
            12: "invalid",
        }
        for line, code in expected.items():
            assert by_line[line]["status"] == "rejected", line
            assert by_line[line]["code"] == code, (line, by_line[line])
            assert by_line[line]["reason"]
        assert 5 not in by_line
        assert by_line[3]["receipt_number"] == "B-3"
        assert result["sales_accepted"] == 2
        assert result["sales_rejected"] == 9
        assert result["total_fen"] == 4 * 100 + 900
        assert result["total_grams"] == 5 * 250
        # The good lines are recorded, each a sale with its own event.
        assert await counts(products) == (3, 3, 3)
        listing = await products.client.get(
            "/v1/products/stores/me/sales", headers=as_store(store["id"])
        )
        receipts = {s["receipt_number"] for s in listing.json()["items"]}
        assert receipts == {"OLD-1", "B-1", "B-2"}
        assert by_line[1]["sale_id"] in {s["id"] for s in listing.json()["items"]}

    async def test_numbers_only_as_json_integers_per_line(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        bad_price = sale_body(tea["sku"], receipt_number="N-2")
        bad_price["lines"][0]["unit_price_fen"] = 128.00  # yuan sent as fen
        bad_quantity = sale_body(tea["sku"], receipt_number="N-3")
        bad_quantity["lines"][0]["quantity"] = "3"
        body = ndjson(
            sale_body(tea["sku"], receipt_number="N-1"),
            bad_price,
            bad_quantity,
            sale_body(tea["sku"], receipt_number="N-4")
            | {"lines": [{"sku": tea["sku"], "quantity": 1e3, "unit_price_fen": 100}]},
        )
        r = await upload(products, store["id"], body, NDJSON)
        assert r.status_code == 200, r.text
        by_line = {row["line"]: row for row in r.json()["results"]}
        assert by_line[1]["status"] == "accepted"
        for line, field in ((2, "unit_price_fen"), (3, "quantity"), (4, "quantity")):
            assert (by_line[line]["status"], by_line[line]["code"]) == ("rejected", "invalid")
            assert f"{field}: must be a whole number" in by_line[line]["reason"]
        assert await counts(products) == (1, 1, 1)

    async def test_replay_returns_same_results_and_records_once(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = ndjson(sale_body(tea["sku"]), sale_body("NOPE"))
        first = await upload(products, store["id"], body, NDJSON, key="batch-1")
        second = await upload(products, store["id"], body, NDJSON, key="batch-1")
        assert first.status_code == second.status_code == 200
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await counts(products) == (1, 1, 1)
        other = await upload(
            products, store["id"], ndjson(sale_body(tea["sku"])), NDJSON, key="batch-1"
        )
        assert other.status_code == 422
        assert await counts(products) == (1, 1, 1)

    async def test_without_key_a_retry_finds_duplicates(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = ndjson(sale_body(tea["sku"], receipt_number="X-1"))
        h = as_store(store["id"]) | NDJSON
        first = await products.client.post(BATCH, content=body, headers=h)
        again = await products.client.post(BATCH, content=body, headers=h)
        assert first.json()["sales_accepted"] == 1
        assert again.json()["results"][0]["code"] == "duplicate_receipt"
        assert await counts(products) == (1, 1, 1)

    async def test_thousands_of_lines(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=125)
        veg = await create_product(products, net_weight_grams=1000, category="vegetables")
        sales = []
        for i in range(3000):
            sku = tea["sku"] if i % 3 else veg["sku"]
            sales.append(
                sale_body(
                    sku,
                    quantity=1 + i % 5,
                    unit_price_fen=100 + i,
                    receipt_number=f"N-{i}",
                    sold_at=f"2024-03-{1 + i % 28:02d}T03:00:00Z",
                )
            )
        sales[1234]["lines"][0]["quantity"] = -1
        r = await upload(products, store["id"], ndjson(*sales), NDJSON)
        assert r.status_code == 200
        result = r.json()
        assert result["sales_accepted"] == 2999
        rejected = [row for row in result["results"] if row["status"] == "rejected"]
        assert [(row["line"], row["code"]) for row in rejected] == [(1235, "non_positive_quantity")]
        good = [s for i, s in enumerate(sales) if i != 1234]
        assert result["total_fen"] == sum(
            s["lines"][0]["quantity"] * s["lines"][0]["unit_price_fen"] for s in good
        )
        assert await counts(products) == (2999, 2999, 2999)
        # Recorded in rounds (RECORD_CHUNK sales each): the rollups hold every round, exactly.
        r = await products.client.get(
            "/v1/products/statistics", params={"store_id": store["id"]}, headers=admin()
        )
        assert r.json()["total"]["fen"] == result["total_fen"]
        assert r.json()["total"]["grams"] == result["total_grams"]
        async with products.sessionmaker() as s:
            receipts = (await s.execute(select(outbox_t.c.payload).order_by(outbox_t.c.seq))).all()
        # One event per sale, in the order of the upload's lines.
        assert [json.loads(p)["data"]["receipt_number"] for (p,) in receipts] == [
            s["receipt_number"] for s in good
        ]

    async def test_over_line_limit_is_413_with_line(self, products):
        store = await create_store(products)
        tea = await create_product(products)
        body = "\n".join(
            json.dumps(sale_body(tea["sku"], receipt_number=f"L-{i}")) for i in range(5001)
        )
        r = await upload(products, store["id"], body, NDJSON)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["line"] == 5001
        assert await counts(products) == (0, 0, 0)

    async def test_over_byte_limit_is_413(self, products):
        store = await create_store(products)
        await create_product(products)
        body = "x" * (2 * 1024 * 1024 + 1)
        r = await upload(products, store["id"], body, NDJSON)
        assert r.status_code == 413

    async def test_unreadable_bodies(self, products):
        store = await create_store(products)
        r = await upload(products, store["id"], "a,b\n", {"content-type": "application/json"})
        assert r.status_code == 415
        r = await upload(products, store["id"], "\n\n", NDJSON)
        assert r.status_code == 422
        h = as_store(store["id"]) | NDJSON
        r = await products.client.post(BATCH, content=b'{"a": "\xff"}\n', headers=h)
        assert r.status_code == 422
        r = await upload(products, store["id"], "[1, 2]\n", NDJSON)
        assert r.status_code == 200
        assert r.json()["results"][0]["code"] == "invalid_json"

    async def test_another_store_id_in_a_line_is_rejected(self, products):
        a = await create_store(products)
        b = await create_store(products)
        tea = await create_product(products)
        body = ndjson(sale_body(tea["sku"]) | {"store_id": b["id"]}, sale_body(tea["sku"]))
        r = await upload(products, a["id"], body, NDJSON)
        assert [row["status"] for row in r.json()["results"]] == ["rejected", "accepted"]
        async with products.sessionmaker() as s:
            stores = set(await s.scalars(select(Sale.store_id)))
        assert {str(x) for x in stores} == {a["id"]}


class TestCsvBatch:
    async def test_rows_grouped_by_receipt(self, products):
        store = await create_store(products)
        tea = await create_product(products, net_weight_grams=250)
        veg = await create_product(products, net_weight_grams=500)
        rows = [
            "receipt_number,sold_at,sku,quantity,unit_price_fen",
            f"C-1,2024-03-10T04:00:00Z,{tea['sku']},2,16800",
            f"C-1,2024-03-10T04:00:00Z,{veg['sku']},1,2500",
            f"C-2,2024-03-10T05:00:00Z,{tea['sku']},1,16800",
            "C-2,2024-03-10T05:00:00Z,NOPE,1,100",
            f"C-3,2024-03-10T06:00:00Z,{veg['sku']},two,100",
            "C-4,2024-03-10T06:00:00Z,too,few",
            f"C-5,2024-03-10T07:00:00Z,{veg['sku']},3,100",
            f"C-5,2024-03-10T08:00:00Z,{veg['sku']},3,100",
            f"C-6,2024-03-10T09:00:00Z,{veg['sku']},0,100",
        ]
        r = await upload(products, store["id"], "\r\n".join(rows) + "\r\n", CSV)
        assert r.status_code == 200, r.text
        result = r.json()
        by_line = {row["line"]: row for row in result["results"]}
        assert [by_line[n]["status"] for n in (2, 3)] == ["accepted", "accepted"]
        assert by_line[2]["sale_id"] == by_line[3]["sale_id"]
        assert (by_line[5]["code"], by_line[4]["code"]) == ("unknown_sku", "receipt_rejected")
        assert "line 5" in by_line[4]["reason"]
        assert by_line[6]["code"] == "invalid"
        assert by_line[7]["code"] == "invalid_row"
        assert (by_line[8]["code"], by_line[9]["code"]) == (
            "receipt_rejected",
            "conflicting_sold_at",
        )
        assert by_line[10]["code"] == "non_positive_quantity"
        assert result["sales_accepted"] == 1
        assert result["lines_accepted"] == 2
        assert result["lines_rejected"] == 7
        assert result["total_fen"] == 2 * 16800 + 2500
        assert result["total_grams"] == 2 * 250 + 500
        assert await counts(products) == (1, 2, 1)

    async def test_number_cells_are_digits_only(self, products):
        # "128.00" is yuan sent as fen: refused on its line, not read as 128 or 12800.
        store = await create_store(products)
        tea = await create_product(products)
        rows = [
            "receipt_number,sold_at,sku,quantity,unit_price_fen",
            f"D-1,2024-03-10T04:00:00Z,{tea['sku']},2,16800",
            f"D-2,2024-03-10T04:00:00Z,{tea['sku']},1,16800",
            f"D-2,2024-03-10T04:00:00Z,{tea['sku']},1,128.00",
            f"D-3,2024-03-10T05:00:00Z,{tea['sku']},3.0,100",
            f"D-4,2024-03-10T05:00:00Z,{tea['sku']},1e3,100",
            f"D-5,2024-03-10T05:00:00Z,{tea['sku']},1_000,100",
            f"D-6,2024-03-10T05:00:00Z,{tea['sku']},+2,100",
        ]
        r = await upload(products, store["id"], "\r\n".join(rows) + "\r\n", CSV)
        assert r.status_code == 200, r.text
        result = r.json()
        by_line = {row["line"]: row for row in result["results"]}
        assert by_line[2]["status"] == "accepted"
        assert (by_line[3]["code"], by_line[4]["code"]) == ("receipt_rejected", "invalid")
        assert "unit_price_fen must be a whole number of fen in digits only" in by_line[4]["reason"]
        for line in (5, 6, 7, 8):
            assert by_line[line]["code"] == "invalid", by_line[line]
            assert "quantity must be a whole number in digits only" in by_line[line]["reason"]
        assert (result["sales_accepted"], result["total_fen"]) == (1, 2 * 16800)
        assert await counts(products) == (1, 1, 1)

    async def test_bad_header(self, products):
        store = await create_store(products)
        r = await upload(products, store["id"], "receipt,sold_at,sku\nx,y,z\n", CSV)
        assert r.status_code == 422
        assert r.json()["line"] == 1
        r = await upload(
            products,
            store["id"],
            "receipt_number,sold_at,sku,quantity,unit_price_fen,total_fen\n",
            CSV,
        )
        assert r.status_code == 422
        assert "total_fen" in r.json()["detail"]
