"""API models of the sales: a sale as a store reports it, corrections, and what is read back."""

import enum
import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, ConfigDict
from pydantic import Field as PydField
from sqlmodel import Field, SQLModel

from services.products.inputs import (
    MAX_LINES_PER_SALE,
    MAX_QUANTITY,
    MAX_UNIT_PRICE_FEN,
    SaleInput,
)
from services.products.sales.examples import CORRECTION_EXAMPLES, SALE_EXAMPLE


class SaleKind(enum.StrEnum):
    sale = "sale"
    correction = "correction"
    void = "void"


class SaleLineIn(SaleInput):
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


class SaleCreate(SaleInput):
    """A sale as a store's point-of-sale system reports it. No totals: the server computes them."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [SALE_EXAMPLE]}
    )

    receipt_number: str = PydField(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="Unique per store; printable ASCII, no spaces.",
    )
    sold_at: AwareDatetime = PydField(description="When the sale happened, with a time zone.")
    lines: list[SaleLineIn] = PydField(min_length=1, max_length=MAX_LINES_PER_SALE)


class CorrectionCreate(SaleInput):
    """A void (cancels every line) or a correction (the lines the sale should have had)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": CORRECTION_EXAMPLES},
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


# --- traceability ------------------------------------------------------------------------------


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
