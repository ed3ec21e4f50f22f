"""The traceability of a sale back to its suppliers and their poor households."""

import uuid

from tests.products.factories import (
    create_product,
    create_store,
    create_supplier,
    report_sale,
    sale_body,
)
from tests.support.apps import identity_headers


class TestTrace:
    async def test_chain_back_to_suppliers(self, products):
        store = await create_store(products, name="Haizhu Weng'an Centre")
        coop = await create_supplier(
            products, township="Houchang", poor_households_linked=128, kind="cooperative"
        )
        firm = await create_supplier(
            products, township="Languan", poor_households_linked=40, kind="enterprise"
        )
        tea = await create_product(
            products, supplier_id=coop["id"], certification_number="XFBF-2020-0042"
        )
        tea2 = await create_product(products, supplier_id=coop["id"])
        herb = await create_product(
            products, supplier_id=firm["id"], category="medicinal_herbs", net_weight_grams=100
        )
        body = sale_body(tea["sku"], quantity=2)
        body["lines"] += [
            {"sku": tea2["sku"], "quantity": 1, "unit_price_fen": 10},
            {"sku": herb["sku"], "quantity": 3, "unit_price_fen": 500},
        ]
        sale = await report_sale(products, store["id"], body)
        for role in ("bureau_clerk", "bureau_approver", "auditor", "admin"):
            r = await products.client.get(
                f"/v1/products/sales/{sale['id']}/trace", headers=identity_headers(role)
            )
            assert r.status_code == 200, role
        trace = r.json()
        assert trace["store_name"] == "Haizhu Weng'an Centre"
        assert trace["receipt_number"] == sale["receipt_number"]
        first = trace["lines"][0]
        assert (
            first["sku"],
            first["certification_number"],
            first["supplier_id"],
            first["township"],
            first["poor_households_linked"],
            first["supplier_kind"],
        ) == (tea["sku"], "XFBF-2020-0042", coop["id"], "Houchang", 128, "cooperative")
        assert trace["lines"][2]["township"] == "Languan"
        assert trace["lines"][2]["grams"] == 300
        assert trace["suppliers"] == 2
        assert trace["poor_households_linked"] == 168
        r = await products.client.get(
            f"/v1/products/sales/{uuid.uuid4()}/trace", headers=identity_headers("auditor")
        )
        assert r.status_code == 404
