"""The store_days table."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field

from services.products.db import ProductsModel
from shared.db import UTCDateTime


class StoreDay(ProductsModel, table=True):
    """A store's business day (China time). The row exists once the day saw a sale or was
    closed; sales lock it shared so a close cannot race a sale of the same day."""

    __tablename__ = "store_days"

    store_id: uuid.UUID = Field(foreign_key="stores.id", primary_key=True)
    business_date: date = Field(primary_key=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=120)
    sale_count: int | None = None
    total_quantity: int | None = Field(default=None, sa_type=BigInteger)
    total_grams: int | None = Field(default=None, sa_type=BigInteger)
    total_fen: int | None = Field(default=None, sa_type=BigInteger)
