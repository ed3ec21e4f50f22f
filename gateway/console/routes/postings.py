"""A Haizhu partner's job postings: create (a draft), publish, close; who applied, and hiring an
applicant. Staff read every posting here too. The jobs service decides what each may do."""

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.forms import fen, flag, refusal, text, texts
from gateway.console.problems import N_
from gateway.console.web import ROOT, Page, Post, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)

POSTINGS = "/v1/jobs/postings"
STATUSES: dict[str, str] = {
    "draft": N_("Draft"),
    "open": N_("Open for applications"),
    "closed": N_("Closed"),
    "filled": N_("Filled"),
    "expired": N_("Expired"),
}
CATEGORIES: dict[str, str] = {
    "manufacturing": N_("Manufacturing"),
    "construction": N_("Construction"),
    "logistics": N_("Logistics"),
    "catering": N_("Catering"),
    "retail": N_("Retail"),
    "domestic_services": N_("Domestic services"),
    "cleaning_security": N_("Cleaning and security"),
    "healthcare_care": N_("Health and care"),
    "agriculture": N_("Agriculture"),
    "it_services": N_("IT services"),
    "other": N_("Other"),
}
EMPLOYMENT_TYPES: dict[str, str] = {
    "full_time": N_("Full time"),
    "part_time": N_("Part time"),
    "temporary": N_("Temporary"),
    "seasonal": N_("Seasonal"),
    "internship": N_("Internship"),
}
DONE = {
    "created": N_("The posting is saved as a draft. Publish it to show it on the job board."),
    "publish": N_("The posting is published on the job board."),
    "close": N_("The posting is closed."),
}
FIELDS = (
    "title",
    "category",
    "employment_type",
    "district",
    "address",
    "openings",
    "valid_through",
    "description",
    "requirements",
    "contact",
    "salary_min",
    "salary_max",
)


def _labels(web: Web) -> dict[str, Any]:
    return {
        "status_label": lambda s: web._(STATUSES[s]) if s in STATUSES else s,
        "category_label": lambda c: web._(CATEGORIES[c]) if c in CATEGORIES else c,
        "type_label": lambda t: web._(EMPLOYMENT_TYPES[t]) if t in EMPLOYMENT_TYPES else t,
    }


def _query(web: Web) -> dict[str, Any]:
    status = web.request.query_params.get("status", "")
    statuses = [status] if status in STATUSES else list(STATUSES)
    if web.has_role("partner"):
        return {"mine": "true", "status": statuses}
    return {"status": statuses}


async def _list_page(web: Web, status: int = 200, **extra: Any) -> Response:
    cursor = web.request.query_params.get("cursor")
    items, next_cursor = await web.api.page(POSTINGS, _query(web), cursor)
    return web.render(
        "postings.html",
        status=status,
        items=items,
        next_cursor=next_cursor,
        first_page=not cursor,
        chosen=web.request.query_params.get("status", ""),
        statuses=STATUSES,
        categories=CATEGORIES,
        employment_types=EMPLOYMENT_TYPES,
        can_post=web.has_role("partner"),
        form=extra.pop("form", {}),
        **_labels(web),
        **extra,
    )


@router.get("/postings")
async def postings(web: Page) -> Response:
    return await _list_page(web)


@router.post("/postings")
async def create(web: Post) -> Response:
    assert web.form is not None
    form = texts(web.form, *FIELDS)
    salary_min, salary_max = fen(form["salary_min"]), fen(form["salary_max"])
    if salary_min is None or salary_max is None:
        web.flash.append(("error", web._("Give the salaries in yuan, with at most two decimals.")))
        return await _list_page(web, status=422, form=form)
    body: dict[str, Any] = {
        k: form[k]
        for k in (
            "title",
            "category",
            "employment_type",
            "district",
            "address",
            "valid_through",
            "description",
            "requirements",
            "contact",
        )
    }
    body |= {
        "salary_min_fen": salary_min,
        "salary_max_fen": salary_max,
        "openings": int(form["openings"]) if form["openings"].isdigit() else 0,
        "housing": flag(web.form, "housing"),
        "meals": flag(web.form, "meals"),
        "travel": flag(web.form, "travel"),
    }
    try:
        posting = await web.api.post(POSTINGS, json=body)
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _list_page(web, status=exc.problem.status, form=form)
    return web.redirect(f"{ROOT}/postings/{posting['id']}?done=created")


