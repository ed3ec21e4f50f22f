"""Events the products service publishes: its public contract (v1).

Subjects are the event types. Ids are UUID strings, dates ISO ``YYYY-MM-DD``, times UTC ISO 8601,
money integer fen, weight integer grams. No personal data, and no free text (a correction's
reason stays in the service).

* ``products.sale.recorded`` — one per sale, whether reported alone or in a batch upload
  (``batch_id`` set then). Lines carry the supplier so a consumer can attribute sales to the
  enterprise or cooperative without asking the catalogue.
* ``products.sale.corrected`` — one per correction or void. ``lines`` are the signed deltas the
  correction applied (a void negates every line in force), attributed to the original sale's
  business date; ``current_total_*`` are the sale's totals after it.
* ``products.day.closed`` — a store closed a business day (China time); totals at the close.
  Corrections may follow a close; they arrive as ``products.sale.corrected``.
"""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events import Event


class SaleLineData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str
    product_id: uuid.UUID
    supplier_id: uuid.UUID
    quantity: int
    unit_price_fen: int
    grams: int
    fen: int


class SaleRecorded(Event):
    event_type = "products.sale.recorded"
    event_version = 1

    sale_id: uuid.UUID
    store_id: uuid.UUID
    receipt_number: str
    sold_at: datetime
    business_date: date
    lines: list[SaleLineData]
    total_grams: int
    total_fen: int
    batch_id: uuid.UUID | None = None


class SaleCorrected(Event):
    event_type = "products.sale.corrected"
    event_version = 1

    correction_id: uuid.UUID
    sale_id: uuid.UUID
    kind: Literal["correction", "void"]
    store_id: uuid.UUID
    receipt_number: str
    business_date: date
    lines: list[SaleLineData]
    delta_grams: int
    delta_fen: int
    current_total_grams: int
    current_total_fen: int


class DayClosed(Event):
    event_type = "products.day.closed"
    event_version = 1

    store_id: uuid.UUID
    business_date: date
    sale_count: int
    total_quantity: int
    total_grams: int
    total_fen: int
    closed_at: datetime
