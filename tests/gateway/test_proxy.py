"""What passes through the gateway to a service, and what does not."""

import asyncio
import json
import uuid

import httpx

from gateway.app import create_app
from shared.identity import IDENTITY_HEADER, Identity, sign_identity, verify_identity
from tests.gateway.conftest import (
    DEAD_URL,
    bearer,
    create_api_key,
    gateway_settings,
    raw_request,
)
from tests.support.apps import TEST_IDENTITY_SECRET
from tests.support.servers import serve


def received_identity(record: dict) -> Identity:
    values = record["headers"].get(IDENTITY_HEADER.lower())
    assert values is not None and len(values) == 1, record["headers"]
    return verify_identity(values[0], TEST_IDENTITY_SECRET)


class TestIdentityPassedOn:
    async def test_store_key_reaches_service_as_that_store(self, gateway, upstream):
        store_id = str(uuid.uuid4())
        key = await create_api_key(gateway, "store", store_id, name="till 1")
        r = await gateway.client.post(
            "/v1/products/sales?x=1", json={"a": 1}, headers=bearer(key["key"])
        )
        assert r.status_code == 200, r.text
        seen = upstream.last()
        assert seen["path"] == "/v1/products/sales"
        assert seen["query"] == "x=1"
        identity = received_identity(seen)
        assert identity.role == "store"
        assert identity.subject_id == store_id
        assert identity.kind == "api_key"
        assert identity.principal_id == key["id"]
        assert identity.name == "till 1"

    async def test_partner_key_carries_its_organisation(self, gateway, upstream):
        partner_id = str(uuid.uuid4())
        key = await create_api_key(gateway, "partner", partner_id)
        r = await gateway.client.get("/v1/jobs/employers/mine", headers=bearer(key["key"]))
        assert r.status_code == 200
        identity = received_identity(upstream.last())
        assert (identity.role, identity.subject_id) == ("partner", partner_id)

    async def test_staff_login_reaches_service_as_that_user(self, gateway, upstream):
        token = await gateway.admin_token()
        r = await gateway.client.get("/v1/subsidies/programs", headers=bearer(token))
        assert r.status_code == 200
        identity = received_identity(upstream.last())
        assert (identity.kind, identity.role, identity.name) == ("user", "admin", "admin")


class TestForgedIdentity:
    async def test_forged_identity_header_is_replaced(self, gateway, upstream):
        store_id = str(uuid.uuid4())
        key = await create_api_key(gateway, "store", store_id)
        # Even a header signed with the real secret is not taken from a client.
        forged = sign_identity(
            Identity(principal_id="x", kind="user", role="admin"), TEST_IDENTITY_SECRET
        )
        r = await gateway.client.get(
            "/v1/products/sales",
            headers={
                **bearer(key["key"]),
                IDENTITY_HEADER: forged,
                "X-EW-Anything": "1",
                "X-User-Id": "admin",
                "X-Role": "admin",
                "X-Forwarded-User": "admin",
                "X-Remote-User": "admin",
            },
        )
        assert r.status_code == 200
        seen = upstream.last()
        identity = received_identity(seen)
        assert (identity.role, identity.subject_id) == ("store", store_id)
        for name in ("x-ew-anything", "x-user-id", "x-role", "x-forwarded-user", "x-remote-user"):
            assert name not in seen["headers"]

    async def test_forged_identity_without_credential_is_refused(self, gateway, upstream):
        forged = sign_identity(
            Identity(principal_id="x", kind="user", role="admin"), TEST_IDENTITY_SECRET
        )
        r = await gateway.client.get(
            "/v1/subsidies/applications", headers={IDENTITY_HEADER: forged}
        )
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer"
        assert upstream.received == []

    async def test_public_job_board_gets_no_identity_even_if_forged(self, gateway, upstream):
        forged = sign_identity(
            Identity(principal_id="x", kind="user", role="admin"), TEST_IDENTITY_SECRET
        )
        for path in ("/v1/jobs/postings", f"/v1/jobs/postings/{uuid.uuid4()}"):
            r = await gateway.client.get(path, headers={IDENTITY_HEADER: forged})
            assert r.status_code == 200, path
            assert IDENTITY_HEADER.lower() not in upstream.last()["headers"]

    async def test_public_paths_are_only_reads_of_postings(self, gateway, upstream):
        for method, path in (
            ("POST", "/v1/jobs/postings"),
            ("GET", "/v1/jobs/postings/x/applications"),
            ("GET", "/v1/jobs/workers"),
        ):
            r = await gateway.client.request(method, path)
            assert r.status_code == 401, (method, path)
        assert upstream.received == []