@router.get("/postings.xlsx")
async def export(web: Page) -> Response:
    items, _complete = await web.api.everything(POSTINGS, _query(web))
    labels = _labels(web)
    columns = [
        Column(web._("Title")),
        Column(web._("Employer")),
        Column(web._("Category")),
        Column(web._("Employment type")),
        Column(web._("District")),
        Column(web._("Lowest monthly salary (yuan)"), "fen"),
        Column(web._("Highest monthly salary (yuan)"), "fen"),
        Column(web._("Openings"), "int"),
        Column(web._("Hires"), "int"),
        Column(web._("Status")),
        Column(web._("Valid through")),
        Column(web._("Published at (China time)"), "time"),
    ]
    rows = [
        [
            p["title"],
            p["employer"]["name"],
            labels["category_label"](p["category"]),
            labels["type_label"](p["employment_type"]),
            p["district"],
            p["salary_min_fen"],
            p["salary_max_fen"],
            p["openings"],
            p["hires"],
            labels["status_label"](p["status"]),
            p["valid_through"],
            p["published_at"],
        ]
        for p in items
    ]
    name = web._("Job postings")
    return xlsx_response(f"{name}.xlsx", workbook(name, columns, rows))


async def _detail(web: Web, posting_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    posting = await web.api.get(f"{POSTINGS}/{posting_id}")
    applicants: list[dict[str, Any]] = []
    if web.has_role("partner", "bureau_clerk", "bureau_approver", "auditor", "admin"):
        applicants, _complete = await web.api.everything(
            f"{POSTINGS}/{posting_id}/applications", {}
        )
    return web.render(
        "posting.html",
        status=status,
        posting=posting,
        applicants=applicants,
        is_owner=web.has_role("partner"),
        **_labels(web),
        **extra,
    )


@router.get("/postings/{posting_id}")
async def posting_page(posting_id: uuid.UUID, web: Page) -> Response:
    done = web.request.query_params.get("done")
    if done in DONE:
        web.flash.append(("ok", web._(DONE[done])))
    return await _detail(web, posting_id)


@router.post("/postings/{posting_id}/{action}")
async def change(posting_id: uuid.UUID, action: str, web: Post) -> Response:
    if action not in ("publish", "close"):
        return await _detail(web, posting_id, status=404)
    try:
        await web.api.post(f"{POSTINGS}/{posting_id}/{action}")
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _detail(web, posting_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/postings/{posting_id}?done={action}")


@router.post("/postings/{posting_id}/hires/{worker_id}")
async def hire(posting_id: uuid.UUID, worker_id: uuid.UUID, web: Post) -> Response:
    assert web.form is not None
    wage = fen(text(web.form, "monthly_wage"))
    if wage is None:
        web.flash.append(
            ("error", web._("Give the monthly wage in yuan, with at most two decimals."))
        )
        return await _detail(web, posting_id, status=422)
    body = {
        "worker_id": str(worker_id),
        "posting_id": str(posting_id),
        "start_date": text(web.form, "start_date"),
        "monthly_wage_fen": wage,
    }
    try:
        placement = await web.api.post(
            "/v1/jobs/placements",
            json=body,
            # A double click records one hire: the same key and body replay the first answer.
            headers={"Idempotency-Key": f"hire-{posting_id}-{worker_id}-{body['start_date']}"},
        )
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _detail(web, posting_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/placements/{placement['id']}?done=hired")
