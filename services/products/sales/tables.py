"""Tables of the sales. Sales and their lines are append-only: a correction or a void is a new
``sales`` row (``kind`` "correction"/"void") pointing at the original, whose lines are the signed
delta."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, String, text
from sqlmodel import Field

from services.products.db import BigIntPK, ProductsModel
from shared.db import UTCDateTime, new_id, utcnow


class Sale(ProductsModel, table=True):
    """One recorded fact: a sale, or a correction/void of one (never edited afterwards)."""

    __tablename__ = "sales"
    __table_args__ = (
        # A receipt number is unique per store among original sales; corrections repeat it.
        Index(
            "uq_sales_store_receipt",
            "store_id",
            "receipt_number",
            unique=True,
            postgresql_where=text("kind = 'sale'"),
            sqlite_where=text("kind = 'sale'"),
        ),
        Index("ix_sales_store_sold_at", "store_id", "sold_at", "id"),
        Index("ix_sales_original", "original_sale_id"),
        Index("ix_sales_store_day", "store_id", "business_date"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    store_id: uuid.UUID = Field(foreign_key="stores.id")
    kind: str = Field(sa_type=String(20))
    receipt_number: str = Field(max_length=64)
    original_sale_id: uuid.UUID | None = Field(default=None, foreign_key="sales.id")
    sold_at: datetime = Field(sa_type=UTCDateTime)
    business_date: date
    total_quantity: int = Field(sa_type=BigInteger)
    total_grams: int = Field(sa_type=BigInteger)
    total_fen: int = Field(sa_type=BigInteger)
    line_count: int
    reason: str | None = Field(default=None, max_length=500)
    batch_id: uuid.UUID | None = Field(default=None)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=120)


class SaleLine(ProductsModel, table=True):
    """A line of a sale, or a signed delta line of a correction."""

    __tablename__ = "sale_lines"

    id: int | None = Field(
        default=None, sa_column=Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    sale_id: uuid.UUID = Field(foreign_key="sales.id", index=True)
    line_no: int
    product_id: uuid.UUID = Field(foreign_key="products.id")
    sku: str = Field(max_length=64)
    quantity: int = Field(sa_type=BigInteger)
    unit_price_fen: int = Field(sa_type=BigInteger)
    grams: int = Field(sa_type=BigInteger)
    fen: int = Field(sa_type=BigInteger)