class TestPublicNotice:
    """The public notice of subsidy recipients (公示) and objections to it need no credential;
    nothing else of the subsidies service is public."""

    async def test_notice_and_objections_pass_without_a_credential(self, gateway, upstream):
        forged = sign_identity(
            Identity(principal_id="x", kind="user", role="admin"), TEST_IDENTITY_SECRET
        )
        app_id = uuid.uuid4()
        for method, path in (
            ("GET", "/v1/subsidies/notices"),
            ("GET", "/v1/subsidies/notices?program_code=workshop&limit=10"),
            ("POST", f"/v1/subsidies/notices/{app_id}/objections"),
        ):
            r = await gateway.client.request(
                method, path, headers={IDENTITY_HEADER: forged}, json={"text": "x"}
            )
            assert r.status_code == 200, (method, path)
            received = upstream.last()["headers"]
            assert IDENTITY_HEADER.lower() not in received
            assert received["x-forwarded-for"] == ["127.0.0.1"]  # the per-address budget's key

    async def test_the_rest_of_subsidies_stays_closed(self, gateway, upstream):
        app_id = uuid.uuid4()
        for method, path in (
            ("POST", "/v1/subsidies/notices/close-ended"),
            ("POST", "/v1/subsidies/notices"),
            ("GET", f"/v1/subsidies/notices/{app_id}/objections"),
            ("POST", f"/v1/subsidies/applications/{app_id}/objections"),
            ("POST", f"/v1/subsidies/notices/{app_id}/objections/x/decision"),
            ("POST", "/v1/subsidies/notices/not-an-id/objections"),
            ("GET", "/v1/subsidies/applications"),
        ):
            r = await gateway.client.request(method, path)
            assert r.status_code == 401, (method, path)
        assert upstream.received == []

    async def test_public_posts_are_limited_per_client_address(self, start_gateway, echo):
        upstream, url = echo
        async with start_gateway(
            subsidies_url=url,
            rate_limit_burst=3,
            rate_limit_per_second=0.01,
            trusted_proxies=["127.0.0.1"],  # the test's client stands behind a proxy
        ) as gw:
            path = f"/v1/subsidies/notices/{uuid.uuid4()}/objections"

            async def post(address: str) -> httpx.Response:
                return await gw.client.post(
                    path, json={"text": "x"}, headers={"X-Forwarded-For": address}
                )

            flood = [await post("203.0.113.7") for _ in range(4)]
            other = await post("198.51.100.9")
            reading = await gw.client.get(
                "/v1/subsidies/notices", headers={"X-Forwarded-For": "203.0.113.7"}
            )
        assert [r.status_code for r in flood] == [200, 200, 200, 429]
        assert flood[-1].headers["content-type"] == "application/problem+json"
        assert int(flood[-1].headers["retry-after"]) >= 1
        assert other.status_code == 200
        assert reading.status_code == 429  # one budget per address for all its anonymous calls
        assert [r["headers"]["x-forwarded-for"] for r in upstream.received] == [
            ["203.0.113.7"],
            ["203.0.113.7"],
            ["203.0.113.7"],
            ["198.51.100.9"],
        ]


