"""The gateway in front of the real services, each under its own uvicorn server."""

import importlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.gateway.conftest import bearer, create_api_key
from tests.support.servers import serve

SERVICES = ("jobs", "products", "subsidies")


@pytest.fixture
async def service_urls(settings_for) -> AsyncIterator[dict[str, str]]:
    async with AsyncExitStack() as stack:
        urls = {}
        for name in SERVICES:
            module = importlib.import_module(f"services.{name}.app")
            server = await stack.enter_async_context(serve(module.create_app(settings_for(name))))
            urls[name] = server.url
        yield urls


@pytest.fixture
async def platform(start_gateway, service_urls):
    async with start_gateway(**{f"{n}_url": u for n, u in service_urls.items()}) as gw:
        yield gw


class TestReadiness:
    async def test_ready_with_every_service(self, platform):
        r = await platform.client.get("/readyz")
        assert r.status_code == 200, r.text
        checks = r.json()["checks"]
        assert checks["database"] == "ok"
        assert checks["migrations"] == "at head"
        assert checks["upstreams"] == "jobs ok, products ok, subsidies ok"

    async def test_not_ready_when_no_service_answers(self, start_gateway):
        async with start_gateway() as gw:  # every upstream points at a closed port
            r = await gw.client.get("/readyz")
        assert r.status_code == 503
        assert "jobs unreachable" in r.json()["checks"]["upstreams"]

    async def test_alive_regardless(self, start_gateway):
        async with start_gateway() as gw:
            r = await gw.client.get("/healthz")
        assert r.status_code == 200


class TestThroughTheGateway:
    async def test_service_answer_comes_back_with_the_same_request_id(self, platform):
        key = await create_api_key(platform, "auditor")
        r = await platform.client.get(
            "/v1/products/no-such-thing", headers={**bearer(key["key"]), "X-Request-ID": "req-42"}
        )
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["x-request-id"] == "req-42"
        assert r.json()["request_id"] == "req-42"  # the service saw the same id

    async def test_every_service_is_routed(self, platform):
        key = await create_api_key(platform, "auditor")
        for name in SERVICES:
            r = await platform.client.get(f"/v1/{name}/no-such-thing", headers=bearer(key["key"]))
            assert r.status_code == 404, (name, r.text)
            assert r.json()["instance"] == f"/v1/{name}/no-such-thing"

    async def test_docs_include_every_service(self, platform):
        r = await platform.client.get("/openapi.json")
        assert r.status_code == 200
        assert "Not shown now" not in r.json()["info"]["description"]


class TestApiKeySubjects:
    async def test_store_and_partner_keys_are_bound_only_to_real_subjects(self, platform):
        admin = bearer(await platform.admin_token())

        async def create(path: str, body: dict[str, str]) -> str:
            r = await platform.client.post(path, headers=admin, json=body)
            assert r.status_code == 201, r.text
            return r.json()["id"]  # type: ignore[no-any-return]

        async def key(role: str, subject_id: str) -> httpx.Response:
            return await platform.client.post(
                "/v1/admin/api-keys",
                headers=admin,
                json={"name": "k", "role": role, "subject_id": subject_id},
            )

        store = await create(
            "/v1/products/stores",
            {"name": "Jiangnan West flagship store", "kind": "flagship_store", "address": "Haizhu"},
        )
        partner = await create(
            "/v1/jobs/employers",
            {"kind": "haizhu_partner", "name": "Pearl River Electronics", "location": "Haizhu"},
        )
        workshop = await create(
            "/v1/jobs/employers", {"kind": "workshop", "name": "W", "location": "Yongyang"}
        )
        assert (await key("store", store)).status_code == 201
        assert (await key("partner", partner)).status_code == 201
        for role, subject in (
            ("store", str(uuid.uuid4())),
            ("store", partner),
            ("partner", str(uuid.uuid4())),
            ("partner", store),
            ("partner", workshop),
        ):
            r = await key(role, subject)
            assert r.status_code == 422, (role, r.text)
            assert r.json()["errors"][0]["field"] == "subject_id"
        r = await platform.client.get("/v1/admin/api-keys", headers=admin)
        assert sorted(k["subject_id"] for k in r.json()["items"]) == sorted([store, partner])


class TestServiceReachedDirectly:
    async def test_forged_identity_is_refused_by_the_service(self, platform, service_urls):
        # Going round the gateway with an identity signed by someone else's secret fails.
        from shared.identity import IDENTITY_HEADER, Identity, sign_identity

        forged = sign_identity(
            Identity(principal_id="x", kind="user", role="admin"),
            "not-the-platform-secret-0123456789abcdef",
        )
        async with httpx.AsyncClient(base_url=service_urls["subsidies"]) as client:
            r = await client.get("/v1/subsidies/programs", headers={IDENTITY_HEADER: forged})
        assert r.status_code == 401
