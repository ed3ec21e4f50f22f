"""Fixtures of the subsidies tests."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from nats.js import JetStreamContext

from shared.events import ensure_stream
from tests.subsidies.factories import Clock, JobsFeed
from tests.support.apps import RunningService, running_service
from tests.support.infra import connect_harness
from tests.support.sqlite import migrated_sqlite_url


@pytest.fixture
async def js(nats_url: str, namespace: str) -> AsyncIterator[JetStreamContext]:
    nc = await connect_harness(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, "jobs", namespace=namespace)
    try:
        yield js
    finally:
        await nc.close()


@pytest.fixture
async def feed(js: JetStreamContext, namespace: str, subsidies: RunningService) -> JobsFeed:
    return JobsFeed(js, namespace, subsidies)


@pytest.fixture
def clock(subsidies: RunningService) -> Clock:
    c = Clock(datetime(2020, 6, 1, 8, 0, tzinfo=UTC))
    subsidies.runtime.clock = c
    return c


@pytest.fixture(params=["postgresql", "sqlite"])
async def svc(request, settings_for, tmp_path) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    """The subsidies service on each database, for the tests that must hold on both."""
    overrides: dict[str, Any] = {}
    if request.param == "sqlite":
        overrides["database_url"] = await migrated_sqlite_url("subsidies", tmp_path)
    async with running_service("subsidies", settings_for("subsidies", **overrides)) as running:
        yield running


@pytest.fixture
def jobs_feed(js: JetStreamContext, namespace: str, svc: RunningService) -> JobsFeed:
    """Jobs events fed to the test's ``svc``."""
    return JobsFeed(js, namespace, svc)
