"""The public notice (公示名单): no login. The applications in their notice period, per program
and notice period, masked as the subsidies service gives them; an objection form for each entry
that reaches the clerks; printable.

Every call here is anonymous (``Api.anonymous``): the page is the same for a signed-in clerk as
for anyone, and an objection sent from it is the public's, never a clerk's. The form still
carries the CSRF token of the browser's session cookie (a session without login)."""

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import MAX_EXPORT_PAGES, PAGE_SIZE, Api, ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.formatting import CHINA, parse_time
from gateway.console.problems import N_
from gateway.console.web import ROOT, AnonymousPage, AnonymousPost, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)

NOTICES = "/v1/subsidies/notices"
FILTERS = ("program_code", "township")
RECEIVED = N_(
    "Your objection was received. The bureau's clerks will look into it before anyone is paid."
)


@dataclass
class Board:
    """The board as the API gives it, all pages (bounded), with its total."""

    items: list[dict[str, Any]]
    total: int
    complete: bool


@dataclass
class Group:
    """The entries of one program and notice period (their notice began and ends the same
    days, China time)."""

    program_code: str
    program_name: str
    starts: date | None
    ends: date | None
    items: list[dict[str, Any]] = field(default_factory=list)


def _filters(web: Web) -> dict[str, str]:
    params = web.request.query_params
    return {name: params.get(name, "").strip()[:200] for name in FILTERS}


async def board(api: Api, filters: dict[str, str]) -> Board:
    """Every entry of the board with these filters (pages of 200, at most 50,000 entries)."""
    query: dict[str, Any] = {k: v for k, v in filters.items() if v} | {"limit": PAGE_SIZE}
    items: list[dict[str, Any]] = []
    total = 0
    for _ in range(MAX_EXPORT_PAGES):
        body = await api.get(NOTICES, query)
        items.extend(body["items"])
        total = int(body["total"])
        if not body.get("next_cursor"):
            return Board(items, total, True)
        query["cursor"] = body["next_cursor"]
    return Board(items, total, False)


def _day(value: str | None) -> date | None:
    moment = parse_time(value)
    return moment.astimezone(CHINA).date() if moment else None


def groups(items: list[dict[str, Any]]) -> list[Group]:
    """Entries per program and notice period, in the board's order (oldest approval first)."""
    found: dict[tuple[str, date | None, date | None], Group] = {}
    for item in items:
        starts, ends = _day(item["notice_starts_at"]), _day(item["notice_ends_at"])
        key = (item["program_code"], starts, ends)
        if key not in found:
            found[key] = Group(item["program_code"], item["program_name"], starts, ends)
        found[key].items.append(item)
    return list(found.values())


def _options(items: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], list[str]]:
    programs = dict(sorted({(i["program_code"], i["program_name"]) for i in items}))
    townships = sorted({i["township"] for i in items if i["township"]})
    return list(programs.items()), townships


async def _page(
    web: Web,
    status: int = 200,
    *,
    open_entry: str = "",
    form: dict[str, str] | None = None,
    form_error: str = "",
) -> Response:
    api = web.api.anonymous()
    filters = _filters(web)
    error = None
    everything = shown = Board([], 0, True)
    try:
        everything = await board(api, {})
        shown = await board(api, filters) if any(filters.values()) else everything
    except ApiError as exc:
        error = web.problem(exc)
    programs, townships = _options(everything.items)
    if filters["program_code"] and filters["program_code"] not in dict(programs):
        programs.append((filters["program_code"], filters["program_code"]))
    if filters["township"] and filters["township"] not in townships:
        townships.append(filters["township"])
    return web.render(
        "notice.html",
        status=status,
        filters=filters,
        programs=programs,
        program_names=dict(programs),
        townships=townships,
        groups=groups(shown.items),
        total=shown.total,
        complete=shown.complete,
        error=error,
        open_entry=open_entry,
        form=form or {},
        form_error=form_error,
        export_url=web.url(f"{ROOT}/notice.xlsx", **filters),
    )


@router.get("/notice")
async def notice(web: AnonymousPage) -> Response:
    if web.request.query_params.get("sent") == "1":
        web.flash.append(("ok", web._(RECEIVED)))
    return await _page(web)


@router.post("/notice/{application_id}/objections")
async def object_publicly(application_id: uuid.UUID, web: AnonymousPost) -> Response:
    assert web.form is not None
    text = str(web.form.get("text") or "").strip()
    contact = str(web.form.get("contact") or "").strip()
    entry = str(application_id)
    kept = {"text": text, "contact": contact}
    if not text:
        return await _page(
            web,
            422,
            open_entry=entry,
            form=kept,
            form_error=web._("Write what is wrong with this entry."),
        )
    body: dict[str, Any] = {"text": text}
    if contact:
        body["contact"] = contact
    try:
        await web.api.anonymous().post(f"{NOTICES}/{application_id}/objections", json=body)
    except ApiError as exc:
        message = web.problem(exc, "object")
        return await _page(web, exc.problem.status, open_entry=entry, form=kept, form_error=message)
    filters = {k: v for k, v in _filters(web).items() if v}
    return web.redirect(web.url(f"{ROOT}/notice", sent="1", **filters))


@router.get("/notice.xlsx")
async def notice_export(web: AnonymousPage) -> Response:
    filters = _filters(web)
    found = await board(web.api.anonymous(), filters)
    columns = [
        Column(web._("Program")),
        Column(web._("Paid to")),
        Column(web._("Name (masked)")),
        Column(web._("ID number (masked)")),
        Column(web._("Township")),
        Column(web._("Month")),
        Column(web._("Amount (yuan)"), "fen"),
        Column(web._("Notice starts (China time)"), "time"),
        Column(web._("Notice ends (China time)"), "time"),
    ]
    rows = [
        [
            item["program_name"],
            item["beneficiary_name"] or "",
            person["name_masked"] or "",
            person["national_id_masked"] or "",
            person["township"],
            person["month"],
            person["amount_fen"],
            item["notice_starts_at"],
            item["notice_ends_at"],
        ]
        for item in found.items
        for person in item["people"]
    ]
    name = web._("Public notice")
    return xlsx_response(f"{name}.xlsx", workbook(name, columns, rows))
