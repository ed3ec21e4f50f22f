"""The subsidies service: employment subsidies reviewed, approved and paid by the labour bureau."""

import asyncio

from fastapi import FastAPI

from services.subsidies.api import OPENAPI_TAGS, router
from services.subsidies.audit import service as audit
from services.subsidies.config import SubsidiesSettings, get_settings
from services.subsidies.consumers import subscriptions
from shared.app import create_service_app
from shared.db import utcnow


def create_app(settings: SubsidiesSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    async def start_audit_chain(app: FastAPI) -> None:
        # Every session appends with the audit key; the head is anchored in NATS periodically
        # and after each payment export, once messaging is up (writes never wait for it).
        anchorer = audit.AuditAnchorer(
            app.state.sessionmaker,
            namespace=settings.event_namespace,
            interval=settings.audit_anchor_seconds,
            replicas=settings.stream_replicas,
        )
        chain = audit.ChainKey(
            settings.audit_key.get_secret_value().encode(), settings.audit_legacy_until_seq
        )
        audit.bind(app.state.sessionmaker, chain, anchorer)
        app.state.audit_anchorer = anchorer
        app.state.tasks.append(
            asyncio.create_task(
                anchorer.run(app.state.messaging_ready, lambda: app.state.nats),
                name="audit-anchor",
            )
        )

    app = create_service_app(
        settings=settings,
        title="Subsidies service",
        description="Subsidy programs and funds, eligibility from employment events, review, "
        "public notice, payment batches, bank reconciliation and audit.",
        routers=[router],
        subscriptions=subscriptions,
        openapi_tags=OPENAPI_TAGS,
        on_startup=start_audit_chain,
    )
    # The one source of "now" for review decisions and notice periods; tests replace it.
    app.state.clock = utcnow
    return app


app = create_app()
