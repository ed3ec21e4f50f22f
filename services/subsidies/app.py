"""The subsidies service: employment subsidies reviewed, approved and paid by the labour bureau."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.subsidies.config import SubsidiesSettings, get_settings
from services.subsidies.consumers import subscriptions
from services.subsidies.routes import OPENAPI_TAGS, router
from shared.app import create_service_app
from shared.db import utcnow


async def cancel_until_done(
    tasks: list[asyncio.Task[None]], *, give_up_after: float = 10.0
) -> None:
    """Cancel background tasks until they have really stopped.

    On Python 3.11 ``asyncio.wait_for`` can swallow a cancellation that arrives in the same loop
    iteration as its result (fixed in 3.12); the relay's and consumers' NATS calls go through
    it, so a single ``cancel()`` — all the shared shutdown does before awaiting the task
    forever — occasionally leaves a relay or consumer loop running and the shutdown hung.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    pending = {t for t in tasks if not t.done()}
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)


def _stop_background_tasks_reliably(app: FastAPI) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            try:
                yield
            finally:
                await cancel_until_done(list(getattr(a.state, "tasks", [])))

    app.router.lifespan_context = lifespan


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
    _stop_background_tasks_reliably(app)
    return app


app = create_app()
