"""``Idempotency-Key`` for writes that clients retry (sales reports, approvals, payments).

* same key, same body  → the stored response again (``Idempotent-Replayed: true``), no new record;
* same key, other body → 422;
* same key while the first request is still running → 409.

The key is claimed in its own short transaction, so a concurrent request sees the claim; the
response is stored in the request's own transaction, so it exists exactly when the write does.
Keys are scoped per client (the store or organisation behind the credential).

Call :meth:`IdempotencyGuard.begin` before the request's session runs its first query: the claim
takes a connection of its own, and a request holding two connections at once can exhaust the
pool under load (seen in the products service's concurrency tests).
"""

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import column, delete, insert, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UTCDateTime, utcnow
from shared.errors import Conflict, Unprocessable

STALE_CLAIM = timedelta(minutes=5)  # a claim left by a crashed process may be taken over

keys_t = table(
    "idempotency_keys",
    column("scope"),
    column("key"),
    column("request_hash"),
    column("state"),
    column("status_code"),
    column("response_body"),
    column("created_at", UTCDateTime()),
)


def request_fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = json.dumps(jsonable_encoder(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


class IdempotencyGuard:
    def __init__(self, request: Request, key: str | None) -> None:
        self.request = request
        self.key = key
        self.scope: str | None = None
        self._claimed = False

    async def begin(self, session: AsyncSession, scope: str, payload: Any) -> JSONResponse | None:
        """Claim the key, or return the stored response of an earlier identical request."""
        if self.key is None:
            return None
        self.scope = scope
        fingerprint = request_fingerprint(self.request.method, self.request.url.path, payload)
        sessionmaker = self.request.app.state.sessionmaker
        try:
            async with sessionmaker() as claim, claim.begin():
                await claim.execute(
                    insert(keys_t).values(
                        scope=scope,
                        key=self.key,
                        request_hash=fingerprint,
                        state="in_flight",
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            async with sessionmaker() as seen, seen.begin():
                row = (
                    await seen.execute(
                        select(keys_t).where(keys_t.c.scope == scope, keys_t.c.key == self.key)
                    )
                ).one_or_none()
                if row is None:  # released between our insert and this read
                    raise Conflict(
                        "A request with this Idempotency-Key was just abandoned; retry it."
                    ) from None
                if row.request_hash != fingerprint:
                    raise Unprocessable(
                        "This Idempotency-Key was already used with a different request body. "
                        "Use a new key for a new request."
                    ) from None
                if row.state == "done":
                    return JSONResponse(
                        json.loads(row.response_body),
                        status_code=row.status_code,
                        headers={"Idempotent-Replayed": "true"},
                    )
                if utcnow() - row.created_at < STALE_CLAIM:
                    raise Conflict(
                        "A request with this Idempotency-Key is still being processed; "
                        "retry in a moment."
                    ) from None
                # Take over a claim left by a crashed process, if no one else just did.
                taken = await seen.execute(
                    update(keys_t)
                    .where(
                        keys_t.c.scope == scope,
                        keys_t.c.key == self.key,
                        keys_t.c.state == "in_flight",
                        keys_t.c.created_at == row.created_at,
                    )
                    .values(created_at=utcnow())
                )
                if getattr(taken, "rowcount", 0) != 1:
                    raise Conflict(
                        "A request with this Idempotency-Key is still being processed; "
                        "retry in a moment."
                    ) from None
        self._claimed = True
        session.info.setdefault("after_rollback", []).append(self.release)
        return None

    async def complete(self, session: AsyncSession, status_code: int, body: Any) -> None:
        """Store the response in the request's transaction."""
        if not self._claimed:
            return
        await session.execute(
            update(keys_t)
            .where(keys_t.c.scope == self.scope, keys_t.c.key == self.key)
            .values(
                state="done",
                status_code=status_code,
                response_body=json.dumps(jsonable_encoder(body)),
            )
        )

    async def release(self) -> None:
        if not self._claimed:
            return
        self._claimed = False
        async with self.request.app.state.sessionmaker() as s, s.begin():
            await s.execute(
                delete(keys_t).where(
                    keys_t.c.scope == self.scope,
                    keys_t.c.key == self.key,
                    keys_t.c.state == "in_flight",
                )
            )


async def _guard(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Client-chosen key; a retry with "
            "the same key and body returns the first "
            "response.",
        ),
    ] = None,
) -> AsyncIterator[IdempotencyGuard]:
    guard = IdempotencyGuard(request, idempotency_key)
    yield guard


IdempotencyDep = Annotated[IdempotencyGuard, Depends(_guard)]
