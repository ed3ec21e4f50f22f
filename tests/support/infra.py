"""Real infrastructure for the test run: a nats-server from the wheel and fresh PostgreSQL
databases, both private to this run (and each test gets its own event namespace)."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing
from pathlib import Path

import asyncpg
import nats
from nats.aio.client import Client as NATS

from deploy.topology import BROKER, NATS_USERS, PROCESSES
from shared.events.permissions import connect_options, nats_authorization

PG_URL = os.environ.get("EW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
# An external server (EW_TEST_NATS_URL) is used as it is: if it has no authorization, the
# credentials below are ignored by it, and nothing checks the permissions (the broker's own tests,
# tests/events/test_broker_auth.py, always start a server of their own).
EXTERNAL_NATS = os.environ.get("EW_TEST_NATS_URL")
# The test server's users: each service connects as its own user, as in production.
TEST_NATS_PASSWORDS = {user: f"test-nats-{user}-password-0123" for user in NATS_USERS}
# The harness (the tests themselves: playing the jobs service, reading every stream to check
# what was published, the event-kit processes) connects as a user with no restriction. Only the
# test server has it; it is WIDER than anything in production, on purpose.
HARNESS_USER = "harness"
HARNESS_PASSWORD = "test-nats-harness-password-0123"
SERVICES = ("jobs", "products", "subsidies", "gateway")


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def nats_server_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: run `make install`")
    return found


async def connect_harness(url: str, **options: object) -> NATS:
    """A connection of the test harness itself (see HARNESS_USER)."""
    return await nats.connect(url, **connect_options(HARNESS_USER, HARNESS_PASSWORD), **options)  # type: ignore[arg-type]


class NatsServer:
    """A nats-server process with JetStream, on a free port, storing in a private folder.

    It requires credentials like every configuration: the users of :data:`TEST_NATS_PASSWORDS`
    with the permissions production grants, made to fit test namespaces (``namespaced``, see
    :func:`shared.events.permissions.user_permissions`), plus the harness user. With
    ``namespaced=False`` and ``harness=False`` it is exactly the production authorization.
    """

    def __init__(
        self,
        store_dir: Path | None = None,
        port: int | None = None,
        *,
        namespaced: bool = True,
        harness: bool = True,
    ) -> None:
        self.port = port or free_port()
        self.namespaced = namespaced
        self.harness = harness
        self._owns_dir = store_dir is None
        self.store_dir = store_dir or Path(tempfile.mkdtemp(prefix="ew-nats-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsServer":
        conf = self.store_dir / "nats.conf"
        conf.write_text(
            f'listen: "127.0.0.1:{self.port}"\n'
            f'jetstream {{ store_dir: "{self.store_dir / "js"}", sync_interval: always }}\n'
            + nats_authorization(
                BROKER,
                TEST_NATS_PASSWORDS,
                namespaced=self.namespaced,
                extra_users={HARNESS_USER: HARNESS_PASSWORD} if self.harness else {},
            )
        )
        self.proc = subprocess.Popen(
            [nats_server_binary(), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.store_dir / "server.log", "ab"),
        )
        wait_for_port(self.port)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._owns_dir:
            shutil.rmtree(self.store_dir, ignore_errors=True)


def asyncpg_url(name: str, *, user: str | None = None, password: str | None = None) -> str:
    """The URL of database ``name`` on the test server, as the superuser of ``EW_TEST_PG_URL``
    or as ``user``."""
    base = PG_URL.rstrip("/")
    if user is not None:
        scheme, rest = base.split("://", 1)
        host = rest.rsplit("@", 1)[-1]
        base = f"{scheme}://{user}:{password}@{host}" if password else f"{scheme}://{user}@{host}"
    return f"{base}/{name}"


def sqlalchemy_url(name: str, *, user: str | None = None, password: str | None = None) -> str:
    return asyncpg_url(name, user=user, password=password).replace(
        "postgresql://", "postgresql+asyncpg://", 1
    )


class TestDatabases:
    """One fresh database per service for this run, migrated to head, dropped at the end.

    As in production, two roles of this run: an owner that runs the migrations and owns every
    table, and an app role the services connect as (``url``), granted by the migrations only
    what shared.migrations.grant_app_role gives: no ALTER, TRUNCATE or trigger control, and no
    UPDATE/DELETE on append-only tables such as the audit trail. ``truncate_all`` runs as the
    superuser."""

    def __init__(self) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.names = {svc: f"ew_test_{self.run_id}_{svc}" for svc in SERVICES}
        self.owner_role = f"ew_test_{self.run_id}_owner"
        self.app_role = f"ew_test_{self.run_id}_app"
        # Passwords too, so that the roles also log in where the server asks for one.
        self._passwords = {role: uuid.uuid4().hex for role in (self.owner_role, self.app_role)}

    def url(self, service: str) -> str:
        """What the service connects as: the app role."""
        return sqlalchemy_url(
            self.names[service], user=self.app_role, password=self._passwords[self.app_role]
        )

    def owner_url(self, service: str) -> str:
        """What migrations connect as: the owner of the tables."""
        return sqlalchemy_url(
            self.names[service], user=self.owner_role, password=self._passwords[self.owner_role]
        )

    def superuser_url(self, service: str) -> str:
        return sqlalchemy_url(self.names[service])

    async def create(self) -> None:
        conn = await asyncpg.connect(asyncpg_url("postgres"))
        try:
            for role, password in self._passwords.items():
                await conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
            for name in self.names.values():
                await conn.execute(f'CREATE DATABASE "{name}" OWNER "{self.owner_role}"')
        finally:
            await conn.close()
        from sqlalchemy.ext.asyncio import create_async_engine

        from shared.migrations import upgrade_to_head

        for svc in SERVICES:
            engine = create_async_engine(self.owner_url(svc))
            try:
                await upgrade_to_head(engine, PROCESSES[svc], app_role=self.app_role)
            finally:
                await engine.dispose()

    async def drop(self) -> None:
        conn = await asyncpg.connect(asyncpg_url("postgres"))
        try:
            for name in self.names.values():
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in self._passwords:
                await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await conn.close()

    async def truncate_all(self) -> None:
        """Empty every table but the migration version, between tests."""
        for name in self.names.values():
            conn = await asyncpg.connect(asyncpg_url(name))
            try:
                tables = [
                    r["tablename"]
                    for r in await conn.fetch(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                ]
                if tables:
                    quoted = ", ".join(f'"{t}"' for t in tables)
                    # As superuser, past the triggers that protect the audit trail in production.
                    await conn.execute("SET session_replication_role = replica")
                    await conn.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
            finally:
                await conn.close()


async def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = ""):  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    """Poll an async or sync predicate until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(interval)
