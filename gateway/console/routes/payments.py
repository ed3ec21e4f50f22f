"""Payment batches: make one from the ready applications, export the bank file (in the encoding
and amount unit the bank reads), download it again, upload the bank's result file, see paid and
failed lines with their reasons, replace a beneficiary's bank account and send failed payments
to a new batch.

The bank file is offered in GBK with amounts in yuan by default: what Chinese banks' bulk
payment (代发) templates and Excel on Chinese Windows read without garbling names, with amounts
as banks write them (yuan, two decimals; computed from fen exactly by the service). GB18030 is
there for a name with a character GBK lacks (the service refuses such a GBK file, naming the
lines), UTF-8 with BOM for banks that take Unicode, and the platform's original UTF-8 + fen."""

import asyncio
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
    "payee": N_(
        "The bank account was replaced. Another clerk must export a batch paying it "
        "(four-eyes rule)."
    ),
}
PAYEES = "/v1/subsidies/payees"
APPLICATIONS = "/v1/subsidies/applications"
# (value, label) in the order offered; the first is the default.
ENCODINGS = (
    ("gbk", N_("GBK (banks, Excel on Chinese Windows)")),
    ("gb18030", N_("GB18030 (for rare characters in names)")),
    ("utf-8-sig", N_("UTF-8 with BOM")),
    ("utf-8", N_("UTF-8 without BOM (the original format)")),
)
AMOUNTS = (
    ("yuan", N_("Yuan, two decimals (500.00)")),
    ("fen", N_("Fen, whole numbers (50000)")),
)
BENEFICIARY_KINDS = ("worker", "employer", "workshop")
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


def file_format(values: Any) -> dict[str, str]:
    """The bank file's format chosen in a form or query (GBK and yuan unless chosen)."""
    encoding = str(values.get("encoding") or "")
    amounts = str(values.get("amounts") or "")
    return {
        "encoding": encoding if encoding in dict(ENCODINGS) else ENCODINGS[0][0],
        "amounts": amounts if amounts in dict(AMOUNTS) else AMOUNTS[0][0],
    }


async def _optional(web: Web, path: str, params: Any = None) -> Any:
    try:
        return await web.api.get(path, params)
    except ApiError as exc:
        if exc.problem.status == 401:
            raise
        return None


