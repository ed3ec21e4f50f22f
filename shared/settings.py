"""Settings common to every process.

Each process reads the ``EW_*`` variables below; a service adds its own prefixed ones
(``JOBS_DATABASE_URL`` …) in its ``config.py``. Secrets have development defaults so that
``make run`` works on a fresh machine, and are refused anywhere else.
"""

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_IDENTITY_SECRET = "dev-identity-secret-change-me-0123456789"  # noqa: S105
DEV_PII_KEY = "dev-pii-key-change-me-0123456789abcdef"
DEFAULT_DATA_DIR = Path("data")


class CommonSettings(BaseSettings):
    # Variables are EW_* (and a service's own prefix); field names work in code and tests.
    model_config = SettingsConfigDict(env_prefix="EW_", extra="ignore", validate_by_name=True)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    nats_url: str = "nats://127.0.0.1:4322"
    # One secret signs the identity the gateway hands to services; services only verify it.
    identity_secret: SecretStr = SecretStr(DEV_IDENTITY_SECRET)
    # Key material for encrypting and hashing personal data (ID numbers, phones, accounts).
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)
    log_level: str = "INFO"
    log_json: bool = True
    # Relay and consumer tuning; tests shorten them.
    relay_poll_seconds: float = Field(default=0.5, gt=0)
    publish_timeout_seconds: float = Field(default=3.0, gt=0)
    consumer_max_deliver: int = Field(default=8, ge=2)
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)
    consumer_retry_delay_seconds: float = Field(default=1.0, ge=0)
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # Prefix of every subject and stream name; empty in deployments. Tests give each test its
    # own namespace so that runs sharing one NATS server never see each other's events.
    event_namespace: str = Field(default="", pattern=r"^[a-z0-9]*$", max_length=30)

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
