"""The harness's databases. For the fault harness, a private PostgreSQL cluster: ``initdb`` and
``pg_ctl`` from the Debian binaries, under the ``postgres`` OS user when the harness runs as root
(PostgreSQL refuses to run as root), on its own port and data directory in a temporary folder;
the machine's shared server is never touched, so the harness may stop and restart this one at
will. Where nothing stops PostgreSQL (the two-replica test), fresh databases on the machine's
server, as the test session makes them (:class:`SharedDatabases`): faster to set up."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from deploy.topology import PROCESSES
from tests.support.infra import TestDatabases, asyncpg_url


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL's binaries (``/usr/lib/postgresql/<version>/bin``)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if not candidates:
        found = shutil.which("pg_ctl")
        if not found:
            raise RuntimeError("no PostgreSQL server binaries (pg_ctl, initdb) on this machine")
        return Path(found).parent
    return Path(candidates[-1]).parent


class PrivatePostgres:
    """``start``/``stop``/``restart`` a cluster of its own; databases per process, with an owner
    role that migrates and an app role the processes connect as (as in production)."""

    def __init__(self, port: int, root: Path | None = None) -> None:
        self.port = port
        self.bin = postgres_bin()
        self.root = root or Path(tempfile.mkdtemp(prefix="ew-chaos-pg-"))
        self.data = self.root / "pgdata"
        self.sockets = self.root / "sockets"
        self.log = self.root / "postgres.log"
        # As root, run as the postgres OS user; otherwise as whoever runs the harness.
        self.user = "postgres" if os.geteuid() == 0 else None
        self.owner_password = "chaos-owner-password-0123"
        self.app_password = "chaos-app-password-0123"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*args], user=self.user, capture_output=True, text=True, check=False, cwd=self.root
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip()[-1000:]}")
        return result

    def init(self) -> "PrivatePostgres":
        self.root.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self.user:
            # The postgres user must reach its folder: the parents are traversable, not readable.
            self.root.parent.chmod(self.root.parent.stat().st_mode | 0o111)
            entry = pwd.getpwnam(self.user)
            for path in (self.root, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.root.chmod(0o700)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.sockets}'\nmax_connections = 300\n"
                "fsync = on\nsynchronous_commit = on\nshared_buffers = 64MB\n"
            )
        return self

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast`` (clients disconnected, clean shutdown) or ``immediate`` (as a crash)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "status", check=False
            ).returncode
            == 0
        )

    def destroy(self) -> None:
        if self.data.exists() and self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------
    def dsn(self, database: str = "postgres", *, user: str = "postgres", password: str = "") -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def app_url(self, process: str, port: int | None = None) -> str:
        """What ``process`` connects as (the app role), optionally through a proxy's port."""
        auth = f"chaos_app:{self.app_password}"
        return f"postgresql+asyncpg://{auth}@127.0.0.1:{port or self.port}/chaos_{process}"

    def superuser_url(self, process: str) -> str:
        return self.dsn(f"chaos_{process}")

    async def create_databases(self) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        from shared.migrations import upgrade_to_head

        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(
                f"CREATE ROLE chaos_owner LOGIN PASSWORD '{self.owner_password}'; "
                f"CREATE ROLE chaos_app LOGIN PASSWORD '{self.app_password}'"
            )
            for process in PROCESSES:
                await conn.execute(f"CREATE DATABASE chaos_{process} OWNER chaos_owner")
        finally:
            await conn.close()
        for process, package in PROCESSES.items():
            owner = f"chaos_owner:{self.owner_password}"
            engine = create_async_engine(
                f"postgresql+asyncpg://{owner}@127.0.0.1:{self.port}/chaos_{process}"
            )
            try:
                await upgrade_to_head(engine, package, app_role="chaos_app")
            finally:
                await engine.dispose()


class SharedDatabases:
    """Fresh databases per process on the machine's PostgreSQL (``EW_TEST_PG_URL``), with their
    owner and app roles, migrated to head (tests/support/infra.py); the same few methods as
    :class:`PrivatePostgres` that the platform and the checker use. Dropped by ``destroy`` (a
    coroutine here: it asks the server)."""

    def __init__(self) -> None:
        self.databases = TestDatabases()

    def app_url(self, process: str, port: int | None = None) -> str:
        if port is not None:
            raise ValueError("the machine's server is reached directly, not through a proxy")
        return self.databases.url(process)

    def superuser_url(self, process: str) -> str:
        return asyncpg_url(self.databases.names[process])

    async def create_databases(self) -> None:
        await self.databases.create()

    def running(self) -> bool:
        return True

    async def destroy(self) -> None:
        await self.databases.drop()
