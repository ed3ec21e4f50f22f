"""The worker registry for the bureau: register, find (name, the masked ID number's last
characters, township, poor-household flag), read and correct a record, with its audit."""

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.forms import flag, refusal, text, texts
from gateway.console.problems import N_
from gateway.console.web import ROOT, Page, Post, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)

WORKERS = "/v1/jobs/workers"
FILTERS = ("name", "id_last_digits", "township", "poor_household")
WRITERS = ("bureau_clerk", "bureau_approver", "admin")
DONE = {
    "registered": N_("The worker is registered."),
    "updated": N_("The worker's record is corrected; the change is in the history below."),
    "unchanged": N_("Nothing was changed."),
}
CHANGED_FIELDS = {
    "name": N_("Name"),
    "phone": N_("Phone"),
    "township": N_("Township"),
    "poor_household": N_("Registered poor household"),
    "skills": N_("Skills"),
}


def _filters(web: Web) -> dict[str, str]:
    params = web.request.query_params
    values = {name: params.get(name, "").strip() for name in FILTERS}
    if values["poor_household"] not in ("", "true", "false"):
        values["poor_household"] = ""
    return values


def _skills(raw: str) -> list[str]:
    return [s.strip() for s in raw.replace("，", ",").replace("、", ",").split(",") if s.strip()]


async def _list_page(web: Web, status: int = 200, **extra: Any) -> Response:
    filters = _filters(web)
    cursor = web.request.query_params.get("cursor")
    items: list[dict[str, Any]] = []
    next_cursor = None
    error = None
    try:
        items, next_cursor = await web.api.page(WORKERS, filters, cursor)
    except ApiError as exc:
        error = refusal(web, exc)
    return web.render(
        "workers.html",
        status=status,
        filters=filters,
        items=items,
        next_cursor=next_cursor,
        first_page=not cursor,
        error=error,
        can_write=web.has_role(*WRITERS),
        export_url=web.url(f"{ROOT}/workers.xlsx", **filters),
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/workers")
async def workers(web: Page) -> Response:
    return await _list_page(web)


@router.post("/workers")
async def register(web: Post) -> Response:
    assert web.form is not None
    form = texts(web.form, "name", "township", "skills")
    body: dict[str, Any] = {
        "name": form["name"],
        "national_id": text(web.form, "national_id"),
        "township": form["township"],
        "poor_household": flag(web.form, "poor_household"),
        "skills": _skills(form["skills"]),
    }
    if text(web.form, "phone"):
        body["phone"] = text(web.form, "phone")
    try:
        worker = await web.api.post(WORKERS, json=body)
    except ApiError as exc:
        existing = exc.problem.extra.get("existing_worker_id")
        web.flash.append(("error", refusal(web, exc)))
        # The ID number and phone are not sent back to the page: they are typed again.
        return await _list_page(
            web,
            status=exc.problem.status,
            form=form | {"poor_household": body["poor_household"]},
            existing=existing,
        )
    return web.redirect(f"{ROOT}/workers/{worker['id']}?done=registered")


@router.get("/workers.xlsx")
async def export(web: Page) -> Response:
    items, _complete = await web.api.everything(WORKERS, _filters(web))
    columns = [
        Column(web._("Name")),
        Column(web._("ID number (masked)")),
        Column(web._("Phone (masked)")),
        Column(web._("Township")),
        Column(web._("Registered poor household")),
        Column(web._("Skills")),
        Column(web._("Registered on")),
    ]
    rows = [
        [
            w["name"],
            w["national_id_masked"],
            w.get("phone_masked") or "",
            w["township"],
            web._("Yes") if w["poor_household"] else web._("No"),
            "、".join(w.get("skills") or []),
            w["registered_on"],
        ]
        for w in items
    ]
    return xlsx_response(f"{web._('Workers')}.xlsx", workbook(web._("Workers"), columns, rows))


def _shown(web: Web, field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return web._("Yes") if value else web._("No")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


async def _detail(web: Web, worker_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    worker = await web.api.get(f"{WORKERS}/{worker_id}")
    changes, _complete = await web.api.everything(f"{WORKERS}/{worker_id}/changes", {})
    history = [
        {
            "at": c["changed_at"],
            "by": c["changed_by_name"] or c["changed_by"],
            "reason": c["reason"],
            "fields": [
                (
                    web._(CHANGED_FIELDS.get(f["field"], f["field"])),
                    _shown(web, f["field"], f["old"]),
                    _shown(web, f["field"], f["new"]),
                )
                for f in c["changes"]
            ],
        }
        for c in changes
    ]
    return web.render(
        "worker.html",
        status=status,
        worker=worker,
        history=history,
        can_write=web.has_role(*WRITERS),
        **extra,
    )


@router.get("/workers/{worker_id}")
async def worker_page(worker_id: uuid.UUID, web: Page) -> Response:
    done = web.request.query_params.get("done")
    if done in DONE:
        web.flash.append(("ok", web._(DONE[done])))
    return await _detail(web, worker_id)


@router.post("/workers/{worker_id}")
async def correct(worker_id: uuid.UUID, web: Post) -> Response:
    assert web.form is not None
    before = await web.api.get(f"{WORKERS}/{worker_id}")
    form = texts(web.form, "name", "township", "skills", "reason")
    body: dict[str, Any] = {
        "name": form["name"],
        "township": form["township"],
        "poor_household": flag(web.form, "poor_household"),
        "skills": _skills(form["skills"]),
        "reason": form["reason"],
    }
    # The phone is shown masked: only a newly typed number (or "remove") changes it.
    if text(web.form, "phone"):
        body["phone"] = text(web.form, "phone")
    elif flag(web.form, "remove_phone"):
        body["phone"] = None
    try:
        after = await web.api.request("PATCH", f"{WORKERS}/{worker_id}", json=body)
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _detail(web, worker_id, status=exc.problem.status)
    changed = {k: v for k, v in after.json().items() if k != "created_at"} != {
        k: v for k, v in before.items() if k != "created_at"
    }
    return web.redirect(f"{ROOT}/workers/{worker_id}?done={'updated' if changed else 'unchanged'}")
