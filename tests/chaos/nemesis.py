"""The faults, injected one after another while the workload runs; each is healed before the
next, and every one goes into the timeline."""

import asyncio
import contextlib
import signal
import subprocess
import time
from dataclasses import dataclass

from tests.chaos.platform import Platform

SERVICES = ("jobs", "products", "subsidies")
# Where each process is killed by its own fault point (shared/faults.py): the relay before and
# after a publish, a request after its commit, the consumer after its commit and before its ack.
FAULT_POINTS = {
    "jobs": ("relay.before_publish", "relay.after_publish", "request.after_commit"),
    "products": ("relay.before_publish", "relay.after_publish", "request.after_commit"),
    "subsidies": ("relay.after_publish", "consumer.after_commit", "request.after_commit"),
}


def fault_kinds() -> list[str]:
    """Every kind of fault the harness knows."""
    kinds = [f"kill:{name}" for name in (*SERVICES, "gateway")]
    kinds += [f"point:{svc}:{point}" for svc, points in FAULT_POINTS.items() for point in points]
    kinds += ["nats:kill", "nats:stop", "postgres:restart", "postgres:crash"]
    kinds += ["proxy:latency", "proxy:reset", "proxy:blackhole"]
    return kinds


@dataclass
class Event:
    at: float
    took: float
    fault: str
    note: str


class Nemesis:
    def __init__(self, platform: Platform, t0: float) -> None:
        self.platform = platform
        self.t0 = t0
        self.timeline: list[Event] = []

    async def run(self, schedule: list[str], gap: float, stop: asyncio.Event) -> None:
        for fault in schedule:
            try:
                await asyncio.wait_for(stop.wait(), gap)
                return
            except TimeoutError:
                pass
            start = time.monotonic()
            note = await self.inject(fault)
            self.timeline.append(
                Event(start - self.t0, time.monotonic() - start, fault, note or "")
            )

    async def inject(self, fault: str) -> str:
        p = self.platform
        kind, _, rest = fault.partition(":")
        if kind == "kill":
            p.kill(rest)
            await asyncio.sleep(1.0)
            await p.start(rest)
            return "SIGKILL, restarted"
        if kind == "point":
            service, point = rest.split(":", 1)
            return await self._fault_point(service, point)
        if fault == "nats:kill":
            p.signal_nats(signal.SIGKILL)
            await asyncio.sleep(2.0)
            await asyncio.to_thread(p.start_nats)
            return "SIGKILL, restarted on its store after 2 s"
        if fault == "nats:stop":
            p.signal_nats(signal.SIGSTOP)
            await asyncio.sleep(4.0)
            p.signal_nats(signal.SIGCONT)
            return "SIGSTOP for 4 s, SIGCONT"
        if kind == "postgres":
            mode = "fast" if rest == "restart" else "immediate"
            await asyncio.to_thread(p.pg.stop, mode)
            await asyncio.sleep(2.0)
            await asyncio.to_thread(p.pg.start)
            return f"pg_ctl stop -m {mode}, 2 s down, started"
        if kind == "proxy":
            assert p.nats_proxy and p.pg_proxy
            proxies = (p.nats_proxy, p.pg_proxy)
            if rest == "latency":
                for proxy in proxies:
                    proxy.set("latency", 0.05)
                await asyncio.sleep(5.0)
                note = "50 ms per chunk for 5 s, NATS and PostgreSQL"
            elif rest == "reset":
                for proxy in proxies:
                    proxy.set("reset")
                await asyncio.sleep(1.0)
                note = "every connection reset, new ones refused for 1 s"
            else:
                for proxy in proxies:
                    proxy.set("blackhole")
                await asyncio.sleep(3.0)
                note = "bytes swallowed for 3 s"
            for proxy in proxies:
                proxy.set("pass")
            return note
        raise ValueError(f"unknown fault {fault}")

    async def _fault_point(self, service: str, point: str) -> str:
        """Restart ``service`` armed with the fault point; it dies when it reaches it (or is
        killed after 20 s if it did not), then comes back unarmed."""
        p = self.platform
        p.kill(service)
        p.spawn_app(service, faults=point)
        proc = p.procs[service]
        assert proc.proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(proc.proc.wait, 20)
        reached = not proc.alive()
        p.kill(service)
        await p.start(service)
        return "died at the point" if reached else "not reached in 20 s (SIGKILL)"
