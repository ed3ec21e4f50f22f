"""The gateway's own API: staff login, and the admin's users and API keys."""

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import repository, service
from gateway.dependencies import (
    Admin,
    ApiKeyById,
    Caller,
    RuntimeDep,
    UserById,
    client_address,
    login_rate_limit,
)
from gateway.errors import InvalidLogin
from gateway.models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    IdentityPublic,
    LoginRequest,
    PasswordChange,
    TokenResponse,
    User,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from gateway.security import issue_staff_token
from gateway.subjects import check_subject
from shared.db import SessionDep
from shared.errors import Forbidden
from shared.identity import Role
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page

# At the gateway a 401 is about the credential itself, not about which door was used.
SAID = {401: "No valid credential: send `Authorization: Bearer <API key or login token>`."}

auth_router = APIRouter(prefix="/v1/auth", tags=["auth"])
admin_router = APIRouter(
    prefix="/v1/admin", tags=["admin"], responses=responses(401, 403, 422, 429, descriptions=SAID)
)


# --- auth --------------------------------------------------------------------------------------


@auth_router.post(
    "/login",
    operation_id="login",
    summary="Log in as a staff user",
    response_model=TokenResponse,
    dependencies=[Depends(login_rate_limit)],
    responses=responses(
        401, 422, 429, descriptions={401: "Wrong username or password, or the account is disabled."}
    ),
    openapi_extra={"security": []},
)
async def login(
    data: LoginRequest, request: Request, session: SessionDep, runtime: RuntimeDep
) -> TokenResponse:
    """Exchange a username and password for a short-lived token. Send it as
    `Authorization: Bearer <access_token>` on every call; log in again when it expires."""
    try:
        user = await service.login(session, data.username, data.password)
    except InvalidLogin:
        await runtime.login_limiter.acquire(client_address(request))
        raise
    ttl = runtime.settings.token_ttl_seconds
    token = issue_staff_token(str(user.id), runtime.settings.staff_token_key(), ttl)
    return TokenResponse(access_token=token, expires_in=ttl)


@auth_router.get(
    "/me",
    operation_id="whoami",
    summary="Who the credential belongs to",
    response_model=IdentityPublic,
    responses=responses(401, 429, descriptions=SAID),
)
async def whoami(identity: Caller) -> IdentityPublic:
    """The role and subject (store or partner organisation) the services will see for this
    credential."""
    return IdentityPublic.model_validate(identity.model_dump())


