"""Statistics over a generated dataset whose totals are computed here independently."""

import json
import random
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from tests.products.factories import (
    as_store,
    create_product,
    create_store,
    create_supplier,
    report_sale,
    sale_body,
)
from tests.support.apps import identity_headers

STATS = "/v1/products/statistics"


CHINA = timezone(timedelta(hours=8))


def tonnes(grams: int) -> str:
    kg = (grams + 500) // 1000
    return f"{kg // 1000}.{kg % 1000:03d}"


async def build_dataset(products, seed: int = 7):
    """Three stores, suppliers in two townships, six products; sales over four months via
    batches and single reports, some corrected or voided. Returns the catalogue and the lines
    in force as (business date, store id, product, quantity, unit price)."""
    rng = random.Random(seed)
    suppliers = [
        await create_supplier(products, township="Houchang", poor_households_linked=120),
        await create_supplier(products, township="Houchang", poor_households_linked=35),
        await create_supplier(products, township="Languan", poor_households_linked=64),
    ]
    specs = [
        ("tea", 250, 0),
        ("tea", 500, 1),
        ("vegetables", 1000, 2),
        ("medicinal_herbs", 100, 2),
        ("poultry", 1500, 0),
        ("fruit", 2500, 1),
    ]
    catalogue = []
    for category, grams, s in specs:
        catalogue.append(
            await create_product(
                products, category=category, net_weight_grams=grams, supplier_id=suppliers[s]["id"]
            )
        )
    stores = [await create_store(products) for _ in range(3)]
    sales: dict[str, dict] = {}  # receipt -> {"store", "date", "lines": [(product, q, price)]}
    for store in stores:
        batch = []
        for i in range(150):
            sold_at = datetime(2024, 1, 1, tzinfo=CHINA) + timedelta(
                minutes=rng.randrange(0, 121 * 24 * 60)
            )
            lines = [
                (rng.choice(catalogue), rng.randint(1, 20), rng.randint(0, 50_000))
                for _ in range(rng.randint(1, 3))
            ]
            receipt = f"S{store['id'][:4]}-{i}"
            sales[receipt] = {"store": store, "date": sold_at.date(), "lines": lines}
            batch.append(
                {
                    "receipt_number": receipt,
                    "sold_at": sold_at.isoformat(),
                    "lines": [
                        {"sku": p["sku"], "quantity": q, "unit_price_fen": f} for p, q, f in lines
                    ],
                }
            )
        r = await products.client.post(
            "/v1/products/stores/me/sales:batch",
            content="\n".join(json.dumps(b) for b in batch),
            headers=as_store(store["id"]) | {"content-type": "application/x-ndjson"},
        )
        assert r.json()["sales_accepted"] == 150
        for row in r.json()["results"]:
            sales[row["receipt_number"]]["id"] = row["sale_id"]
    # A single report straddling a China-time midnight: 2024-02-29 23:30 local.
    leap = await report_sale(
        products,
        stores[0]["id"],
        sale_body(
            catalogue[0]["sku"],
            quantity=7,
            unit_price_fen=1234,
            sold_at="2024-02-29T15:30:00Z",
            receipt_number="LEAP",
        ),
    )
    sales["LEAP"] = {
        "store": stores[0],
        "date": date(2024, 2, 29),
        "id": leap["id"],
        "lines": [(catalogue[0], 7, 1234)],
    }
    # Correct some sales and void others.
    receipts = sorted(sales)
    for receipt in rng.sample(receipts, 20):
        sale = sales[receipt]
        if rng.random() < 0.5:
            body = {"kind": "void", "reason": "returned"}
            sale["lines"] = []
        else:
            new = [(rng.choice(catalogue), rng.randint(1, 9), rng.randint(0, 9_999))]
            if new == sale["lines"]:
                continue
            body = {
                "kind": "correction",
                "reason": "keyed wrong",
                "lines": [{"sku": p["sku"], "quantity": q, "unit_price_fen": f} for p, q, f in new],
            }
            sale["lines"] = new
        r = await products.client.post(
            f"/v1/products/stores/me/sales/{sale['id']}/corrections",
            json=body,
            headers=as_store(sale["store"]["id"]) | {"Idempotency-Key": uuid.uuid4().hex},
        )
        assert r.status_code == 201, r.text
    supplier_by_id = {s["id"]: s for s in suppliers}
    facts = []
    for sale in sales.values():
        for product, q, price in sale["lines"]:
            facts.append(
                {
                    "date": sale["date"],
                    "store": sale["store"]["id"],
                    "product": product["id"],
                    "category": product["category"],
                    "supplier": product["supplier_id"],
                    "township": supplier_by_id[product["supplier_id"]]["township"],
                    "month": sale["date"].strftime("%Y-%m"),
                    "quantity": q,
                    "grams": q * product["net_weight_grams"],
                    "fen": q * price,
                }
            )
    return stores, suppliers, catalogue, facts


