"""Stores: maintained by admins and bureau staff, archived and never deleted; a store reads
itself as /stores/me."""

from tests.products.factories import (
    admin,
    as_store,
    create_store,
)
from tests.support.apps import identity_headers

BASE = "/v1/products"


class TestStores:
    async def test_create_and_read(self, products):
        store = await create_store(products, kind="exhibition_centre")
        r = await products.client.get(
            f"{BASE}/stores/{store['id']}", headers=identity_headers("bureau_approver")
        )
        assert r.json()["kind"] == "exhibition_centre"
        r = await products.client.get(f"{BASE}/stores/me", headers=as_store(store["id"]))
        assert r.json()["id"] == store["id"]
        r = await products.client.patch(
            f"{BASE}/stores/{store['id']}",
            json={"address": "Binjiang Road, Haizhu"},
            headers=admin(),
        )
        assert r.json()["address"] == "Binjiang Road, Haizhu"
        r = await products.client.get(f"{BASE}/stores", headers=identity_headers("auditor"))
        assert [s["id"] for s in r.json()["items"]] == [store["id"]]

    async def test_only_staff_manage_stores(self, products):
        store = await create_store(products)
        body = {"name": "Mine", "kind": "flagship_store", "address": "x"}
        r = await products.client.post(f"{BASE}/stores", json=body, headers=as_store(store["id"]))
        assert r.status_code == 403
        r = await products.client.patch(
            f"{BASE}/stores/{store['id']}", json={"name": "Mine"}, headers=as_store(store["id"])
        )
        assert r.status_code == 403
        r = await products.client.post(
            f"{BASE}/stores/{store['id']}/archive", headers=identity_headers("auditor")
        )
        assert r.status_code == 403
        r = await products.client.get(f"{BASE}/stores", headers=as_store(store["id"]))
        assert r.status_code == 403

    async def test_archive(self, products):
        store = await create_store(products)
        r = await products.client.post(f"{BASE}/stores/{store['id']}/archive", headers=admin())
        assert r.json()["archived_at"] is not None
        r = await products.client.post(
            f"{BASE}/stores/me/days/2024-03-10/close", headers=as_store(store["id"])
        )
        assert r.status_code == 403
