"""API models of the catalogue: suppliers and products."""

import enum
import uuid
from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import BigInteger, String
from sqlmodel import Field, SQLModel

from services.products.catalogue.examples import PRODUCT_EXAMPLE, SUPPLIER_EXAMPLE
from services.products.inputs import (
    MAX_NET_WEIGHT_GRAMS,
    MAX_POOR_HOUSEHOLDS,
    MAX_UNIT_PRICE_FEN,
    CatalogueInput,
)


class Category(enum.StrEnum):
    tea = "tea"
    vegetables = "vegetables"
    medicinal_herbs = "medicinal_herbs"
    fruit = "fruit"
    poultry = "poultry"
    pork = "pork"
    other = "other"


class SupplierKind(enum.StrEnum):
    enterprise = "enterprise"
    cooperative = "cooperative"


# --- suppliers -------------------------------------------------------------------------------


class SupplierBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: SupplierKind = Field(sa_type=String(20))
    township: str = Field(
        min_length=1,
        max_length=100,
        description="Township of Weng'an County the supplier is in (origin).",
    )
    poor_households_linked: int = Field(
        ge=0,
        le=MAX_POOR_HOUSEHOLDS,
        description="Registered-poor households linked to the supplier (利益联结).",
    )


class SupplierCreate(SupplierBase, CatalogueInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SUPPLIER_EXAMPLE]})


class SupplierUpdate(CatalogueInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: SupplierKind | None = None
    township: str | None = Field(default=None, min_length=1, max_length=100)
    poor_households_linked: int | None = Field(default=None, ge=0, le=MAX_POOR_HOUSEHOLDS)


class SupplierPublic(SupplierBase):
    id: uuid.UUID
    created_at: datetime
    archived_at: datetime | None


# --- products --------------------------------------------------------------------------------


class ProductBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    category: Category = Field(sa_type=String(30))
    unit: str = Field(min_length=1, max_length=30, description="Selling unit, e.g. box, bag, jar.")
    certification_number: str | None = Field(
        default=None,
        max_length=64,
        description="Consumption-assistance product certification number (消费帮扶产品认定).",
    )
    list_price_fen: int = Field(ge=0, le=MAX_UNIT_PRICE_FEN, sa_type=BigInteger)


class ProductCreate(ProductBase, CatalogueInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PRODUCT_EXAMPLE]})

    sku: str = Field(
        min_length=1, max_length=64, schema_extra={"pattern": r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"}
    )
    supplier_id: uuid.UUID
    net_weight_grams: int = Field(gt=0, le=MAX_NET_WEIGHT_GRAMS)


class ProductUpdate(CatalogueInput):
    """What may change on a product. SKU, supplier and net weight are fixed once created,
    because recorded sales and rollups depend on them: archive the product and create a new
    SKU instead."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    category: Category | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=30)
    certification_number: str | None = Field(default=None, max_length=64)
    list_price_fen: int | None = Field(default=None, ge=0, le=MAX_UNIT_PRICE_FEN)


class ProductPublic(ProductBase):
    id: uuid.UUID
    sku: str
    supplier_id: uuid.UUID
    net_weight_grams: int
    created_at: datetime
    archived_at: datetime | None