class TestHeaders:
    async def test_credential_and_cookies_stay_at_the_gateway(self, gateway, upstream):
        key = await create_api_key(gateway, "auditor")
        r = await gateway.client.get(
            "/v1/jobs/x", headers={**bearer(key["key"]), "Cookie": "session=abc"}
        )
        assert r.status_code == 200
        headers = upstream.last()["headers"]
        assert "authorization" not in headers
        assert "cookie" not in headers

    async def test_request_id_and_client_address_are_passed(self, gateway, upstream):
        key = await create_api_key(gateway, "auditor")
        r = await gateway.client.get(
            "/v1/jobs/x",
            headers={
                **bearer(key["key"]),
                "X-Request-ID": "trace-123",
                "X-Forwarded-For": "6.6.6.6",
            },
        )
        assert r.status_code == 200
        assert r.headers["x-request-id"] == "trace-123"
        headers = upstream.last()["headers"]
        assert headers["x-request-id"] == ["trace-123"]
        assert headers["x-forwarded-for"] == ["127.0.0.1"]  # the real peer, not the claim

    async def test_response_headers_come_back_once(self, gateway, upstream):
        key = await create_api_key(gateway, "auditor")
        r = await gateway.client.get("/v1/jobs/x", headers=bearer(key["key"]))
        assert r.headers["x-upstream"] == "echo"
        assert r.headers.get_list("x-request-id") == [r.headers["x-request-id"]]
        assert len(r.headers.get_list("date")) == 1

    async def test_dot_segments_are_refused(self, gateway, upstream):
        key = await create_api_key(gateway, "auditor")
        _status, _h, _b = await raw_request(
            gateway.url,
            b"GET /v1/jobs/../admin/users HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + key["key"].encode() + b"\r\n\r\n",
            [],
        )
        assert _status == 400
        assert upstream.received == []


class TestResponses:
    async def test_large_answer_is_streamed_whole(self, gateway, upstream):
        key = await create_api_key(gateway, "auditor")
        r = await gateway.client.get("/v1/jobs/big", headers=bearer(key["key"]))
        assert r.status_code == 200
        assert len(r.content) == 16 * 65536
        assert r.content[:1] == b"A" and r.content[-1:] == b"P"

    async def test_upstream_status_and_body_pass_unchanged(self, gateway, upstream):
        key = await create_api_key(gateway, "auditor")
        r = await gateway.client.request(
            "PATCH", "/v1/subsidies/a/b?c=d&c=e", content=b'{"x": 1}', headers=bearer(key["key"])
        )
        assert r.status_code == 200
        assert r.json()["method"] == "PATCH"
        assert r.json()["query"] == "c=d&c=e"
        assert r.json()["body_length"] == 8


class TestUpstreamFailures:
    async def test_service_down_is_503(self, start_gateway):
        async with start_gateway(products_url=DEAD_URL) as gw:
            # An auditor's key: a store key cannot be made while the products service is down.
            key = await create_api_key(gw, "auditor")
            r = await gw.client.get("/v1/products/sales", headers=bearer(key["key"]))
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["retry-after"]
        assert r.json()["service"] == "products"

    async def test_slow_service_is_504(self, start_gateway, echo):
        _upstream, url = echo
        async with start_gateway(jobs_url=url, upstream_read_timeout_seconds=0.3) as gw:
            key = await create_api_key(gw, "auditor")
            r = await gw.client.get("/v1/jobs/slow", headers=bearer(key["key"]))
        assert r.status_code == 504
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["service"] == "jobs"


class TestOwnDatabaseDown:
    async def test_unknown_credential_is_503_not_500(self, databases, echo):
        _upstream, url = echo
        settings = gateway_settings(
            databases,
            jobs_url=url,
            database_url="postgresql+asyncpg://postgres@127.0.0.1:9/gateway",
        )
        async with (
            serve(create_app(settings), proxy_headers=False) as server,
            httpx.AsyncClient(base_url=server.url) as client,
        ):
            key = "ew_abcdefgh_" + "a" * 43
            r = await client.get("/v1/jobs/x", headers=bearer(key))
            assert r.status_code == 503
            assert r.headers["content-type"] == "application/problem+json"
            login = await client.post(
                "/v1/auth/login", json={"username": "admin", "password": "whatever-it-is"}
            )
            assert login.status_code == 503
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            # The public job board needs no database at the gateway.
            assert (await client.get("/v1/jobs/postings")).status_code == 200