async def failed_payments(web: Web, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each failed line with its application and its beneficiary's account now: whether that
    account was replaced since (only then may the payment be sent again: never to the account
    that failed) and whether the application still waits for it (state ``failed``)."""
    failed = [line for line in lines if line["status"] == "failed"]
    if not failed:
        return []
    app_ids = list(dict.fromkeys(line["application_id"] for line in failed))
    apps = dict(
        zip(
            app_ids,
            await asyncio.gather(*(_optional(web, f"{APPLICATIONS}/{a}") for a in app_ids)),
            strict=True,
        )
    )
    beneficiaries = list(dict.fromkeys(a["beneficiary_id"] for a in apps.values() if a))
    found = await asyncio.gather(
        *(_optional(web, PAYEES, {"beneficiary_id": b, "limit": 200}) for b in beneficiaries)
    )
    current: dict[str, dict[str, Any] | None] = {}
    for beneficiary, page in zip(beneficiaries, found, strict=True):
        active = [p for p in (page or {}).get("items", []) if p["active"]]
        current[beneficiary] = active[-1] if active else None
    rows = []
    for line in failed:
        app = apps.get(line["application_id"])
        account = current.get(app["beneficiary_id"]) if app else None
        replaced = account is not None and account["id"] != line["payee_id"]
        rows.append(
            {
                "line": line,
                "app": app,
                "account": account,
                "replaced": replaced,
                "can_retry": bool(app and app["state"] == "failed" and replaced),
            }
        )
    return rows


async def _batch_page(web: Web, batch_id: uuid.UUID, status: int = 200, **extra: Any) -> Response:
    batch = await web.api.get(f"{BATCHES}/{batch_id}")
    paid = sum(1 for line in batch["lines"] if line["status"] == "paid")
    failed = sum(1 for line in batch["lines"] if line["status"] == "failed")
    return web.render(
        "batch.html",
        status=status,
        batch=batch,
        paid=paid,
        failed=failed,
        retries=await failed_payments(web, batch["lines"]),
        encodings=[(value, web._(label)) for value, label in ENCODINGS],
        amounts=[(value, web._(label)) for value, label in AMOUNTS],
        **extra,
    )


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
    assert web.form is not None
    try:
        response = await web.api.request(
            "POST", f"{BATCHES}/{batch_id}/export", params=file_format(web.form)
        )
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, "export")))
        problems = exc.problem.extra.get("problems") or []
        return await _batch_page(web, batch_id, status=exc.problem.status, problems=problems)
    return web.finish(_file(response))


@router.get("/batches/{batch_id}/file")
async def download(batch_id: uuid.UUID, web: Page) -> Response:
    try:
        response = await web.api.request(
            "GET",
            f"{BATCHES}/{batch_id}/file",
            params=file_format(web.request.query_params),
        )
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, "export")))
        problems = exc.problem.extra.get("problems") or []
        return await _batch_page(web, batch_id, status=exc.problem.status, problems=problems)
    return web.finish(_file(response))


@router.post("/batches/retry")
async def retry_failed(web: Post) -> Response:
    """Failed payments whose account was replaced, sent to a new batch (named: all or
    nothing, as the API makes a batch of named applications)."""
    assert web.form is not None
    ids = [str(v) for v in web.form.getlist("application_id")]
    back = str(web.form.get("batch_id") or "")
    try:
        back_id = uuid.UUID(back)
    except ValueError:
        back_id = None
    if not ids:
        web.flash.append(("error", web._("Choose at least one failed payment to send again.")))
        if back_id is None:
            return await _batches_page(web, status=422)
        return await _batch_page(web, back_id, status=422)
    try:
        batch = await web.api.post(BATCHES, json={"application_ids": ids})
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc, "retry")))
        problems = exc.problem.extra.get("problems") or []
        if back_id is None:
            return await _batches_page(web, status=exc.problem.status, skipped=problems)
        return await _batch_page(web, back_id, status=exc.problem.status, problems=problems)
    return web.redirect(f"{ROOT}/batches/{batch['id']}?done=made")


def _safe_back(target: str) -> str:
    if target.startswith(f"{ROOT}/") and not target.startswith("//"):
        return target
    return f"{ROOT}/batches"


async def _payee_page(
    web: Web, kind: str, beneficiary_id: uuid.UUID, status: int = 200, **extra: Any
) -> Response:
    page = await web.api.get(PAYEES, {"beneficiary_id": str(beneficiary_id), "limit": 200})
    back = _safe_back(
        str((web.form.get("back") if web.form else None) or web.request.query_params.get("back"))
    )
    return web.render(
        "payee.html",
        status=status,
        kind=kind,
        beneficiary_id=str(beneficiary_id),
        payees=page["items"],
        back=back,
        **extra,
    )


@router.get("/payees/{kind}/{beneficiary_id}")
async def payee_page(kind: str, beneficiary_id: uuid.UUID, web: Page) -> Response:
    if kind not in BENEFICIARY_KINDS:
        return web.render("error.html", status=404, message=web._("There is no such page."))
    return await _payee_page(web, kind, beneficiary_id)


@router.post("/payees/{kind}/{beneficiary_id}")
async def replace_payee(kind: str, beneficiary_id: uuid.UUID, web: Post) -> Response:
    """Register (or replace) the beneficiary's bank account; shown masked from then on."""
    assert web.form is not None
    if kind not in BENEFICIARY_KINDS:
        return web.render("error.html", status=404, message=web._("There is no such page."))
    fields = {
        name: str(web.form.get(name) or "").strip()
        for name in ("holder_name", "account_number", "bank_name")
    }
    kept = {"holder_name": fields["holder_name"], "bank_name": fields["bank_name"]}
    if not all(fields.values()):
        web.flash.append(("error", web._("Give the holder's name, the account and the bank.")))
        return await _payee_page(web, kind, beneficiary_id, status=422, form=kept)
    try:
        await web.api.post(
            PAYEES,
            json={"beneficiary_kind": kind, "beneficiary_id": str(beneficiary_id)} | fields,
        )
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc)))
        return await _payee_page(web, kind, beneficiary_id, status=exc.problem.status, form=kept)
    back = _safe_back(str(web.form.get("back") or ""))
    separator = "&" if "?" in back else "?"
    return web.redirect(f"{back}{separator}done=payee")


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