def expected(facts, keys, date_from=None, date_to=None):
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for f in facts:
        if (date_from and f["date"] < date_from) or (date_to and f["date"] > date_to):
            continue
        bucket = sums[tuple(f[k] for k in keys)]
        bucket[0] += f["quantity"]
        bucket[1] += f["grams"]
        bucket[2] += f["fen"]
    return {k: tuple(v) for k, v in sums.items() if v != [0, 0, 0]}


FIELD = {
    "store": "store_id",
    "product": "product_id",
    "category": "category",
    "supplier": "supplier_id",
    "township": "township",
    "month": "month",
}


def observed(body, keys):
    return {
        tuple(row[FIELD[k]] for k in keys): (row["quantity"], row["grams"], row["fen"])
        for row in body["rows"]
        if (row["quantity"], row["grams"], row["fen"]) != (0, 0, 0)
    }


class TestStatistics:
    async def test_totals_match_an_independent_computation(self, products):
        _stores, _suppliers, _catalogue, facts = await build_dataset(products)
        staff = identity_headers("bureau_clerk")
        periods = [
            (None, None, "monthly"),
            (date(2024, 2, 1), date(2024, 3, 31), "monthly"),
            (date(2024, 2, 10), date(2024, 3, 5), "daily"),
            (date(2024, 2, 29), date(2024, 2, 29), "daily"),
            # Whole months from the monthly rollup, the partial ends from the daily one.
            (date(2024, 1, 15), date(2024, 3, 10), "monthly_and_daily"),
            (date(2024, 1, 20), date(2024, 4, 30), "monthly_and_daily"),
            (date(2024, 1, 1), date(2024, 3, 20), "monthly_and_daily"),
        ]
        groupings = [
            ["store"],
            ["product"],
            ["category"],
            ["supplier"],
            ["township"],
            ["month"],
            ["township", "month"],
            ["store", "category", "month"],
        ]
        for date_from, date_to, source in periods:
            for keys in groupings:
                params = [("group_by", k) for k in keys]
                if date_from:
                    params += [
                        ("date_from", date_from.isoformat()),
                        ("date_to", date_to.isoformat()),
                    ]
                r = await products.client.get(STATS, params=params, headers=staff)
                assert r.status_code == 200, r.text
                body = r.json()
                assert body["source"] == source
                want = expected(facts, keys, date_from, date_to)
                assert observed(body, keys) == want, (keys, date_from, date_to)
                total = [sum(v[i] for v in want.values()) for i in range(3)]
                assert [body["total"][k] for k in ("quantity", "grams", "fen")] == total
                assert body["total"]["tonnes"] == tonnes(total[1])
                assert body["total"]["yuan"] == f"{total[2] // 100}.{total[2] % 100:02d}"
        # The leap-day sale at 23:30 China time belongs to 29 February.
        r = await products.client.get(
            STATS, params={"date_from": "2024-02-29", "date_to": "2024-02-29"}, headers=staff
        )
        assert r.json()["total"]["fen"] == sum(
            f["fen"] for f in facts if f["date"] == date(2024, 2, 29)
        )

    async def test_filters_and_names(self, products):
        stores, suppliers, catalogue, facts = await build_dataset(products, seed=11)
        staff = identity_headers("auditor")
        r = await products.client.get(
            STATS, params={"group_by": "supplier", "township": "Languan"}, headers=staff
        )
        rows = r.json()["rows"]
        assert {row["supplier_id"] for row in rows} == {suppliers[2]["id"]}
        assert rows[0]["supplier_name"] == suppliers[2]["name"]
        assert rows[0]["fen"] == sum(f["fen"] for f in facts if f["township"] == "Languan")
        r = await products.client.get(
            STATS,
            params={"store_id": stores[1]["id"], "category": "tea", "group_by": "product"},
            headers=staff,
        )
        want = expected(
            [f for f in facts if f["store"] == stores[1]["id"] and f["category"] == "tea"],
            ["product"],
        )
        assert observed(r.json(), ["product"]) == want
        assert {row["sku"] for row in r.json()["rows"]} <= {
            catalogue[0]["sku"],
            catalogue[1]["sku"],
        }
        # A store sees only its own totals, whatever it asks.
        own = await products.client.get(
            "/v1/products/stores/me/statistics",
            params={"group_by": "store"},
            headers=as_store(stores[2]["id"]),
        )
        assert observed(own.json(), ["store"]) == expected(
            [f for f in facts if f["store"] == stores[2]["id"]], ["store"]
        )
        r = await products.client.get(
            "/v1/products/stores/me/statistics",
            params={"store_id": stores[0]["id"], "group_by": "store"},
            headers=as_store(stores[2]["id"]),
        )
        assert {row["store_id"] for row in r.json()["rows"]} == {stores[2]["id"]}

    async def test_tonnes_and_yuan_are_exact(self, products):
        store = await create_store(products)
        heavy = await create_product(products, net_weight_grams=1_000_000)
        light = await create_product(products, net_weight_grams=1)
        body = sale_body(heavy["sku"], quantity=36, unit_price_fen=361_111_111)
        body["lines"].append({"sku": light["sku"], "quantity": 1500, "unit_price_fen": 7})
        await report_sale(products, store["id"], body)
        r = await products.client.get(STATS, headers=identity_headers("admin"))
        total = r.json()["total"]
        assert total["grams"] == 36_001_500
        assert total["tonnes"] == "36.002"
        assert total["fen"] == 36 * 361_111_111 + 10_500
        assert total["yuan"] == "130000104.96"

    async def test_bad_parameters(self, products):
        staff = identity_headers("admin")
        for params in (
            {"group_by": "colour"},
            {"date_from": "2024-13-01"},
            {"date_from": "2024-03-02", "date_to": "2024-03-01"},
            {"date_to": "0"},
            {"store_id": "x"},
            {"category": "tobacco"},
            {"township": "Hou\x00chang"},
        ):
            r = await products.client.get(STATS, params=params, headers=staff)
            assert r.status_code == 422, params
            assert r.headers["content-type"] == "application/problem+json"
        r = await products.client.get(STATS, headers=identity_headers("store", str(uuid.uuid4())))
        assert r.status_code == 403
        r = await products.client.get(STATS, headers=identity_headers("partner"))
        assert r.status_code == 403

    async def test_empty(self, products):
        r = await products.client.get(
            STATS, params={"group_by": "month"}, headers=identity_headers("admin")
        )
        assert r.status_code == 200
        assert r.json()["rows"] == []
        assert r.json()["total"]["tonnes"] == "0.000"
        assert r.json()["total"]["yuan"] == "0.00"


