"""A service's database as a SQLite file (the default of ``make run``), migrated to head through
the same engine the service uses."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from deploy.topology import PROCESSES
from shared.db import make_engine
from shared.migrations import upgrade_to_head


async def migrated_sqlite_url(service: str, directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / f'{service}.db'}"
    engine = make_engine(url)
    try:
        await upgrade_to_head(engine, PROCESSES[service])
    finally:
        await engine.dispose()
    return url


@asynccontextmanager
async def service_engine(
    backend: str, service: str, databases: Any, directory: Path
) -> AsyncIterator[AsyncEngine]:
    """An engine on ``service``'s migrated database: this run's PostgreSQL one (``backend``
    ``"postgresql"``, as the app role) or a fresh SQLite file in ``directory``."""
    if backend == "postgresql":
        url = databases.url(service)
    else:
        url = await migrated_sqlite_url(service, directory)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
