"""Settings common to every process.

Each process reads the ``EW_*`` variables below; a service adds its own prefixed ones
(``JOBS_DATABASE_URL`` …) in its ``config.py``. Secrets have development defaults so that
``make run`` works on a fresh machine, and are refused anywhere else.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.events.signing import (
    DEV_SIGNING_SEED,
    check_private_key,
    derive_private_key,
    dev_public_keys,
    public_key_of,
    split_public_keys,
)

DEV_IDENTITY_SECRET = "dev-identity-secret-change-me-0123456789"  # noqa: S105
DEV_PII_KEY = "dev-pii-key-change-me-0123456789abcdef"
DEFAULT_DATA_DIR = Path("data")


class CommonSettings(BaseSettings):
    # Variables are EW_* (and a service's own prefix); field names work in code and tests.
    model_config = SettingsConfigDict(env_prefix="EW_", extra="ignore", validate_by_name=True)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    nats_url: str = "nats://127.0.0.1:4322"
    # This process's own NATS user (jobs, products, subsidies, gateway or ops) and password: the
    # broker grants each user only its own subjects (shared/events/permissions.py).
    nats_user: str = ""
    nats_password: SecretStr = SecretStr("")
    # One secret signs the identity the gateway hands to services; services only verify it.
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    # Key material for encrypting and hashing personal data (ID numbers, phones, accounts).
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)
    # Ed25519 keys of event signatures (shared/events/signing.py), base64 of the raw 32 bytes:
    # this service's private seed, and the public key of every publishing service (JSON
    # object). Empty: development keys derived from a public seed, refused outside development.
    event_signing_key: SecretStr = SecretStr("")
    event_public_keys: dict[str, str] = Field(default_factory=dict)
    log_level: str = "INFO"
    log_json: bool = True
    # Relay and consumer tuning; tests shorten them.
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    publish_timeout_seconds: float = Field(default=3.0, gt=0)
    consumer_max_deliver: int = Field(default=8, ge=2)
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)
    consumer_retry_delay_seconds: float = Field(default=1.0, ge=0)
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # How often the outbox backlog and consumer-lag gauges of /metrics are refreshed.
    event_metrics_seconds: float = Field(default=5.0, gt=0)
    # Prefix of every subject and stream name; empty in deployments. Tests give each test its
    # own namespace so that runs sharing one NATS server never see each other's events.
    event_namespace: str = Field(default="", pattern=r"^[a-z0-9]*$", max_length=30)

    @model_validator(mode="after")
    def _check_event_keys(self) -> Self:
        if self.event_signing_key.get_secret_value():
            check_private_key(self.event_signing_key.get_secret_value())
        for service, keys in self.event_public_keys.items():
            split_public_keys(keys, f"EW_EVENT_PUBLIC_KEYS[{service}]")
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.env == "development":
            return self
        defaults = {
            "EW_IDENTITY_SECRET": (self.identity_secret, DEV_IDENTITY_SECRET),
            "EW_PII_KEY": (self.pii_key, DEV_PII_KEY),
        }
        for name, (value, default) in defaults.items():
            secret = value.get_secret_value()
            if secret == default or len(secret) < 32:
                raise ValueError(
                    f"{name} must be set to a random value of at least 32 characters "
                    f"when EW_ENV={self.env}"
                )
        return self

    @classmethod
    def package(cls) -> str:
        """The package of the process these settings configure (that of its ``config.py``,
        e.g. ``services.jobs``): where its migrations are (shared/migrations.py)."""
        return cls.__module__.rpartition(".")[0]

    def sqlite_url(self, name: str) -> str:
        return f"sqlite+aiosqlite:///{self.data_dir / (name + '.db')}"


class ServiceSettings(CommonSettings):
    """Base of each service's settings; subclasses set ``service_name`` and the database URL."""

    service_name: str = ""
    database_url: str = ""
    # The role migrations run as (owner of the tables); empty: the service's own URL. See
    # shared.migrations for what the service's role is granted when the two differ.
    migration_database_url: str = ""

    @model_validator(mode="after")
    def _default_database(self) -> Self:
        if not self.database_url:
            self.database_url = self.sqlite_url(self.service_name)
        return self

    def event_private_key(self) -> str:
        """This service's signing key: the configured one, or in development a derived one."""
        configured = self.event_signing_key.get_secret_value()
        return configured or derive_private_key(DEV_SIGNING_SEED, self.service_name)

    def event_public_key_map(self, consumed: Iterable[str]) -> dict[str, str]:
        """Public keys of the publishers: the configured ones, or the development ones of the
        publishers this service consumes."""
        return dict(self.event_public_keys) or dev_public_keys(consumed)

    def event_publishers(self, consumed: Iterable[str]) -> list[str]:
        """The publishing services this process knows of: every one ``EW_EVENT_PUBLIC_KEYS``
        names (all of them, wherever keys are configured), itself, and those it consumes."""
        return sorted({*self.event_public_keys, self.service_name, *consumed})

    def check_event_keys(self, consumed: list[str]) -> None:
        """Fail at start-up, not on the first event, when the keys are missing or cannot work
        together. Checked when a service starts, not when its settings load: the migration
        and reconciliation commands sign nothing and need no keys."""
        if self.env != "development":
            if not self.event_signing_key.get_secret_value():
                raise ValueError(
                    f"EW_EVENT_SIGNING_KEY must be set when EW_ENV={self.env} "
                    "(make a key pair with `python -m shared.events.signing`)"
                )
            if not self.event_public_keys:
                raise ValueError(
                    f"EW_EVENT_PUBLIC_KEYS must name every publisher's key when EW_ENV={self.env}"
                )
        public = self.event_public_key_map(consumed)
        missing = sorted({p for p in consumed if p not in public})
        if missing:
            raise ValueError(f"EW_EVENT_PUBLIC_KEYS has no key for {', '.join(missing)}")
        own = public.get(self.service_name)
        if own is not None:
            mine = public_key_of(self.event_private_key())
            if mine not in split_public_keys(own):
                raise ValueError(
                    f"EW_EVENT_SIGNING_KEY is not the key of {self.service_name} "
                    "in EW_EVENT_PUBLIC_KEYS"
                )
