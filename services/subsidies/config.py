from functools import lru_cache

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class SubsidiesSettings(ServiceSettings):
    service_name: str = "subsidies"
    database_url: str = Field(
        default="", validation_alias=AliasChoices("SUBSIDIES_DATABASE_URL", "database_url")
    )


@lru_cache
def get_settings() -> SubsidiesSettings:
    return SubsidiesSettings()
