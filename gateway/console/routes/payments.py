"""Payment batches: make one from the ready applications, export the bank file, download it
again, upload the bank's result file, see paid and failed lines with their reasons."""

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.problems import N_
from gateway.console.web import ROOT, Page, Post, Web

router = APIRouter(prefix=ROOT, include_in_schema=False)

BATCHES = "/v1/subsidies/batches"
DONE = {
    "made": N_("The batch was made."),
    "discard": N_("The batch was discarded; its applications are ready for payment again."),
}
FILE_HEADERS = ("content-type", "content-disposition", "cache-control")


async def _batches_page(web: Web, status: int = 200, **extra: Any) -> Response:
    cursor = web.request.query_params.get("cursor")
    batches, next_cursor = await web.api.page(BATCHES, {}, cursor)
    funds, _ = await web.api.everything("/v1/subsidies/funds", {})
    return web.render(
        "batches.html",
        status=status,
        batches=batches,
        next_cursor=next_cursor,
        first_page=not cursor,
        funds=funds,
        **extra,
    )


@router.get("/batches")
async def batches(web: Page) -> Response:
    return await _batches_page(web)


@router.post("/batches")
async def make_batch(web: Post) -> Response:
    assert web.form is not None
    body: dict[str, Any] = {}
    fund_id = str(web.form.get("fund_id") or "")
    if fund_id:
        body["fund_id"] = fund_id
    try:
        batch = await web.api.post(BATCHES, json=body)
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, "batch")))
        skipped = exc.problem.extra.get("skipped") or exc.problem.extra.get("problems") or []
        return await _batches_page(web, status=exc.problem.status, skipped=skipped)
    if not batch["skipped"]:
        return web.redirect(f"{ROOT}/batches/{batch['id']}?done=made")
    # Those left out are shown with the batch (they are in this answer only).
    web.flash.append(("ok", web._(DONE["made"])))
    return await _batch_page(web, uuid.UUID(batch["id"]), status=201, skipped=batch["skipped"])


@router.get("/batches.xlsx")
async def batches_export(web: Page) -> Response:
    items, _ = await web.api.everything(BATCHES, {})
    columns = [
        Column(web._("Batch")),
        Column(web._("State")),
        Column(web._("Lines"), "int"),
        Column(web._("Total (yuan)"), "fen"),
        Column(web._("Created at (China time)"), "time"),
        Column(web._("Exported at (China time)"), "time"),
        Column(web._("Reconciled at (China time)"), "time"),
    ]
    rows = [
        [
            b["id"],
            web.state(b["state"]),
            b["line_count"],
            b["total_fen"],
            b["created_at"],
            b["exported_at"],
            b["reconciled_at"],
        ]
        for b in items
    ]
    return xlsx_response(
        f"{web._('Payment batches')}.xlsx", workbook(web._("Payment batches"), columns, rows)
    )


async def _batch_page(web: Web, batch_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    batch = await web.api.get(f"{BATCHES}/{batch_id}")
    paid = sum(1 for line in batch["lines"] if line["status"] == "paid")
    failed = sum(1 for line in batch["lines"] if line["status"] == "failed")
    return web.render("batch.html", status=status, batch=batch, paid=paid, failed=failed, **extra)


@router.get("/batches/{batch_id}")
async def batch_page(batch_id: uuid.UUID, web: Page) -> Response:
    done = web.request.query_params.get("done")
    if done in DONE:
        web.flash.append(("ok", web._(DONE[done])))
    return await _batch_page(web, batch_id)


@router.get("/batches/{batch_id}.xlsx")
async def batch_export(batch_id: uuid.UUID, web: Page) -> Response:
    batch = await web.api.get(f"{BATCHES}/{batch_id}")
    columns = [
        Column(web._("Line"), "int"),
        Column(web._("Application")),
        Column(web._("Account (masked)")),
        Column(web._("Amount (yuan)"), "fen"),
        Column(web._("Result")),
        Column(web._("Bank reference")),
        Column(web._("Failure reason")),
    ]
    rows = [
        [
            line["line_no"],
            line["application_id"],
            line["account_number"],
            line["amount_fen"],
            web.state(line["status"]),
            line.get("bank_reference") or "",
            line.get("failure_reason") or "",
        ]
        for line in batch["lines"]
    ]
    name = web._("Payment batch")
    return xlsx_response(f"{name} {batch_id}.xlsx", workbook(name, columns, rows))


def _file(response: Any) -> Response:
    """The bank file exactly as the API gives it (bytes and headers)."""
    headers = {k: v for k, v in response.headers.items() if k.lower() in FILE_HEADERS}
    return Response(response.content, status_code=200, headers=headers)


@router.post("/batches/{batch_id}/export")
async def export(batch_id: uuid.UUID, web: Post) -> Response:
    try:
        response = await web.api.request("POST", f"{BATCHES}/{batch_id}/export")
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, "export")))
        return await _batch_page(web, batch_id, status=exc.problem.status)
    return web.finish(_file(response))


@router.get("/batches/{batch_id}/file")
async def download(batch_id: uuid.UUID, web: Page) -> Response:
    try:
        response = await web.api.request("GET", f"{BATCHES}/{batch_id}/file")
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, "export")))
        return await _batch_page(web, batch_id, status=exc.problem.status)
    return web.finish(_file(response))


@router.post("/batches/{batch_id}/discard")
async def discard(batch_id: uuid.UUID, web: Post) -> Response:
    assert web.form is not None
    reason = str(web.form.get("reason") or "").strip()
    if not reason:
        web.flash.append(("error", web._("Give a reason for discarding the batch.")))
        return await _batch_page(web, batch_id, status=422)
    try:
        await web.api.post(f"{BATCHES}/{batch_id}/discard", json={"reason": reason})
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc)))
        return await _batch_page(web, batch_id, status=exc.problem.status)
    return web.redirect(f"{ROOT}/batches/{batch_id}?done=discard")


@router.post("/batches/{batch_id}/results")
async def upload_results(batch_id: uuid.UUID, web: Post) -> Response:
    assert web.form is not None
    upload = web.form.get("file")
    if not isinstance(upload, UploadFile):
        web.flash.append(("error", web._("Choose the bank's result file.")))
        return await _batch_page(web, batch_id, status=422)
    content = await upload.read()
    try:
        result = await web.api.post(
            f"{BATCHES}/{batch_id}/results",
            content=content,
            headers={"Content-Type": "text/csv"},
        )
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc)))
        problems = exc.problem.extra.get("problems") or []
        return await _batch_page(web, batch_id, status=exc.problem.status, problems=problems)
    web.flash.append(
        (
            "ok",
            web._("Bank result applied: %(paid)d paid, %(failed)d failed, %(pending)d pending.")
            % {"paid": result["paid"], "failed": result["failed"], "pending": result["pending"]},
        )
    )
    return await _batch_page(web, batch_id, result=result)
