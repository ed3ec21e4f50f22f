from functools import lru_cache

from pydantic import Field

from shared.settings import ServiceSettings


class SubsidiesSettings(ServiceSettings):
    service_name: str = "subsidies"
    database_url: str = Field(default="", validation_alias="SUBSIDIES_DATABASE_URL")


@lru_cache
def get_settings() -> SubsidiesSettings:
    return SubsidiesSettings()
