"""The end of a run: each published figure beside what the platform's statistics APIs show."""

from typing import Any

from deploy.demo.client import Actor, Api
from deploy.demo.scenario import Plan


async def figures(
    api: Api, auditor: Actor, codes: dict[str, str], notices: dict[str, str] | None = None
) -> dict[str, int]:
    """The platform's own figures, read as a leader (auditor) would, all time; for the
    programs in ``notices``, what their public notice shows, read as anyone would (no login)."""
    jobs = await api.json(auditor, "GET", "/v1/jobs/statistics")
    sales = await api.json(auditor, "GET", "/v1/products/statistics")
    out = {
        "jobs_offered": jobs["jobs_offered"],
        "job_fairs": jobs["job_fairs_held"],
        "training_sessions": jobs["training_sessions"],
        "people_trained_poor": jobs["people_trained_poor"],
        "stable_employment_poor": jobs["workers_in_stable_employment_poor"],
        "workshops": jobs["workshops"],
        "workshop_workers_poor": jobs["workshop_workers_poor"],
        "stores": sales["stores"]["total"],
        "grams": sales["total"]["grams"],
        "revenue_fen": sales["total"]["fen"],
    }
    for code, platform_code in codes.items():
        paid = await api.json(
            auditor, "GET", "/v1/subsidies/statistics/paid", params={"program_code": platform_code}
        )
        out[f"paid:{code}"] = paid["total_paid_fen"]
    for code, platform_code in (notices or {}).items():
        board = await notice_board(api, platform_code)
        out[f"notice:{code}"] = sum(entry["amount_fen"] for entry in board)
    return out


async def notice_board(api: Api, program_code: str) -> list[dict[str, Any]]:
    """Every entry of a program's public notice (公示), read without credentials."""
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"program_code": program_code, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        body = await api.json(None, "GET", "/v1/subsidies/notices", params=params)
        entries += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return entries


def expected(plan: Plan) -> dict[str, int]:
    """Every figure the run must add: the targets; each program's paid total, or, for a
    program with a public notice of days (the real clock cannot pass them in a run), nothing
    paid yet and its whole total in notice."""
    out = dict(plan.targets)
    for prog in plan.programs:
        out[f"paid:{prog.code}"] = 0 if prog.notice_days else prog.paid_fen
        if prog.notice_days:
            out[f"notice:{prog.code}"] = prog.paid_fen
    return out


LABELS = {
    "jobs_offered": ("海珠提供就业岗位", "jobs offered"),
    "job_fairs": ("联合招聘会 (场)", "job fairs"),
    "training_sessions": ("劳务培训 (期)", "training sessions"),
    "people_trained_poor": ("培训建档立卡贫困人口", "registered-poor trained"),
    "stable_employment_poor": ("建档立卡贫困人口稳定就业", "registered-poor in stable employment"),
    "workshops": ("扶贫车间 (个)", "workshops"),
    "workshop_workers_poor": ("车间吸纳贫困人口就业", "poor people employed in workshops"),
    "stores": ("旗舰店/展销中心 (家)", "flagship stores / centres"),
    "grams": ("销售特产 (吨)", "tonnes sold"),
    "revenue_fen": ("销售额 (元)", "sales revenue (yuan)"),
}


def _show(key: str, value: int) -> str:
    if key == "grams":
        return f"{value // 1_000_000}.{value % 1_000_000:06d}".rstrip("0").rstrip(".")
    if key == "revenue_fen" or key.startswith(("paid:", "notice:")):
        return f"{value // 100:,}.{value % 100:02d}"
    return f"{value:,}"


def table(plan: Plan, before: dict[str, int], after: dict[str, int]) -> tuple[str, bool]:
    """Rows of (figure, target, platform, ✓/✗); the platform's value is what the run added
    when the platform was not empty before it."""
    labels = dict(LABELS)
    for prog in plan.programs:
        labels[f"paid:{prog.code}"] = (f"{prog.name} 已发放 (元)", f"paid, {prog.code}")
        labels[f"notice:{prog.code}"] = (
            f"{prog.name} 公示中 (元)",
            f"in public notice ({prog.notice_days} d), {prog.code}",
        )
    rows, ok = [], True
    for key, target in expected(plan).items():
        got = after.get(key, 0) - before.get(key, 0)
        match = got == target
        ok &= match
        zh, en = labels[key]
        rows.append((f"{zh} / {en}", _show(key, target), _show(key, got), "✓" if match else "✗"))
    widths = [
        max(_width(r[i]) for r in [*rows, ("figure", "published", "platform", "")])
        for i in range(4)
    ]
    lines = [_row(("figure", "published", "statistics API", "match"), widths)]
    lines.append("-" * (sum(widths) + 9))
    lines += [_row(r, widths) for r in rows]
    return "\n".join(lines), ok


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    out = []
    for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
        pad = " " * (w - _width(cell))
        out.append(cell + pad if i == 0 else pad + cell)
    return " | ".join(out)
