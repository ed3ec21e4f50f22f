"""The jobs service: Haizhu job postings, Weng'an workers, job fairs, training and placements."""

import asyncio

import structlog
from fastapi import FastAPI

from services.jobs.config import JobsSettings, get_settings
from services.jobs.consumers import subscriptions
from services.jobs.postings import service as postings
from services.jobs.routes import router
from shared.app import create_service_app
from shared.runtime import ServiceRuntime

log = structlog.get_logger("jobs")

OPENAPI_TAGS = [
    {"name": "postings", "description": "Job postings of Haizhu partners; open ones are public."},
    {
        "name": "applications",
        "description": "Applications to postings, made by the bureau for workers.",
    },
    {
        "name": "employers",
        "description": "Haizhu partners, Weng'an workshops and dedicated-post units.",
    },
    {"name": "workers", "description": "The Weng'an worker registry (personal data, masked)."},
    {"name": "job fairs", "description": "Joint job fairs: employers taking part, attendance."},
    {"name": "training", "description": "Labour training sessions: attendance and completion."},
    {"name": "placements", "description": "Hires and monthly employment confirmations."},
    {"name": "statistics", "description": "Figures the program reports."},
]


async def sweep_expired_postings(runtime: ServiceRuntime[JobsSettings]) -> None:
    """Close postings past their valid-through date even when nobody touches them."""
    while True:
        await asyncio.sleep(runtime.settings.expiry_sweep_seconds)
        try:
            async with runtime.sessionmaker() as session, session.begin():
                expired = await postings.expire_overdue_postings(session, runtime.today())
            if expired:
                runtime.wake_relay()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database down: try again next round
            log.warning("expiry_sweep_failed", error=type(exc).__name__)


def create_app(settings: JobsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    async def on_startup(runtime: ServiceRuntime[JobsSettings]) -> None:
        # Every rule about "today" reads the runtime's clock, in the configured zone.
        runtime.utc_offset_hours = runtime.settings.utc_offset_hours
        runtime.tasks.append(
            asyncio.create_task(sweep_expired_postings(runtime), name="posting-expiry")
        )

    return create_service_app(
        settings=settings,
        title="Jobs service",
        description="Haizhu partners' job postings for Weng'an workers, the worker registry, "
        "job fairs, training sessions, placements and monthly employment confirmations. "
        "Its published events are the contract in `services/jobs/events.py`, described in the "
        "service README.",
        routers=[router],
        subscriptions=subscriptions,
        openapi_tags=OPENAPI_TAGS,
        on_startup=on_startup,
    )


app = create_app()
