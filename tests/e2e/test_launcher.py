"""`make run` as a newcomer runs it: every process comes up ready, a dying process is reported,
and Ctrl-C leaves nothing running; nor does killing the launcher, however it is done."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats
import nats.errors
import pytest

from gateway.security import generate_api_key
from tests.pii.plugin import scan_process_logs
from tests.support.infra import free_port

pytestmark = pytest.mark.timeout(300)


def _pids_alive(pids):
    """The processes still running (a zombie waiting for a reaper that may not come, as when
    PID 1 of a container reaps nothing, has finished)."""
    alive = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if stat.rsplit(")", 1)[1].split()[0] != "Z":
            alive.append(pid)
    return alive


def _wait_all_gone(pids, timeout=30.0):
    deadline = time.monotonic() + timeout
    while _pids_alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _pids_alive(pids)


class Platform:
    def __init__(self, tmp_path: Path, *, background: bool = False, **extra_env: str) -> None:
        self.ports = {name: free_port() for name in ("gateway", "jobs", "products", "subsidies")}
        self.nats_port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.endswith("_DATABASE_URL") and k not in ("EW_NATS_URL",)
        }
        env |= {f"EW_{name.upper()}_PORT": str(port) for name, port in self.ports.items()}
        env |= {"EW_NATS_PORT": str(self.nats_port), "EW_DATA_DIR": str(tmp_path / "data")}
        env |= extra_env
        self.data_dir = tmp_path / "data"
        self.seen_children: set[int] = set()
        self.output = tmp_path / "launcher.out"
        command = [sys.executable, "-m", "deploy.launcher"]
        if background:
            # As a non-interactive shell starts `make run &`: SIGINT ignored; and in a process
            # group of its own, as `setsid make run &` would.
            command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
        self.proc = subprocess.Popen(
            command,
            env=env,
            stdout=self.output.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
            start_new_session=background,
        )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_ready(self, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.text()
            if "Platform ready." in out:
                return out
            if self.proc.poll() is not None:
                raise AssertionError(f"launcher exited {self.proc.returncode}:\n{out}")
            time.sleep(0.2)
        raise AssertionError(f"platform not ready in {timeout}s:\n{self.text()}")

    def child_pids(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-eo", "pid,ppid"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")[1:]
        children = [
            int(p)
            for p, pp in (line.split() for line in out if line.strip())
            if int(pp) == self.proc.pid
        ]
        self.seen_children.update(children)
        return children

    def owns(self, pid: int) -> bool:
        """The process was started by this platform's launcher (not a later one with its pid)."""
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return False
        return f"EW_DATA_DIR={self.data_dir.resolve()}".encode() in environ.split(b"\0")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


@pytest.fixture
def platforms(tmp_path):
    started: list[Platform] = []

    def start(**options):
        started.append(Platform(tmp_path, **options))
        return started[-1]

    yield start
    for p in started:
        if p.proc.poll() is None:
            p.child_pids()
            p.proc.kill()
            p.proc.wait()
        for pid in _pids_alive(p.seen_children):  # never leave a platform behind a failed test
            if p.owns(pid):
                os.kill(pid, signal.SIGKILL)
        # What the platform's processes logged never reached pytest's capture: scan it too.
        scan_process_logs([p.output, *sorted((p.data_dir / "logs").glob("*"))])


@pytest.fixture
def platform(platforms):
    return platforms()


async def _nats_refuses(url: str, **credentials: str) -> bool:
    try:
        nc = await nats.connect(
            url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **credentials
        )
    except nats.errors.Error as exc:
        return "Authorization Violation" in str(exc)
    await nc.close()
    return False


