"""Suppliers and the product catalogue: maintained by admins and bureau staff, archived and
never deleted."""

import uuid

from tests.products.factories import (
    admin,
    create_product,
    create_supplier,
)
from tests.support.apps import identity_headers

BASE = "/v1/products"


class TestSuppliers:
    async def test_create_read_update(self, products):
        supplier = await create_supplier(
            products, name="Houchang Tea Cooperative", poor_households_linked=128
        )
        assert supplier["archived_at"] is None
        r = await products.client.get(
            f"{BASE}/suppliers/{supplier['id']}", headers=identity_headers("auditor")
        )
        assert r.json()["poor_households_linked"] == 128
        r = await products.client.patch(
            f"{BASE}/suppliers/{supplier['id']}",
            json={"poor_households_linked": 130},
            headers=identity_headers("bureau_clerk"),
        )
        assert r.status_code == 200
        assert r.json()["poor_households_linked"] == 130
        assert r.json()["name"] == "Houchang Tea Cooperative"

    async def test_true_or_false_is_not_a_number_of_households(self, products):
        # Pydantic read false as 0: a supplier was created with no linked households.
        body = {"name": "X", "kind": "cooperative", "township": "Houchang"}
        for value in (False, True):
            r = await products.client.post(
                f"{BASE}/suppliers",
                json=body | {"poor_households_linked": value},
                headers=identity_headers("admin"),
            )
            assert r.status_code == 422, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert "poor_households_linked" in r.json()["detail"]
            assert "whole number" in r.json()["detail"]
        supplier = await create_supplier(products, poor_households_linked=12)
        r = await products.client.patch(
            f"{BASE}/suppliers/{supplier['id']}",
            json={"poor_households_linked": False},
            headers=identity_headers("admin"),
        )
        assert r.status_code == 422
        r = await products.client.get(
            f"{BASE}/suppliers/{supplier['id']}", headers=identity_headers("admin")
        )
        assert r.json()["poor_households_linked"] == 12

    async def test_invalid_input(self, products):
        base = {
            "name": "X",
            "kind": "cooperative",
            "township": "Houchang",
            "poor_households_linked": 1,
        }
        for change in (
            {"poor_households_linked": -1},
            {"poor_households_linked": 10**12},
            {"kind": "bank"},
            {"name": ""},
            {"name": "x" * 201},
            {"id": str(uuid.uuid4())},
            {"archived_at": "2024-01-01T00:00:00Z"},
        ):
            r = await products.client.post(f"{BASE}/suppliers", json=base | change, headers=admin())
            assert r.status_code == 422, change
        supplier = await create_supplier(products)
        r = await products.client.patch(
            f"{BASE}/suppliers/{supplier['id']}", json={"name": None}, headers=admin()
        )
        assert r.status_code == 422

    async def test_roles(self, products):
        body = {
            "name": "X",
            "kind": "enterprise",
            "township": "Languan",
            "poor_households_linked": 1,
        }
        for role in ("auditor", "partner", "store"):
            r = await products.client.post(
                f"{BASE}/suppliers", json=body, headers=identity_headers(role, str(uuid.uuid4()))
            )
            assert r.status_code == 403, role
        r = await products.client.delete(f"{BASE}/suppliers/{uuid.uuid4()}", headers=admin())
        assert r.status_code == 405

    async def test_archived_supplier_takes_no_new_products(self, products):
        supplier = await create_supplier(products)
        r = await products.client.post(
            f"{BASE}/suppliers/{supplier['id']}/archive", headers=admin()
        )
        assert r.json()["archived_at"] is not None
        listing = await products.client.get(f"{BASE}/suppliers", headers=admin())
        assert supplier["id"] not in {s["id"] for s in listing.json()["items"]}
        listing = await products.client.get(
            f"{BASE}/suppliers", params={"include_archived": True}, headers=admin()
        )
        assert supplier["id"] in {s["id"] for s in listing.json()["items"]}
        r = await products.client.post(
            f"{BASE}/catalogue",
            json={
                "sku": "NEW-1",
                "name": "n",
                "category": "tea",
                "supplier_id": supplier["id"],
                "unit": "box",
                "net_weight_grams": 1,
                "list_price_fen": 1,
            },
            headers=admin(),
        )
        assert r.status_code == 422
        assert r.json()["type"] == "urn:eastwest:problem:supplier-archived"


