"""The stores table."""

import uuid
from datetime import datetime

from sqlmodel import Field

from services.products.db import ProductsModel
from services.products.stores.schemas import StoreBase
from shared.db import UTCDateTime, new_id, utcnow


class Store(StoreBase, ProductsModel, table=True):
    __tablename__ = "stores"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
