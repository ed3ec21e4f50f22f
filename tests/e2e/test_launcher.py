"""`make run` as a newcomer runs it: every process comes up ready, a dying process is reported,
and Ctrl-C leaves nothing running."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.security import generate_api_key
from tests.support.infra import free_port

pytestmark = pytest.mark.timeout(300)


def _pids_alive(pids):
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.append(pid)
    return alive


class Platform:
    def __init__(self, tmp_path: Path, **extra_env: str) -> None:
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
        self.output = tmp_path / "launcher.out"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "deploy.launcher"],
            env=env,
            stdout=self.output.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
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
        return [
            int(p)
            for p, pp in (line.split() for line in out if line.strip())
            if int(pp) == self.proc.pid
        ]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


@pytest.fixture
def platform(tmp_path):
    p = Platform(tmp_path)
    yield p
    if p.proc.poll() is None:
        p.proc.kill()
        p.proc.wait()


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
