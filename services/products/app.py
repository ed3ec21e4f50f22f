"""The products service: sales of Weng'an farm products through Haizhu flagship stores."""

from fastapi import FastAPI

from services.products.config import ProductsSettings, get_settings
from services.products.consumers import subscriptions
from services.products.routes import router
from shared.app import create_service_app


def create_app(settings: ProductsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or get_settings(),
        title="Products service",
        description="Catalogue of Weng'an products, flagship stores in Haizhu, sales they report, "
        "corrections, day close and sales statistics.",
        routers=[router],
        subscriptions=subscriptions,
    )


app = create_app()
