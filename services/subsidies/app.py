"""The subsidies service: employment subsidies reviewed, approved and paid by the labour bureau."""

import asyncio
from dataclasses import dataclass

from fastapi import FastAPI

from services.subsidies.api import OPENAPI_TAGS, router
from services.subsidies.audit import service as audit
from services.subsidies.config import SubsidiesSettings, get_settings
from services.subsidies.consumers import prepare_sessions, subscriptions
from shared.app import create_service_app
from shared.runtime import ServiceRuntime


@dataclass(eq=False)
class SubsidiesRuntime(ServiceRuntime[SubsidiesSettings]):
    """The service's runtime with its audit anchorer (anchors the audit chain's head in NATS)."""

    audit_anchorer: audit.AuditAnchorer | None = None


async def start_audit_chain(runtime: SubsidiesRuntime) -> None:
    # Every session appends with the audit key; the head is anchored in NATS periodically and
    # after each payment export, once messaging is up (writes never wait for it).
    settings = runtime.settings
    anchorer = audit.AuditAnchorer(
        runtime.sessionmaker,
        namespace=settings.event_namespace,
        interval=settings.audit_anchor_seconds,
        replicas=settings.stream_replicas,
    )
    prepare_sessions(runtime.sessionmaker, settings, anchorer)
    runtime.audit_anchorer = anchorer
    runtime.tasks.append(
        asyncio.create_task(
            anchorer.run(runtime.messaging_ready, lambda: runtime.nats), name="audit-anchor"
        )
    )


def create_app(settings: SubsidiesSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or get_settings(),
        title="Subsidies service",
        description="Subsidy programs and funds, eligibility from employment events, review, "
        "public notice, payment batches, bank reconciliation and audit.",
        routers=[router],
        subscriptions=subscriptions,
        openapi_tags=OPENAPI_TAGS,
        on_startup=start_audit_chain,
        runtime_class=SubsidiesRuntime,
    )


app = create_app()
