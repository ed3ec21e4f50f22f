"""Dependencies of the gateway's own routes: the caller, admin-only access, load-by-id."""

from typing import Annotated

from fastapi import Depends, Request

from gateway import repository
from gateway.errors import ApiKeyNotFound, CredentialRequired, RateLimited, UserNotFound
from gateway.models import ApiKey, User
from gateway.proxy import CALLER_STATE
from gateway.runtime import GatewayRuntime
from shared.errors import Forbidden
from shared.identity import Identity
from shared.loader import loader


def get_runtime(request: Request) -> GatewayRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, GatewayRuntime)
    return runtime


RuntimeDep = Annotated[GatewayRuntime, Depends(get_runtime)]


def client_address(request: Request) -> str:
    return get_runtime(request).client_address(request.scope)


async def caller(request: Request, runtime: RuntimeDep) -> Identity:
    """The authenticated caller (API key or login token), within its rate limit. On the admin
    API and the caller's own account the credential was checked before the body was read
    (gateway.proxy.GatewayMiddleware), and is not looked up twice."""
    identity: Identity | None = getattr(request.state, CALLER_STATE, None)
    if identity is None:
        identity = await runtime.auth.authenticate(
            request.headers.get("authorization"), client_address(request)
        )
    if identity is None:
        raise CredentialRequired()
    retry_after = await runtime.limiter.acquire(f"{identity.kind}:{identity.principal_id}")
    if retry_after is not None:
        raise RateLimited(retry_after)
    return identity


Caller = Annotated[Identity, Depends(caller)]


async def admin(identity: Caller) -> Identity:
    if identity.role != "admin":
        raise Forbidden(f"Only an admin may do this; you are '{identity.role}'.")
    return identity


Admin = Annotated[Identity, Depends(admin)]


async def login_rate_limit(request: Request, runtime: RuntimeDep) -> None:
    """Failed logins are counted per client address (by the login route); once that budget is
    spent the address gets 429 before any password is checked. Unlike an API key a password can
    be guessed, so here the budget is consulted first: a 200 among 429s would tell a guesser the
    password at full speed. Successful logins spend nothing."""
    retry_after = await runtime.login_limiter.blocked(client_address(request))
    if retry_after is not None:
        raise RateLimited(retry_after)


UserById = Annotated[User, Depends(loader(repository.get_user, UserNotFound, param="user_id"))]
ApiKeyById = Annotated[
    ApiKey, Depends(loader(repository.get_api_key, ApiKeyNotFound, param="key_id"))
]
