"""The rows of the bench's report (issue 12's table), from the runs' figures."""

from typing import Any

from tests.bench.report import Row, Runs, at, difference, over_runs, ratio, show, table, verdict

PROCESSES = ("gateway", "products", "jobs", "subsidies", "nats")
STATS = {
    "all_time_by_product": "all time by product",
    "year_by_store_month": "a year by store × month",
    "ten_days_by_township": "10 days by township",
    "range_by_product": "an arbitrary range by product",
}


def rate(path: str) -> str:
    return f"{path}.per_second"


def rows(runs: Runs) -> list[Row]:
    """The report's rows in the issue's order; long because it is the table itself."""
    out: list[Row] = []
    bare = over_runs(runs, at(rate("sale.bare")))
    bare_p99 = over_runs(runs, at("sale.bare.p99_ms"))
    baseline = f"bare FastAPI + 1 INSERT: {show(bare)} req/s, p99 {show(bare_p99, 1)} ms"
    for target, label in (("gateway", "through the gateway"), ("products", "straight to products")):
        value = over_runs(runs, at(rate(f"sale.{target}")))
        p50 = over_runs(runs, at(f"sale.{target}.p50_ms"))
        p99 = over_runs(runs, at(f"sale.{target}.p99_ms"))
        r = over_runs(runs, ratio(rate(f"sale.{target}"), rate("sale.bare")))
        out.append(
            Row(
                f"3-line sale + Idempotency-Key, c32, 7 stores × 20 products, {label}",
                f"{show(value)} req/s, p50 {show(p50, 1)} / p99 {show(p99, 1)} ms",
                baseline,
                show(r, 2, "×"),
                "≥ 0.5×" if target == "gateway" else "",
                verdict(r, lambda x: x >= 0.5) if target == "gateway" else "",
            )
        )
    paced = over_runs(runs, at("paced.p99_ms"))
    paced_rate = over_runs(runs, at("paced.rate"))
    out.append(
        Row(
            "sale through the gateway at half its maximum rate (open loop)",
            f"{show(paced_rate)} req/s: p50 {show(over_runs(runs, at('paced.p50_ms')), 1)} / "
            f"p99 {show(paced, 1)} ms",
            "",
            "",
            "p99 ≤ 50 ms",
            verdict(paced, lambda x: x <= 50),
        )
    )
    c1 = {t: over_runs(runs, at(f"sale_c1.{t}.p50_ms")) for t in ("gateway", "products", "bare")}
    out.append(
        Row(
            "sale at one connection, p50",
            f"gateway {show(c1['gateway'], 1)} ms, direct {show(c1['products'], 1)} ms",
            f"bare {show(c1['bare'], 2)} ms",
            show(over_runs(runs, ratio("sale_c1.gateway.p50_ms", "sale_c1.bare.p50_ms")), 1, "×")
            + " slower",
            "",
            "",
        )
    )
    for target in ("products", "gateway"):
        hot = over_runs(runs, at(rate(f"sale_hot.{target}")))
        hot_p99 = over_runs(runs, at(f"sale_hot.{target}.p99_ms"))
        via = "direct" if target == "products" else "gateway"
        r = over_runs(runs, ratio(rate(f"sale_hot.{target}"), rate(f"sale.{target}")))
        out.append(
            Row(
                f"one hot store × one product, c32 ({via})",
                f"{show(hot)} req/s, p99 {show(hot_p99, 1)} ms",
                f"spread: {show(over_runs(runs, at(rate(f'sale.{target}'))))} req/s",
                show(r, 2, "×"),
                "≥ 0.8× spread",
                verdict(r, lambda x: x >= 0.8),
            )
        )
    for key, label in (("me", "`GET /stores/me`"), ("404", "trivial 404")):
        gw = over_runs(runs, at(rate(f"get_{key}.gateway")))
        ng = over_runs(runs, at(rate(f"get_{key}.nginx")))
        direct = over_runs(runs, at(rate(f"get_{key}.products")))
        gw_p99 = over_runs(runs, at(f"get_{key}.gateway.p99_ms"))
        ng_p99 = over_runs(runs, at(f"get_{key}.nginx.p99_ms"))
        r = over_runs(runs, ratio(rate(f"get_{key}.gateway"), rate(f"get_{key}.nginx")))
        out.append(
            Row(
                f"gateway vs nginx, {label}, c32",
                f"{show(gw)} req/s, p99 {show(gw_p99, 1)} ms",
                f"nginx {show(ng)} req/s, p99 {show(ng_p99, 1)} ms; direct {show(direct)}",
                show(r, 2, "×") + " nginx",
                "≥ 0.7×",
                verdict(r, lambda x: x >= 0.7),
            )
        )
    added = over_runs(runs, difference("get_c1.gateway.p50_ms", "get_c1.products.p50_ms"))
    nginx_added = over_runs(runs, difference("get_c1.nginx.p50_ms", "get_c1.products.p50_ms"))
    out.append(
        Row(
            "added p50 at one connection (`GET /stores/me`)",
            f"gateway +{show(added, 2)} ms",
            f"nginx +{show(nginx_added, 2)} ms",
            "",
            "≤ 0.3 ms",
            verdict(added, lambda x: x <= 0.3),
        )
    )
    batch = over_runs(runs, at("batch.per_second"))
    copy = over_runs(runs, at("copy.per_second"))
    r = over_runs(runs, ratio("batch.per_second", "copy.per_second"))
    drain = over_runs(runs, at("batch.drain_seconds"))
    events = over_runs(runs, at("batch.events_pending_after_answer"))
    out.append(
        Row(
            "NDJSON batch of 10,000 sales through the gateway",
            f"{show(batch)} lines/s (+ {show(drain, 1)} s to publish {show(events)} events)",
            f"asyncpg COPY of the same lines {show(copy)} rows/s",
            show(r, 3, "×"),
            "≥ 0.5×",
            verdict(r, lambda x: x >= 0.5),
        )
    )
    out += _events(runs)
    out += _statistics(runs)
    out += _resources(runs)
    return out


