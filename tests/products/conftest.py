"""The products service fixture, with a workaround for a shutdown hang in shared/.

``shared.events.relay.OutboxRelay.run`` waits with ``asyncio.wait_for``; on Python 3.11 a
cancellation that arrives just as the wake-up event is set (a test ending right after a write)
is swallowed, the relay keeps looping and the lifespan's ``await task`` never returns. Until the
relay is fixed (see the report), the background tasks are cancelled here until they are done,
before the lifespan shuts down."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.apps import RunningService, running_service


async def stop_background_tasks(svc: RunningService) -> None:
    tasks = list(getattr(svc.app.state, "tasks", []))
    for _ in range(50):
        pending = [t for t in tasks if not t.done()]
        if not pending:
            return
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.2)


@pytest.fixture
async def products(settings_for) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    async with running_service("products", settings_for("products")) as svc:
        yield svc
        await stop_background_tasks(svc)
