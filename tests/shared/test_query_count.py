"""The statement counter used to prove lists set-based counts the request only, not the
service's background tasks sharing its engine."""

import asyncio

from sqlalchemy import text

from shared.db import make_engine
from tests.support.queries import count_queries


async def test_background_not_counted(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    stop = asyncio.Event()

    async def background():
        while not stop.is_set():
            async with engine.connect() as c:
                await c.execute(text("SELECT 1"))
            await asyncio.sleep(0.001)

    t = asyncio.create_task(background())
    await asyncio.sleep(0.01)
    with count_queries(engine) as counted:
        for _ in range(3):
            async with engine.connect() as c:
                await c.execute(text("SELECT 2"))
            await asyncio.sleep(0.01)
    stop.set()
    await t
    assert counted.n == 3, counted.statements
    await engine.dispose()
