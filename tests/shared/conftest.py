from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.sqlite import service_engine


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(request, databases, namespace, tmp_path) -> AsyncIterator[AsyncEngine]:  # type: ignore[no-untyped-def]
    """The products database (any service's would do: every one has the kit's tables, the
    outbox and the idempotency keys), on PostgreSQL and on SQLite."""
    async with service_engine(request.param, "products", databases, tmp_path) as eng:
        yield eng
