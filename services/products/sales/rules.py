"""Rules of a sale that need no database: plain functions over the catalogue rows a sale refers
to (see ``catalogue.service.products_by_skus``) and the lines already recorded.

From the program: totals are computed here from quantities, unit prices and the catalogue's net
weights, never sent by a client; a sale's business day is its date in China time; nothing is
edited in place, so a correction is the signed difference from the lines in force."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.products.clock import EARLIEST_SALE, business_date_of
from services.products.errors import SaleRejected
from services.products.events import SaleLineData
from services.products.inputs import MAX_QUANTITY, MAX_UNIT_PRICE_FEN
from services.products.sales.schemas import SaleCreate, SaleLineIn

# (product id, unit price in fen): lines of a sale are netted per this key.
LineKey = tuple[uuid.UUID, int]


@dataclass
class PreparedSale:
    """A sale that passed every rule that needs no lock: ready to record."""

    receipt_number: str
    sold_at: datetime
    business_date: date
    lines: list[dict[str, Any]]
    supplier_of: dict[uuid.UUID, uuid.UUID]
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def total_quantity(self) -> int:
        return sum(line["quantity"] for line in self.lines)

    @property
    def total_grams(self) -> int:
        return sum(line["grams"] for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line["fen"] for line in self.lines)


def check_line(
    index: int,
    line: SaleLineIn,
    catalogue: Mapping[str, Any],
    *,
    allow_archived: frozenset[str] = frozenset(),
) -> Any:
    """The rules of one line; ``index`` is 1-based. Returns the catalogue row."""
    if line.quantity <= 0:
        raise SaleRejected(
            "non_positive_quantity",
            f"Sale line {index}: quantity must be a positive whole number of units.",
            line=index,
        )
    if line.quantity > MAX_QUANTITY:
        raise SaleRejected(
            "quantity_too_large",
            f"Sale line {index}: quantity may be at most {MAX_QUANTITY:,} units.",
            line=index,
        )
    if line.unit_price_fen < 0:
        raise SaleRejected(
            "negative_price", f"Sale line {index}: unit_price_fen may not be negative.", line=index
        )
    if line.unit_price_fen > MAX_UNIT_PRICE_FEN:
        raise SaleRejected(
            "price_too_large",
            f"Sale line {index}: unit_price_fen may be at most {MAX_UNIT_PRICE_FEN:,}.",
            line=index,
        )
    product = catalogue.get(line.sku)
    if product is None:
        raise SaleRejected(
            "unknown_sku",
            f"Sale line {index}: SKU {line.sku!r} is not in the catalogue.",
            line=index,
        )
    if product.archived_at is not None and line.sku not in allow_archived:
        raise SaleRejected(
            "archived_sku",
            f"Sale line {index}: SKU {line.sku!r} is archived and can no longer be sold.",
            line=index,
        )
    return product


def prepare_sale(
    sale: SaleCreate, catalogue: Mapping[str, Any], *, now: datetime, skew_seconds: int
) -> PreparedSale:
    """Apply every rule that needs no lock; raise :class:`SaleRejected` on the first broken one."""
    if sale.sold_at > now + timedelta(seconds=skew_seconds):
        raise SaleRejected(
            "future_sale_time",
            "sold_at is in the future; send the time the sale happened, with its time zone.",
        )
    if sale.sold_at < EARLIEST_SALE:
        raise SaleRejected("sale_time_out_of_range", "sold_at is before 2000-01-01.")
    lines = []
    supplier_of: dict[uuid.UUID, uuid.UUID] = {}
    for index, line in enumerate(sale.lines, 1):
        product = check_line(index, line, catalogue)
        supplier_of[product.id] = product.supplier_id
        lines.append(
            {
                "line_no": index,
                "product_id": product.id,
                "sku": product.sku,
                "quantity": line.quantity,
                "unit_price_fen": line.unit_price_fen,
                "grams": line.quantity * product.net_weight_grams,
                "fen": line.quantity * line.unit_price_fen,
            }
        )
    return PreparedSale(
        receipt_number=sale.receipt_number,
        sold_at=sale.sold_at.astimezone(UTC),
        business_date=business_date_of(sale.sold_at),
        lines=lines,
        supplier_of=supplier_of,
    )


def net_lines(records: Sequence[Sequence[Any]]) -> dict[LineKey, dict[str, Any]]:
    """The lines in force: every record's lines summed per (product, unit price)."""
    net: dict[LineKey, dict[str, Any]] = {}
    for lines in records:
        for ln in lines:
            entry = net.setdefault(
                (ln.product_id, ln.unit_price_fen),
                {
                    "product_id": ln.product_id,
                    "sku": ln.sku,
                    "unit_price_fen": ln.unit_price_fen,
                    "quantity": 0,
                    "grams": 0,
                    "fen": 0,
                },
            )
            entry["quantity"] += ln.quantity
            entry["grams"] += ln.grams
            entry["fen"] += ln.fen
    return {k: v for k, v in net.items() if v["quantity"] != 0}


def delta_lines(
    current: Mapping[LineKey, Mapping[str, Any]],
    wanted: Mapping[LineKey, int],
    products: Mapping[uuid.UUID, Any],
) -> list[dict[str, Any]]:
    """The signed lines that turn the lines in force into the wanted quantities, in a fixed
    order (product id, unit price); a void wants nothing, so it negates every line."""
    delta: list[dict[str, Any]] = []
    for key in sorted(set(current) | set(wanted), key=lambda k: (str(k[0]), k[1])):
        change = wanted.get(key, 0) - (current[key]["quantity"] if key in current else 0)
        if change == 0:
            continue
        product = products[key[0]]
        delta.append(
            {
                "line_no": len(delta) + 1,
                "product_id": product.id,
                "sku": product.sku,
                "quantity": change,
                "unit_price_fen": key[1],
                "grams": change * product.net_weight_grams,
                "fen": change * key[1],
            }
        )
    return delta


def totals_of(lines: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {
        "total_quantity": sum(ln["quantity"] for ln in lines),
        "total_grams": sum(ln["grams"] for ln in lines),
        "total_fen": sum(ln["fen"] for ln in lines),
    }


def line_data(
    lines: Sequence[Mapping[str, Any]], supplier_of: Mapping[uuid.UUID, uuid.UUID]
) -> list[SaleLineData]:
    """Lines as the events carry them."""
    return [
        SaleLineData(
            sku=ln["sku"],
            product_id=ln["product_id"],
            supplier_id=supplier_of[ln["product_id"]],
            quantity=ln["quantity"],
            unit_price_fen=ln["unit_price_fen"],
            grams=ln["grams"],
            fen=ln["fen"],
        )
        for ln in lines
    ]
