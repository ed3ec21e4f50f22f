"""Every list the products service answers runs the same number of SQL statements whatever its
length: a page of 1 and a page of 20+ (suppliers, products, stores, sales), a sale with 1 and with
20 corrections or lines (detail, trace), a batch of 1 and of 21 sales, a day of 1 and of 21 sales,
statistics of 1 and of 21 groups. Presenters read sets, never a row at a time.

The counts are of the request's statements alone (see the ``products`` fixture below)."""

import uuid

from tests.products.factories import (
    admin,
    as_store,
    correct,
    create_product,
    create_store,
    create_supplier,
    report_sale,
    sale_body,
)
from tests.support.queries import count_queries, queries_of

MANY = 21
SOLD_AT = "2024-03-10T04:00:00Z"  # business day 2024-03-10


async def statements(products, path: str, headers: dict[str, str]) -> int:
    n, response = await queries_of(products, path, headers=headers)
    assert response.status_code == 200, response.text
    return n


async def one_and_many(products, path: str, headers: dict[str, str], key: str) -> None:
    """A page of 1 and a page of every row run the same statements."""
    sep = "&" if "?" in path else "?"
    n_one, one = await queries_of(products, f"{path}{sep}limit=1", headers=headers)
    n_many, many = await queries_of(products, f"{path}{sep}limit=50", headers=headers)
    assert one.status_code == many.status_code == 200, (one.text, many.text)
    assert len(one.json()[key]) == 1
    assert len(many.json()[key]) >= MANY
    assert n_one == n_many, f"{path}: {n_one} statements for 1 row, {n_many} for {MANY}"


async def sales_of(products, store_id: str, skus: list[str], count: int) -> list[dict]:
    return [
        await report_sale(products, store_id, sale_body(skus[i % len(skus)], sold_at=SOLD_AT))
        for i in range(count)
    ]


class TestPages:
    async def test_suppliers(self, products):
        for _ in range(MANY):
            await create_supplier(products)
        await one_and_many(products, "/v1/products/suppliers", admin(), "items")

    async def test_products(self, products):
        supplier = await create_supplier(products)
        for _ in range(MANY):
            await create_product(products, supplier_id=supplier["id"])
        await one_and_many(products, "/v1/products/catalogue", admin(), "items")

    async def test_stores(self, products):
        for _ in range(MANY):
            await create_store(products)
        await one_and_many(products, "/v1/products/stores", admin(), "items")

    async def test_sales(self, products):
        store = await create_store(products)
        product = await create_product(products)
        await sales_of(products, store["id"], [product["sku"]], MANY)
        await one_and_many(products, "/v1/products/stores/me/sales", as_store(store["id"]), "items")
        await one_and_many(products, "/v1/products/sales", admin(), "items")


class TestOneSale:
    async def test_corrections_of_a_sale(self, products):
        store = await create_store(products)
        product = await create_product(products)
        few, many = await sales_of(products, store["id"], [product["sku"]], 2)
        for sale, count in ((few, 1), (many, MANY)):
            for i in range(count):
                body = {
                    "kind": "correction",
                    "reason": "Till miscounted",
                    "lines": [{"sku": product["sku"], "quantity": 3 + i, "unit_price_fen": 16800}],
                }
                r = await correct(products, store["id"], sale["id"], body)
                assert r.status_code == 201, r.text
        for path, headers in (
            ("/v1/products/stores/me/sales/{}", as_store(store["id"])),
            ("/v1/products/sales/{}", admin()),
        ):
            n_few = await statements(products, path.format(few["id"]), headers)
            n_many = await statements(products, path.format(many["id"]), headers)
            assert n_few == n_many, f"{path}: {n_few} for 1 correction, {n_many} for {MANY}"

    async def test_trace_of_many_lines(self, products):
        store = await create_store(products)
        lines = [await create_product(products) for _ in range(MANY)]  # a supplier each
        one = await report_sale(products, store["id"], sale_body(lines[0]["sku"]))
        body = sale_body(lines[0]["sku"]) | {
            "lines": [{"sku": p["sku"], "quantity": 1, "unit_price_fen": 100} for p in lines]
        }
        many = await report_sale(products, store["id"], body)
        path = "/v1/products/sales/{}/trace"
        n_one, r_one = await queries_of(products, path.format(one["id"]), headers=admin())
        n_many, r_many = await queries_of(products, path.format(many["id"]), headers=admin())
        assert r_many.json()["suppliers"] == MANY and len(r_one.json()["lines"]) == 1
        assert n_one == n_many, f"trace: {n_one} for 1 line, {n_many} for {MANY}"


class TestBatch:
    async def test_one_and_many_sales(self, products):
        """The batch's per-line results are computed from what it loaded once."""
        store = await create_store(products)
        product = await create_product(products)
        counted = []
        for count in (1, MANY):
            rows = "".join(
                f"R-{uuid.uuid4().hex[:10]},{SOLD_AT},{product['sku']},1,100\n"
                f"R-same-{count}-{i},{SOLD_AT},{product['sku']},2,100\n"
                for i in range(count)
            )
            body = "receipt_number,sold_at,sku,quantity,unit_price_fen\n" + rows
            headers = as_store(store["id"]) | {
                "content-type": "text/csv",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            with count_queries(products.runtime.engine) as statements_run:
                r = await products.client.post(
                    "/v1/products/stores/me/sales:batch", content=body.encode(), headers=headers
                )
            assert r.status_code == 200, r.text
            assert r.json()["sales_accepted"] == 2 * count
            counted.append(statements_run.n)
        assert counted[0] == counted[1], f"batch: {counted[0]} for 2 sales, {counted[1]} for 42"


class TestDayAndStatistics:
    async def test_day_of_many_sales(self, products):
        store = await create_store(products)
        product = await create_product(products)
        await sales_of(products, store["id"], [product["sku"]], 1)
        headers = as_store(store["id"])
        n_one = await statements(products, "/v1/products/stores/me/days/2024-03-10", headers)
        await sales_of(products, store["id"], [product["sku"]], MANY - 1)
        n_many = await statements(products, "/v1/products/stores/me/days/2024-03-10", headers)
        assert n_one == n_many, f"day: {n_one} for 1 sale, {n_many} for {MANY}"

    async def test_statistics_of_many_groups(self, products):
        store = await create_store(products)
        product = await create_product(products)
        await sales_of(products, store["id"], [product["sku"]], 1)
        path = "/v1/products/statistics?group_by=product"
        n_one, one = await queries_of(products, path, headers=admin())
        skus = [(await create_product(products))["sku"] for _ in range(MANY - 1)]
        await sales_of(products, store["id"], skus, MANY - 1)
        n_many, many = await queries_of(products, path, headers=admin())
        assert len(one.json()["rows"]) == 1 and len(many.json()["rows"]) == MANY
        assert n_one == n_many, f"statistics: {n_one} for 1 group, {n_many} for {MANY}"
