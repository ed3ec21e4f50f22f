"""A console session in use outlives its 15-minute login token: the console issues a new token
for the same user while the login still stands, so the idle limit ends a session (or, at the
latest, its longest lifetime), and disabling the user or changing the password still ends it.
A real gateway on this run's database, the console's clock moved by hand."""

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from gateway.console.session import COOKIE_NAME, Session
from gateway.security import read_staff_token
from tests.gateway.conftest import RunningGateway, start_gateway  # noqa: F401 (a fixture)
from tests.support.apps import ADMIN_PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "renewal-test-password-0123"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def gw(start_gateway) -> AsyncIterator[RunningGateway]:  # type: ignore[no-untyped-def]  # noqa: F811
    async with start_gateway() as running:
        yield running


def session_of(gw: RunningGateway, client: httpx.AsyncClient) -> Session:
    codec = gw.app.state.console._codec
    session, why = codec.load(client.cookies.get(COOKIE_NAME), gw.app.state.console.now())
    assert session is not None, why
    return session


@asynccontextmanager
async def console_login(
    gw: RunningGateway, username: str, password: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gw.url, timeout=20) as client:
        page = await client.get("/console/login")
        match = CSRF.search(page.text)
        assert match is not None
        r = await client.post(
            "/console/login",
            data={"csrf_token": match.group(1), "username": username, "password": password},
        )
        assert r.status_code == 303 and r.headers["location"] == "/console/", r.text
        yield client


async def create_user(gw: RunningGateway, username: str) -> str:
    admin = {"Authorization": f"Bearer {await gw.admin_token()}"}
    r = await gw.client.post(
        "/v1/admin/users",
        headers=admin,
        json={"username": username, "password": PASSWORD, "role": "auditor"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def patch_user(gw: RunningGateway, user_id: str, body: dict[str, object]) -> None:
    admin = {"Authorization": f"Bearer {await gw.admin_token()}"}
    r = await gw.client.patch(f"/v1/admin/users/{user_id}", headers=admin, json=body)
    assert r.status_code == 200, r.text


class TestRenewal:
    async def test_a_session_in_use_outlives_its_token_and_ends_when_idle(self, gw):
        clock = Clock(int(time.time()))
        gw.app.state.console.clock = clock
        async with console_login(gw, "admin", ADMIN_PASSWORD) as client:
            first = session_of(gw, client)
            assert first.token_expires == clock.now + 900 and first.signed_in_ms > 0

            # Used every ten minutes for an hour: four token lifetimes, never signed out.
            tokens = {first.token}
            for _ in range(6):
                clock.now += 600
                r = await client.get("/console/admin/users")  # calls the API with the token
                assert r.status_code == 200, r.headers.get("location")
                session = session_of(gw, client)
                assert session.token_expires > clock.now
                tokens.add(session.token)
            assert len(tokens) > 3  # renewed, not one token kept
            claims = read_staff_token(
                session.token or "", gw.app.state.runtime.settings.staff_token_key()
            )
            assert claims is not None and claims[0] == first.user_id

            # A token with more than half its life left is kept as it is.
            before = session_of(gw, client).token
            r = await client.get("/console/")
            assert r.status_code == 200 and session_of(gw, client).token == before

            # Unused for longer than the idle limit (30 minutes): the session ends.
            clock.now += 31 * 60
            r = await client.get("/console/admin/users")
            assert r.status_code == 303
            assert r.headers["location"].startswith("/console/login?reason=idle")

    async def test_disabling_the_user_ends_the_session_at_the_next_renewal(self, gw):
        clock = Clock(int(time.time()))
        gw.app.state.console.clock = clock
        user_id = await create_user(gw, "leader")
        async with console_login(gw, "leader", PASSWORD) as client:
            await patch_user(gw, user_id, {"disabled": True})
            clock.now += 600
            r = await client.get("/console/")
            assert r.status_code == 303
            assert r.headers["location"].startswith("/console/login?reason=expired")

    async def test_a_password_change_ends_the_session(self, gw):
        clock = Clock(int(time.time()))
        gw.app.state.console.clock = clock
        user_id = await create_user(gw, "leader")
        async with console_login(gw, "leader", PASSWORD) as client:
            await patch_user(gw, user_id, {"password": PASSWORD + "-new"})
            clock.now += 600
            r = await client.get("/console/")
            assert r.status_code == 303
            assert r.headers["location"].startswith("/console/login?reason=expired")

    async def test_a_role_change_shows_at_the_next_renewal(self, gw):
        clock = Clock(int(time.time()))
        gw.app.state.console.clock = clock
        user_id = await create_user(gw, "leader")
        async with console_login(gw, "leader", PASSWORD) as client:
            assert session_of(gw, client).role == "auditor"
            await patch_user(gw, user_id, {"role": "bureau_clerk"})
            clock.now += 600
            assert (await client.get("/console/")).status_code == 200
            assert session_of(gw, client).role == "bureau_clerk"

    async def test_a_session_ends_at_its_longest_lifetime_even_in_use(self, gw):
        clock = Clock(int(time.time()))
        gw.app.state.console.clock = clock
        async with console_login(gw, "admin", ADMIN_PASSWORD) as client:
            start = clock.now
            while clock.now - start < 12 * 3600 - 1500:
                clock.now += 1500  # every 25 minutes
                assert (await client.get("/console/")).status_code == 200
            clock.now += 1500
            r = await client.get("/console/")
            assert r.status_code == 303
            assert r.headers["location"].startswith("/console/login?reason=expired")
