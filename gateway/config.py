from functools import lru_cache

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    database_url: str = Field(default="", validation_alias=AliasChoices("GATEWAY_DATABASE_URL", "database_url"))


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
