"""Who is calling: turns an ``Authorization`` header into a verified :class:`Identity`.

Verified credentials are remembered for ``credential_cache_seconds`` (keyed by the key's hash or
the user id) so the hot path does not ask the database on every request. Revoking a key or
disabling a user on this gateway forgets it at once; other replicas notice within that time.

Invalid credentials are counted per client address (``auth_failure_*``): once that budget is
spent the address gets 429 before any lookup. An API key that matched nothing is remembered by
its hash for ``auth_negative_cache_seconds``, so repeating it does not reach the database.
"""

import hmac
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import repository
from gateway.config import GatewaySettings
from gateway.errors import InvalidCredential, TooManyFailedCredentials
from gateway.security import (
    RateLimiter,
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


class Authenticator:
    def __init__(
        self, settings: GatewaySettings, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.token_secret = settings.staff_token_key()
        self.sessionmaker = sessionmaker
        self.keys = TtlCache(settings.credential_cache_seconds)
        self.users = TtlCache(settings.credential_cache_seconds)
        self.unknown_keys = TtlCache(settings.auth_negative_cache_seconds)
        self.failures = RateLimiter(
            settings.auth_failure_rate_per_second, settings.auth_failure_burst
        )

    async def authenticate(self, authorization: str | None, client: str) -> Identity | None:
        """The caller's identity; None without a credential. ``client`` is the caller's address,
        whose invalid credentials are counted."""
        if not authorization:
            return None
        retry_after = self.failures.blocked(client)
        if retry_after is not None:
            raise TooManyFailedCredentials(retry_after)
        try:
            return await self._verify(authorization)
        except InvalidCredential:
            self.failures.acquire(client)
            raise

    async def _verify(self, authorization: str) -> Identity | None:
        token = bearer_token(authorization)
        if token is None:
            return None
        if looks_like_api_key(token):
            return await self._api_key(token)
        claims = read_staff_token(token, self.token_secret)
        if claims is None:
            raise InvalidCredential()
        user_id, issued_at = claims
        identity, valid_after = await self._user(user_id)
        if issued_at < valid_after:
            raise InvalidCredential("The password has changed since this login: log in again.")
        return identity

    async def _api_key(self, key: str) -> Identity:
        digest = hash_api_key(key)
        cached = self.keys.get(digest)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        prefix = api_key_prefix(key)
        if prefix is None or self.unknown_keys.get(digest) is not None:
            raise InvalidCredential()
        async with self.sessionmaker() as session:
            row = await repository.get_api_key_by_prefix(session, prefix)
        if (
            row is None
            or row.revoked_at is not None
            or not hmac.compare_digest(row.key_hash, digest)
        ):
            self.unknown_keys.put(digest, True, tag=digest)
            raise InvalidCredential()
        identity = Identity(
            principal_id=str(row.id),
            kind="api_key",
            role=row.role,  # type: ignore[arg-type]
            subject_id=str(row.subject_id) if row.subject_id else None,
            name=row.name,
        )
        self.keys.put(digest, identity, tag=str(row.id))
        return identity

    async def _user(self, user_id: str) -> tuple[Identity, int]:
        """The user's identity, and the epoch millisecond before which its tokens are refused."""
        cached = self.users.get(user_id)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
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
            role=user.role,  # type: ignore[arg-type]
            name=user.username,
        )
        after = user.tokens_valid_after
        valid_after = int(after.timestamp() * 1000) if after is not None else 0
        self.users.put(user_id, (identity, valid_after), tag=user_id)
        return identity, valid_after

    def key_created(self, key_hash: str) -> None:
        """A key was just created here: a miss remembered for its hash must not refuse it."""
        self.unknown_keys.forget(key_hash)

    def forget_key(self, key_id: uuid.UUID) -> None:
        self.keys.forget(str(key_id))

    def forget_user(self, user_id: uuid.UUID) -> None:
        self.users.forget(str(user_id))
