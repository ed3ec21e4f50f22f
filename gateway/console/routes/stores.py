"""Admins onboard the flagship stores from one spreadsheet: one row per store; each row creates
the store (unless a store of that name exists) and its API key (unless it has one), with a
result per row. Keys are shown once, on the answer to the upload. Uploading the same sheet again
creates nothing twice."""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.forms import read_upload
from gateway.console.onboarding import SheetError, StoreRow, read_stores
from gateway.console.problems import N_
from gateway.console.web import ROOT, Page, Post, Web

router = APIRouter(prefix=f"{ROOT}/admin", include_in_schema=False)

STORES = "/v1/products/stores"
KEYS = "/v1/admin/api-keys"
STORE_KINDS = {"flagship_store": N_("Flagship store"), "exhibition_centre": N_("Exhibition centre")}


@dataclass
class RowResult:
    line: int
    name: str
    ok: bool
    store: str = ""  # "created" or "existing"
    store_id: str = ""
    key: str = ""  # the new key (shown once), or empty
    key_prefix: str = ""  # the prefix of a key the store already had
    message: str = ""


async def _store_keys(web: Web) -> dict[str, dict[str, Any]]:
    keys, _complete = await web.api.everything(KEYS, {"role": "store", "include_revoked": "false"})
    return {k["subject_id"]: k for k in keys if k.get("subject_id")}


async def _page(web: Web, status: int = 200, **extra: Any) -> Response:
    stores, _complete = await web.api.everything(STORES, {})
    return web.render(
        "stores.html",
        status=status,
        stores=stores,
        keys=await _store_keys(web),
        store_kind=lambda k: web._(STORE_KINDS[k]) if k in STORE_KINDS else k,
        **extra,
    )


@router.get("/stores")
async def stores(web: Page) -> Response:
    return await _page(web)


@router.get("/stores.xlsx")
async def export(web: Page) -> Response:
    stores, _complete = await web.api.everything(STORES, {})
    keys = await _store_keys(web)
    columns = [
        Column(web._("Name")),
        Column(web._("Kind")),
        Column(web._("Address")),
        Column(web._("API key (prefix)")),
        Column(web._("Store id")),
        Column(web._("Created at (China time)"), "time"),
    ]
    rows = [
        [
            s["name"],
            web._(STORE_KINDS.get(s["kind"], s["kind"])),
            s["address"],
            f"ew_{keys[s['id']]['prefix']}_…" if s["id"] in keys else "",
            s["id"],
            s["created_at"],
        ]
        for s in stores
    ]
    name = web._("Stores")
    return xlsx_response(f"{name}.xlsx", workbook(name, columns, rows))


async def _onboard(
    web: Web, row: StoreRow, existing: dict[str, dict[str, Any]], keys: dict[str, Any]
) -> RowResult:
    result = RowResult(row.line, row.name, ok=False)
    if row.problems:
        result.message = " ".join(web._(p) for p in row.problems)
        return result
    store = existing.get(row.name)
    result.store = "existing" if store else "created"
    try:
        if store is None:
            store = await web.api.post(
                STORES, json={"name": row.name, "kind": row.kind, "address": row.address}
            )
            existing[row.name] = store
        result.store_id = store["id"]
        if store["id"] in keys:
            result.key_prefix = keys[store["id"]]["prefix"]
        else:
            created = await web.api.post(
                KEYS, json={"name": row.name[:200], "role": "store", "subject_id": store["id"]}
            )
            keys[store["id"]] = created
            result.key = created["key"]
    except ApiError as exc:
        result.message = web.problem(exc)
        return result
    result.ok = True
    return result


@router.post("/stores/onboard")
async def onboard(web: Post) -> Response:
    assert web.form is not None
    upload = web.form.get("file")
    content = await read_upload(upload)
    if content is None:
        web.flash.append(("error", web._("Choose the spreadsheet (.xlsx or .csv, at most 2 MiB).")))
        return await _page(web, status=422)
    filename = upload.filename if isinstance(upload, UploadFile) and upload.filename else ""
    try:
        rows = read_stores(filename, content)
    except SheetError as exc:
        web.flash.append(("error", web._(exc.message)))
        return await _page(web, status=422)
    current, _complete = await web.api.everything(STORES, {})
    existing = {s["name"]: s for s in current}
    keys = await _store_keys(web)
    # One row after the other: a row that fails says why, and the others still go through.
    results = [await _onboard(web, row, existing, keys) for row in rows]
    done = sum(1 for r in results if r.ok)
    web.flash.append(
        (
            "ok" if done == len(results) else "error",
            web._("%(done)d of %(total)d rows onboarded.") % {"done": done, "total": len(results)},
        )
    )
    # Rendered, not redirected: the new keys are in this answer only.
    return await _page(web, status=200, results=results)
