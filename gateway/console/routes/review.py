"""The review queue: applications by program, state, fund and month; one application with what
a decision needs; verify, approve and reject, one by one or in bulk."""

import asyncio
import re
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.problems import N_, bulk_message
from gateway.console.web import ROOT, STATES, Page, Post, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)

APPLICATIONS = "/v1/subsidies/applications"
FILTERS = ("state", "program_code", "fund_id", "month", "township")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# What each role sees first in the queue.
DEFAULT_STATE = {"bureau_clerk": "pending_verification", "bureau_approver": "verified"}
DONE = {
    "verify": N_("The application is verified."),
    "approve": N_("The application is approved."),
    "reject": N_("The application is rejected."),
    "uphold": N_("The objection is upheld: the application is back in verification."),
    "dismiss": N_("The objection is dismissed: the notice goes on."),
    "payee": N_(
        "The bank account was replaced. Another clerk must export a batch paying it "
        "(four-eyes rule)."
    ),
}
OBJECTION_STATUS = {
    "open": N_("Open: awaiting a clerk"),
    "upheld": N_("Upheld"),
    "dismissed": N_("Dismissed"),
}


def _filters(web: Web) -> dict[str, str]:
    params = web.request.query_params
    values = {name: params.get(name, "").strip()[:200] for name in FILTERS}
    if "state" not in params:
        values["state"] = DEFAULT_STATE.get(web.role, "")
    if values["state"] not in STATES:
        values["state"] = ""
    if values["month"] and not MONTH.match(values["month"]):
        values["month"] = ""
    return values


async def _choices(web: Web) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    (programs, _), (funds, _) = await asyncio.gather(
        web.api.everything("/v1/subsidies/programs", {}),
        web.api.everything("/v1/subsidies/funds", {}),
    )
    return programs, funds


@router.get("/applications")
async def queue(web: Page) -> Response:
    filters = _filters(web)
    cursor = web.request.query_params.get("cursor")
    error = None
    items: list[dict[str, Any]] = []
    next_cursor = None
    total: int | None = None
    query: dict[str, Any] = {k: v for k, v in filters.items() if v} | {"limit": 50}
    if cursor:
        query["cursor"] = cursor
    try:
        body = await web.api.get(APPLICATIONS, query)
        items, next_cursor, total = body["items"], body.get("next_cursor"), body.get("total")
    except ApiError as exc:
        error = web.problem(exc)
    programs, funds = await _choices(web)
    return web.render(
        "applications.html",
        filters=filters,
        items=items,
        total=total,
        next_cursor=next_cursor,
        first_page=not cursor,
        programs=programs,
        program_names={p["code"]: p["name"] for p in programs},
        funds={f["id"]: f for f in funds},
        states=list(STATES)[:9],
        error=error,
        export_url=web.url(f"{ROOT}/applications.xlsx", **filters),
    )


@router.get("/applications.xlsx")
async def queue_export(web: Page) -> Response:
    filters = _filters(web)
    items, _complete = await web.api.everything(APPLICATIONS, filters)
    programs, _funds = await _choices(web)
    names = {p["code"]: p["name"] for p in programs}
    columns = [
        Column(web._("Application")),
        Column(web._("Program")),
        Column(web._("Rule version"), "int"),
        Column(web._("Month")),
        Column(web._("Township")),
        Column(web._("Beneficiary")),
        Column(web._("Amount (yuan)"), "fen"),
        Column(web._("State")),
        Column(web._("Created at (China time)"), "time"),
        Column(web._("Notice ends (China time)"), "time"),
    ]
    rows = [
        [
            a["id"],
            names.get(a["program_code"], a["program_code"]),
            a["program_version"],
            a["month"],
            a["township"],
            a["beneficiary_kind"],
            a["amount_fen"],
            web.state(a["state"]),
            a["created_at"],
            a["notice_ends_at"],
        ]
        for a in items
    ]
    content = workbook(web._("Applications"), columns, rows)
    return xlsx_response(f"{web._('Applications')}.xlsx", content)


async def _optional(web: Web, path: str) -> Any:
    """What a page can show without: None (and nothing shown) when the API refuses it."""
    try:
        return await web.api.get(path)
    except ApiError as exc:
        if exc.problem.status == 401:
            raise
        return None


