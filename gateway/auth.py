"""Who is calling: turns an ``Authorization`` header into a verified :class:`Identity`.

Verified credentials are remembered for ``credential_cache_seconds`` (an API key's row by its
prefix, a user by id) so the hot path does not ask the database on every request. Revoking a key
or disabling a user forgets it at once on every replica: the change is announced with a
PostgreSQL NOTIFY at commit (gateway/limits.py); a replica that is not listening trusts no memory.

Invalid credentials are counted per client address (``auth_failure_*``) for the whole fleet
(gateway/limits.py), and only those: a
credential is checked before the budget is consulted, so a valid API key or login token is
served even from an address whose budget is spent (behind a NAT or a load balancer many clients
share one address, and one client's bad keys must not lock the others out). From such an
address an invalid credential is 429.

Checking first must not let bad keys buy database work. A key is found by its prefix, and what
the database said about a prefix is remembered (its row for ``credential_cache_seconds``, that
there is no usable key for ``auth_negative_cache_seconds``), so any number of secrets tried with
one prefix cost one lookup. From an address over its budget a key is looked up only if its
prefix is among the active keys' prefixes, a set kept in memory and reloaded at most once a
second: random keys cost no lookup at all. Login tokens are checked by signature before any
lookup, so only a genuine token reaches the database.
"""

import asyncio
import hmac
import time
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import repository
from gateway.config import GatewaySettings
from gateway.errors import InvalidCredential, TooManyFailedCredentials
from gateway.limits import BucketStore, FleetLimiter
from gateway.security import (
    TtlCache,
    api_key_prefix,
    hash_api_key,
    looks_like_api_key,
    read_staff_token,
)
from shared.identity import Identity


def bearer_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None when no credential was sent."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidCredential("Use `Authorization: Bearer <API key or login token>`.")
    return token.strip()


# How often, at most, the set of active key prefixes is reloaded for an address over its budget
# (a key created on another replica is looked up from such an address after at most this).
PREFIX_RELOAD_SECONDS = 1.0


