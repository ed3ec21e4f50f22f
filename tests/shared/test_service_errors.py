"""What every service answers when input or infrastructure is bad, shown on the jobs service:
problem+json 4xx for bad input, 503 when the database is down, never a 500."""

import asyncio
import signal
import uuid
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import text

from shared.db import utcnow
from shared.events import stream_name
from shared.identity import AUDIENCE, IDENTITY_HEADER, ISSUER
from shared.pagination import encode_cursor
from shared.pii import national_id_check_char
from tests.support.apps import TEST_IDENTITY_SECRET, identity_headers, running_service
from tests.support.infra import NatsServer, connect_harness, free_port, wait_until

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


async def _unpublished(jobs) -> int:
    async with jobs.sessionmaker() as s:
        return int(await s.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")))


async def _readiness(jobs) -> tuple[int, str, str]:
    r = await jobs.client.get("/readyz")
    return r.status_code, r.json()["status"], r.json()["checks"]["nats"]


class TestNatsDown:
    """Readiness means "can serve requests": without NATS a service still takes writes into its
    outbox, so it is ready but degraded (RELIABILITY row 32), and it starts without NATS."""

    DEGRADED = (200, "degraded", "degraded: not connected; events wait in the outbox")
    READY = (200, "ready", "ok")

    async def test_starts_without_nats_takes_writes_and_publishes_when_nats_comes(
        self, settings_for, namespace, tmp_path
    ):
        server = NatsServer(store_dir=tmp_path)  # not started yet
        settings = settings_for("jobs", nats_url=server.url)
        try:
            async with (
                asyncio.timeout(60),
                running_service("jobs", settings, wait_for_messaging=False) as jobs,
            ):
                assert await _readiness(jobs) == self.DEGRADED
                first17 = "52052219900307123"
                r = await jobs.client.post(
                    "/v1/jobs/workers",
                    headers=identity_headers("bureau_clerk"),
                    json={
                        "name": "Wang Fang",
                        "national_id": first17 + national_id_check_char(first17),
                        "phone": "13985012345",
                        "township": "Houchang",
                        "poor_household": True,
                        "skills": [],
                    },
                )
                assert r.status_code == 201, r.text
                assert await _unpublished(jobs) == 1
                server.start()
                await wait_until(lambda: _published_all(jobs), timeout=30, what="the event sent")
                await wait_until(lambda: _is(jobs, self.READY), timeout=10, what="ready")
            nc = await connect_harness(server.url)
            try:
                info = await nc.jetstream().stream_info(stream_name("jobs", namespace))
                assert info.state.messages == 1
            finally:
                await nc.close()
        finally:
            server.stop()

    async def test_a_hung_nats_holds_no_request_hostage(self, settings_for, namespace, tmp_path):
        """RELIABILITY row 2: nats-server SIGSTOPped (it accepts bytes, answers nothing). Writes
        are answered while it is still stopped, their events wait in the outbox, and once it
        resumes each is in the stream once, though the relay's publishes timed out and were
        retried with the same message id."""
        server = NatsServer(store_dir=tmp_path).start()
        assert server.proc is not None
        try:
            async with (
                asyncio.timeout(120),
                running_service("jobs", settings_for("jobs", nats_url=server.url)) as jobs,
            ):
                server.proc.send_signal(signal.SIGSTOP)
                try:
                    for n in range(3):
                        first17 = f"5205221990030712{n}"
                        r = await jobs.client.post(
                            "/v1/jobs/workers",
                            headers=identity_headers("bureau_clerk"),
                            json={
                                "name": f"Hung {n}",
                                "national_id": first17 + national_id_check_char(first17),
                                "phone": f"1398501235{n}",
                                "township": "Houchang",
                                "poor_household": False,
                                "skills": [],
                            },
                        )
                        assert r.status_code == 201, r.text
                    # Answered while NATS still hangs: nothing could have been published.
                    assert await _unpublished(jobs) == 3
                    assert (await jobs.client.get("/readyz")).status_code == 200
                finally:
                    server.proc.send_signal(signal.SIGCONT)
                await wait_until(lambda: _published_all(jobs), timeout=90, what="the events sent")
            nc = await connect_harness(server.url)
            try:
                info = await nc.jetstream().stream_info(stream_name("jobs", namespace))
                assert info.state.messages == 3
            finally:
                await nc.close()
        finally:
            server.stop()

    async def test_readyz_stays_200_degraded_while_nats_is_down(self, settings_for, tmp_path):
        server = NatsServer(store_dir=tmp_path).start()
        try:
            async with running_service("jobs", settings_for("jobs", nats_url=server.url)) as jobs:
                assert await _readiness(jobs) == self.READY
                server.kill()
                await wait_until(lambda: _is(jobs, self.DEGRADED), what="readiness degraded")
                server.start()
                await wait_until(lambda: _is(jobs, self.READY), timeout=30, what="ready again")
        finally:
            server.stop()


async def _is(jobs, readiness) -> bool:
    return await _readiness(jobs) == readiness


async def _published_all(jobs) -> bool:
    return await _unpublished(jobs) == 0


async def test_metrics_count_requests(jobs):
    await jobs.client.get("/v1/jobs/postings")
    metrics = (await jobs.client.get("/metrics")).text
    assert (
        'ew_http_requests_total{method="GET",route="/v1/jobs/postings",service="jobs",status="200"}'
        in metrics
    )
