"""Credentials: API keys, staff passwords and login tokens, the signed identity handed to the
services, and the per-credential rate limit. Pure functions and small in-memory structures; the
database work is in :mod:`gateway.repository` and :mod:`gateway.service`."""

import asyncio
import hashlib
import ipaddress
import math
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared.db import utcnow
from shared.identity import Identity, sign_identity

# --- API keys ----------------------------------------------------------------------------------
# Format ``ew_<prefix>_<secret>``: the prefix (8 lower-case letters and digits) is stored in clear
# so a key can be found and told apart in lists and logs; the secret has 256 bits of randomness,
# so a plain SHA-256 of the whole key is enough (no slow hash needed) and is stored instead of it.
API_KEY_PREFIX_LENGTH = 8
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_API_KEY_RE = re.compile(r"^ew_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$")


def generate_api_key() -> tuple[str, str]:
    """A new key: (prefix, full key). The full key is shown to its owner once, then forgotten."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(API_KEY_PREFIX_LENGTH))
    return prefix, f"ew_{prefix}_{secrets.token_urlsafe(32)}"


def api_key_prefix(token: str) -> str | None:
    """The prefix of something shaped like an API key, else None."""
    match = _API_KEY_RE.match(token)
    return match.group(1) if match else None


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith("ew_")


# --- staff passwords -----------------------------------------------------------------------------
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the username is unknown, so that a wrong name costs as long as a wrong
# password and response times do not tell which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    # argon2 takes tens of milliseconds of CPU on purpose: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# --- staff login tokens --------------------------------------------------------------------------
TOKEN_AUDIENCE = "eastwest-gateway-staff"  # noqa: S105 - a name, not a secret
TOKEN_ISSUER = "eastwest-gateway"  # noqa: S105 - a name, not a secret


def issue_staff_token(user_id: str, secret: str, ttl_seconds: int) -> str:
    now = utcnow()
    claims = {
        # Milliseconds, unlike ``iat``: a password change ends the sessions begun before it,
        # even in the same second.
        "iat_ms": int(now.timestamp() * 1000),
        "sub": user_id,
        "aud": TOKEN_AUDIENCE,
        "iss": TOKEN_ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_staff_token(token: str, secret: str) -> tuple[str, int] | None:
    """(user id, issued-at in epoch milliseconds) of a valid, unexpired login token, else None."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=TOKEN_AUDIENCE,
            issuer=TOKEN_ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    sub, iat = claims.get("sub"), claims.get("iat_ms")
    if not isinstance(sub, str) or not isinstance(iat, int):
        return None
    return sub, iat


# --- identity handed to the services -------------------------------------------------------------
class IdentitySigner:
    """Signs the identity for ``X-EW-Identity``; a signature is reused for half its lifetime so
    the hot path signs once per caller every half minute, not on every request."""

    def __init__(
        self, secret: str, *, ttl_seconds: int = 60, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.secret = secret
        self.ttl = ttl_seconds
        self.clock = clock
        self._cache: dict[Identity, tuple[str, float]] = {}

    def header(self, identity: Identity) -> str:
        now = self.clock()
        cached = self._cache.get(identity)
        if cached is not None and cached[1] > now:
            return cached[0]
        if len(self._cache) > 10_000:
            self._cache.clear()
        token = sign_identity(identity, self.secret, ttl_seconds=self.ttl)
        self._cache[identity] = (token, now + self.ttl / 2)
        return token


# --- short-lived memory of verified credentials --------------------------------------------------
class TtlCache:
    """A small dict with expiry, bounded in size; ``forget`` drops entries by a tag."""

    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._items: dict[str, tuple[Any, str, float]] = {}
        # False while what is remembered may be stale (the gateway hears of no revocation):
        # nothing is returned or kept.
        self.trusted = True

    def get(self, key: str) -> Any | None:
        if not self.trusted:
            return None
        item = self._items.get(key)
        if item is None:
            return None
        if item[2] <= self.clock():
            self._items.pop(key, None)
            return None
        return item[0]

    def put(self, key: str, value: Any, tag: str) -> None:
        if self.ttl <= 0 or not self.trusted:
            return
        now = self.clock()
        if len(self._items) >= self.max_entries:
            self._items = {k: v for k, v in self._items.items() if v[2] > now}
            if len(self._items) >= self.max_entries:
                self._items.clear()
        self._items[key] = (value, tag, now + self.ttl)

    def forget(self, tag: str) -> None:
        self._items = {k: v for k, v in self._items.items() if v[1] != tag}

    def clear(self) -> None:
        self._items.clear()


# --- client address ------------------------------------------------------------------------------
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The address rate limits and failure budgets are kept by: the connection's peer, unless
    that peer is a trusted proxy; then, walking ``X-Forwarded-For`` from the right (each proxy
    appends the address it saw), the first hop that is not a trusted proxy. Hops to the left of
    it were written by the client and are never believed; nor is a hop that is not an address."""
    address = peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    while hops and _is_trusted(address, trusted):
        hop = _ip(hops.pop())
        if hop is None:
            break
        address = hop
    return address


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    if not trusted:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _ip(hop: str) -> str | None:
    """The address of one X-Forwarded-For entry (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``)."""
    if hop.startswith("[") and "]" in hop:
        hop = hop[1 : hop.index("]")]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None


# --- rate limit ----------------------------------------------------------------------------------
class RateLimiter:
    """Token bucket per key: ``rate`` requests a second on average, bursts up to ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, list[float]] = {}

    def acquire(self, key: str) -> int | None:
        """None when the request may pass; else the whole seconds to wait (for Retry-After)."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            bucket = self._buckets[key] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return None
        bucket[0] = tokens
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def blocked(self, key: str) -> int | None:
        """Like :meth:`acquire` but spends nothing: whether a request now would be refused."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return None
        tokens = min(self.burst, bucket[0] + (self.clock() - bucket[1]) * self.rate)
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def drain_to(self, key: str, tokens: float) -> None:
        """Lower this key's bucket to ``tokens`` (what the fleet's shared bucket has left)."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            self._buckets[key] = [min(self.burst, tokens), now]
            return
        current = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[0], bucket[1] = min(current, tokens), now

    def _prune(self, now: float) -> None:
        # A bucket that has refilled completely holds no information: drop it.
        full_after = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b[1] < full_after}
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()
