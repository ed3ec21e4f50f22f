"""``Idempotency-Key`` for writes that clients retry (sales reports, approvals, payments).

* same key, same body  → the stored response again (``Idempotent-Replayed: true``), no new record;
* same key, other body → 422;
* same key while the first request is still running → 409.

The key is claimed inside the request's own transaction: the claim and the stored response are
written together, so a request that fails, or a process that dies mid-request, leaves no claim
behind and a retry is served at once (no waiting for a claim to go stale). A concurrent twin
must not wait for the first request or write twice: on PostgreSQL the claim holds a
transaction-level advisory lock on the key, and a twin that cannot take it answers 409; on
SQLite every writing transaction holds the database's write lock (``BEGIN IMMEDIATE``, see
:func:`shared.db.sqlite_transactions`), so a twin waits for the first to commit and is answered
its stored response. Keys are scoped per client (the store or organisation behind the
credential).

Rows still ``in_flight`` once committed were claimed, in a transaction of their own, by a
version before this one (during a rolling upgrade the old process may still be working on them):
those alone keep the old rule and are taken over after :data:`STALE_CLAIM`.
"""

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import bindparam, column, select, table, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UTCDateTime, is_postgres, utcnow
from shared.errors import Conflict, Unprocessable
from shared.identity import Identity

STALE_CLAIM = timedelta(minutes=5)  # for claims committed by an earlier version (see above)

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


IN_FLIGHT = "A request with this Idempotency-Key is still being processed; retry in a moment."

# The claim on PostgreSQL in one round trip (it is on every idempotent write): take the key's
# advisory lock and, only if it was free, insert the claim. ``got`` false: a twin is running.
_PG_CLAIM = text(
    """
    WITH claim_lock AS (SELECT pg_try_advisory_xact_lock(:lock) AS got),
    claimed AS (
        INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at)
        SELECT CAST(:scope AS VARCHAR), CAST(:key AS VARCHAR), CAST(:request_hash AS VARCHAR),
               CAST(:state AS VARCHAR), CAST(:created_at AS TIMESTAMPTZ)
        FROM claim_lock WHERE claim_lock.got
        ON CONFLICT (scope, key) DO NOTHING
        RETURNING key
    )
    SELECT claim_lock.got, EXISTS (SELECT 1 FROM claimed) AS claimed FROM claim_lock
    """
).bindparams(bindparam("created_at", type_=UTCDateTime()))


def _lock_key(scope: str, key: str) -> int:
    """The key's PostgreSQL advisory-lock number (a signed 64-bit integer)."""
    digest = hashlib.sha256(f"idempotency\x00{scope}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class IdempotencyGuard:
    def __init__(self, request: Request, key: str | None) -> None:
        self.request = request
        self.key = key
        self.scope: str | None = None
        self._claimed = False

    async def begin(self, session: AsyncSession, scope: str, payload: Any) -> JSONResponse | None:
        """Claim the key in the request's transaction, or return the stored response of an
        earlier identical request."""
        if self.key is None:
            return None
        self.scope = scope
        fingerprint = request_fingerprint(self.request.method, self.request.url.path, payload)
        if await self._claim(session, scope, self.key, fingerprint):
            self._claimed = True
            return None
        row = (
            await session.execute(
                select(keys_t).where(keys_t.c.scope == scope, keys_t.c.key == self.key)
            )
        ).one_or_none()
        if row is None:  # released by an earlier version between our insert and this read
            raise Conflict("A request with this Idempotency-Key was just abandoned; retry it.")
        if row.request_hash != fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was already used with a different request body. "
                "Use a new key for a new request."
            )
        if row.state == "done":
            return JSONResponse(
                json.loads(row.response_body),
                status_code=row.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        await self._take_over(session, scope, self.key, row.created_at)
        self._claimed = True
        return None

    @staticmethod
    async def _claim(session: AsyncSession, scope: str, key: str, fingerprint: str) -> bool:
        """Insert the key's claim; False if the key is already there. On PostgreSQL a twin
        still running holds the key's advisory lock: that is a 409 at once."""
        values = {
            "scope": scope,
            "key": key,
            "request_hash": fingerprint,
            "state": "in_flight",
            "created_at": utcnow(),
        }
        if is_postgres(session):
            got, claimed = (
                await session.execute(_PG_CLAIM, values | {"lock": _lock_key(scope, key)})
            ).one()
            if not got:
                raise Conflict(IN_FLIGHT)
            return bool(claimed)
        claimed = await session.scalar(
            sqlite_insert(keys_t)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["scope", "key"])
            .returning(keys_t.c.key)
        )
        return claimed is not None

    @staticmethod
    async def _take_over(session: AsyncSession, scope: str, key: str, claimed_at: datetime) -> None:
        """Take over a committed claim of an earlier version once it is stale (its owner may
        still be working on it before then); only one of several retries succeeds."""
        if utcnow() - claimed_at < STALE_CLAIM:
            raise Conflict(IN_FLIGHT)
        taken = await session.execute(
            update(keys_t)
            .where(
                keys_t.c.scope == scope,
                keys_t.c.key == key,
                keys_t.c.state == "in_flight",
                keys_t.c.created_at == claimed_at,
            )
            .values(created_at=utcnow())
        )
        if getattr(taken, "rowcount", 0) != 1:
            raise Conflict(IN_FLIGHT)

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


def scope_of(identity: Identity) -> str:
    """Keys are scoped per client: the store or organisation behind the credential, or the
    principal itself (a staff member) when it is bound to none."""
    return identity.subject_id or identity.principal_id


async def idempotent(
    guard: IdempotencyGuard,
    session: AsyncSession,
    *,
    scope: str,
    payload: Any,
    status_code: int,
    make: Callable[[], Awaitable[object]],
) -> JSONResponse:
    """The one way to write idempotently: claim the key (or answer the stored response of an
    identical earlier request), run ``make``, store its response in the same transaction."""
    replay = await guard.begin(session, scope, payload)
    if replay is not None:
        return replay
    body = jsonable_encoder(await make())
    await guard.complete(session, status_code, body)
    return JSONResponse(body, status_code=status_code)
