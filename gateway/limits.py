"""Limits that hold for the whole gateway fleet, not per process (issue 13, part 4).

The rate limits, the failed-credential budget and the login budget are token buckets. Each
replica keeps its own bucket in memory (:class:`gateway.security.RateLimiter`) and the fleet
shares one per key in the gateway's PostgreSQL database (table ``rate_buckets``, UNLOGGED, the
database's clock). A request passes only if both allow it:

- **local fast path, refusals**: a replica's own bucket counts only its own requests, never more
  than the fleet's, so when it refuses the fleet would too: no database round trip. When the
  fleet refuses, the local bucket is drained to the fleet's level, so the following requests of
  that key are refused locally until it refills.
- **leases, passes**: a pass takes tokens from the shared bucket, ``lease`` at a time (1/20 of
  the burst, at least 1) and spends the rest locally for at most ``LEASE_SECONDS``: one database
  statement per ``lease`` requests. Unspent leased tokens are dropped, never given back, so the
  fleet never passes more than the shared bucket allows (at worst it refuses a little early).
- **fail safe**: when the database cannot be asked (down, slow beyond ``STORE_TIMEOUT_SECONDS``),
  the local limit alone applies (so N replicas allow at most N× the rate), the failure is logged,
  and the store is not asked again for ``STORE_RETRY_SECONDS``.

On SQLite (one development process) there is no shared store: the local limit is the fleet's.

Revocation across the fleet is :class:`CredentialListener`: revoking a key, disabling a user or
changing a password sends a PostgreSQL ``NOTIFY`` in the same transaction
(:func:`announce`), delivered to every replica at commit; each forgets the credential at once.
While a replica is not listening (starting, or its listening connection lost), it does not trust
its credential memory at all and asks the database on every request: slower, never stale.
"""

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.security import RateLimiter

log = structlog.get_logger("gateway.limits")

LEASE_SECONDS = 1.0
STORE_TIMEOUT_SECONDS = 1.0
STORE_RETRY_SECONDS = 2.0
PRUNE_EVERY_SECONDS = 60.0
CHANNEL = "gateway_credentials"
LISTEN_CHECK_SECONDS = 5.0
LISTEN_RETRY_SECONDS = 1.0


class BucketStore(Protocol):
    async def take(self, key: str, rate: float, burst: float, want: int) -> tuple[int, float]: ...

    async def peek(self, key: str, rate: float, burst: float) -> float | None: ...


_REFILLED = "LEAST(:burst, b.tokens + (EXCLUDED.updated_at - b.updated_at) * :rate)"
_TAKE = text(
    f"""
    INSERT INTO rate_buckets AS b (key, tokens, taken, updated_at)
    VALUES (:key, :burst - LEAST(:want, FLOOR(:burst)), LEAST(:want, FLOOR(:burst)),
            EXTRACT(EPOCH FROM clock_timestamp()))
    ON CONFLICT (key) DO UPDATE SET
        tokens = {_REFILLED} - LEAST(:want, FLOOR({_REFILLED})),
        taken = LEAST(:want, FLOOR({_REFILLED})),
        updated_at = EXCLUDED.updated_at
    RETURNING taken, tokens
    """  # noqa: S608 - a constant expression, no input: values are bound
)
_PEEK = text(
    "SELECT LEAST(:burst, tokens + (EXTRACT(EPOCH FROM clock_timestamp()) - updated_at) * :rate)"
    " FROM rate_buckets WHERE key = :key"
)
_PRUNE = text(
    "DELETE FROM rate_buckets WHERE key LIKE :pattern "
    "AND updated_at < EXTRACT(EPOCH FROM clock_timestamp()) - :full_after"
)


