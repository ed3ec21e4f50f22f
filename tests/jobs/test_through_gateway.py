"""The jobs service as users reach it: behind the gateway (what `make run` serves), each under
its own uvicorn server. The job board answers without a credential; everything else needs a
key, and the organisation comes from the key."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app as create_gateway
from gateway.config import GatewaySettings
from services.jobs.app import create_app as create_jobs
from services.products.app import create_app as create_products
from tests.jobs.conftest import posting_body, worker_body
from tests.support.apps import TEST_IDENTITY_SECRET, TEST_PII_KEY
from tests.support.infra import wait_until
from tests.support.servers import serve

ADMIN_PASSWORD = "jobs-test-admin-password-0123"


@pytest.fixture
async def edge(settings_for, databases) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway, in front of a real jobs service."""
    gateway_settings = GatewaySettings.model_validate(
        {
            "env": "test",
            "database_url": databases.url("gateway"),
            "identity_secret": TEST_IDENTITY_SECRET,
            "pii_key": TEST_PII_KEY,
            "token_secret": "jobs-test-gateway-token-secret-0123456789",
            "bootstrap_admin_password": ADMIN_PASSWORD,
            "rate_limit_per_second": 1000.0,
            "rate_limit_burst": 1000,
            "log_json": True,
        },
        by_name=True,
    )
    async with (
        serve(create_jobs(settings_for("jobs"))) as jobs_server,
        # Only for the store key below: the gateway asks products whether its store exists.
        serve(create_products(settings_for("products"))) as products_server,
    ):
        gateway_settings.jobs_url = jobs_server.url
        gateway_settings.products_url = products_server.url
        async with (
            serve(create_gateway(gateway_settings), proxy_headers=False) as gw,
            httpx.AsyncClient(base_url=gw.url, timeout=20) as client,
        ):
            yield client


async def admin_token(client: httpx.AsyncClient) -> str:
    async def login() -> Any:
        r = await client.post(
            "/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        return r.json()["access_token"] if r.status_code == 200 else None

    return await wait_until(login, timeout=20, what="bootstrap admin")  # type: ignore[no-any-return]


async def api_key(
    client: httpx.AsyncClient, token: str, role: str, subject_id: str | None = None
) -> dict[str, str]:
    body: dict[str, Any] = {"name": f"{role} key", "role": role}
    if subject_id:
        body["subject_id"] = subject_id
    r = await client.post(
        "/v1/admin/api-keys", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['key']}"}


class TestThroughTheGateway:
    async def test_public_board_partner_and_bureau(self, edge):
        r = await edge.get("/v1/jobs/postings")
        assert r.status_code == 200, r.text
        assert r.json() == {"items": [], "next_cursor": None}
        assert (await edge.post("/v1/jobs/workers", json=worker_body())).status_code == 401

        token = await admin_token(edge)
        bureau = await api_key(edge, token, "bureau_clerk")
        r = await edge.post(
            "/v1/jobs/employers",
            headers=bureau,
            json={
                "kind": "haizhu_partner",
                "name": "Pearl River Electronics",
                "location": "Haizhu",
            },
        )
        assert r.status_code == 201, r.text
        partner = await api_key(edge, token, "partner", r.json()["id"])

        r = await edge.post(
            "/v1/jobs/postings", headers=partner, json=posting_body(valid_through="2099-12-31")
        )
        assert r.status_code == 201, r.text
        posting_id = r.json()["id"]
        assert (
            await edge.post(f"/v1/jobs/postings/{posting_id}/publish", headers=partner)
        ).status_code == 200

        r = await edge.get("/v1/jobs/postings", params={"q": "assembly"})
        assert [p["id"] for p in r.json()["items"]] == [posting_id]
        r = await edge.get(f"/v1/jobs/postings/{posting_id}")
        assert r.json()["employer"]["name"] == "Pearl River Electronics"

        r = await edge.post(
            "/v1/products/stores",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "Jiangnan West store", "kind": "flagship_store", "address": "Haizhu"},
        )
        assert r.status_code == 201, r.text
        store = await api_key(edge, token, "store", r.json()["id"])
        r = await edge.get("/v1/jobs/postings", headers=store)
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"
        r = await edge.post("/v1/jobs/workers", headers=bureau, json=worker_body())
        assert r.status_code == 201, r.text
