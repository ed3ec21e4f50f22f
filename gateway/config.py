"""Settings of the gateway: the common ``EW_*`` ones plus its own ``GATEWAY_*`` variables."""

import hashlib
import hmac
import ipaddress
import json
from functools import lru_cache
from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import ServiceSettings


def _alias(name: str) -> str:
    # Only GATEWAY_<NAME> is read from the environment. (An alias choice equal to the field
    # name would also read a bare ``DATABASE_URL`` or ``JOBS_URL`` variable.) The field name
    # still works in code and tests: ``validate_by_name``.
    return f"GATEWAY_{name.upper()}"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EW_", extra="ignore", validate_by_name=True)

    service_name: str = "gateway"
    database_url: str = Field(default="", validation_alias=_alias("database_url"))
    migration_database_url: str = Field(
        default="", validation_alias=_alias("migration_database_url")
    )

    # Where the services listen. The gateway is their only public entry.
    jobs_url: str = Field(default="http://127.0.0.1:8101", validation_alias=_alias("jobs_url"))
    products_url: str = Field(
        default="http://127.0.0.1:8102", validation_alias=_alias("products_url")
    )
    subsidies_url: str = Field(
        default="http://127.0.0.1:8103", validation_alias=_alias("subsidies_url")
    )

    # The one pooled HTTP client towards the services.
    upstream_pool_size: int = Field(
        default=200, ge=1, le=10_000, validation_alias=_alias("upstream_pool_size")
    )
    upstream_connect_timeout_seconds: float = Field(
        default=2.0, gt=0, le=60, validation_alias=_alias("upstream_connect_timeout_seconds")
    )
    # Longest silence while waiting for a service's response (not the whole transfer), → 504.
    upstream_read_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, validation_alias=_alias("upstream_read_timeout_seconds")
    )

    # Largest request body accepted, counted as it arrives (chunked or not), → 413.
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, le=1024**3, validation_alias=_alias("max_body_bytes")
    )

    # Token bucket per credential (per client address for anonymous calls), → 429.
    rate_limit_per_second: float = Field(
        default=50.0, gt=0, le=100_000, validation_alias=_alias("rate_limit_per_second")
    )
    rate_limit_burst: int = Field(
        default=100, ge=1, le=1_000_000, validation_alias=_alias("rate_limit_burst")
    )

    # Login attempts per client address (people, not machines: a small budget).
    login_rate_per_second: float = Field(
        default=0.5, gt=0, le=1000, validation_alias=_alias("login_rate_per_second")
    )
    login_burst: int = Field(default=10, ge=1, le=10_000, validation_alias=_alias("login_burst"))

    # Proxies in front of the gateway (addresses or CIDR ranges, comma-separated or a JSON
    # list) whose X-Forwarded-For is believed; the client address is then the right-most hop
    # that is not one of them. Empty: no proxy is trusted and the client address is the
    # connection's own peer, whatever headers say (uvicorn must run with --no-proxy-headers).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_alias("trusted_proxies")
    )

    # Requests with an invalid credential (unknown, revoked or malformed API key, bad login
    # token) per client address: once spent, an invalid credential from that address is 429
    # (unknown API keys without a database lookup). A valid credential is checked first and
    # always served: only failures are counted, so bad keys cannot lock anyone else out.
    auth_failure_rate_per_second: float = Field(
        default=1.0, gt=0, le=1000, validation_alias=_alias("auth_failure_rate_per_second")
    )
    auth_failure_burst: int = Field(
        default=20, ge=1, le=100_000, validation_alias=_alias("auth_failure_burst")
    )
    # How long an API key that matched no valid key is refused from memory (by its hash) before
    # the database is asked again; a key created on another replica works after at most this.
    auth_negative_cache_seconds: float = Field(
        default=5.0, ge=0, le=60, validation_alias=_alias("auth_negative_cache_seconds")
    )

    # Staff login tokens are signed with this secret. Unset, it is derived from EW_IDENTITY_SECRET
    # (a different key for a different purpose); set it to keep the two apart entirely.
    token_secret: SecretStr | None = Field(default=None, validation_alias=_alias("token_secret"))
    token_ttl_seconds: int = Field(
        default=900, ge=30, le=86_400, validation_alias=_alias("token_ttl_seconds")
    )
    # How long a verified API key or user is trusted from memory before the database is asked
    # again: the delay after which a revocation made on another gateway replica takes effect.
    credential_cache_seconds: float = Field(
        default=5.0, ge=0, le=300, validation_alias=_alias("credential_cache_seconds")
    )
    # How long the aggregated OpenAPI document is kept before the services are asked again.
    openapi_cache_seconds: float = Field(
        default=60.0, ge=0, le=86_400, validation_alias=_alias("openapi_cache_seconds")
    )

    # First start with no user at all: the admin's password. Empty → one is generated and printed.
    bootstrap_admin_password: SecretStr | None = None  # EW_BOOTSTRAP_ADMIN_PASSWORD
    migrate_on_start: bool = Field(default=False, validation_alias=_alias("migrate_on_start"))

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"GATEWAY_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR range"
                ) from exc
        return value

    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies)

    @model_validator(mode="after")
    def _check_secrets(self) -> Self:
        given = self.bootstrap_admin_password
        if given is not None and 0 < len(given.get_secret_value()) < 12:
            raise ValueError("EW_BOOTSTRAP_ADMIN_PASSWORD must have at least 12 characters")
        if self.env == "development":
            return self
        if self.token_secret is not None and len(self.token_secret.get_secret_value()) < 32:
            raise ValueError(
                "GATEWAY_TOKEN_SECRET must be a random value of at least 32 "
                f"characters when EW_ENV={self.env}"
            )
        return self

    def staff_token_key(self) -> str:
        if self.token_secret is not None and self.token_secret.get_secret_value():
            return self.token_secret.get_secret_value()
        base = self.identity_secret.get_secret_value().encode()
        return hmac.new(base, b"eastwest-gateway-staff-token", hashlib.sha256).hexdigest()

    def upstreams(self) -> dict[str, str]:
        """Path prefix owner → base URL."""
        return {
            "jobs": self.jobs_url.rstrip("/"),
            "products": self.products_url.rstrip("/"),
            "subsidies": self.subsidies_url.rstrip("/"),
        }


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