class TestStatisticsAtCalendarEdges:
    """GET /v1/products/statistics and /stores/me/statistics with periods ending on the last day
    a date can hold: it ends a month, so the monthly rollup answers (once a 500, from adding a
    day to 9999-12-31)."""

    async def test_period_ending_on_the_last_possible_day(self, products):
        supplier = await create_supplier(products)
        product = await create_product(products, supplier_id=supplier["id"])
        store = await create_store(products)
        await report_sale(
            products, store["id"], sale_body(product["sku"], quantity=3, unit_price_fen=1000)
        )
        for path, headers in (
            (STATS, identity_headers("admin")),
            ("/v1/products/stores/me/statistics", as_store(store["id"])),
        ):
            r = await products.client.get(
                path,
                params={"date_from": "0001-01-01", "date_to": "9999-12-31", "group_by": "month"},
                headers=headers,
            )
            assert r.status_code == 200, (path, r.text)
            body = r.json()
            assert body["source"] == "monthly"
            assert body["total"]["quantity"] == 3
            assert body["total"]["fen"] == 3000
            assert [row["month"] for row in body["rows"]] == ["2024-03"]

    async def test_period_ending_mid_month_reads_the_daily_rollup(self, products):
        r = await products.client.get(
            STATS,
            params={"date_from": "9999-12-01", "date_to": "9999-12-30"},
            headers=identity_headers("admin"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["source"] == "daily"