class TestProducts:
    async def test_create_and_list(self, products):
        tea = await create_product(products, category="tea")
        veg = await create_product(products, category="vegetables")
        r = await products.client.get(
            f"{BASE}/catalogue",
            params={"category": "vegetables"},
            headers=identity_headers("store", str(uuid.uuid4())),
        )
        assert r.status_code == 200
        assert [p["id"] for p in r.json()["items"]] == [veg["id"]]
        pages, cursor = [], None
        while True:
            params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
            body = (
                await products.client.get(f"{BASE}/catalogue", params=params, headers=admin())
            ).json()
            pages += [p["id"] for p in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert pages == [tea["id"], veg["id"]]

    async def test_sku_unique(self, products):
        tea = await create_product(products)
        r = await products.client.post(
            f"{BASE}/catalogue",
            json={
                "sku": tea["sku"],
                "name": "n",
                "category": "tea",
                "supplier_id": tea["supplier_id"],
                "unit": "box",
                "net_weight_grams": 1,
                "list_price_fen": 1,
            },
            headers=admin(),
        )
        assert r.status_code == 409
        assert r.json()["type"] == "urn:eastwest:problem:sku-taken"

    async def test_invalid_input(self, products):
        supplier = await create_supplier(products)
        base = {
            "sku": "OK-1",
            "name": "n",
            "category": "tea",
            "supplier_id": supplier["id"],
            "unit": "box",
            "net_weight_grams": 250,
            "list_price_fen": 100,
        }
        for change in (
            {"net_weight_grams": 0},
            {"net_weight_grams": 10**10},
            {"list_price_fen": -1},
            {"list_price_fen": 10**18},
            {"category": "tobacco"},
            {"sku": "has space"},
            {"sku": "x" * 65},
            {"supplier_id": str(uuid.uuid4())},
            {"net_weight_grams": 2.5},
            {"name": "a\x00b"},
        ):
            r = await products.client.post(f"{BASE}/catalogue", json=base | change, headers=admin())
            assert r.status_code == 422, change
            assert r.headers["content-type"] == "application/problem+json"

    async def test_update_cannot_touch_what_sales_depend_on(self, products):
        tea = await create_product(products)
        for change in ({"net_weight_grams": 1}, {"sku": "NEW"}, {"supplier_id": str(uuid.uuid4())}):
            r = await products.client.patch(
                f"{BASE}/catalogue/{tea['id']}", json=change, headers=admin()
            )
            assert r.status_code == 422, change
        r = await products.client.patch(
            f"{BASE}/catalogue/{tea['id']}",
            json={"list_price_fen": 19900, "certification_number": None},
            headers=admin(),
        )
        assert r.status_code == 200
        assert (r.json()["list_price_fen"], r.json()["certification_number"]) == (19900, None)
        assert r.json()["net_weight_grams"] == tea["net_weight_grams"]

    async def test_archive_keeps_the_product(self, products):
        tea = await create_product(products)
        r = await products.client.post(f"{BASE}/catalogue/{tea['id']}/archive", headers=admin())
        assert r.status_code == 200
        first = r.json()["archived_at"]
        r = await products.client.post(f"{BASE}/catalogue/{tea['id']}/archive", headers=admin())
        assert r.json()["archived_at"] == first
        r = await products.client.get(f"{BASE}/catalogue/{tea['id']}", headers=admin())
        assert r.status_code == 200
        r = await products.client.delete(f"{BASE}/catalogue/{tea['id']}", headers=admin())
        assert r.status_code == 405
        r = await products.client.get(f"{BASE}/catalogue/{uuid.uuid4()}", headers=admin())
        assert r.status_code == 404
        r = await products.client.get(f"{BASE}/catalogue/not-a-uuid", headers=admin())
        assert r.status_code == 422
