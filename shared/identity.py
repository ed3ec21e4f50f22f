"""Who is calling. The gateway authenticates the caller and passes a short-lived signed token in
``X-EW-Identity``; services verify it and trust nothing else (a request that reaches a service
directly without it gets 401). Object-level rules stay in each service."""

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.db import utcnow
from shared.errors import Forbidden, Unauthorized
from shared.runtime import service_runtime

IDENTITY_HEADER = "X-EW-Identity"
AUDIENCE = "eastwest-services"
ISSUER = "eastwest-gateway"

Role = Literal["partner", "store", "bureau_clerk", "bureau_approver", "auditor", "admin"]
ROLES: tuple[Role, ...] = (
    "partner",
    "store",
    "bureau_clerk",
    "bureau_approver",
    "auditor",
    "admin",
)
STAFF_ROLES: tuple[Role, ...] = ("bureau_clerk", "bureau_approver", "auditor", "admin")


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    principal_id: str  # the user's or the API key's id
    kind: Literal["user", "api_key"]
    role: Role
    subject_id: str | None = None  # the store or partner organisation the credential is bound to
    name: str = ""

    @property
    def actor(self) -> str:
        """How audit trails name this caller."""
        return f"{self.kind}:{self.principal_id}"


def sign_identity(identity: Identity, secret: str, *, ttl_seconds: int = 60) -> str:
    now = utcnow()
    claims = identity.model_dump() | {
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_identity(token: str, secret: str) -> Identity:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("The identity passed by the gateway is invalid or expired.") from exc
    try:
        return Identity.model_validate({k: claims.get(k) for k in Identity.model_fields})
    except ValidationError as exc:
        # Correctly signed but not an identity this version knows (a role it does not have, a
        # missing principal): still no identity, so 401 like any other bad token, never a 500.
        raise Unauthorized(
            "The identity passed by the gateway is not one this service understands."
        ) from exc


async def current_identity(request: Request) -> Identity:
    cached = getattr(request.state, "identity", None)
    if cached is not None:
        return cached
    token = request.headers.get(IDENTITY_HEADER)
    if not token:
        raise Unauthorized("Call this API through the gateway with an API key or a login token.")
    secret = service_runtime(request).settings.identity_secret.get_secret_value()
    identity = verify_identity(token, secret)
    request.state.identity = identity
    return identity


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Identity]]:
    """Dependency that lets only the given roles through (deny by default)."""
    allowed = frozenset(roles)

    async def dependency(identity: CurrentIdentity) -> Identity:
        if identity.role not in allowed:
            raise Forbidden(
                f"The role '{identity.role}' may not do this; it needs one of: "
                f"{', '.join(sorted(allowed))}."
            )
        return identity

    return dependency


async def optional_identity(request: Request) -> Identity | None:
    """For public endpoints that show more to an authenticated caller."""
    if not request.headers.get(IDENTITY_HEADER):
        return None
    return await current_identity(request)


OptionalIdentity = Annotated[Identity | None, Depends(optional_identity)]