@auth_router.post(
    "/password",
    operation_id="change_password",
    summary="Change my password",
    status_code=204,
    responses=responses(401, 403, 422, 429, descriptions=SAID),
)
async def change_password(
    data: PasswordChange, identity: Caller, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """For logged-in staff: give the current password and a new one (at least 12 characters).
    Every login token of the account, this one included, stops working: log in again."""
    if identity.kind != "user":
        raise Forbidden("API keys have no password; an admin creates a new key instead.")
    user = await repository.get_user(session, uuid.UUID(identity.principal_id))
    if user is None:
        raise Forbidden("This user no longer exists.")
    await service.change_password(session, user, data.current_password, data.new_password)
    _forget_now_and_after_commit(session, lambda: runtime.auth.forget_user(user.id))
    return Response(status_code=204)


# --- admin: users ------------------------------------------------------------------------------


@admin_router.post(
    "/users",
    operation_id="create_user",
    summary="Create a user",
    status_code=201,
    response_model=UserPublic,
    responses=responses(
        409, 503, descriptions={503: "The subject's service cannot be asked; no user was made."}
    ),
)
async def create_user(
    data: UserCreate, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> User:
    """People log in with a username and password (at least 12 characters) and act with one
    role: staff as `bureau_clerk`, `bureau_approver`, `auditor` or `admin`; the HR person of a
    Haizhu partner as `partner` and a store manager as `store`, each bound by `subject_id` to
    their organisation (which must exist, as for an API key: 422 otherwise, 503 when its
    service cannot be asked). Services see a partner or store user exactly as they see that
    organisation's API key."""
    await check_subject(
        runtime.http, runtime.upstreams, runtime.signer.header(admin), data.role, data.subject_id
    )
    return await service.create_user(session, data)


@admin_router.get(
    "/users", operation_id="list_users", summary="List staff users", response_model=Page[UserPublic]
)
async def list_users(
    _admin: Admin, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    items, next_cursor = await repository.list_users(session, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@admin_router.get(
    "/users/{user_id}",
    operation_id="get_user",
    summary="One staff user",
    response_model=UserPublic,
    responses=responses(404),
)
async def get_user(_admin: Admin, user: UserById) -> User:
    return user


@admin_router.patch(
    "/users/{user_id}",
    operation_id="update_user",
    summary="Change, disable or re-enable a user",
    response_model=UserPublic,
    responses=responses(
        404, 409, 503, descriptions={503: "The subject's service cannot be asked; nothing changed."}
    ),
)
async def update_user(
    data: UserUpdate, admin: Admin, user: UserById, session: SessionDep, runtime: RuntimeDep
) -> User:
    """A disabled user cannot log in, and tokens already issued stop working within seconds.
    Setting `password` resets it (tell the person by another channel). A new role takes
    effect on the user's next request; a `partner` or `store` role needs its `subject_id` in
    the same change (checked like a new user's)."""
    role, subject_id = service.binding_after(user, data)
    if subject_id is not None and subject_id != user.subject_id:
        await check_subject(
            runtime.http, runtime.upstreams, runtime.signer.header(admin), role, subject_id
        )
    updated = await service.update_user(session, user, data, actor_user_id=admin.principal_id)
    _forget_now_and_after_commit(session, lambda: runtime.auth.forget_user(user.id))
    return updated


# --- admin: API keys ---------------------------------------------------------------------------


@admin_router.post(
    "/api-keys",
    operation_id="create_api_key",
    summary="Create an API key",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=responses(
        503, descriptions={503: "The subject's service cannot be asked; no key was created."}
    ),
)
async def create_api_key(
    data: ApiKeyCreate, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> ApiKeyCreated:
    """A key for a machine client, bound to one role and, for `store` and `partner`, to the
    store or partner organisation it acts for (which must exist: 422 otherwise, 503 when its
    service cannot be asked). The `key` is in this response only: the platform keeps just its
    hash and its visible prefix."""
    await check_subject(
        runtime.http, runtime.upstreams, runtime.signer.header(admin), data.role, data.subject_id
    )
    row, key = await service.create_api_key(session, data, created_by=admin.actor)
    runtime.auth.key_created(row.prefix)
    return ApiKeyCreated.model_validate(row.model_dump() | {"key": key})


@admin_router.get(
    "/api-keys",
    operation_id="list_api_keys",
    summary="List API keys",
    response_model=Page[ApiKeyPublic],
)
async def list_api_keys(
    _admin: Admin,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    role: Role | None = None,
    subject_id: uuid.UUID | None = None,
    include_revoked: bool = Query(default=True, description="Also list revoked keys."),
) -> dict[str, Any]:
    """Keys are listed by prefix and name; the keys themselves are never shown again."""
    items, next_cursor = await repository.list_api_keys(
        session,
        cursor=cursor,
        limit=limit,
        filters={"role": role, "subject_id": subject_id, "include_revoked": include_revoked},
    )
    return {"items": items, "next_cursor": next_cursor}


@admin_router.get(
    "/api-keys/{key_id}",
    operation_id="get_api_key",
    summary="One API key",
    response_model=ApiKeyPublic,
    responses=responses(404),
)
async def get_api_key(_admin: Admin, key: ApiKeyById) -> ApiKey:
    return key


@admin_router.delete(
    "/api-keys/{key_id}",
    operation_id="revoke_api_key",
    summary="Revoke an API key",
    status_code=204,
    responses=responses(404),
)
async def revoke_api_key(
    admin: Admin, key: ApiKeyById, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The key stops working at once on this gateway and within seconds everywhere. Revoking
    an already revoked key changes nothing."""
    await service.revoke_api_key(session, key, revoked_by=admin.actor)
    _forget_now_and_after_commit(session, lambda: runtime.auth.forget_key(key.id))
    return Response(status_code=204)


def _forget_now_and_after_commit(session: AsyncSession, forget: Callable[[], None]) -> None:
    # Also after the commit: a request racing this one could re-read the old row meanwhile.
    forget()
    event.listen(session.sync_session, "after_commit", lambda _s: forget(), once=True)
