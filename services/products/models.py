"""Tables and API schemas of the products service, on its own metadata.

Catalogue (suppliers, products), flagship stores, sales with their lines, store days and the
two rollups that statistics read. Sales and their lines are append-only: a correction or a void
is a new ``sales`` row (``kind`` "correction"/"void") pointing at the original, whose lines are
the signed delta. The rollups hold sums per (day|month, store, product) and are updated in the
same transaction as every sale or correction, so statistics never scan sale lines.
"""

import enum
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydField
from sqlalchemy import BigInteger, Column, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from shared.db import UTCDateTime, new_id, new_registry, utcnow
from shared.events import add_event_tables
from shared.validation import as_written

MAX_QUANTITY = 100_000
MAX_UNIT_PRICE_FEN = 1_000_000_000
MAX_LINES_PER_SALE = 200
MAX_NET_WEIGHT_GRAMS = 1_000_000  # one tonne per unit is more than any product here weighs
MAX_POOR_HOUSEHOLDS = 1_000_000
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class ProductsModel(SQLModel, registry=new_registry()):
    pass


metadata = ProductsModel.metadata
event_tables = add_event_tables(metadata)


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


class StoreKind(enum.StrEnum):
    flagship_store = "flagship_store"
    exhibition_centre = "exhibition_centre"


class SaleKind(enum.StrEnum):
    sale = "sale"
    correction = "correction"
    void = "void"


def _strip(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    # PostgreSQL text cannot hold NUL; refuse it here as a 422 rather than at the database.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value.strip()


class _Input(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)

    @field_validator("*", mode="before")
    @classmethod
    def _strip_strings(cls, value: Any) -> Any:
        return _strip(value)


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


class SupplierCreate(SupplierBase, _Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {  # type: ignore[assignment]
                    "name": "Weng'an Houchang Tea Cooperative",
                    "kind": "cooperative",
                    "township": "Houchang",
                    "poor_households_linked": 128,
                }
            ]
        },
    )


class SupplierUpdate(_Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: SupplierKind | None = None
    township: str | None = Field(default=None, min_length=1, max_length=100)
    poor_households_linked: int | None = Field(default=None, ge=0, le=MAX_POOR_HOUSEHOLDS)


class Supplier(SupplierBase, ProductsModel, table=True):
    __tablename__ = "suppliers"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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


class ProductCreate(ProductBase, _Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {  # type: ignore[assignment]
                    "sku": "WA-TEA-250",
                    "name": "Weng'an Yellow Tea 250 g",
                    "category": "tea",
                    "supplier_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "unit": "box",
                    "net_weight_grams": 250,
                    "certification_number": "XFBF-2020-0042",
                    "list_price_fen": 16800,
                }
            ]
        },
    )

    sku: str = Field(
        min_length=1, max_length=64, schema_extra={"pattern": r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"}
    )
    supplier_id: uuid.UUID
    net_weight_grams: int = Field(gt=0, le=MAX_NET_WEIGHT_GRAMS)


class ProductUpdate(_Input):
    """What may change on a product. SKU, supplier and net weight are fixed once created,
    because recorded sales and rollups depend on them: archive the product and create a new
    SKU instead."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    category: Category | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=30)
    certification_number: str | None = Field(default=None, max_length=64)
    list_price_fen: int | None = Field(default=None, ge=0, le=MAX_UNIT_PRICE_FEN)


class Product(ProductBase, ProductsModel, table=True):
    __tablename__ = "products"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    sku: str = Field(max_length=64, unique=True)
    supplier_id: uuid.UUID = Field(foreign_key="suppliers.id", index=True)
    net_weight_grams: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProductPublic(ProductBase):
    id: uuid.UUID
    sku: str
    supplier_id: uuid.UUID
    net_weight_grams: int
    created_at: datetime
    archived_at: datetime | None


# --- stores ----------------------------------------------------------------------------------


class StoreBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: StoreKind = Field(sa_type=String(30))
    address: str = Field(min_length=1, max_length=300)


class StoreCreate(StoreBase, _Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {  # type: ignore[assignment]
                    "name": "Weng'an Specialties Flagship Store (Jiangnan West)",
                    "kind": "flagship_store",
                    "address": "Jiangnan West Road, Haizhu District, Guangzhou",
                }
            ]
        },
    )


class StoreUpdate(_Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: StoreKind | None = None
    address: str | None = Field(default=None, min_length=1, max_length=300)


class Store(StoreBase, ProductsModel, table=True):
    __tablename__ = "stores"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StorePublic(StoreBase):
    id: uuid.UUID
    created_at: datetime
    archived_at: datetime | None


# --- sales -----------------------------------------------------------------------------------


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


# --- sale API schemas ------------------------------------------------------------------------


class _SaleInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)


class SaleLineIn(_SaleInput):
    """One line of a sale. Quantity and price are range-checked by the service, not here, so
    that a bad line is reported with its line number and a reason code, in a single report and
    in a batch alike."""

    sku: str = PydField(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    quantity: int = PydField(
        description="Units sold: a positive integer.",
        json_schema_extra={"minimum": 1, "maximum": MAX_QUANTITY},
    )
    unit_price_fen: int = PydField(
        description="Price of one unit in fen (0 for a free sample).",
        json_schema_extra={"minimum": 0, "maximum": MAX_UNIT_PRICE_FEN},
    )


_SALE_EXAMPLE: dict[str, Any] = {
    "receipt_number": "HZ01-20201015-0042",
    "sold_at": "2020-10-15T06:30:00Z",
    "lines": [{"sku": "WA-TEA-250", "quantity": 2, "unit_price_fen": 16800}],
}


class SaleCreate(_SaleInput):
    """A sale as a store's point-of-sale system reports it. No totals: the server computes them."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [_SALE_EXAMPLE]}
    )

    receipt_number: str = PydField(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="Unique per store; printable ASCII, no spaces.",
    )
    sold_at: AwareDatetime = PydField(description="When the sale happened, with a time zone.")
    lines: list[SaleLineIn] = PydField(min_length=1, max_length=MAX_LINES_PER_SALE)


