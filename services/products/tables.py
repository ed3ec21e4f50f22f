"""Every table of the products service, on its own metadata: importing this module registers them
all (Alembic's environment and the tests read ``metadata`` from here).

Catalogue (suppliers, products), stores, sales with their lines, store days and the two rollups
that statistics read, each defined in its feature's ``tables.py``."""

from services.products.catalogue.tables import Product, Supplier
from services.products.days.tables import StoreDay
from services.products.db import ProductsModel, event_tables, metadata
from services.products.sales.tables import Sale, SaleLine
from services.products.statistics.tables import DailyRollup, MonthlyRollup
from services.products.stores.tables import Store

__all__ = [
    "DailyRollup",
    "MonthlyRollup",
    "Product",
    "ProductsModel",
    "Sale",
    "SaleLine",
    "Store",
    "StoreDay",
    "Supplier",
    "event_tables",
    "metadata",
]
