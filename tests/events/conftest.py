from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import make_engine, make_sessionmaker
from tests.events import kit
from tests.support.infra import TestDatabases, asyncpg_url, connect_harness, sqlalchemy_url


@pytest.fixture(scope="session")
async def kit_db_url(databases: TestDatabases) -> AsyncIterator[str]:
    name = f"ew_test_{databases.run_id}_kit"
    conn = await asyncpg.connect(asyncpg_url("postgres"))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = sqlalchemy_url(name)
    engine = make_engine(url)
    async with engine.begin() as c:
        await c.run_sync(kit.metadata.create_all)
    await engine.dispose()
    yield url
    conn = await asyncpg.connect(asyncpg_url("postgres"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture
async def kit_engine(kit_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(kit_db_url)
    yield engine
    async with engine.begin() as c:
        for table in reversed(kit.metadata.sorted_tables):
            await c.execute(table.delete())
    await engine.dispose()


@pytest.fixture
def kit_sessions(kit_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(kit_engine)


@pytest.fixture
async def js(nats_url: str, namespace: str) -> AsyncIterator[JetStreamContext]:
    nc = await connect_harness(nats_url)
    jetstream = nc.jetstream()
    await kit.ensure_stream(jetstream, "kit", namespace=namespace)
    yield jetstream
    await nc.close()
