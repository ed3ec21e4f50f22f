"""A service's database as a SQLite file (the default of ``make run``), migrated to head through
the same engine the service uses."""

from pathlib import Path

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
