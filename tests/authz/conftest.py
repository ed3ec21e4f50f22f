"""One platform for the whole authorisation matrix (tests/support/world.py), set up once per
package: the matrix is part of ``make test``."""

from collections.abc import AsyncIterator

import pytest

from tests.support.infra import TestDatabases
from tests.support.world import CALLERS, STAFF, World, running_world, sale_body

__all__ = ["CALLERS", "STAFF", "World", "sale_body"]


@pytest.fixture(scope="package")
async def world(databases: TestDatabases, nats_url: str) -> AsyncIterator[World]:
    async with running_world(databases, nats_url, "authz") as w:
        yield w
