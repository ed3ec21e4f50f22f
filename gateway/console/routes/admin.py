"""Staff users and API keys (admins only; the gateway's admin API decides)."""

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.excel import Column, workbook, xlsx_response
from gateway.console.problems import N_
from gateway.console.web import ROOT, Page, Post, Web

router = APIRouter(prefix=f"{ROOT}/admin", include_in_schema=False)

STAFF_ROLES = ("bureau_clerk", "bureau_approver", "auditor", "admin")
KEY_ROLES = ("store", "partner", "auditor")
# People: staff, a partner's HR person and a store manager (bound to their organisation).
USER_ROLES = (*STAFF_ROLES, "partner", "store")
USER_DONE = {
    "updated": N_("The user's account is changed."),
}


async def _organisations(web: Web) -> dict[str, str]:
    """Partner organisations and stores by id, for binding a login to one (empty when a
    service cannot be asked: the page still works)."""
    names: dict[str, str] = {}
    for path, params, label in (
        ("/v1/jobs/employers", {"kind": "haizhu_partner"}, N_("Partner")),
        ("/v1/products/stores", {}, N_("Store")),
    ):
        try:
            items, _ = await web.api.everything(path, params)
        except ApiError:
            continue
        names |= {i["id"]: f"{web._(label)}: {i['name']}" for i in items}
    return names


async def _users_page(web: Web, status: int = 200, **extra: Any) -> Response:
    users, _ = await web.api.everything("/v1/admin/users", {})
    return web.render(
        "users.html",
        status=status,
        users=users,
        roles=USER_ROLES,
        organisations=await _organisations(web),
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/users")
async def users(web: Page) -> Response:
    created = web.request.query_params.get("created")
    if created:
        web.flash.append(("ok", web._("The user %(name)s was created.") % {"name": created}))
    done = web.request.query_params.get("done")
    if done in USER_DONE:
        web.flash.append(("ok", web._(USER_DONE[done])))
    return await _users_page(web)


@router.post("/users")
async def create_user(web: Post) -> Response:
    assert web.form is not None
    form = {
        k: str(web.form.get(k) or "").strip()
        for k in ("username", "display_name", "role", "subject_id")
    }
    body: dict[str, Any] = {k: form[k] for k in ("username", "display_name", "role")}
    body["password"] = str(web.form.get("password") or "")
    if form["subject_id"] and form["role"] in ("partner", "store"):
        body["subject_id"] = form["subject_id"]
    try:
        await web.api.post("/v1/admin/users", json=body)
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc)))
        return await _users_page(web, status=exc.problem.status, form=form)
    return web.redirect(web.url(f"{ROOT}/admin/users", created=form["username"]))


@router.post("/users/{user_id}")
async def update_user(user_id: uuid.UUID, web: Post) -> Response:
    """Change a user's role (and organisation), or disable or re-enable the account."""
    assert web.form is not None
    action = str(web.form.get("action") or "")
    body: dict[str, Any]
    if action == "disable":
        body = {"disabled": True}
    elif action == "enable":
        body = {"disabled": False}
    else:
        body = {"role": str(web.form.get("role") or "")}
        subject = str(web.form.get("subject_id") or "").strip()
        if subject and body["role"] in ("partner", "store"):
            body["subject_id"] = subject
    try:
        await web.api.request("PATCH", f"/v1/admin/users/{user_id}", json=body)
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc)))
        return await _users_page(web, status=exc.problem.status)
    return web.redirect(f"{ROOT}/admin/users?done=updated")


@router.get("/users.xlsx")
async def users_export(web: Page) -> Response:
    users, _ = await web.api.everything("/v1/admin/users", {})
    columns = [
        Column(web._("Username")),
        Column(web._("Name")),
        Column(web._("Role")),
        Column(web._("Disabled")),
        Column(web._("Created at (China time)"), "time"),
        Column(web._("Last login (China time)"), "time"),
    ]
    rows = [
        [
            u["username"],
            u["display_name"],
            u["role"],
            web._("Yes") if u["disabled"] else web._("No"),
            u["created_at"],
            u["last_login_at"],
        ]
        for u in users
    ]
    return xlsx_response(
        f"{web._('Staff users')}.xlsx", workbook(web._("Staff users"), columns, rows)
    )


async def _keys_page(web: Web, status: int = 200, **extra: Any) -> Response:
    keys, _ = await web.api.everything("/v1/admin/api-keys", {})
    return web.render(
        "api_keys.html",
        status=status,
        keys=keys,
        roles=KEY_ROLES,
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/api-keys")
async def api_keys(web: Page) -> Response:
    if web.request.query_params.get("revoked"):
        web.flash.append(("ok", web._("The key was revoked.")))
    return await _keys_page(web)


@router.post("/api-keys")
async def create_api_key(web: Post) -> Response:
    assert web.form is not None
    form = {k: str(web.form.get(k) or "").strip() for k in ("name", "role", "subject_id")}
    body: dict[str, Any] = {"name": form["name"], "role": form["role"]}
    if form["subject_id"]:
        body["subject_id"] = form["subject_id"]
    try:
        created = await web.api.post("/v1/admin/api-keys", json=body)
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc)))
        return await _keys_page(web, status=exc.problem.status, form=form)
    # Rendered, not redirected: the key is in this answer only (and the page is not cached).
    return await _keys_page(web, status=201, created=created)


@router.post("/api-keys/{key_id}/revoke")
async def revoke_api_key(key_id: uuid.UUID, web: Post) -> Response:
    try:
        await web.api.request("DELETE", f"/v1/admin/api-keys/{key_id}")
    except ApiError as exc:
        web.flash.append(("error", web.problem(exc)))
        return await _keys_page(web, status=exc.problem.status)
    return web.redirect(f"{ROOT}/admin/api-keys?revoked=1")


@router.get("/api-keys.xlsx")
async def api_keys_export(web: Page) -> Response:
    keys, _ = await web.api.everything("/v1/admin/api-keys", {})
    columns = [
        Column(web._("Prefix")),
        Column(web._("Name")),
        Column(web._("Role")),
        Column(web._("Store or partner")),
        Column(web._("Created at (China time)"), "time"),
        Column(web._("Revoked at (China time)"), "time"),
    ]
    rows = [
        [
            f"ew_{k['prefix']}_…",
            k["name"],
            k["role"],
            k.get("subject_id") or "",
            k["created_at"],
            k.get("revoked_at"),
        ]
        for k in keys
    ]
    return xlsx_response(f"{web._('API keys')}.xlsx", workbook(web._("API keys"), columns, rows))