async def _decision_facts(web: Web, app: dict[str, Any]) -> dict[str, Any]:
    worker_ids = list(dict.fromkeys(line["worker_id"] for line in app["lines"]))
    placement_ids = list(dict.fromkeys(line["placement_id"] for line in app["lines"]))
    fund, versions, audit, *people = await asyncio.gather(
        _optional(web, f"/v1/subsidies/funds/{app['fund_id']}"),
        _optional(web, f"/v1/subsidies/programs/{app['program_code']}/versions"),
        _optional(web, f"/v1/subsidies/audit?entity_id={app['id']}&limit=200"),
        *(_optional(web, f"/v1/jobs/workers/{w}") for w in worker_ids),
        *(_optional(web, f"/v1/jobs/placements/{p}") for p in placement_ids),
    )
    workers = dict(zip(worker_ids, people[: len(worker_ids)], strict=True))
    placements = dict(zip(placement_ids, people[len(worker_ids) :], strict=True))
    employer_ids = {p["employer_id"] for p in placements.values() if p}
    if app["beneficiary_kind"] in ("employer", "workshop"):
        employer_ids.add(app["beneficiary_id"])
    employer_list = list(employer_ids)
    found = await asyncio.gather(
        *(_optional(web, f"/v1/jobs/employers/{e}") for e in employer_list)
    )
    employers = dict(zip(employer_list, found, strict=True))
    rule = next((v for v in versions or [] if v.get("version") == app["program_version"]), None)
    return {
        "fund": fund,
        "rule": rule,
        "audit": (audit or {}).get("items") if audit is not None else None,
        "workers": workers,
        "placements": placements,
        "employers": employers,
    }


async def _detail(web: Web, application_id: uuid.UUID, **extra: Any) -> Response:
    app = await web.api.get(f"{APPLICATIONS}/{application_id}")
    facts = await _decision_facts(web, app)
    return web.render(
        "application.html",
        app=app,
        status=extra.pop("status", 200),
        objection_status=lambda s: web._(OBJECTION_STATUS[s]) if s in OBJECTION_STATUS else s,
        **facts,
        **extra,
    )


@router.get("/applications/{application_id}")
async def detail(application_id: uuid.UUID, web: Page) -> Response:
    done = web.request.query_params.get("done")
    if done in DONE:
        web.flash.append(("ok", web._(DONE[done])))
    return await _detail(web, application_id)


def _expected_amount(web: Web) -> int | None:
    assert web.form is not None
    value = str(web.form.get("expected_amount_fen") or "")
    return int(value) if value.isdigit() else None


@router.post("/applications/{application_id}/objections/{objection_id}/decision")
async def decide_objection(
    application_id: uuid.UUID, objection_id: uuid.UUID, web: Post
) -> Response:
    """A clerk upholds or dismisses an objection from the public, with a reason."""
    assert web.form is not None
    decision = str(web.form.get("decision") or "")
    reason = str(web.form.get("reason") or "").strip()
    if decision not in ("uphold", "dismiss"):
        web.flash.append(("error", web._("Choose to uphold or dismiss the objection.")))
        return await _detail(web, application_id, status=422)
    if not reason:
        web.flash.append(("error", web._("Give a reason for the decision on the objection.")))
        return await _detail(web, application_id, status=422)
    try:
        await web.api.post(
            f"{APPLICATIONS}/{application_id}/objections/{objection_id}/decision",
            json={"decision": decision, "reason": reason},
        )
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, "objection")))
        return await _detail(web, application_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/applications/{application_id}?done={decision}")


@router.post("/applications/{application_id}/{action}")
async def decide(application_id: uuid.UUID, action: str, web: Post) -> Response:
    assert web.form is not None
    if action not in ("verify", "approve", "reject"):
        return web.render("error.html", status=404, message=web._("There is no such page."))
    path = f"{APPLICATIONS}/{application_id}/{action}"
    try:
        if action == "reject":
            reason = str(web.form.get("reason") or "").strip()
            if not reason:
                web.flash.append(("error", web._("Give a reason for the rejection.")))
                return await _detail(web, application_id, status=422)
            await web.api.post(path, json={"reason": reason})
        else:
            body: dict[str, Any] = {}
            expected = _expected_amount(web)
            if expected is not None:
                body["expected_amount_fen"] = expected
            note = str(web.form.get("note") or "").strip()
            if note:
                body["note"] = note
            await web.api.post(path, json=body)
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, action)))
        return await _detail(web, application_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/applications/{application_id}?done={action}")


@router.post("/applications-bulk")
async def bulk(web: Post) -> Response:
    assert web.form is not None
    action = str(web.form.get("action") or "")
    ids = [str(v) for v in web.form.getlist("application_id")]
    if action not in ("verify", "approve") or not ids:
        web.flash.append(("error", web._("Choose at least one application and an action.")))
        return web.render("bulk.html", status=422, action=action, results=[], summary=None)
    try:
        result = await web.api.post(f"{APPLICATIONS}/bulk-{action}", json={"application_ids": ids})
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, action)))
        return web.render(
            "bulk.html", status=exc.problem.status, action=action, results=[], summary=None
        )
    results = [
        {
            "application_id": r["application_id"],
            "ok": r["ok"],
            "state": r.get("state"),
            "message": "" if r["ok"] else bulk_message(web._, action, r["status"], r.get("detail")),
        }
        for r in result["results"]
    ]
    return web.render("bulk.html", action=action, results=results, summary=result)