class Authenticator:
    def __init__(
        self,
        settings: GatewaySettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        store: BucketStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_secret = settings.staff_token_key()
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.keys = TtlCache(settings.credential_cache_seconds)  # prefix → (hash, identity)
        self.users = TtlCache(settings.credential_cache_seconds)
        self.unknown_keys = TtlCache(settings.auth_negative_cache_seconds)  # prefix → True
        self.failures = FleetLimiter(
            "fail",
            settings.auth_failure_rate_per_second,
            settings.auth_failure_burst,
            store,
            lease=1,
        )
        self._prefixes: set[str] = set()
        self._prefixes_loaded_at: float | None = None
        self._prefixes_lock = asyncio.Lock()

    async def authenticate(self, authorization: str | None, client: str) -> Identity | None:
        """The caller's identity; None without a credential. ``client`` is the caller's address,
        whose invalid credentials are counted."""
        if not authorization:
            return None
        # Only this replica's bucket here (no database): the fleet's is asked when it matters,
        # on a failure or before a key lookup.
        local_retry = self.failures.blocked_locally(client)
        try:
            return await self._verify(authorization, client, over_budget=local_retry is not None)
        except InvalidCredential:
            retry_after = local_retry or await self.failures.blocked(client)
            if retry_after is not None:
                raise TooManyFailedCredentials(retry_after) from None
            await self.failures.acquire(client)
            raise

    async def _verify(
        self, authorization: str, client: str, *, over_budget: bool
    ) -> Identity | None:
        token = bearer_token(authorization)
        if token is None:
            return None
        if looks_like_api_key(token):
            return await self._api_key(token, client, over_budget=over_budget)
        claims = read_staff_token(token, self.token_secret)
        if claims is None:
            raise InvalidCredential()
        user_id, issued_at = claims
        identity, valid_after = await self._user(user_id)
        if issued_at < valid_after:
            raise InvalidCredential("The password has changed since this login: log in again.")
        return identity

    async def _api_key(self, key: str, client: str, *, over_budget: bool) -> Identity:
        prefix = api_key_prefix(key)
        if prefix is None or self.unknown_keys.get(prefix) is not None:
            raise InvalidCredential()
        known = self.keys.get(prefix)
        if known is None:
            # A lookup is coming anyway: asking the fleet's budget first costs about as much.
            if (
                over_budget or await self.failures.blocked(client) is not None
            ) and not await self._is_active_prefix(prefix):
                raise InvalidCredential()
            known = await self._load_key(prefix)
        key_hash, identity = known
        if not hmac.compare_digest(key_hash, hash_api_key(key)):
            raise InvalidCredential()
        return identity

    async def _load_key(self, prefix: str) -> tuple[str, Identity]:
        async with self.sessionmaker() as session:
            row = await repository.get_api_key_by_prefix(session, prefix)
        if row is None or row.revoked_at is not None:
            self.unknown_keys.put(prefix, True, tag=prefix)
            raise InvalidCredential()
        identity = Identity(
            principal_id=str(row.id),
            kind="api_key",
            role=row.role,
            subject_id=str(row.subject_id) if row.subject_id else None,
            name=row.name,
        )
        self.keys.put(prefix, (row.key_hash, identity), tag=str(row.id))
        return row.key_hash, identity

    async def _is_active_prefix(self, prefix: str) -> bool:
        """Whether a key not revoked has this prefix, from memory; the set is reloaded when it
        does not have the prefix, at most once every PREFIX_RELOAD_SECONDS."""
        if prefix in self._prefixes:
            return True
        async with self._prefixes_lock:
            loaded = self._prefixes_loaded_at
            if prefix in self._prefixes or (
                loaded is not None and self.clock() - loaded < PREFIX_RELOAD_SECONDS
            ):
                return prefix in self._prefixes
            async with self.sessionmaker() as session:
                self._prefixes = await repository.active_api_key_prefixes(session)
            self._prefixes_loaded_at = self.clock()
            return prefix in self._prefixes

    async def _user(self, user_id: str) -> tuple[Identity, int]:
        """The user's identity, and the epoch millisecond before which its tokens are refused."""
        cached = self.users.get(user_id)
        if cached is not None:
            return cached
        try:
            uid = uuid.UUID(user_id)
        except ValueError as exc:
            raise InvalidCredential() from exc
        async with self.sessionmaker() as session:
            user = await repository.get_user(session, uid)
        if user is None or user.disabled:
            raise InvalidCredential("The login token is no longer valid: log in again.")
        identity = Identity(
            principal_id=str(user.id),
            kind="user",
            role=user.role,
            # A partner's HR person or a store manager acts for their organisation, exactly as
            # its API key does.
            subject_id=str(user.subject_id) if user.subject_id else None,
            name=user.username,
        )
        after = user.tokens_valid_after
        valid_after = int(after.timestamp() * 1000) if after is not None else 0
        self.users.put(user_id, (identity, valid_after), tag=user_id)
        return identity, valid_after

    def key_created(self, prefix: str) -> None:
        """A key was just created here: a miss remembered for its prefix must not refuse it."""
        self.unknown_keys.forget(prefix)
        self._prefixes.add(prefix)

    def forget_announced(self, what: str, ident: str) -> None:
        """Another replica (or an operator command) changed a credential (gateway/limits.py)."""
        if what == "key":
            self.keys.forget(ident)
        elif what == "user":
            self.users.forget(ident)
        elif what == "prefix":
            self.unknown_keys.forget(ident)
            self._prefixes.add(ident)

    def trust_memory(self, trusted: bool) -> None:
        """Whether remembered credentials may be used: not while revocations may go unheard.
        Either way what was remembered is dropped (it may be stale)."""
        for cache in (self.keys, self.users, self.unknown_keys):
            cache.clear()
            cache.trusted = trusted

    def forget_key(self, key_id: uuid.UUID) -> None:
        self.keys.forget(str(key_id))

    def forget_user(self, user_id: uuid.UUID) -> None:
        self.users.forget(str(user_id))
