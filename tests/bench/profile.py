"""`make bench BENCH_ARGS="--profile products"`: where one process's CPU goes during the sale
scenario through the gateway. py-spy (a dev dependency) samples the process; the folded stacks
are kept beside the report (open them with a flame-graph viewer such as speedscope) and
summarised here by the package of the innermost frame (self time): SQLAlchemy, asyncpg,
Starlette/FastAPI, the app's own code, …"""

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FRAME = re.compile(r"\((?P<file>[^():]+)(?::\d+)?\)$")


def package_of(frame: str) -> str:
    """The package a folded-stack frame ``function (path:line)`` belongs to."""
    match = FRAME.search(frame.strip())
    path = match.group("file") if match else frame
    if "site-packages/" in path:
        top = path.split("site-packages/", 1)[1].split("/", 1)[0]
        return top.removesuffix(".py").split(".")[0]
    for ours in ("services/", "shared/", "gateway/", "deploy/", "tests/"):
        if path.startswith(ours) or f"/{ours}" in path:
            return ours.rstrip("/") + " (ours)"
    if "/lib/python3" in path or path.startswith("<frozen"):
        return "stdlib"
    # py-spy names a module by its path under sys.path: its top folder is its package.
    return path.split("/", 1)[0].removesuffix(".py") if "/" in path else path.removesuffix(".py")


def summarise(folded: str, top: int = 12) -> dict[str, float]:
    """Share of samples (%) by package of the innermost frame, largest first."""
    counts: Counter[str] = Counter()
    for line in folded.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        counts[package_of(stack.split(";")[-1])] += int(n)
    total = sum(counts.values()) or 1
    return {name: round(100 * n / total, 1) for name, n in counts.most_common(top)}


def record(pid: int, seconds: float, out: Path, name: str, during: Callable[[], Any]) -> dict:
    """Sample ``pid`` with py-spy while ``during()`` runs; the folded stacks' path and summary."""
    out.mkdir(parents=True, exist_ok=True)
    folded = out / f"profile-{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.txt"
    spy = Path(sys.executable).parent / "py-spy"
    recorder = subprocess.Popen(
        [
            *[str(spy), "record", "--pid", str(pid), "--duration", str(max(1, int(seconds)))],
            *["--rate", "200", "--format", "raw", "--output", str(folded), "--nonblocking"],
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    during()
    recorder.wait(timeout=seconds + 60)
    text = folded.read_text() if folded.exists() else ""
    return {"process": name, "folded_stacks": str(folded), "self_time_by_package": summarise(text)}
