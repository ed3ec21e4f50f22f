from functools import lru_cache

from pydantic import Field

from shared.settings import ServiceSettings


class ProductsSettings(ServiceSettings):
    service_name: str = "products"
    database_url: str = Field(default="", validation_alias="PRODUCTS_DATABASE_URL")
    migration_database_url: str = Field(
        default="", validation_alias="PRODUCTS_MIGRATION_DATABASE_URL"
    )
    # A batch upload's limits; the gateway's body limit is 2 MiB, so stay within it.
    batch_max_lines: int = Field(
        default=5000,
        ge=1,
        le=20_000,
        validation_alias="PRODUCTS_BATCH_MAX_LINES",
    )
    batch_max_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        validation_alias="PRODUCTS_BATCH_MAX_BYTES",
    )
    # Tills' clocks drift: a sale time this far ahead of the server's clock is still accepted.
    sale_clock_skew_seconds: int = Field(
        default=120,
        ge=0,
        le=3600,
        validation_alias="PRODUCTS_SALE_CLOCK_SKEW_SECONDS",
    )


@lru_cache
def get_settings() -> ProductsSettings:
    return ProductsSettings()
