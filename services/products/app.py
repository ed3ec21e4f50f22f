"""The products service: sales of Weng'an farm products through Haizhu flagship stores.

The composition root: each feature's routers, in the order the API lists them."""

from fastapi import APIRouter, FastAPI

from services.products import tables  # noqa: F401 - every table on the metadata
from services.products.catalogue.routes import router as catalogue_router
from services.products.config import ProductsSettings, get_settings
from services.products.consumers import subscriptions
from services.products.days.routes import router as days_router
from services.products.sales.routes import staff_router as sales_staff_router
from services.products.sales.routes import store_router as sales_store_router
from services.products.statistics.routes import staff_router as statistics_staff_router
from services.products.statistics.routes import store_router as statistics_store_router
from services.products.stores.routes import router as stores_router
from shared.app import create_service_app

# The features' routers in the order the API lists them (route order is path order in OpenAPI).
routers: list[APIRouter] = [
    catalogue_router,  # suppliers, products
    stores_router,  # stores, and /stores/me before /stores/{store_id}
    sales_store_router,  # the calling store's sales, single and batch, and corrections
    days_router,
    statistics_store_router,
    sales_staff_router,  # every store's sales, traceability
    statistics_staff_router,
]


def create_app(settings: ProductsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or get_settings(),
        title="Products service",
        description="Catalogue of Weng'an products, flagship stores in Haizhu, sales they report, "
        "corrections, day close and sales statistics.",
        routers=routers,
        subscriptions=subscriptions,
    )


app = create_app()
