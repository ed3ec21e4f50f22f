"""Settings of the console, read from ``GATEWAY_CONSOLE_*`` variables."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_CONSOLE_", extra="ignore")

    # A session unused for this long ends. The login token inside it (GATEWAY_TOKEN_TTL_SECONDS)
    # is renewed while the session is in use and its user still enabled, so this is what ends
    # a session, or at the latest max_hours after the login.
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_hours: int = Field(default=12, ge=1, le=7 * 24)
    # Signs the session cookie. Unset, it is derived from the gateway's token key.
    session_secret: SecretStr | None = None
    # Mark the cookie Secure even when the gateway itself is reached over plain http (TLS ends at
    # a proxy in front). Requests that arrive over https always get a Secure cookie.
    secure_cookie: bool = False
    default_language: str = Field(default="zh", pattern=r"^(zh|en)$")
