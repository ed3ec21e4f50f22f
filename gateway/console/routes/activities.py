"""Job fairs and training sessions for the bureau: organise one, record who attended (found by
ID number, typed into the form and sent in a request body, never a URL), and for training who
completed it. The jobs service decides dates and duplicates."""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.forms import refusal, text, texts
from gateway.console.problems import N_
from gateway.console.web import ROOT, Page, Post, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)

WRITERS = ("bureau_clerk", "bureau_approver", "admin")
DONE = {
    "created": N_("Saved."),
    "attended": N_("The attendance is recorded."),
    "completed": N_("The completion is recorded."),
}


@dataclass(frozen=True)
class Kind:
    slug: str  # the console's path
    api: str  # the jobs service's collection
    title: str
    one: str
    fields: tuple[str, ...]  # the form's fields, as the API names them


FAIRS = Kind(
    "fairs",
    "/v1/jobs/job-fairs",
    N_("Job fairs"),
    N_("Job fair"),
    ("name", "held_on", "location", "township", "description"),
)
TRAININGS = Kind(
    "trainings",
    "/v1/jobs/trainings",
    N_("Training sessions"),
    N_("Training session"),
    ("title", "topic", "provider", "starts_on", "ends_on", "location", "township"),
)


async def _list(web: Web, kind: Kind, status: int = 200, **extra: Any) -> Response:
    cursor = web.request.query_params.get("cursor")
    items, next_cursor = await web.api.page(kind.api, {}, cursor)
    return web.render(
        "activities.html",
        status=status,
        kind=kind,
        items=items,
        next_cursor=next_cursor,
        first_page=not cursor,
        can_write=web.has_role(*WRITERS),
        form=extra.pop("form", {}),
        **extra,
    )


async def _create(web: Web, kind: Kind) -> Response:
    assert web.form is not None
    form = texts(web.form, *kind.fields)
    body = {k: v for k, v in form.items() if v or k not in ("township",)}
    try:
        made = await web.api.post(kind.api, json=body)
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _list(web, kind, status=exc.problem.status, form=form)
    return web.redirect(f"{ROOT}/{kind.slug}/{made['id']}?done=created")


async def _export(web: Web, kind: Kind) -> Response:
    items, _complete = await web.api.everything(kind.api, {})
    if kind is FAIRS:
        columns = [
            Column(web._("Name")),
            Column(web._("Date")),
            Column(web._("Location")),
            Column(web._("Township")),
            Column(web._("Employers"), "int"),
            Column(web._("Attendees"), "int"),
        ]
        rows = [
            [
                f["name"],
                f["held_on"],
                f["location"],
                f.get("township") or "",
                len(f["employers"]),
                f["attendee_count"],
            ]
            for f in items
        ]
    else:
        columns = [
            Column(web._("Title")),
            Column(web._("Starts on")),
            Column(web._("Ends on")),
            Column(web._("Location")),
            Column(web._("Township")),
            Column(web._("Attendees"), "int"),
            Column(web._("Completed"), "int"),
        ]
        rows = [
            [
                t["title"],
                t["starts_on"],
                t["ends_on"],
                t["location"],
                t.get("township") or "",
                t["attendee_count"],
                t["completed_count"],
            ]
            for t in items
        ]
    name = web._(kind.title)
    return xlsx_response(f"{name}.xlsx", workbook(name, columns, rows))


async def _detail(
    web: Web, kind: Kind, item_id: uuid.UUID, status: int = 200, **extra: Any
) -> Response:
    item = await web.api.get(f"{kind.api}/{item_id}")
    attendance = await web.api.get(f"{kind.api}/{item_id}/attendees")
    # Fairs list worker ids; sessions list {worker_id, completed_on}.
    rows = [a if isinstance(a, dict) else {"worker_id": a} for a in attendance]
    workers = await asyncio.gather(
        *(web.api.get(f"/v1/jobs/workers/{r['worker_id']}") for r in rows)
    )
    for row, worker in zip(rows, workers, strict=True):
        row["worker"] = worker
    return web.render(
        "activity.html",
        status=status,
        kind=kind,
        item=item,
        attendees=rows,
        can_write=web.has_role(*WRITERS),
        **extra,
    )


async def _attend(web: Web, kind: Kind, item_id: uuid.UUID) -> Response:
    assert web.form is not None
    try:
        worker = await web.api.post(
            "/v1/jobs/workers/lookup", json={"national_id": text(web.form, "national_id")}
        )
    except ApiError as exc:
        message = (
            web._("No worker is registered with this ID number; register them first.")
            if exc.problem.status == 404
            else refusal(web, exc)
        )
        web.flash.append(("error", message))
        return await _detail(web, kind, item_id, status=exc.problem.status)
    try:
        await web.api.post(f"{kind.api}/{item_id}/attendees", json={"worker_id": worker["id"]})
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _detail(web, kind, item_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/{kind.slug}/{item_id}?done=attended")


def _done(web: Web) -> None:
    done = web.request.query_params.get("done")
    if done in DONE:
        web.flash.append(("ok", web._(DONE[done])))


@router.get("/fairs")
async def fairs(web: Page) -> Response:
    return await _list(web, FAIRS)


@router.post("/fairs")
async def create_fair(web: Post) -> Response:
    return await _create(web, FAIRS)


@router.get("/fairs.xlsx")
async def fairs_export(web: Page) -> Response:
    return await _export(web, FAIRS)


@router.get("/fairs/{fair_id}")
async def fair(fair_id: uuid.UUID, web: Page) -> Response:
    _done(web)
    return await _detail(web, FAIRS, fair_id)


@router.post("/fairs/{fair_id}/attendees")
async def fair_attendee(fair_id: uuid.UUID, web: Post) -> Response:
    return await _attend(web, FAIRS, fair_id)


@router.get("/trainings")
async def trainings(web: Page) -> Response:
    return await _list(web, TRAININGS)


@router.post("/trainings")
async def create_training(web: Post) -> Response:
    return await _create(web, TRAININGS)


@router.get("/trainings.xlsx")
async def trainings_export(web: Page) -> Response:
    return await _export(web, TRAININGS)


@router.get("/trainings/{session_id}")
async def training(session_id: uuid.UUID, web: Page) -> Response:
    _done(web)
    return await _detail(web, TRAININGS, session_id)


@router.post("/trainings/{session_id}/attendees")
async def training_attendee(session_id: uuid.UUID, web: Post) -> Response:
    return await _attend(web, TRAININGS, session_id)


@router.post("/trainings/{session_id}/completions/{worker_id}")
async def completion(session_id: uuid.UUID, worker_id: uuid.UUID, web: Post) -> Response:
    assert web.form is not None
    body = {"worker_id": str(worker_id), "completed_on": text(web.form, "completed_on")}
    try:
        await web.api.post(f"{TRAININGS.api}/{session_id}/completions", json=body)
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _detail(web, TRAININGS, session_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/trainings/{session_id}?done=completed")
