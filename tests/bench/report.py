"""The bench's report: every figure of every run, each summarised as the median with min–max
over the runs, the ratios to the baselines of the same run, and each target of issue 12 marked
met or not met. Pure functions of the runs' figures (tested in tests/bench/test_report.py)."""

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Runs = list[dict[str, Any]]


def dig(run: dict[str, Any], path: str) -> float | None:
    """``run["a"]["b"]`` for ``"a.b"``; None when missing."""
    value: Any = run
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float
    n: int

    def show(self, digits: int = 0, unit: str = "") -> str:
        def f(x: float) -> str:
            return f"{x:,.{digits}f}"

        if self.n == 1 or self.low == self.high:
            return f"{f(self.median)}{unit}"
        return f"{f(self.median)}{unit} ({f(self.low)}–{f(self.high)})"


def spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    return Spread(statistics.median(values), min(values), max(values), len(values))


def over_runs(runs: Runs, figure: Callable[[dict[str, Any]], float | None]) -> Spread | None:
    """A figure (or a ratio computed within each run) summarised over the runs."""
    values = [v for v in (figure(run) for run in runs) if v is not None]
    return spread(values)


def ratio(a: str, b: str) -> Callable[[dict[str, Any]], float | None]:
    def within(run: dict[str, Any]) -> float | None:
        x, y = dig(run, a), dig(run, b)
        return x / y if x is not None and y else None

    return within


def difference(a: str, b: str) -> Callable[[dict[str, Any]], float | None]:
    def within(run: dict[str, Any]) -> float | None:
        x, y = dig(run, a), dig(run, b)
        return x - y if x is not None and y is not None else None

    return within


def at(path: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda run: dig(run, path)


def verdict(value: Spread | None, ok: Callable[[float], bool]) -> str:
    """A target is judged on the median of the runs."""
    if value is None:
        return "not measured"
    return "met" if ok(value.median) else "**not met**"


@dataclass(frozen=True)
class Row:
    scenario: str
    platform: str
    baseline: str
    ratio: str
    target: str
    status: str


def table(rows: list[Row]) -> str:
    lines = [
        "| scenario | platform | baseline (same run) | ratio | target | status |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.scenario} | {r.platform} | {r.baseline} | {r.ratio} | {r.target} | {r.status} |"
        for r in rows
    ]
    return "\n".join(lines)


def show(value: Spread | None, digits: int = 0, unit: str = "") -> str:
    return value.show(digits, unit) if value is not None else "—"
