from functools import lru_cache

from pydantic import Field

from shared.settings import ServiceSettings


class JobsSettings(ServiceSettings):
    service_name: str = "jobs"
    database_url: str = Field(default="", validation_alias="JOBS_DATABASE_URL")
    migration_database_url: str = Field(default="", validation_alias="JOBS_MIGRATION_DATABASE_URL")
    # "Stable employment" in the program's reports: this many consecutive confirmed months
    # (稳定就业; published subsidy rules use 3 or 6 months, so it is configuration).
    stable_months: int = Field(default=6, ge=1, le=36, validation_alias="JOBS_STABLE_MONTHS")
    # Working days and months are those of Weng'an and Haizhu (China Standard Time, no DST).
    utc_offset_hours: int = Field(
        default=8,
        ge=-12,
        le=14,
        validation_alias="JOBS_UTC_OFFSET_HOURS",
    )
    # How often the background sweep moves postings past their valid-through date to expired.
    expiry_sweep_seconds: float = Field(
        default=300.0,
        gt=0,
        validation_alias="JOBS_EXPIRY_SWEEP_SECONDS",
    )
    # A batch of monthly confirmations (a partner's payroll month) takes at most this many lines.
    confirmation_batch_max_lines: int = Field(
        default=1000,
        ge=1,
        le=10_000,
        validation_alias="JOBS_CONFIRMATION_BATCH_MAX_LINES",
    )


@lru_cache
def get_settings() -> JobsSettings:
    return JobsSettings()
