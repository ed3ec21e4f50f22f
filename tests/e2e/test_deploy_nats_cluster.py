"""The Kubernetes NATS configuration run for real: three servers on this machine from
deploy/k8s/base/nats/nats.conf and the generated auth.conf, with only what a pod's network and
volume give changed (ports, addresses, route host names, paths, the storage reservation), form a
JetStream cluster; a service's own user creates its stream at 3 replicas as the services do
(EW_STREAM_REPLICAS=3) and publishes; and publishing goes on with one server down."""

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest

from deploy import check
from shared.events.permissions import connect_options
from shared.events.streams import ensure_stream
from tests.support.infra import free_port, nats_server_binary, wait_until

CONF = check.K8S / "base" / "nats" / "nats.conf"


def server_config(
    text: str, index: int, clients: list[int], routes: list[int], monitor: int, home: Path
) -> str:
    replaced = {
        r"^port: 4222$": f'host: "127.0.0.1"\nport: {clients[index]}',
        r"^http_port: 8222$": f'http: "127.0.0.1:{monitor}"',
        r"^pid_file: .*$": f'pid_file: "{home / "nats.pid"}"',
        r"store_dir: /data/jetstream": f'store_dir: "{home / "jetstream"}"',
        r"max_file_store: \S+": "max_file_store: 1G",
        r"^  port: 6222$": f'  host: "127.0.0.1"\n  port: {routes[index]}',
    }
    for pattern, value in replaced.items():
        text, count = re.subn(pattern, value, text, flags=re.M)
        assert count == 1, pattern
    for pod, port in enumerate(routes):
        text = text.replace(f"nats://nats-{pod}.nats-headless:6222", f"nats://127.0.0.1:{port}")
    assert "nats-headless" not in text
    return text


@pytest.fixture
def cluster(tmp_path) -> Iterator[tuple[list[str], list[subprocess.Popen[bytes]], list[int]]]:
    clients, routes, monitors = ([free_port() for _ in range(3)] for _ in range(3))
    env = check.nats_passwords()
    text = CONF.read_text()
    procs = []
    try:
        for i in range(3):
            home = tmp_path / f"nats-{i}"
            home.mkdir()
            shutil.copy(check.K8S / "base" / "nats" / "auth.conf", home / "auth.conf")
            (home / "nats.conf").write_text(
                server_config(text, i, clients, routes, monitors[i], home)
            )
            log = (home / "server.log").open("ab")
            procs.append(
                subprocess.Popen(
                    [nats_server_binary(), "-c", str(home / "nats.conf")],
                    env={"PATH": "/usr/bin:/bin", "POD_NAME": f"nats-{i}"} | env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
        yield [f"nats://127.0.0.1:{p}" for p in clients], procs, monitors
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _healthy(monitor: int, query: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{monitor}/healthz?{query}", timeout=2)
        return r.status_code == 200
    except httpx.HTTPError:
        return False


async def test_three_servers_keep_a_service_stream_at_three_replicas_through_one_loss(cluster):
    urls, procs, monitors = cluster
    for monitor in monitors:  # the StatefulSet's readiness probe
        await wait_until(
            lambda m=monitor: _healthy(m, "js-server-only=true"), timeout=60, what="servers"
        )
    password = check.nats_passwords()["NATS_JOBS_PASSWORD"]
    nc = await nats.connect(
        servers=urls, **connect_options("jobs", password), max_reconnect_attempts=-1
    )  # type: ignore[arg-type]
    try:
        js = nc.jetstream()

        async def stream_ready() -> bool:
            try:
                await ensure_stream(js, "jobs", replicas=3)
                info = await js.stream_info("JOBS")
            except Exception:  # no meta leader yet: the cluster is still forming
                return False
            replicas = (info.cluster.replicas or []) if info.cluster else []
            return (
                info.config.num_replicas == 3
                and len(replicas) == 2
                and all(r.current for r in replicas)
            )

        await wait_until(stream_ready, timeout=90, interval=0.5, what="JOBS at 3 current replicas")
        first = await js.publish("jobs.deploy_check.one", b"{}")
        assert (first.stream, first.seq) == ("JOBS", 1)

        # A server stops (a rollout, a drained node): the other two keep the quorum.
        procs[0].kill()
        procs[0].wait()

        async def published() -> int:
            try:
                return (await js.publish("jobs.deploy_check.two", b"{}", timeout=2)).seq
            except Exception:  # the client is moving to another server, or a leader is elected
                return 0

        assert (
            await wait_until(
                published, timeout=60, interval=0.5, what="publish with one server down"
            )
            == 2
        )
    finally:
        await nc.close()
