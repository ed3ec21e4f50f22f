"""The request-owned transaction holds on both backends: PostgreSQL, and SQLite (the default of
``make run``), where the driver's own transaction handling let a savepoint opened first start
the transaction itself and commit it on release (issue 8, item 2)."""

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from deploy.topology import PROCESSES
from shared.db import SQLITE_BEGIN, SessionDep, make_engine, make_sessionmaker, utcnow
from shared.errors import Conflict, install_error_handlers
from shared.events import Event, add_event
from shared.events.outbox import outbox_t
from shared.idempotency import keys_t
from shared.migrations import ROOT, head_revision
from shared.runtime import Runtime


class Probe(Event):
    event_type = "products.probe.written"
    n: int


class Boom(Exception):
    pass


def key_row(key: str) -> Any:
    return insert(keys_t).values(
        scope="s", key=key, request_hash="h", state="done", created_at=utcnow()
    )


async def keys(engine: AsyncEngine) -> list[str]:
    async with make_sessionmaker(engine)() as s:
        return sorted((await s.scalars(select(keys_t.c.key))).all())


async def outbox_count(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as s:
        return int(await s.scalar(select(func.count()).select_from(outbox_t)) or 0)


class TestSavepoints:
    async def test_a_savepoint_first_then_an_error_commits_nothing(self, engine):
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(Boom):
                try:
                    async with session.begin_nested():  # the transaction's first statement
                        await session.execute(key_row("item-1"))
                    async with session.begin_nested():
                        await session.execute(key_row("item-2"))
                    raise Boom  # the request fails after its items
                except Boom:
                    await session.rollback()
                    raise
        assert await keys(engine) == []

    async def test_a_rolled_back_savepoint_keeps_the_outer_work(self, engine):
        async with make_sessionmaker(engine)() as session:
            async with session.begin_nested():
                await session.execute(key_row("kept-1"))
            with pytest.raises(Boom):
                async with session.begin_nested():
                    await session.execute(key_row("refused"))
                    raise Boom
            await session.execute(key_row("kept-2"))
            await session.commit()
        assert await keys(engine) == ["kept-1", "kept-2"]

    async def test_concurrent_writers_that_read_first_all_succeed(self, engine):
        """The shape of a bulk action: a savepoint, reads, then writes, while other writers
        commit. On SQLite a transaction that read before another committed could not write
        ('database is locked'); now each waits its turn."""

        async def writer(n: int) -> None:
            async with make_sessionmaker(engine)() as session:
                async with session.begin_nested():
                    await session.scalar(select(func.count()).select_from(keys_t))
                    await asyncio.sleep(0.05)
                    await session.execute(key_row(f"w{n:02d}"))
                await session.commit()

        await asyncio.gather(*(writer(n) for n in range(8)))
        assert await keys(engine) == [f"w{n:02d}" for n in range(8)]


def app_on(engine: AsyncEngine) -> FastAPI:
    """A minimal service whose routes write an outbox event, as every service does."""
    app = FastAPI()
    install_error_handlers(app)
    app.state.runtime = Runtime(
        engine=engine, sessionmaker=make_sessionmaker(engine), head_revision=None
    )

    @app.post("/fails-after-writing")
    async def fails_after_writing(session: SessionDep) -> None:
        async with session.begin_nested():
            await session.execute(key_row("record"))
            await add_event(session, Probe(n=1))
        raise Conflict("refused after the write")

    @app.post("/writes")
    async def writes(session: SessionDep) -> dict[str, str]:
        async with session.begin_nested():
            await session.execute(key_row("record"))
            await add_event(session, Probe(n=2))
        return {"ok": "yes"}

    return app


class TestRequestTransaction:
    async def test_a_request_failing_after_its_outbox_write_leaves_neither(self, engine):
        transport = httpx.ASGITransport(app=app_on(engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            r = await client.post("/fails-after-writing")
        assert r.status_code == 409
        assert await keys(engine) == []
        assert await outbox_count(engine) == 0

    async def test_a_request_that_succeeds_keeps_both(self, engine):
        transport = httpx.ASGITransport(app=app_on(engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            r = await client.post("/writes")
        assert r.status_code == 200
        assert await keys(engine) == ["record"]
        assert await outbox_count(engine) == 1


class TestReadersBesideWriters:
    async def test_a_read_only_transaction_reads_while_a_writer_holds_the_lock(self, engine):
        """GET and HEAD requests begin DEFERRED on SQLite: they read the last committed state
        beside a writer instead of queueing behind it."""
        sessions = make_sessionmaker(engine)
        async with sessions() as writer:
            await writer.execute(key_row("uncommitted"))  # holds the write lock from here
            started = time.monotonic()
            async with sessions(execution_options={SQLITE_BEGIN: "DEFERRED"}) as reader:
                assert (await reader.scalars(select(keys_t.c.key))).all() == []
            assert time.monotonic() - started < 1.0
            await writer.commit()
        assert await keys(engine) == ["uncommitted"]


class TestSqliteBegin:
    async def test_every_transaction_begins_immediate_unless_read_only(self, tmp_path):
        """What the SQLite engine sends to begin a transaction: the write lock at once, so a
        writer waits for another instead of failing when it upgrades."""
        eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        seen: list[str] = []

        @event.listens_for(eng.sync_engine, "before_cursor_execute")
        def record(conn, cursor, statement, *args: Any) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        try:
            async with eng.connect() as conn:
                await conn.execute(text("SELECT 1"))
            async with AsyncSession(eng.execution_options(**{SQLITE_BEGIN: "DEFERRED"})) as s:
                await s.execute(text("SELECT 2"))
        finally:
            await eng.dispose()
        assert [s for s in seen if s.startswith(("BEGIN", "SELECT"))] == [
            "BEGIN IMMEDIATE",
            "SELECT 1",
            "BEGIN DEFERRED",
            "SELECT 2",
        ]


class TestMigrationsOnSqlite:
    def test_the_command_line_upgrade_still_reaches_head(self, tmp_path):
        """`make migrate` on the SQLite files of `make run`, now that each upgrade runs inside
        our own BEGIN IMMEDIATE … COMMIT (the fixtures above migrate through make_engine)."""
        done = subprocess.run(
            [sys.executable, "-m", "deploy.migrate", "all", "upgrade"],
            cwd=ROOT,
            env=os.environ | {"EW_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]

        for service, package in PROCESSES.items():
            with sqlite3.connect(tmp_path / f"{service}.db") as db:
                version = db.execute("SELECT version_num FROM alembic_version").fetchall()
            assert version == [(head_revision(package),)], service
