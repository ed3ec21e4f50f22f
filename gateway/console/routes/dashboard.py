"""The cooperation dashboard: the program's figures for a period, as numbers and bar charts, and
the live feed of platform activity (server-sent events).

Every figure is read from a statistics API of the service that owns it (jobs, products,
subsidies) with the viewer's token; the console only lays them out. Sums it shows are the APIs'
own totals, never added up here."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from gateway.console.client import ApiError
from gateway.console.excel import Column, Sheet, workbook_of, xlsx_response
from gateway.console.feed import ActivityFeed, Item, describe, sse
from gateway.console.formatting import CHINA
from gateway.console.problems import N_
from gateway.console.web import (
    ROOT,
    SECURITY_HEADERS,
    AnonymousPage,
    LoginRequired,
    Page,
    Web,
    console_of,
    keep_token_fresh,
)

router = APIRouter(prefix=ROOT, include_in_schema=False)

ROLES = ("bureau_clerk", "bureau_approver", "auditor", "admin")
PRESETS = {"month": N_("This month"), "year": N_("This year"), "all": N_("All time")}
SALES_GROUPS = ("store", "category", "township", "month")
CATEGORIES: dict[str, str] = {
    "tea": N_("Tea"),
    "vegetables": N_("Vegetables"),
    "medicinal_herbs": N_("Medicinal herbs"),
    "fruit": N_("Fruit"),
    "poultry": N_("Poultry"),
    "pork": N_("Pork"),
    "other": N_("Other"),
}
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class Period:
    start: date | None
    end: date | None
    preset: str  # month, year, all or "" (dates chosen by hand)

    @property
    def from_month(self) -> str | None:
        return self.start.strftime("%Y-%m") if self.start else None

    @property
    def to_month(self) -> str | None:
        return self.end.strftime("%Y-%m") if self.end else None

    def query(self) -> dict[str, str]:
        if self.preset:
            return {"preset": self.preset}
        return {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }


def today_in_china(web: Web) -> date:
    return datetime.fromtimestamp(web.console.now(), CHINA).date()


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def period_of(params: dict[str, str], today: date) -> Period:
    """The period asked for: a preset, or from/to dates (either may be open); all by default."""
    start, end = _day(params.get("from")), _day(params.get("to"))
    preset = params.get("preset", "")
    if preset not in PRESETS:
        preset = "" if (start or end) else "all"
    if preset == "month":
        return Period(today.replace(day=1), today, preset)
    if preset == "year":
        return Period(today.replace(month=1, day=1), today, preset)
    if preset == "all":
        return Period(None, None, preset)
    if start and end and start > end:
        start, end = end, start
    return Period(start, end, "")


def bars(
    rows: list[dict[str, Any]], label: Callable[[dict[str, Any]], str], value: str
) -> list[dict[str, Any]]:
    """Rows of a bar chart: the label, the API's value, and the bar's length in percent of the
    largest (integer arithmetic; a bar of a non-zero value is never shorter than 1%)."""
    largest = max((abs(int(r[value])) for r in rows), default=0)
    chart = []
    for row in rows:
        amount = abs(int(row[value]))
        width = amount * 100 // largest if largest else 0
        chart.append({"label": label(row), "row": row, "width": max(width, 1 if amount else 0)})
    return chart


async def _figures(web: Web, period: Period) -> dict[str, Any]:
    """Every statistics call of the page, at once; a service that refuses or is down leaves its
    part empty with the reason, and the rest of the page stands."""
    days = {"date_from": period.start, "date_to": period.end}
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "jobs": ("/v1/jobs/statistics", {"from": period.start, "to": period.end}),
        "subsidies": (
            "/v1/subsidies/statistics",
            {"from_month": period.from_month, "to_month": period.to_month},
        ),
        "programs": ("/v1/subsidies/programs", {"limit": 200}),
        # Paid per program by the day the bank paid (settlement date, China time).
        "paid": ("/v1/subsidies/statistics/paid", {"from": period.start, "to": period.end}),
        **{
            f"sales_{group}": ("/v1/products/statistics", days | {"group_by": group})
            for group in SALES_GROUPS
        },
    }

    async def call(path: str, params: dict[str, Any]) -> Any:
        query = {k: str(v) for k, v in params.items() if v is not None}
        try:
            return await web.api.get(path, query)
        except ApiError as exc:
            if exc.problem.status == 401:
                raise
            return {"error": web.problem(exc)}

    names = list(calls)
    answers = await asyncio.gather(*(call(*calls[n]) for n in names))
    return dict(zip(names, answers, strict=True))


def _category(web: Web) -> Callable[[dict[str, Any]], str]:
    return lambda r: (
        web._(CATEGORIES[r["category"]]) if r["category"] in CATEGORIES else (r["category"] or "")
    )


def _sales_charts(web: Web, figures: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    labels: dict[str, Callable[[dict[str, Any]], str]] = {
        "store": lambda r: r["store_name"] or "",
        "category": _category(web),
        "township": lambda r: r["township"] or "",
        "month": lambda r: r["month"] or "",
    }
    charts = {}
    for group in SALES_GROUPS:
        answer = figures[f"sales_{group}"]
        rows = answer.get("rows", []) if "error" not in answer else []
        charts[group] = bars(rows, labels[group], "fen")
    return charts


def _subsidy_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Per program and fund: what the subsidies statistics give, with the fund's budget."""
    stats = figures["subsidies"]
    if "error" in stats:
        return []
    funds = {f["fund_id"]: f for f in stats["funds"]}
    programs = figures["programs"]
    names = {p["code"]: p["name"] for p in programs.get("items", [])} if programs else {}
    rows = []
    for row in stats["rows"]:
        fund = funds.get(row["fund_id"], {})
        rows.append(
            row
            | {
                "program_name": names.get(row["program_code"], row["program_code"]),
                "fund_name": fund.get("name", ""),
                "budget_fen": fund.get("budget_fen", 0),
            }
        )
    return rows


