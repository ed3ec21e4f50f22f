from functools import lru_cache

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class JobsSettings(ServiceSettings):
    service_name: str = "jobs"
    database_url: str = Field(default="", validation_alias=AliasChoices("JOBS_DATABASE_URL", "database_url"))


@lru_cache
def get_settings() -> JobsSettings:
    return JobsSettings()