class TestMakeRun:
    def test_all_processes_ready_then_ctrl_c_stops_everything(self, platform):
        out = platform.wait_ready()
        children = platform.child_pids()
        assert len(children) == 5  # nats, three services, gateway
        for name, port in platform.ports.items():
            r = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            assert r.status_code == 200, (name, r.text)
            assert r.json()["status"] == "ready"
        assert f"http://127.0.0.1:{platform.ports['gateway']}/docs" in out
        match = re.search(r"bootstrap admin\s+admin / (\S+)", out)
        assert match, out
        login = httpx.post(
            f"http://127.0.0.1:{platform.ports['gateway']}/v1/auth/login",
            json={"username": "admin", "password": match.group(1)},
            timeout=5,
        )
        assert login.status_code == 200, login.text

        # NATS requires credentials; they were generated, kept private and shown nowhere.
        secrets_file = platform.data_dir / "secrets.json"
        assert secrets_file.stat().st_mode & 0o777 == 0o600
        assert (platform.data_dir / "nats.conf").stat().st_mode & 0o777 == 0o600
        secrets = json.loads(secrets_file.read_text())
        passwords = [secrets[f"nats_password_{u}"] for u in ("jobs", "products", "subsidies")]
        nats_url = f"nats://127.0.0.1:{platform.nats_port}"
        assert asyncio.run(_nats_refuses(nats_url))
        assert asyncio.run(_nats_refuses(nats_url, user="jobs", password="guess"))
        assert not asyncio.run(_nats_refuses(nats_url, user="jobs", password=passwords[0]))
        logs = [p.read_text(errors="replace") for p in (platform.data_dir / "logs").iterdir()]
        assert not any(pw in text for pw in passwords for text in [out, *logs])

        assert platform.stop() == 0
        assert "All processes stopped." in platform.text()
        assert _pids_alive(children) == []

    def test_a_dying_process_is_reported_and_the_rest_stopped(self, platform):
        platform.wait_ready()
        children = platform.child_pids()
        jobs_pid = next(
            pid
            for pid in children
            if "services.jobs.app" in Path(f"/proc/{pid}/cmdline").read_text()
        )
        os.kill(jobs_pid, signal.SIGKILL)
        assert platform.proc.wait(timeout=60) == 1
        out = platform.text()
        assert "jobs exited with code -9" in out
        assert _pids_alive(children) == []

    def test_pressing_ctrl_c_twice_still_stops_everything(self, platform):
        platform.wait_ready()
        children = platform.child_pids()
        platform.proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        if platform.proc.poll() is None:
            platform.proc.send_signal(signal.SIGINT)
        assert platform.proc.wait(timeout=60) == 0
        assert "All processes stopped." in platform.text()
        assert _pids_alive(children) == []

    def test_starts_while_an_external_nats_is_unreachable(self, tmp_path):
        # Readiness means "can serve requests": events wait in the outbox until NATS comes.
        platform = Platform(tmp_path, EW_NATS_URL=f"nats://127.0.0.1:{free_port()}")
        try:
            platform.wait_ready()
            assert len(platform.child_pids()) == 4  # no NATS of its own
            for name in ("jobs", "products", "subsidies"):
                r = httpx.get(f"http://127.0.0.1:{platform.ports[name]}/readyz", timeout=5)
                assert r.status_code == 200, (name, r.text)
                assert r.json()["status"] == "degraded"
            assert platform.stop() == 0
        finally:
            if platform.proc.poll() is None:
                platform.proc.kill()
                platform.proc.wait()


class TestGatewayClientAddress:
    def test_a_spoofed_forwarded_for_does_not_escape_the_failed_credential_budget(self, platform):
        # The gateway as `make run` starts it: each bad key claims another client address.
        platform.wait_ready()
        statuses = []
        with httpx.Client(
            base_url=f"http://127.0.0.1:{platform.ports['gateway']}", timeout=10
        ) as client:
            for i in range(30):
                r = client.get(
                    "/v1/auth/me",
                    headers={
                        "Authorization": f"Bearer {generate_api_key()[1]}",
                        "X-Forwarded-For": f"6.6.{i}.1",
                    },
                )
                statuses.append(r.status_code)
        # The default budget is 20 failures, refilled at one a second.
        assert statuses[:20] == [401] * 20
        assert statuses.count(429) >= 5, statuses
        assert platform.stop() == 0


class TestLauncherDeath:
    """Issue 8 item 7: the processes must die with the launcher, however it dies."""

    def test_started_in_the_background_ctrl_c_still_stops_everything(self, platforms):
        platform = platforms(background=True)
        platform.wait_ready()
        children = platform.child_pids()
        assert len(children) == 5
        assert platform.stop() == 0
        assert "All processes stopped." in platform.text()
        assert _pids_alive(children) == []

    def test_killing_its_process_group_leaves_no_process_behind(self, platforms):
        platform = platforms(background=True)
        platform.wait_ready()
        children = platform.child_pids()
        assert len(children) == 5
        os.killpg(platform.proc.pid, signal.SIGKILL)
        platform.proc.wait(timeout=10)
        assert _wait_all_gone(children) == []

    def test_a_launcher_killed_outright_takes_its_processes_with_it(self, platform):
        platform.wait_ready()
        children = platform.child_pids()
        assert len(children) == 5
        platform.proc.kill()
        platform.proc.wait(timeout=10)
        assert _wait_all_gone(children) == []