class CorrectionCreate(_SaleInput):
    """A void (cancels every line) or a correction (the lines the sale should have had)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "correction",
                    "reason": "cashier keyed 3 boxes instead of 2",
                    "lines": [{"sku": "WA-TEA-250", "quantity": 2, "unit_price_fen": 16800}],
                },
                {"kind": "void", "reason": "customer returned the goods"},
            ]
        },
    )

    kind: Literal["correction", "void"]
    reason: str = PydField(min_length=1, max_length=500, pattern=r"^[^\x00]+$")
    lines: list[SaleLineIn] | None = PydField(
        default=None,
        min_length=1,
        max_length=MAX_LINES_PER_SALE,
        description="For a correction: every line the sale should have had. None for a void.",
    )


class SaleLinePublic(SQLModel):
    line_no: int
    product_id: uuid.UUID
    sku: str
    quantity: int
    unit_price_fen: int
    grams: int
    fen: int


class SalePublic(SQLModel):
    id: uuid.UUID
    store_id: uuid.UUID
    kind: SaleKind
    receipt_number: str
    original_sale_id: uuid.UUID | None
    sold_at: datetime
    business_date: date
    recorded_at: datetime
    total_quantity: int
    total_grams: int
    total_fen: int
    reason: str | None
    lines: list[SaleLinePublic]


class SaleDetail(SalePublic):
    """An original sale with what its corrections made of it."""

    status: Literal["recorded", "corrected", "voided"] | None = Field(
        default=None, description="For an original sale: recorded, corrected or voided."
    )
    corrections: list[SalePublic] = []
    current_lines: list[SaleLinePublic] = Field(
        default=[], description="The lines in force after every correction (net)."
    )
    current_total_grams: int = 0
    current_total_fen: int = 0


class BatchLineResult(SQLModel):
    line: int = Field(description="1-based line of the uploaded body (CSV: header is line 1).")
    receipt_number: str | None
    status: Literal["accepted", "rejected"]
    sale_id: uuid.UUID | None = None
    code: str | None = None
    reason: str | None = None


class BatchResult(SQLModel):
    batch_id: uuid.UUID
    format: Literal["ndjson", "csv"]
    lines: int
    sales_accepted: int
    sales_rejected: int
    lines_accepted: int
    lines_rejected: int
    total_grams: int
    total_fen: int
    results: list[BatchLineResult]


class DayPublic(SQLModel):
    store_id: uuid.UUID
    business_date: date
    closed: bool
    closed_at: datetime | None
    closed_totals: dict[str, int] | None = Field(
        default=None, description="Totals computed when the day was closed."
    )
    current_totals: dict[str, int] = Field(
        description="Totals now, including corrections made after the close."
    )


# --- statistics and traceability ------------------------------------------------------------


class StatsRow(SQLModel):
    store_id: uuid.UUID | None = None
    store_name: str | None = None
    product_id: uuid.UUID | None = None
    sku: str | None = None
    product_name: str | None = None
    category: str | None = None
    supplier_id: uuid.UUID | None = None
    supplier_name: str | None = None
    township: str | None = None
    month: str | None = None
    quantity: int
    grams: int
    tonnes: str
    fen: int
    yuan: str


class StatsResult(SQLModel):
    date_from: date | None
    date_to: date | None
    group_by: list[str]
    source: Literal["monthly", "daily"] = Field(
        description="Which rollup answered: whole months use the monthly one."
    )
    rows: list[StatsRow]
    total: StatsRow


class TraceLine(SQLModel):
    line_no: int
    sku: str
    product_id: uuid.UUID
    product_name: str
    category: str
    quantity: int
    grams: int
    fen: int
    certification_number: str | None
    supplier_id: uuid.UUID
    supplier_name: str
    supplier_kind: str
    township: str
    poor_households_linked: int


class TraceResult(SQLModel):
    sale_id: uuid.UUID
    kind: SaleKind
    store_id: uuid.UUID
    store_name: str
    receipt_number: str
    business_date: date
    lines: list[TraceLine]
    suppliers: int
    poor_households_linked: int = Field(
        description="Poor households linked to the distinct suppliers of this sale."
    )
