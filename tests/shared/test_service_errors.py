"""What every service answers when input or infrastructure is bad, shown on the jobs service:
problem+json 4xx for bad input, 503 when the database is down, never a 500."""

import uuid
from datetime import timedelta

import jwt
import pytest

from shared.db import utcnow
from shared.identity import AUDIENCE, IDENTITY_HEADER, ISSUER
from shared.pagination import encode_cursor
from tests.support.apps import TEST_IDENTITY_SECRET, identity_headers, running_service
from tests.support.infra import free_port

PROBLEM = "application/problem+json"


class TestBadInput:
    async def test_nul_byte_in_text_is_422(self, jobs):
        r = await jobs.client.post(
            "/v1/jobs/employers",
            headers=identity_headers("admin"),
            json={"kind": "workshop", "name": "Bad\u0000name", "location": "Yongyang"},
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == PROBLEM

    @pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"kind": 12345678901234567890123}'])
    async def test_malformed_json_is_422(self, jobs, body):
        r = await jobs.client.post(
            "/v1/jobs/employers",
            content=body,
            headers=identity_headers("admin") | {"content-type": "application/json"},
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == PROBLEM

    async def test_unknown_field_is_422_naming_it(self, jobs):
        r = await jobs.client.post(
            "/v1/jobs/employers",
            headers=identity_headers("admin"),
            json={"kind": "workshop", "name": "W", "location": "Yongyang", "status": "approved"},
        )
        assert r.status_code == 422
        assert any(e["field"].endswith("status") for e in r.json()["errors"])

    async def test_cursor_with_a_naive_timestamp_is_422(self, jobs):
        # A cursor is opaque but not secret: a client can craft one.
        cursor = encode_cursor({"t": "2020-01-01T00:00:00", "id": str(uuid.uuid4())})
        r = await jobs.client.get(
            "/v1/jobs/workers", params={"cursor": cursor}, headers=identity_headers("bureau_clerk")
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == PROBLEM

    async def test_no_identity_is_401(self, jobs):
        r = await jobs.client.post("/v1/jobs/employers", json={})
        assert r.status_code == 401
        assert r.headers["content-type"] == PROBLEM
        assert "gateway" in r.json()["detail"]

    async def test_forged_identity_is_401(self, jobs):
        r = await jobs.client.get("/v1/jobs/workers", headers={"X-EW-Identity": "forged.token.x"})
        assert r.status_code == 401

    async def test_signed_identity_with_an_unknown_role_is_401(self, jobs):
        claims = {
            "principal_id": str(uuid.uuid4()),
            "kind": "user",
            "role": "superuser",
            "subject_id": None,
            "name": "someone",
            "aud": AUDIENCE,
            "iss": ISSUER,
            "exp": utcnow() + timedelta(seconds=60),
        }
        token = jwt.encode(claims, TEST_IDENTITY_SECRET, algorithm="HS256")
        r = await jobs.client.get("/v1/jobs/workers", headers={IDENTITY_HEADER: token})
        assert r.status_code == 401, r.text
        assert r.headers["content-type"] == PROBLEM
        assert "superuser" not in r.text

    async def test_wrong_method_is_405_problem(self, jobs):
        r = await jobs.client.delete("/v1/jobs/statistics", headers=identity_headers("admin"))
        assert r.status_code == 405
        assert r.headers["content-type"] == PROBLEM


class TestDatabaseDown:
    async def test_requests_get_503_and_readyz_says_why(self, settings_for):
        dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
        async with running_service("jobs", settings_for("jobs", database_url=dead)) as jobs:
            r = await jobs.client.get("/v1/jobs/workers", headers=identity_headers("bureau_clerk"))
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == PROBLEM
            assert r.headers["retry-after"] == "5"
            assert "nothing was saved" in r.json()["detail"]
            ready = await jobs.client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"].startswith("unreachable")


async def test_metrics_count_requests(jobs):
    await jobs.client.get("/v1/jobs/postings")
    metrics = (await jobs.client.get("/metrics")).text
    assert (
        'ew_http_requests_total{method="GET",route="/v1/jobs/postings",service="jobs",status="200"}'
        in metrics
    )
