"""Fixtures of the subsidies tests."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from nats.js import JetStreamContext

from shared.events import ensure_stream
from tests.subsidies.factories import Clock, JobsFeed
from tests.support.apps import RunningService
from tests.support.infra import connect_harness


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
