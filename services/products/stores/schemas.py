"""API models of the stores: flagship stores and exhibition-and-sales centres in Haizhu."""

import enum
import uuid
from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from services.products.inputs import CatalogueInput
from services.products.stores.examples import STORE_EXAMPLE


class StoreKind(enum.StrEnum):
    flagship_store = "flagship_store"
    exhibition_centre = "exhibition_centre"


class StoreBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: StoreKind = Field(sa_type=String(30))
    address: str = Field(min_length=1, max_length=300)


class StoreCreate(StoreBase, CatalogueInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [STORE_EXAMPLE]})


class StoreUpdate(CatalogueInput):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: StoreKind | None = None
    address: str | None = Field(default=None, min_length=1, max_length=300)


class StorePublic(StoreBase):
    id: uuid.UUID
    created_at: datetime
    archived_at: datetime | None
