from functools import lru_cache

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class JobsSettings(ServiceSettings):
    service_name: str = "jobs"
    database_url: str = Field(
        default="", validation_alias=AliasChoices("JOBS_DATABASE_URL", "database_url")
    )
    # "Stable employment" in the program's reports: this many consecutive confirmed months
    # (稳定就业; published subsidy rules use 3 or 6 months, so it is configuration).
    stable_months: int = Field(
        default=6, ge=1, le=36, validation_alias=AliasChoices("JOBS_STABLE_MONTHS", "stable_months")
    )
    # Working days and months are those of Weng'an and Haizhu (China Standard Time, no DST).
    utc_offset_hours: int = Field(
        default=8,
        ge=-12,
        le=14,
        validation_alias=AliasChoices("JOBS_UTC_OFFSET_HOURS", "utc_offset_hours"),
    )
    # How often the background sweep moves postings past their valid-through date to expired.
    expiry_sweep_seconds: float = Field(
        default=300.0,
        gt=0,
        validation_alias=AliasChoices("JOBS_EXPIRY_SWEEP_SECONDS", "expiry_sweep_seconds"),
    )


@lru_cache
def get_settings() -> JobsSettings:
    return JobsSettings()
