"""Reporting one sale: work that spans the sales, the catalogue, the store and its business days.

Kept apart from ``service.py`` because the day close (``days.service``) reads the sales, and a
sale must take its day's lock: the flow imports both without a cycle."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.products.catalogue import service as catalogue
from services.products.days import service as days
from services.products.errors import DayClosed, DuplicateReceipt
from services.products.sales import rules
from services.products.sales import service as sales
from services.products.sales.schemas import SaleCreate, SalePublic
from services.products.stores import service as stores
from services.products.stores.tables import Store


async def report_sale(
    session: AsyncSession,
    store: Store,
    body: SaleCreate,
    *,
    actor: str,
    now: datetime,
    skew_seconds: int,
) -> SalePublic:
    """Check a sale against the catalogue, its day (locked shared) and the store's receipts, and
    record it with its rollups and event."""
    stores.ensure_active(store)
    catalogue_rows = await catalogue.products_by_skus(session, (ln.sku for ln in body.lines))
    sale = rules.prepare_sale(body, catalogue_rows, now=now, skew_seconds=skew_seconds)
    closed = await days.lock_open_days(session, store.id, [sale.business_date])
    if closed:
        raise DayClosed(sale.business_date)
    if await sales.existing_receipts(session, store.id, [sale.receipt_number]):
        raise DuplicateReceipt(sale.receipt_number)
    await sales.record_sales(session, store.id, [sale], actor=actor, recorded_at=now)
    return sales.recorded_sale(store.id, sale, recorded_at=now)
