"""The gateway under a real uvicorn server, in front of real upstreams: a recording echo app
(for what the services receive) or the real services."""

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from gateway.app import create_app
from tests.support.apps import ADMIN_PASSWORD, DEAD_URL, gateway_settings
from tests.support.infra import TestDatabases
from tests.support.servers import RunningServer, serve

SUBJECT_PATH = re.compile(r"^/v1/(products/stores|jobs/employers)/([0-9a-f-]{36})$")


@dataclass
class EchoUpstream:
    """Answers every request with what it received; ``/…/slow`` waits first, ``/…/big``
    answers 1 MiB in chunks.

    Also plays the owning services for the gateway's checks of an API key's subject (a GET of a
    store or an employer by id): every id exists (employers as Haizhu partners) except those in
    ``missing_subjects``. These lookups go to ``subject_lookups``, not ``received``."""

    received: list[dict[str, Any]] = field(default_factory=list)
    aborted: int = 0
    slow_seconds: float = 5.0
    subject_lookups: list[dict[str, Any]] = field(default_factory=list)
    missing_subjects: set[str] = field(default_factory=set)
    employer_kind: str = "haizhu_partner"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        subject = SUBJECT_PATH.match(scope["path"])
        if subject is not None and scope["method"] == "GET":
            await self._subject(scope, send, subject.group(1), subject.group(2))
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.aborted += 1
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers: dict[str, list[str]] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        record = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "headers": headers,
            "body_length": len(body),
        }
        self.received.append(record)
        if scope["path"].endswith("/slow"):
            await asyncio.sleep(self.slow_seconds)
        if scope["path"].endswith("/big"):
            # A large answer of unknown length: relayed as a stream.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/octet-stream")],
                }
            )
            for i in range(16):
                await send(
                    {
                        "type": "http.response.body",
                        "body": bytes([65 + i]) * 65536,
                        "more_body": True,
                    }
                )
            await send({"type": "http.response.body", "body": b""})
            return
        payload = json.dumps(record).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"x-upstream", b"echo")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _subject(self, scope: Scope, send: Send, collection: str, ident: str) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.subject_lookups.append({"path": scope["path"], "headers": headers})
        if ident in self.missing_subjects:
            status, body = 404, {"status": 404, "detail": f"No such item {ident}."}
        elif collection == "jobs/employers":
            status, body = 200, {"id": ident, "kind": self.employer_kind, "name": "E"}
        else:
            status, body = 200, {"id": ident, "kind": "flagship_store", "archived_at": None}
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    def last(self) -> dict[str, Any]:
        assert self.received, "the upstream received no request"
        return self.received[-1]


@dataclass
class RunningGateway:
    server: RunningServer
    client: httpx.AsyncClient
    app: Any

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def sessionmaker(self) -> Any:
        return self.app.state.runtime.sessionmaker

    async def admin_token(self) -> str:
        return await self.login("admin", ADMIN_PASSWORD)

    async def login(self, username: str, password: str) -> str:
        r = await self.client.post(
            "/v1/auth/login", json={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]  # type: ignore[no-any-return]


GatewayFactory = Callable[..., AbstractAsyncContextManager[RunningGateway]]


@pytest.fixture
def start_gateway(databases: TestDatabases, namespace: str) -> GatewayFactory:
    """``async with start_gateway(jobs_url=..., max_body_bytes=...) as gw:`` — a gateway on its
    own port with these settings (the namespace fixture empties its tables afterwards)."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[RunningGateway]:
        app = create_app(gateway_settings(databases, **overrides))
        # As at the edge: X-Forwarded-For from the client is not believed (uvicorn trusts it
        # from 127.0.0.1 by default, which is where the tests' client is).
        async with (
            serve(app, proxy_headers=False) as server,
            httpx.AsyncClient(base_url=server.url, timeout=20) as client,
        ):
            gw = RunningGateway(server, client, app)
            # The bootstrap admin is created in the background at start.
            await _wait_for_admin(gw)
            yield gw

    return start


async def _wait_for_admin(gw: RunningGateway) -> None:
    from sqlalchemy import text

    from tests.support.infra import wait_until

    async def admin_exists() -> bool:
        async with gw.sessionmaker() as session:
            count = (await session.execute(text("SELECT count(*) FROM users"))).scalar_one()
        return bool(count)

    await wait_until(admin_exists, timeout=20, what="bootstrap admin")


@pytest.fixture
async def echo() -> AsyncIterator[tuple[EchoUpstream, str]]:
    upstream = EchoUpstream()
    async with serve(upstream, lifespan="off") as server:
        yield upstream, server.url


@pytest.fixture
async def gateway(
    start_gateway: GatewayFactory, echo: tuple[EchoUpstream, str]
) -> AsyncIterator[RunningGateway]:
    """A gateway whose three upstreams are the echo app."""
    _, url = echo
    async with start_gateway(jobs_url=url, products_url=url, subsidies_url=url) as gw:
        yield gw


@pytest.fixture
def upstream(echo: tuple[EchoUpstream, str]) -> EchoUpstream:
    return echo[0]


async def create_api_key(
    gw: RunningGateway,
    role: str,
    subject_id: str | None = None,
    *,
    name: str = "test key",
    token: str | None = None,
) -> dict[str, Any]:
    token = token or await gw.admin_token()
    body: dict[str, Any] = {"name": name, "role": role}
    if subject_id is not None:
        body["subject_id"] = subject_id
    r = await gw.client.post("/v1/admin/api-keys", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def create_user(
    gw: RunningGateway,
    username: str,
    role: str,
    *,
    password: str = "a-long-enough-password",
    token: str | None = None,
) -> dict[str, Any]:
    token = token or await gw.admin_token()
    r = await gw.client.post(
        "/v1/admin/users",
        headers=bearer(token),
        json={"username": username, "role": role, "password": password},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def raw_request(
    url: str, head: bytes, body_parts: list[bytes], read_timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` then the body parts over a plain socket, stop sending (the body may be
    left unfinished on purpose) and read the answer: shows what the gateway answers without
    having read a whole body."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        for part in body_parts:
            writer.write(part)
            try:
                await writer.drain()
            except ConnectionError:
                break  # the gateway answered and closed while we were still sending
        raw = await asyncio.wait_for(_read_response(reader), timeout=read_timeout)
    finally:
        writer.close()
    head_part, _, rest = raw.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    return status, headers, rest


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await reader.read(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = await reader.read(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


__all__ = ["ADMIN_PASSWORD", "DEAD_URL", "gateway_settings"]
