"""A worker is never committed without its outbox event, on PostgreSQL and on SQLite (the
default of ``make run``), where the savepoint around the insert used to start the transaction
itself and commit the worker on release (issue 8, item 2)."""

import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from services.jobs.workers import service
from tests.jobs.conftest import (
    TODAY,
    Clock,
    assert_problem,
    make_partner,
    make_posting,
    outbox_events,
    staff,
    worker_body,
)
from tests.support.apps import RunningService, running_service
from tests.support.sqlite import migrated_sqlite_url


@pytest.fixture(params=["postgresql", "sqlite"])
async def jobs_on(request, settings_for, tmp_path) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    overrides: dict[str, Any] = {}
    if request.param == "sqlite":
        overrides["database_url"] = await migrated_sqlite_url("jobs", tmp_path)
    async with running_service("jobs", settings_for("jobs", **overrides)) as running:
        running.runtime.clock = Clock(TODAY)
        yield running


async def workers(jobs: RunningService) -> int:
    async with jobs.sessionmaker() as session:
        return int(await session.scalar(text("SELECT count(*) FROM workers")) or 0)


class TestRegisterWorker:
    async def test_failing_to_write_the_event_leaves_no_worker(self, jobs_on, monkeypatch):
        async def database_lost(*args: Any, **kwargs: Any) -> None:
            raise OperationalError("INSERT INTO outbox", {}, Exception("database is locked"))

        monkeypatch.setattr(service, "add_event", database_lost)
        r = await jobs_on.client.post("/v1/jobs/workers", json=worker_body(), headers=staff())
        assert r.status_code == 503
        assert "nothing was saved" in r.json()["detail"]
        assert await workers(jobs_on) == 0
        assert await outbox_events(jobs_on) == []

    async def test_a_registered_worker_has_its_event(self, jobs_on):
        r = await jobs_on.client.post("/v1/jobs/workers", json=worker_body(), headers=staff())
        assert r.status_code == 201, r.text
        assert await workers(jobs_on) == 1
        assert [e["type"] for e in await outbox_events(jobs_on)] == ["jobs.worker.registered"]


class TestChangeAPosting:
    """A change to a posting first expires overdue postings in a transaction of its own, while
    the request's own transaction is open: on SQLite the two must not wait for each other."""

    async def test_closing_a_posting_is_prompt(self, jobs_on):
        _, headers = await make_partner(jobs_on)
        posting = await make_posting(jobs_on, headers, valid_through="2026-12-31")
        started = time.monotonic()
        r = await jobs_on.client.post(f"/v1/jobs/postings/{posting['id']}/close", headers=headers)
        assert r.status_code == 200, r.text
        assert time.monotonic() - started < 5

    async def test_the_next_change_to_an_overdue_posting_expires_it(self, jobs_on):
        _, headers = await make_partner(jobs_on)
        posting = await make_posting(jobs_on, headers, valid_through="2026-06-30")
        jobs_on.runtime.clock = Clock(date(2026, 7, 1))
        started = time.monotonic()
        r = await jobs_on.client.post(f"/v1/jobs/postings/{posting['id']}/close", headers=headers)
        assert_problem(r, 409, contains="expired")
        assert time.monotonic() - started < 5
        assert len(await outbox_events(jobs_on, "jobs.posting.closed")) == 1
