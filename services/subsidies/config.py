from functools import lru_cache
from typing import Self

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings

DEV_AUDIT_KEY = "dev-audit-key-change-me-0123456789abcdef"


class SubsidiesSettings(ServiceSettings):
    service_name: str = "subsidies"
    database_url: str = Field(default="", validation_alias="SUBSIDIES_DATABASE_URL")
    migration_database_url: str = Field(
        default="", validation_alias="SUBSIDIES_MIGRATION_DATABASE_URL"
    )
    # Keys the audit chain (HMAC-SHA256). The database never holds it, so someone who can write
    # the audit table still cannot make a forged or recomputed entry verify.
    audit_key: SecretStr = Field(
        default=SecretStr(DEV_AUDIT_KEY), validation_alias="SUBSIDIES_AUDIT_KEY"
    )
    # How often the head of the audit chain is anchored outside the database (a JetStream
    # key-value bucket), besides at every payment export.
    audit_anchor_seconds: float = Field(
        default=300.0, gt=0, validation_alias="SUBSIDIES_AUDIT_ANCHOR_SECONDS"
    )
    # Entries up to this seq were written before the chain was keyed (plain SHA-256); 0 on an
    # installation that started keyed. Set once, when upgrading an existing installation.
    audit_legacy_until_seq: int = Field(
        default=0, ge=0, validation_alias="SUBSIDIES_AUDIT_LEGACY_UNTIL_SEQ"
    )

    # Objections the public may send from one client address in 24 hours (the gateway's rate
    # limit per address is per second; this bounds what one address can put before the clerks).
    public_objections_per_address_per_day: int = Field(
        default=10, ge=1, le=10_000, validation_alias="SUBSIDIES_PUBLIC_OBJECTIONS_PER_ADDRESS"
    )

    @model_validator(mode="after")
    def _refuse_default_audit_key(self) -> Self:
        key = self.audit_key.get_secret_value()
        if self.env != "development" and (key == DEV_AUDIT_KEY or len(key) < 32):
            raise ValueError(
                "SUBSIDIES_AUDIT_KEY must be set to a random value of at least 32 characters "
                f"when EW_ENV={self.env}"
            )
        return self


@lru_cache
def get_settings() -> SubsidiesSettings:
    return SubsidiesSettings()