def _events(runs: Runs) -> list[Row]:
    out = []
    js = over_runs(runs, at("jetstream.p99_ms"))
    js50 = over_runs(runs, at("jetstream.p50_ms"))
    for key, label in (("confirm", "monthly confirmation (jobs) → subsidy line queryable"),):
        for speed in ("slow", "fast"):
            p99 = over_runs(runs, at(f"{key}_{speed}.p99_ms"))
            rate_ = over_runs(runs, at(f"{key}_{speed}.rate"))
            lost = over_runs(runs, lambda run, k=f"{key}_{speed}": _unseen(run, k))
            out.append(
                Row(
                    f"event propagation: {label} at {show(rate_)}/s",
                    f"p50 {show(over_runs(runs, at(f'{key}_{speed}.p50_ms')), 1)} / "
                    f"p99 {show(p99, 1)} ms; unseen {show(lost)}",
                    f"JetStream publish → pull consumer p50 {show(js50, 2)} / p99 {show(js, 2)} ms",
                    "",
                    "p99 ≤ 25 ms at 200/s" if speed == "fast" else "",
                    verdict(p99, lambda x: x <= 25) if speed == "fast" else "",
                )
            )
    for speed in ("slow", "fast"):
        k = f"stats_{speed}"
        stats_rate = over_runs(runs, at(f"{k}.rate"))
        out.append(
            Row(
                f"sale → statistics of the store include it, at {show(stats_rate)}/s",
                f"p50 {show(over_runs(runs, at(f'{k}.p50_ms')), 1)} / "
                f"p99 {show(over_runs(runs, at(f'{k}.p99_ms')), 1)} ms (from the sale's answer)",
                "",
                "",
                "",
                "",
            )
        )
    relay = over_runs(runs, at("batch.relay_cpu_ms_per_event"))
    out.append(
        Row(
            "relay CPU per event (products while it publishes a batch's events)",
            f"{show(relay, 2)} ms",
            "",
            "",
            "≤ 0.3 ms",
            verdict(relay, lambda x: x <= 0.3),
        )
    )
    return out


def _unseen(run: dict[str, Any], key: str) -> float | None:
    part = run.get(key)
    return float(part["sent"] - part["failed"] - part["seen"]) if part else None


