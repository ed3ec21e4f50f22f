"""/readyz and the migrations during a rollout: a process is not ready while its database is
behind its migrations (the new version waits for its migration Job), and stays ready when a newer
version has migrated the database further (migrations are backwards-compatible, so the old
version serves until it is replaced; otherwise every old pod would leave the Service at once)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shared.db import make_engine, make_sessionmaker
from shared.migrations import head_revision, known_revisions
from shared.observability import check_migrations, health_router
from shared.runtime import Runtime

PACKAGE = "services.jobs"


@pytest.fixture
async def database(tmp_path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'rollout.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    app = FastAPI()
    app.state.runtime = Runtime(
        engine=engine,
        sessionmaker=make_sessionmaker(engine),
        head_revision=head_revision(PACKAGE),
        known_revisions=known_revisions(PACKAGE),
    )
    app.include_router(health_router({"migrations": check_migrations}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield app, c
    await engine.dispose()


async def _at(app: FastAPI, revision: str) -> None:
    async with app.state.runtime.engine.begin() as conn:
        await conn.execute(text("DELETE FROM alembic_version"))
        await conn.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})


async def test_ready_at_head_not_ready_behind_ready_ahead(database):
    app, client = database
    head = head_revision(PACKAGE)
    older = sorted(known_revisions(PACKAGE) - {head})
    assert head and older, "the jobs service has more than one migration"

    await _at(app, head)
    r = await client.get("/readyz")
    assert (r.status_code, r.json()["checks"]["migrations"]) == (200, "at head")

    await _at(app, older[0])  # the database still needs this version's migrations
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["migrations"] == f"at {older[0]}, head is {head}"

    await _at(app, "20990101_next")  # a newer version's migration, unknown to this one
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert "ahead of this version's head" in r.json()["checks"]["migrations"]


async def test_no_database_revision_is_not_ready(database):
    _, client = database
    r = await client.get("/readyz")
    assert r.status_code == 503
