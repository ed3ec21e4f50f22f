"""Placements and their monthly confirmations: a partner sees and confirms its own hires; the
bureau sees every placement and confirms those in workshops and dedicated posts (the jobs
service decides who may confirm which)."""

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.forms import fen, refusal, text
from gateway.console.problems import N_
from gateway.console.web import KINDS, ROOT, Page, Post, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)

PLACEMENTS = "/v1/jobs/placements"
STATUSES = {"active": N_("Active"), "ended": N_("Ended")}
DONE = {
    "hired": N_("The hire is recorded; confirm the months worked on the placement's page."),
    "confirmed": N_("The month is confirmed."),
}


def _filters(web: Web) -> dict[str, str]:
    params = web.request.query_params
    values = {"status": params.get("status", ""), "worker_id": params.get("worker_id", "")}
    if values["status"] not in STATUSES:
        values["status"] = ""
    try:
        values["worker_id"] = str(uuid.UUID(values["worker_id"])) if values["worker_id"] else ""
    except ValueError:
        values["worker_id"] = ""
    return values


async def _employers(web: Web) -> dict[str, dict[str, Any]]:
    """Employer names by id: a partner knows only itself; staff read the registry."""
    if web.has_role("partner"):
        me = await web.api.get("/v1/jobs/employers/me")
        return {me["id"]: me}
    employers, _complete = await web.api.everything("/v1/jobs/employers", {})
    return {e["id"]: e for e in employers}


def _status_label(web: Web) -> Any:
    return lambda s: web._(STATUSES[s]) if s in STATUSES else s


@router.get("/placements")
async def placements(web: Page) -> Response:
    filters = _filters(web)
    cursor = web.request.query_params.get("cursor")
    items, next_cursor = await web.api.page(PLACEMENTS, filters, cursor)
    return web.render(
        "placements.html",
        items=items,
        next_cursor=next_cursor,
        first_page=not cursor,
        filters=filters,
        statuses=STATUSES,
        employers=await _employers(web),
        status_label=_status_label(web),
    )


@router.get("/placements.xlsx")
async def export(web: Page) -> Response:
    items, _complete = await web.api.everything(PLACEMENTS, _filters(web))
    employers = await _employers(web)
    label = _status_label(web)
    columns = [
        Column(web._("Worker")),
        Column(web._("Employer")),
        Column(web._("Kind")),
        Column(web._("Township")),
        Column(web._("Start date")),
        Column(web._("Monthly wage (yuan)"), "fen"),
        Column(web._("Status")),
        Column(web._("Confirmed months")),
        Column(web._("Next month to confirm")),
        Column(web._("End date")),
    ]
    rows = [
        [
            p["worker_name"],
            employers.get(p["employer_id"], {}).get("name", ""),
            web._(KINDS.get(p["employer_kind"], p["employer_kind"])),
            p["township"],
            p["start_date"],
            p["monthly_wage_fen"],
            label(p["status"]),
            ", ".join(p["confirmed_months"]),
            p.get("next_month_to_confirm") or "",
            p.get("end_date") or "",
        ]
        for p in items
    ]
    name = web._("Placements")
    return xlsx_response(f"{name}.xlsx", workbook(name, columns, rows))


async def _detail(web: Web, placement_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    placement = await web.api.get(f"{PLACEMENTS}/{placement_id}")
    confirmations = await web.api.get(f"{PLACEMENTS}/{placement_id}/confirmations")
    employers = await _employers(web)
    may_confirm = web.has_role("partner") or (
        web.has_role("bureau_clerk", "bureau_approver", "admin")
        and placement["employer_kind"] != "haizhu_partner"
    )
    return web.render(
        "placement.html",
        status=status,
        placement=placement,
        confirmations=confirmations,
        employer=employers.get(placement["employer_id"]),
        may_confirm=may_confirm and placement["status"] == "active",
        status_label=_status_label(web),
        **extra,
    )


@router.get("/placements/{placement_id}")
async def placement_page(placement_id: uuid.UUID, web: Page) -> Response:
    done = web.request.query_params.get("done")
    if done in DONE:
        web.flash.append(("ok", web._(DONE[done])))
    return await _detail(web, placement_id)


@router.post("/placements/{placement_id}/confirmations")
async def confirm(placement_id: uuid.UUID, web: Post) -> Response:
    assert web.form is not None
    wage = fen(text(web.form, "wage_paid"))
    if wage is None:
        web.flash.append(("error", web._("Give the wage paid in yuan, with at most two decimals.")))
        return await _detail(web, placement_id, status=422)
    body = {"month": text(web.form, "month"), "wage_paid_fen": wage}
    try:
        await web.api.post(f"{PLACEMENTS}/{placement_id}/confirmations", json=body)
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _detail(web, placement_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/placements/{placement_id}?done=confirmed")