def _paid_chart(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Subsidies paid per program in the period (by settlement date), as bars."""
    paid = figures["paid"]
    rows = paid.get("rows", []) if "error" not in paid else []
    return bars(rows, lambda r: r["program_name"], "paid_fen")


def _require_role(web: Web) -> Response | None:
    if web.role not in ROLES:
        return web.render(
            "error.html", status=403, message=web._("This page is for the bureau's staff.")
        )
    return None


def feed_of(request: Request) -> ActivityFeed | None:
    feed = getattr(request.app.state, "feed", None)
    return feed if isinstance(feed, ActivityFeed) else None


@router.get("/dashboard")
async def dashboard(web: Page) -> Response:
    refused = _require_role(web)
    if refused is not None:
        return refused
    period = period_of(dict(web.request.query_params), today_in_china(web))
    figures = await _figures(web, period)
    feed = feed_of(web.request)
    recent = [describe(i, web._) for i in feed.recent_for(web.role)] if feed else []
    return web.render(
        "dashboard.html",
        period=period,
        presets=[(key, web._(label)) for key, label in PRESETS.items()],
        jobs=figures["jobs"],
        sales=figures["sales_store"],
        charts=_sales_charts(web, figures),
        subsidies=figures["subsidies"],
        subsidy_rows=_subsidy_rows(figures),
        paid=figures["paid"],
        paid_chart=_paid_chart(figures),
        feed_online=bool(feed and feed.connected),
        recent=recent,
        export_url=web.url(f"{ROOT}/dashboard.xlsx", **period.query()),
    )


def _figure_rows(web: Web, jobs: dict[str, Any], sales: dict[str, Any]) -> list[list[Any]]:
    if "error" in jobs:
        return []
    names = [
        ("jobs_offered", N_("Jobs offered (openings)")),
        ("postings", N_("Postings published")),
        ("job_fairs_held", N_("Job fairs held")),
        ("training_sessions", N_("Training sessions")),
        ("people_trained", N_("People trained")),
        ("people_trained_poor", N_("of them registered poor")),
        ("placements", N_("Placements")),
        ("placements_poor", N_("of them registered poor")),
        ("workers_in_stable_employment", N_("People in stable employment")),
        ("workers_in_stable_employment_poor", N_("of them registered poor")),
        ("workshops", N_("Workshops")),
        ("workshops_employing", N_("Workshops employing")),
        ("workshop_workers", N_("People employed in workshops")),
        ("workshop_workers_poor", N_("of them registered poor")),
    ]
    rows: list[list[Any]] = [[web._(label), jobs[key], None] for key, label in names]
    rows.append([web._("Wages paid (yuan)"), None, jobs["total_wages_paid_fen"]])
    if "error" not in sales:
        total = sales["total"]
        rows.append([web._("Tonnes sold"), total["tonnes"], None])
        rows.append([web._("Sales revenue (yuan)"), None, total["fen"]])
        rows.append(
            [web._("Flagship stores and exhibition centres"), sales["stores"]["total"], None]
        )
    return rows


@router.get("/dashboard.xlsx")
async def dashboard_export(web: Page) -> Response:
    refused = _require_role(web)
    if refused is not None:
        return refused
    period = period_of(dict(web.request.query_params), today_in_china(web))
    figures = await _figures(web, period)
    charts = _sales_charts(web, figures)
    sales_columns = [
        Column(web._("Group")),
        Column(web._("Tonnes")),
        Column(web._("Revenue (yuan)"), "fen"),
    ]
    sheets = [
        Sheet(
            web._("Figures"),
            [Column(web._("Figure")), Column(web._("Value")), Column(web._("Yuan"), "fen")],
            _figure_rows(web, figures["jobs"], figures["sales_store"]),
        )
    ]
    titles = {
        "store": N_("Sales by store"),
        "category": N_("Sales by category"),
        "township": N_("Sales by township"),
        "month": N_("Sales by month"),
    }
    for group in SALES_GROUPS:
        rows = [[b["label"], b["row"]["tonnes"], b["row"]["fen"]] for b in charts[group]]
        sheets.append(Sheet(web._(titles[group]), sales_columns, rows))
    sheets += _subsidy_sheets(web, figures)
    return xlsx_response(f"{web._('Dashboard')}.xlsx", workbook_of(sheets))


def _subsidy_sheets(web: Web, figures: dict[str, Any]) -> list[Sheet]:
    """The dashboard workbook's two subsidy sheets: paid in the period, and per program."""
    return [
        Sheet(
            web._("Subsidies paid"),
            [
                Column(web._("Program")),
                Column(web._("Fund")),
                Column(web._("Payments"), "int"),
                Column(web._("Beneficiaries"), "int"),
                Column(web._("Paid in the period (yuan)"), "fen"),
                Column(web._("Fund budget (yuan)"), "fen"),
                Column(web._("Fund paid in all (yuan)"), "fen"),
            ],
            [
                [
                    b["label"],
                    b["row"]["fund_code"],
                    b["row"]["payments"],
                    b["row"]["beneficiaries"],
                    b["row"]["paid_fen"],
                    b["row"]["fund_budget_fen"],
                    b["row"]["fund_paid_fen"],
                ]
                for b in _paid_chart(figures)
            ],
        ),
        Sheet(
            web._("Subsidies"),
            [
                Column(web._("Program")),
                Column(web._("Fund")),
                Column(web._("Applications"), "int"),
                Column(web._("Paid (yuan)"), "fen"),
                Column(web._("Reserved (yuan)"), "fen"),
                Column(web._("Fund budget (yuan)"), "fen"),
            ],
            [
                [
                    r["program_name"],
                    r["fund_name"],
                    r["applications"],
                    r["paid_fen"],
                    r["reserved_fen"],
                    r["budget_fen"],
                ]
                for r in _subsidy_rows(figures)
            ],
        ),
    ]


async def _events(
    web: Web, feed: ActivityFeed, deadline: float, request: Request
) -> AsyncIterator[str]:
    listener = feed.listen(web.session.csrf, web.role)
    if listener is None:
        yield sse("status", {"online": False, "busy": True})
        return
    try:
        yield "retry: 5000\n\n"
        yield sse("status", {"online": feed.connected})
        while True:
            remaining = deadline - web.console.clock()
            if remaining <= 0 or await request.is_disconnected():
                return  # idle limit or token expiry: the browser reconnects and is asked again
            entry = await listener.next(min(KEEPALIVE_SECONDS, remaining))
            if listener.ended.is_set():
                yield sse("end", {"reason": "logged_out"})
                return
            if entry is None:
                yield ": keep-alive\n\n"
            elif isinstance(entry, Item):
                yield sse("activity", describe(entry, web._))
            else:
                yield sse("status", {"online": entry == "online"})
    finally:
        feed.forget(listener)


@router.get("/dashboard/feed")
async def live_feed(web: AnonymousPage) -> Response:
    """The live feed as server-sent events. Without a session (logged out, idle, expired) or a
    role that may see it: 204, which tells the browser's EventSource to stop reconnecting."""
    feed = feed_of(web.request)
    session = web.session
    if not session.signed_in or session.role not in ROLES or feed is None:
        return Response(status_code=204, headers=SECURITY_HEADERS)
    try:  # the login still stands (the user enabled, the password unchanged)
        await keep_token_fresh(web.request, session)
    except LoginRequired:
        return Response(status_code=204, headers=SECURITY_HEADERS)
    if session.role not in ROLES:
        return Response(status_code=204, headers=SECURITY_HEADERS)
    codec = console_of(web.request).codec(web.request)
    # The stream lasts as long as the session could without another request; its login token
    # is renewed by the pages, and checked again here on each reconnection.
    deadline = float(session.last_seen + codec.idle_seconds)
    headers = SECURITY_HEADERS | {"X-Accel-Buffering": "no"}
    response = StreamingResponse(
        _events(web, feed, deadline, web.request),
        media_type="text/event-stream",
        headers=headers,
    )
    # Not through web.finish(): the stream neither refreshes nor clears the session cookie.
    return response
