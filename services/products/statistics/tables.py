"""The two rollups statistics read, updated in the same transaction as every sale, batch and
correction, so statistics never scan sale lines."""

import uuid
from datetime import date

from sqlalchemy import BigInteger, Index
from sqlmodel import Field

from services.products.db import ProductsModel


class DailyRollup(ProductsModel, table=True):
    """Sums per (business day, store, product); ``month`` is kept to group without date maths."""

    __tablename__ = "sales_daily_rollup"
    __table_args__ = (Index("ix_sales_daily_rollup_month", "month"),)

    business_date: date = Field(primary_key=True)
    store_id: uuid.UUID = Field(primary_key=True, foreign_key="stores.id")
    product_id: uuid.UUID = Field(primary_key=True, foreign_key="products.id")
    month: date
    quantity: int = Field(sa_type=BigInteger)
    grams: int = Field(sa_type=BigInteger)
    fen: int = Field(sa_type=BigInteger)


class MonthlyRollup(ProductsModel, table=True):
    """Sums per (month, store, product); ``month`` is the first day of the month."""

    __tablename__ = "sales_monthly_rollup"

    month: date = Field(primary_key=True)
    store_id: uuid.UUID = Field(primary_key=True, foreign_key="stores.id")
    product_id: uuid.UUID = Field(primary_key=True, foreign_key="products.id")
    quantity: int = Field(sa_type=BigInteger)
    grams: int = Field(sa_type=BigInteger)
    fen: int = Field(sa_type=BigInteger)
