from functools import lru_cache

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class ProductsSettings(ServiceSettings):
    service_name: str = "products"
    database_url: str = Field(default="", validation_alias=AliasChoices("PRODUCTS_DATABASE_URL", "database_url"))


@lru_cache
def get_settings() -> ProductsSettings:
    return ProductsSettings()
