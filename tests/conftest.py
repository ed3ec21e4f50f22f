"""Fixtures on real infrastructure: this run's own nats-server and PostgreSQL databases."""

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.apps import RunningService, running_service, service_settings
from tests.support.infra import EXTERNAL_NATS, NatsServer, TestDatabases

# The PII scan of the whole run (RELIABILITY row 26): see tests/pii/plugin.py.
pytest_plugins = ("tests.pii.plugin",)

_namespaces = itertools.count(1)


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    if EXTERNAL_NATS:
        yield EXTERNAL_NATS
        return
    server = NatsServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def databases() -> AsyncIterator[TestDatabases]:
    dbs = TestDatabases()
    await dbs.create()
    try:
        yield dbs
    finally:
        await dbs.drop()


@pytest.fixture
async def namespace(databases: TestDatabases) -> AsyncIterator[str]:
    """A private event namespace per test; the tables are emptied after the test."""
    yield f"t{databases.run_id}n{next(_namespaces)}"
    await databases.truncate_all()


def _settings(
    service: str, databases: TestDatabases, nats_url: str, namespace: str, /, **overrides: Any
) -> Any:
    """This run's settings of ``service``; ``database_url`` and ``nats_url`` may be overridden."""
    url = overrides.pop("database_url", None) or databases.url(service)
    nats = overrides.pop("nats_url", None) or nats_url
    return service_settings(service, url, nats, namespace, **overrides)


@pytest.fixture
def settings_for(databases: TestDatabases, nats_url: str, namespace: str):  # type: ignore[no-untyped-def]
    def make(service: str, **overrides: Any) -> Any:
        return _settings(service, databases, nats_url, namespace, **overrides)

    return make


@pytest.fixture
async def jobs(settings_for) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    async with running_service("jobs", settings_for("jobs")) as svc:
        yield svc


@pytest.fixture
async def products(settings_for) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    async with running_service("products", settings_for("products")) as svc:
        yield svc


@pytest.fixture
async def subsidies(settings_for) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    async with running_service("subsidies", settings_for("subsidies")) as svc:
        yield svc
