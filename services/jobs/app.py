"""The jobs service: Haizhu job postings, Weng'an workers, job fairs, training and placements."""

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from services.jobs import service
from services.jobs.config import JobsSettings, get_settings
from services.jobs.consumers import subscriptions
from services.jobs.dependencies import local_today
from services.jobs.routes import router
from shared.app import create_service_app

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


async def sweep_expired_postings(app: FastAPI) -> None:
    """Close postings past their valid-through date even when nobody touches them."""
    settings: JobsSettings = app.state.settings
    while True:
        await asyncio.sleep(settings.expiry_sweep_seconds)
        try:
            async with app.state.sessionmaker() as session, session.begin():
                expired = await service.expire_overdue_postings(session, app.state.clock())
            if expired and app.state.relay is not None:
                app.state.relay.wake()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database down: try again next round
            log.warning("expiry_sweep_failed", error=type(exc).__name__)


def create_app(settings: JobsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    async def on_startup(app: FastAPI) -> None:
        # Replaceable in tests: every rule about "today" reads this clock.
        app.state.clock = functools.partial(local_today, settings.utc_offset_hours)
        app.state.tasks.append(
            asyncio.create_task(sweep_expired_postings(app), name="posting-expiry")
        )

    app = create_service_app(
        settings=settings,
        title="Jobs service",
        description="Haizhu partners' job postings for Weng'an workers, the worker registry, "
        "job fairs, training sessions, placements and monthly employment confirmations. "
        "Events it publishes are documented in `services/jobs/events.py` and docs/events.",
        routers=[router],
        subscriptions=subscriptions,
        openapi_tags=OPENAPI_TAGS,
        on_startup=on_startup,
    )
    shared_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with shared_lifespan(app):
            yield
            await stop_background_tasks(app)

    app.router.lifespan_context = lifespan
    return app


async def stop_background_tasks(app: FastAPI, *, within: float = 10.0) -> None:
    """Cancel the background tasks until they are really done. On Python 3.11 a single cancel
    can be swallowed by ``asyncio.wait_for`` when the awaited future completes at the same
    moment (CPython gh-86296), which the outbox relay's idle wait hits whenever a request has
    just woken it; the shared shutdown then waits on a relay that keeps running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for task in list(getattr(app.state, "tasks", [])):
        while not task.done() and loop.time() < deadline:
            task.cancel()
            await asyncio.wait({task}, timeout=0.2)


app = create_app()
