"""Load generation and process accounting of `make bench`.

Throughput is driven by wrk (Debian's, one thread, keep-alive connections, fixed duration) in
its own process, with tests/bench/load.lua shaping each request. While it runs, the CPU time
(utime + stime from ``/proc/<pid>/stat``) and the peak RSS of every process of the platform are
sampled, so each scenario also reports CPU milliseconds per request of each process."""

import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).with_name("load.lua")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least 1
    return ordered[min(len(ordered), int(rank)) - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def rss_mb(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * PAGE / 2**20


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


@dataclass
class Usage:
    """CPU and memory of some processes over a stretch of time, sampled every 0.25 s."""

    pids: dict[str, int]
    cpu: dict[str, float] = field(default_factory=dict)
    rss_peak: dict[str, float] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "Usage":
        self._start = {n: cpu_seconds(p) for n, p in self.pids.items()}
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while True:
            for name, pid in self.pids.items():
                with contextlib.suppress(OSError):
                    self.rss_peak[name] = max(self.rss_peak.get(name, 0.0), rss_mb(pid))
            self.load.append(loadavg())
            if self._stop.wait(0.25):
                return

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for name, pid in self.pids.items():
            try:
                self.cpu[name] = cpu_seconds(pid) - self._start[name]
            except OSError:
                self.cpu[name] = 0.0

    def per_request_ms(self, requests: int) -> dict[str, float]:
        return {n: 1000 * s / requests for n, s in self.cpu.items()} if requests else {}


def wrk(
    url: str,
    cfg: dict[str, Any],
    *,
    connections: int,
    seconds: float,
    pids: dict[str, int],
) -> dict[str, Any]:
    """One wrk run against ``url`` (scheme, host and port; ``cfg["path"]`` is the path)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"cfg = {_lua(cfg)}\n{LUA.read_text()}")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
        url,
    ]
    try:
        with Usage(pids) as usage:
            out = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        os.unlink(script.name)
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line.removeprefix("BENCH "))
    elapsed = raw["duration_us"] / 1e6
    ok = raw["requests"] - raw["unexpected"] - raw["socket_errors"]
    first_error = next(
        (x.removeprefix("FIRST_ERROR ") for x in out.stdout.splitlines() if x.startswith("FIRST_")),
        None,
    )
    return {
        "requests": raw["requests"],
        # Only answers that succeeded count as throughput.
        "per_second": max(0, ok) / elapsed if elapsed else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["unexpected"] + raw["socket_errors"],
        "first_error": first_error,
        "cpu_ms_per_request": usage.per_request_ms(raw["requests"]),
        "rss_mb": usage.rss_peak,
        "load": max(usage.load, default=loadavg()),
    }


def _lua(value: Any) -> str:
    """A Lua literal of a JSON-like value (strings escaped as JSON strings, which Lua reads)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def wait_until(check: Any, timeout: float, what: str, every: float = 0.05) -> float:
    """Call ``check`` until true; seconds it took."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"{what} not done after {timeout:.0f}s")
        time.sleep(every)
    return time.monotonic() - began


def quiet(pids: dict[str, int], timeout: float = 120, idle_share: float = 0.15) -> float:
    """Wait until these processes together use less than ``idle_share`` of a core over a
    second (the events of the previous scenario applied), at most ``timeout`` seconds; the
    seconds waited. Keeps one scenario's backlog out of the next one's figures."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        before = {n: cpu_seconds(p) for n, p in pids.items()}
        time.sleep(1.0)
        used = sum(cpu_seconds(p) - before[n] for n, p in pids.items())
        if used < idle_share:
            break
    return time.monotonic() - began
