"""A store manager's pages: the store's sales, a CSV of sales uploaded from the page with a
result per line, and closing a business day. The store is always the login's own (the products
service takes it from the credential, never from the page)."""

import hashlib
import re
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.forms import MAX_UPLOAD_BYTES, read_upload, refusal, text
from gateway.console.problems import N_
from gateway.console.web import ROOT, Page, Post, Web

router = APIRouter(prefix=f"{ROOT}/store", include_in_schema=False)

ME = "/v1/products/stores/me"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KINDS = {"sale": N_("Sale"), "correction": N_("Correction"), "void": N_("Void")}
# What a rejected line's code means, in words (the service's English reason is kept beside it).
LINE_CODES: dict[str, str] = {
    "unknown_sku": N_("Unknown product code (SKU)"),
    "archived_sku": N_("The product is no longer sold"),
    "non_positive_quantity": N_("The quantity must be at least 1"),
    "quantity_too_large": N_("The quantity is too large"),
    "negative_price": N_("The price cannot be negative"),
    "price_too_large": N_("The price is too large"),
    "future_sale_time": N_("The sale time is in the future"),
    "sale_time_out_of_range": N_("The sale time is out of range"),
    "invalid": N_("The line is not valid"),
    "invalid_row": N_("The row does not have the right fields"),
    "duplicate_in_batch": N_("This receipt appears twice in the file"),
    "duplicate_receipt": N_("This receipt was already recorded"),
    "day_closed": N_("The business day is already closed"),
    "conflicting_sold_at": N_("The rows of this receipt have different sale times"),
    "receipt_rejected": N_("Another row of this receipt was rejected"),
}


def _day(value: str) -> str:
    if DAY.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return ""
    return ""


def _kind_label(web: Web) -> Any:
    return lambda k: web._(KINDS[k]) if k in KINDS else k


async def _page(web: Web, status: int = 200, **extra: Any) -> Response:
    cursor = web.request.query_params.get("cursor")
    chosen = _day(web.request.query_params.get("day", ""))
    store = await web.api.get(ME)
    sales, next_cursor = await web.api.page(
        f"{ME}/sales", {"date_from": chosen, "date_to": chosen}, cursor
    )
    day = extra.pop("day", None)
    if day is None and chosen:
        day = await web.api.get(f"{ME}/days/{chosen}")
    return web.render(
        "store.html",
        status=status,
        store=store,
        sales=sales,
        next_cursor=next_cursor,
        first_page=not cursor,
        chosen=chosen,
        day=day,
        max_mib=MAX_UPLOAD_BYTES // (1024 * 1024),
        kind_of_sale=_kind_label(web),
        **extra,
    )


@router.get("")
async def store_page(web: Page) -> Response:
    if web.request.query_params.get("done") == "closed":
        web.flash.append(("ok", web._("The business day is closed.")))
    return await _page(web)


@router.get("/sales.xlsx")
async def export(web: Page) -> Response:
    chosen = _day(web.request.query_params.get("day", ""))
    sales, _complete = await web.api.everything(
        f"{ME}/sales", {"date_from": chosen, "date_to": chosen}
    )
    label = _kind_label(web)
    columns = [
        Column(web._("Receipt")),
        Column(web._("Kind")),
        Column(web._("Sold at (China time)"), "time"),
        Column(web._("Business day")),
        Column(web._("Units"), "int"),
        Column(web._("Weight (grams)"), "int"),
        Column(web._("Amount (yuan)"), "fen"),
    ]
    rows = [
        [
            s["receipt_number"],
            label(s["kind"]),
            s["sold_at"],
            s["business_date"],
            s["total_quantity"],
            s["total_grams"],
            s["total_fen"],
        ]
        for s in sales
    ]
    name = web._("Store sales")
    return xlsx_response(f"{name}.xlsx", workbook(name, columns, rows))


@router.post("/batches")
async def upload(web: Post) -> Response:
    assert web.form is not None
    content = await read_upload(web.form.get("file"))
    if content is None:
        web.flash.append(
            (
                "error",
                web._("Choose a CSV file of at most %(mib)d MiB.")
                % {"mib": MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        )
        return await _page(web, status=422)
    try:
        result = await web.api.post(
            f"{ME}/sales:batch",
            content=content,
            # The same file uploaded twice (a double click, a reload) is recorded once: the
            # service answers the second time with the first upload's result.
            headers={
                "Content-Type": "text/csv",
                "Idempotency-Key": "csv-" + hashlib.sha256(content).hexdigest(),
            },
        )
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _page(web, status=exc.problem.status)
    lines = [
        r
        | {
            "message": web._(LINE_CODES[r["code"]])
            if r.get("code") in LINE_CODES
            else (r.get("reason") or "")
        }
        for r in result["results"]
    ]
    web.flash.append(
        (
            "ok" if not result["sales_rejected"] else "error",
            web._("Upload done: %(accepted)d sales recorded, %(rejected)d rejected.")
            % {"accepted": result["sales_accepted"], "rejected": result["sales_rejected"]},
        )
    )
    return await _page(web, batch=result, lines=lines)


@router.post("/days/close")
async def close_day(web: Post) -> Response:
    assert web.form is not None
    chosen = _day(text(web.form, "day"))
    if not chosen:
        web.flash.append(("error", web._("Choose the business day to close.")))
        return await _page(web, status=422)
    try:
        day = await web.api.post(f"{ME}/days/{chosen}/close")
    except ApiError as exc:
        web.flash.append(("error", refusal(web, exc)))
        return await _page(web, status=exc.problem.status)
    return web.redirect(f"{ROOT}/store?day={day['business_date']}&done=closed")