class PostgresBuckets:
    """The shared token buckets, one atomic statement per operation."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def take(self, key: str, rate: float, burst: float, want: int) -> tuple[int, float]:
        """Refill the bucket by the time passed, take up to ``want`` whole tokens; returns the
        tokens taken (0: refused) and those left."""
        params = {"key": key, "rate": float(rate), "burst": float(burst), "want": float(want)}
        async with self.engine.begin() as conn:
            row = (await conn.execute(_TAKE, params)).one()
        return int(row[0]), float(row[1])

    async def peek(self, key: str, rate: float, burst: float) -> float | None:
        """The tokens the bucket has now; None when it has never been used (full)."""
        params = {"key": key, "rate": float(rate), "burst": float(burst)}
        async with self.engine.connect() as conn:
            value = (await conn.execute(_PEEK, params)).scalar_one_or_none()
        return None if value is None else float(value)

    async def prune(self, name: str, rate: float, burst: float) -> int:
        """Drop the buckets of ``name`` that have refilled completely (they hold nothing)."""
        params = {"pattern": f"{name}:%", "full_after": float(burst) / rate}
        async with self.engine.begin() as conn:
            result = await conn.execute(_PRUNE, params)
        return int(getattr(result, "rowcount", 0) or 0)


class FleetLimiter:
    """A token bucket per key for the whole fleet: ``rate`` a second, bursts up to ``burst``.
    ``store`` None: this process's bucket only."""

    def __init__(
        self,
        name: str,
        rate: float,
        burst: int,
        store: BucketStore | None,
        *,
        lease: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.rate = rate
        self.burst = burst
        self.store = store
        self.lease = lease if lease is not None else max(1, burst // 20)
        self.clock = clock
        self.local = RateLimiter(rate, burst, clock=clock)
        self._leases: dict[str, list[float]] = {}  # key → [tokens, expires at]
        self._refills: dict[str, asyncio.Future[int | None]] = {}  # key → its refill under way
        self._store_down_until = 0.0

    def _store_usable(self) -> bool:
        return self.store is not None and self.clock() >= self._store_down_until

    def _store_failed(self, exc: BaseException) -> None:
        if self.clock() >= self._store_down_until:
            log.warning("shared_limits_unavailable", limiter=self.name, error=repr(exc))
        self._store_down_until = self.clock() + STORE_RETRY_SECONDS

    def _retry_after(self, tokens: float) -> int:
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    async def acquire(self, key: str) -> int | None:
        """None when the request may pass (spending a token); else the seconds to wait.

        One lease refill per key at a time: requests that find the lease spent while a refill
        is on its way wait for it and spend what it brought, instead of each taking a lease of
        its own (32 concurrent requests would otherwise ask the fleet for 32 leases and be
        refused well within their burst)."""
        retry_after = self.local.acquire(key)
        if retry_after is not None:
            return retry_after
        while self._store_usable():
            lease = self._leases.get(key)
            if lease is not None and lease[0] >= 1.0 and lease[1] > self.clock():
                lease[0] -= 1.0
                return None
            refill = self._refills.get(key)
            if refill is None:
                return await self._refill(key)
            # Shielded: a waiter cancelled (its client gone) must not cancel the refill.
            refused = await asyncio.shield(refill)
            if refused is not None:
                return refused
        return None

    async def _refill(self, key: str) -> int | None:
        """Take a lease from the shared bucket for this request and the ones waiting on it.
        The waiters are told the refusal (seconds), or None: look at the lease again."""
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._refills[key] = done
        outcome: int | None = None
        try:
            outcome = await self._take(key)
            return outcome
        finally:
            del self._refills[key]
            done.set_result(outcome)

    async def _take(self, key: str) -> int | None:
        now = self.clock()
        assert self.store is not None
        try:
            async with asyncio.timeout(STORE_TIMEOUT_SECONDS):
                taken, tokens = await self.store.take(
                    f"{self.name}:{key}", self.rate, self.burst, self.lease
                )
        except Exception as exc:
            self._store_failed(exc)
            return None
        if taken >= 1:
            if taken > 1:
                if len(self._leases) >= 100_000:
                    self._leases = {k: v for k, v in self._leases.items() if v[1] > now}
                self._leases[key] = [taken - 1.0, now + LEASE_SECONDS]
            else:
                self._leases.pop(key, None)
            return None
        self._leases.pop(key, None)
        self.local.drain_to(key, tokens)
        return self._retry_after(tokens)

    def blocked_locally(self, key: str) -> int | None:
        """Whether this replica's own bucket refuses (then the fleet's does too)."""
        return self.local.blocked(key)

    async def blocked(self, key: str) -> int | None:
        """Like :meth:`acquire` but spends nothing: whether a request now would be refused."""
        retry_after = self.local.blocked(key)
        if retry_after is not None or not self._store_usable():
            return retry_after
        assert self.store is not None
        try:
            async with asyncio.timeout(STORE_TIMEOUT_SECONDS):
                tokens = await self.store.peek(f"{self.name}:{key}", self.rate, self.burst)
        except Exception as exc:
            self._store_failed(exc)
            return None
        if tokens is None or tokens >= 1.0:
            return None
        self.local.drain_to(key, tokens)
        return self._retry_after(tokens)


async def prune_forever(store: PostgresBuckets, limiters: list[FleetLimiter]) -> None:
    """Drop full buckets now and then, so the table holds only the keys in use."""
    while True:
        await asyncio.sleep(PRUNE_EVERY_SECONDS)
        for limiter in limiters:
            try:
                await store.prune(limiter.name, limiter.rate, limiter.burst)
            except Exception as exc:
                log.warning("shared_limits_prune_failed", limiter=limiter.name, error=repr(exc))


# --- revocation across the fleet -----------------------------------------------------------------
async def announce(session: AsyncSession, what: str, ident: object) -> None:
    """Tell every gateway replica, when this transaction commits, that a credential changed:
    ``key`` (revoked: by id), ``user`` (disabled, role or password changed: by id) or ``prefix``
    (a key created: forget that its prefix was unknown). Nothing on SQLite (one process)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": f"{what}:{ident}"},
    )


class CredentialListener:
    """Listens for :func:`announce` on its own connection and makes ``auth`` forget at once.
    Until it listens (and whenever the connection is lost) ``auth`` trusts no credential memory."""

    def __init__(self, dsn: str, auth: Any) -> None:
        self.dsn = dsn
        self.auth = auth
        self.listening = asyncio.Event()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        what, _, ident = payload.partition(":")
        self.auth.forget_announced(what, ident)

    async def run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("credential_listener_lost", error=repr(exc))
            self.listening.clear()
            self.auth.trust_memory(False)
            await asyncio.sleep(LISTEN_RETRY_SECONDS)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(self.dsn, timeout=5)
        try:
            await conn.add_listener(CHANNEL, self._on_notify)
            # Anything remembered from before may have been revoked while nobody listened.
            self.auth.trust_memory(True)
            self.listening.set()
            log.info("credential_listener_ready")
            while True:
                await asyncio.sleep(LISTEN_CHECK_SECONDS)
                await conn.execute("SELECT 1", timeout=LISTEN_CHECK_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
