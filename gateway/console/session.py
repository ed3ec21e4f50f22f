"""The console's session: a signed cookie holding the login token, a CSRF token and the time
of the last request. Nothing is stored on the server.

A session ends when unused for the idle limit, or at the latest ``max_seconds`` after its
login; the login token inside it is short-lived and renewed while the session is in use (see
``gateway.console.web.keep_token_fresh``), so its expiry does not end a session in use.

The cookie is ``<base64url JSON>.<base64url HMAC-SHA256>``; a cookie whose signature does not
verify, or that was last used longer ago than the idle limit, is no session at all."""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

COOKIE_NAME = "ew_console"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Session:
    """What the cookie carries. ``token`` is None before login (the login form still needs a
    CSRF token)."""

    csrf: str = field(default_factory=new_csrf_token)
    last_seen: int = 0
    token: str | None = None
    token_expires: int = 0
    username: str = ""
    display_name: str = ""
    role: str = ""
    user_id: str = ""
    # When the login was made (epoch milliseconds, the first token's ``iat_ms``): a password
    # changed after it ends the session, and the session ends ``max_seconds`` after it.
    signed_in_ms: int = 0

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def csrf_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf.encode(), str(given).encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Turns a :class:`Session` into a cookie value and back, checking signature and idle time."""

    def __init__(self, secret: str, idle_seconds: int, max_seconds: int = 12 * 3600) -> None:
        self._key = hashlib.sha256(b"eastwest-console-session:" + secret.encode()).digest()
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def dump(self, session: Session) -> str:
        payload = json.dumps(asdict(session), separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def load(self, value: str | None, now: int) -> tuple[Session | None, str]:
        """(session, why) — ``why`` is ``""`` for a good session, else ``missing``, ``invalid``,
        ``idle`` (unused for too long) or ``expired`` (signed in longer ago than the longest a
        session may last). The login token's own expiry is not checked here: it is renewed
        while the session is in use."""
        if not value:
            return None, "missing"
        try:
            encoded, signature = value.split(".", 1)
            payload = _unb64(encoded)
            if not hmac.compare_digest(_unb64(signature), self._sign(payload)):
                return None, "invalid"
            data: dict[str, Any] = json.loads(payload)
            session = Session(**data)
        except (ValueError, TypeError):
            return None, "invalid"
        if now - session.last_seen > self.idle_seconds:
            return None, "idle"
        if session.token is not None and now - session.signed_in_ms // 1000 > self.max_seconds:
            return None, "expired"  # also a session from before ``signed_in_ms`` existed
        return session, ""