def _statistics(runs: Runs) -> list[Row]:
    out = []
    lines = over_runs(runs, at("stats_load.sale_lines"))
    for key, label in STATS.items():
        p50 = over_runs(runs, at(f"stats.{key}.p50_ms"))
        p99 = over_runs(runs, at(f"stats.{key}.p99_ms"))
        one = over_runs(runs, at(f"stats.{key}_c1.p50_ms"))
        out.append(
            Row(
                f"statistics over {show(lines)} sale lines: {label} (gateway, c8)",
                f"p50 {show(p50, 1)} / p99 {show(p99, 1)} ms, "
                f"{show(over_runs(runs, at(f'stats.{key}.per_second')))} req/s; "
                f"at one connection p50 {show(one, 1)} ms",
                "",
                "",
                "≤ 50 ms (p50)",
                verdict(p50, lambda x: x <= 50),
            )
        )
    return out


def _resources(runs: Runs) -> list[Row]:
    out = []
    cpu = {p: over_runs(runs, at(f"sale.gateway.cpu_ms_per_request.{p}")) for p in PROCESSES}
    bare = over_runs(runs, at("sale.bare.cpu_ms_per_request.bare"))
    out.append(
        Row(
            "CPU ms per sale through the gateway, by process",
            ", ".join(f"{p} {show(v, 2)}" for p, v in cpu.items()),
            f"bare endpoint {show(bare, 2)} ms",
            "",
            "",
            "",
        )
    )
    for process in PROCESSES:
        peak = over_runs(runs, lambda run, p=process: _peak_rss(run, p))
        out.append(
            Row(
                f"RSS of {process} under load (peak over the run's scenarios)",
                f"{show(peak)} MB",
                f"bare endpoint {show(over_runs(runs, lambda run: _peak_rss(run, 'bare')))} MB",
                "",
                "≤ 150 MB" if process != "nats" else "",
                verdict(peak, lambda x: x <= 150) if process != "nats" else "",
            )
        )
    return out


def _peak_rss(run: dict[str, Any], process: str) -> float | None:
    peaks = [
        part["rss_mb"][process]
        for group in run.values()
        if isinstance(group, dict)
        for part in (group, *[v for v in group.values() if isinstance(v, dict)])
        if isinstance(part.get("rss_mb"), dict) and process in part["rss_mb"]
    ]
    return max(peaks) if peaks else None


def problems(runs: Runs) -> list[str]:
    """Scenarios that failed, and those with refused answers (with the first one)."""
    out = []
    for n, run in enumerate(runs, 1):
        for key, group in run.items():
            if not isinstance(group, dict):
                continue
            if "error" in group:
                out.append(f"run {n}, {key}: failed: {group['error']}")
                continue
            for name, part in group.items():
                if isinstance(part, dict) and part.get("errors"):
                    first = part.get("first_error") or ""
                    out.append(f"run {n}, {key} {name}: {part['errors']} errors; first: {first}")
                elif isinstance(part, dict) and "error" in part:
                    out.append(f"run {n}, {key} {name}: failed: {part['error']}")
            if group.get("errors") and isinstance(group["errors"], int):
                out.append(f"run {n}, {key}: {group['errors']} errors")
            if group.get("skipped_ticks"):
                out.append(
                    f"run {n}, {key}: {group['skipped_ticks']} ticks skipped (every placement's "
                    "previous month still unanswered: the platform was behind)"
                )
            if group.get("failed"):
                first = group.get("first_refusal") or ""
                out.append(f"run {n}, {key}: {group['failed']} requests refused; first: {first}")
    return out


def markdown(runs: Runs, meta: dict[str, Any]) -> str:
    text = (
        f"Runs: {len(runs)}; each figure is the median over the runs with (min–max); ratios are "
        "computed within each run, then summarised.\n\n"
        f"Load average during the runs (1-minute, sampled): {meta['load']}\n\n" + table(rows(runs))
    )
    for n, run in enumerate(runs, 1):
        prof = run.get("profile")
        if isinstance(prof, dict) and "self_time_by_package" in prof:
            shares = ", ".join(f"{k} {v}%" for k, v in prof["self_time_by_package"].items())
            text += (
                f"\n\nProfile (py-spy, run {n}) of {prof['process']} during the sale through the "
                f"gateway, self time by package: {shares}"
            )
    found = problems(runs)
    if found:
        text += "\n\nErrors seen:\n\n" + "\n".join(f"- {line}" for line in found)
    return text