class TestBodyLimit:
    LIMIT = 64 * 1024

    async def test_declared_length_over_limit_is_413_before_any_body(self, start_gateway, echo):
        upstream, url = echo
        async with start_gateway(jobs_url=url, max_body_bytes=self.LIMIT) as gw:
            key = await create_api_key(gw, "auditor")
            head = (
                b"POST /v1/jobs/postings HTTP/1.1\r\nHost: gw\r\n"
                b"Authorization: Bearer " + key["key"].encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
            )
            # Not one byte of the 10 MB body is sent: the answer cannot wait for it.
            status, headers, body = await raw_request(gw.url, head, [])
        assert status == 413
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["limit_bytes"] == self.LIMIT
        assert upstream.received == []

    async def test_chunked_body_over_limit_is_cut_with_413(self, start_gateway, echo):
        upstream, url = echo
        async with start_gateway(jobs_url=url, max_body_bytes=self.LIMIT) as gw:
            key = await create_api_key(gw, "auditor")
            head = (
                b"POST /v1/jobs/postings HTTP/1.1\r\nHost: gw\r\n"
                b"Authorization: Bearer " + key["key"].encode() + b"\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"x" * 16384
            part = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            # Four times the limit, and the body is never finished (no closing chunk): the
            # answer comes from counting, not from a body read to its end.
            status, _headers, body = await raw_request(gw.url, head, [part] * 16)
        assert status == 413
        assert json.loads(body)["status"] == 413
        assert upstream.received == []

    async def test_chunked_body_within_limit_passes_whole(self, gateway, upstream):
        key = await create_api_key(gateway, "auditor")

        async def chunks():
            for _ in range(10):
                yield b"y" * 10_000
                await asyncio.sleep(0)

        r = await gateway.client.post(
            "/v1/jobs/upload", content=chunks(), headers=bearer(key["key"])
        )
        assert r.status_code == 200, r.text
        assert upstream.last()["body_length"] == 100_000

    async def test_malformed_length_is_400(self, gateway, upstream):
        status, _headers, _ = await raw_request(
            gateway.url, b"POST /v1/jobs/x HTTP/1.1\r\nHost: gw\r\nContent-Length: -5\r\n\r\n", []
        )
        assert status == 400
        assert upstream.received == []

    async def test_gateway_routes_have_the_limit_too(self, start_gateway):
        async with start_gateway(max_body_bytes=self.LIMIT) as gw:
            token = await gw.admin_token()

            async def chunks():
                for _ in range(8):
                    yield b" " * 16384

            r = await gw.client.post(
                "/v1/admin/users",
                content=chunks(),
                headers={**bearer(token), "Content-Type": "application/json"},
            )
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"


class TestRateLimit:
    async def test_flood_from_one_key_is_429_with_retry_after(self, start_gateway, echo):
        upstream, url = echo
        async with start_gateway(
            jobs_url=url, rate_limit_burst=3, rate_limit_per_second=0.01
        ) as gw:
            flooding = await create_api_key(gw, "auditor", name="flood")
            other = await create_api_key(gw, "auditor", name="other")
            statuses = [
                (await gw.client.get("/v1/jobs/x", headers=bearer(flooding["key"])))
                for _ in range(4)
            ]
            calm = await gw.client.get("/v1/jobs/x", headers=bearer(other["key"]))
        assert [r.status_code for r in statuses] == [200, 200, 200, 429]
        limited = statuses[-1]
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) >= 1
        assert calm.status_code == 200
        assert len(upstream.received) == 4
