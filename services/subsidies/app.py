"""The subsidies service: employment subsidies reviewed, approved and paid by the labour bureau."""

from fastapi import FastAPI

from services.subsidies.config import SubsidiesSettings, get_settings
from services.subsidies.consumers import subscriptions
from services.subsidies.routes import OPENAPI_TAGS, router
from shared.app import create_service_app
from shared.db import utcnow


def create_app(settings: SubsidiesSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings=settings or get_settings(),
        title="Subsidies service",
        description="Subsidy programs and funds, eligibility from employment events, review, "
        "public notice, payment batches, bank reconciliation and audit.",
        routers=[router],
        subscriptions=subscriptions,
        openapi_tags=OPENAPI_TAGS,
    )
    # The one source of "now" for review decisions and notice periods; tests replace it.
    app.state.clock = utcnow
    return app


app = create_app()
