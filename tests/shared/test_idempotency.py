"""Idempotency-Key behaviour that no single service owns, on a real service database (on
PostgreSQL and on SQLite): the claim lives in the request's transaction, so a request whose
process died leaves nothing behind and its retry is served at once, with one effect; claims
committed by an earlier version are still taken over by exactly one retry once stale."""

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.products.sales.tables import Sale
from shared.db import SessionDep, make_sessionmaker, utcnow
from shared.errors import PROBLEM_JSON, Conflict, install_error_handlers
from shared.events import Event, add_event
from shared.events.outbox import outbox_t
from shared.idempotency import (
    IdempotencyDep,
    IdempotencyGuard,
    idempotent,
    keys_t,
    request_fingerprint,
    scope_of,
)
from shared.identity import Identity
from shared.migrations import ROOT
from shared.runtime import Runtime
from tests.products.factories import as_store, create_product, create_store, sale_body
from tests.support.apps import RunningService, running_service
from tests.support.sqlite import migrated_sqlite_url

PATH = "/v1/products/stores/me/sales"
BODY = {"receipt_number": "R-1", "lines": []}


@pytest.fixture(params=["postgresql", "sqlite"])
async def products(request, settings_for, tmp_path) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    """The products service, on this run's PostgreSQL database or on a SQLite file."""
    overrides: dict[str, Any] = {}
    if request.param == "sqlite":
        overrides["database_url"] = await migrated_sqlite_url("products", tmp_path)
    async with running_service("products", settings_for("products", **overrides)) as running:
        yield running


def fake_request(app):
    return SimpleNamespace(method="POST", url=SimpleNamespace(path=PATH), app=app)


class TestStaleClaim:
    async def test_only_one_of_many_concurrent_retries_takes_it_over(self, products):
        async with products.sessionmaker() as s, s.begin():
            await s.execute(
                insert(keys_t).values(
                    scope="store-1",
                    key="till-3-0042",
                    state="in_flight",
                    request_hash=request_fingerprint("POST", PATH, BODY),
                    created_at=utcnow() - timedelta(minutes=10),
                )
            )  # its process died long ago

        async def retry():
            async with products.sessionmaker() as session:
                guard = IdempotencyGuard(fake_request(products.app), "till-3-0042")
                try:
                    replay = await guard.begin(session, "store-1", BODY)
                except Conflict:
                    return "conflict"
                if replay is not None:
                    return "replayed"
                await asyncio.sleep(0.05)  # the request's work
                await guard.complete(session, 201, {"sale": "the one"})
                await session.commit()  # the takeover is part of the request's transaction
                return "took over"

        outcomes = await asyncio.gather(*(retry() for _ in range(10)))
        assert outcomes.count("took over") == 1
        assert set(outcomes) <= {"took over", "conflict", "replayed"}
        async with products.sessionmaker() as s:
            row = (await s.execute(select(keys_t))).one()
        assert (row.state, json.loads(row.response_body)) == ("done", {"sale": "the one"})

    async def test_a_fresh_claim_is_not_taken_over(self, products):
        async with products.sessionmaker() as s, s.begin():
            await s.execute(
                insert(keys_t).values(
                    scope="store-1",
                    key="k",
                    state="in_flight",
                    created_at=utcnow(),
                    request_hash=request_fingerprint("POST", PATH, BODY),
                )
            )
        async with products.sessionmaker() as session:
            guard = IdempotencyGuard(fake_request(products.app), "k")
            try:
                await guard.begin(session, "store-1", BODY)
            except Conflict as exc:
                assert "still being processed" in exc.detail
            else:
                raise AssertionError("a claim in progress was taken over")
        async with products.sessionmaker() as s:
            assert (await s.execute(select(keys_t.c.state))).scalars().all() == ["in_flight"]


async def count_sales(products: RunningService) -> int:
    async with products.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(Sale)) or 0)


class TestDeadOwner:
    async def test_a_retry_after_the_owner_died_is_served_at_once_with_one_effect(self, products):
        """Issue 8: after a crash the in-flight request's key answered 409 for 5 minutes."""
        store = await create_store(products)
        tea = await create_product(products)
        body = sale_body(tea["sku"])
        url = products.runtime.settings.database_url
        claim = [url, "POST", PATH, store["id"], "till-9-0001", json.dumps(body)]
        # Asynchronously: the service in this process keeps running (its relay, on SQLite,
        # takes the write lock now and then) while the owner claims and dies.
        owner = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.claim_and_die",
            *claim,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(owner.communicate(), timeout=60)
        assert out.decode().strip() == "claimed" and owner.returncode == 137, err.decode()

        headers = as_store(store["id"]) | {"Idempotency-Key": "till-9-0001"}
        started = time.monotonic()
        while True:
            r = await products.client.post(PATH, json=body, headers=headers)
            if r.status_code != 409 or time.monotonic() - started > 5:
                break
            await asyncio.sleep(0.2)
        assert r.status_code == 201, r.text
        assert time.monotonic() - started < 5
        assert await count_sales(products) == 1

        again = await products.client.post(PATH, json=body, headers=headers)
        assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
        assert again.json() == r.json()
        assert await count_sales(products) == 1


class Noted(Event):
    event_type = "products.note.written"
    text: str


class Note(BaseModel):
    text: str


def app_writing_notes(engine: AsyncEngine) -> tuple[FastAPI, list[str]]:
    """A minimal service whose one write goes through idempotent(): each run of ``make``
    writes an outbox event (the effect) and is recorded."""
    app = FastAPI()
    install_error_handlers(app)
    app.state.runtime = Runtime(
        engine=engine, sessionmaker=make_sessionmaker(engine), head_revision=None
    )
    made: list[str] = []

    @app.post("/notes", status_code=201)
    async def write_note(note: Note, guard: IdempotencyDep, session: SessionDep) -> JSONResponse:
        async def make() -> dict[str, str]:
            made.append(note.text)
            envelope = await add_event(session, Noted(text=note.text))
            return {"text": note.text, "event_id": str(envelope.id), "n": str(len(made))}

        return await idempotent(
            guard, session, scope="store-1", payload=note, status_code=201, make=make
        )

    return app, made


@pytest.fixture
async def notes(engine) -> AsyncIterator[tuple[httpx.AsyncClient, list[str], AsyncEngine]]:  # type: ignore[no-untyped-def]
    app, made = app_writing_notes(engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client, made, engine


async def outbox_size(engine: AsyncEngine) -> int:
    async with make_sessionmaker(engine)() as s:
        return int(await s.scalar(select(func.count()).select_from(outbox_t)) or 0)


class TestIdempotentHelper:
    async def test_a_replay_returns_the_stored_body_with_one_effect(self, notes):
        client, made, engine = notes
        key = {"Idempotency-Key": "note-0001"}
        first = await client.post("/notes", json={"text": "tea"}, headers=key)
        assert first.status_code == 201, first.text
        assert "Idempotent-Replayed" not in first.headers
        again = await client.post("/notes", json={"text": "tea"}, headers=key)
        assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
        assert again.json() == first.json()
        assert made == ["tea"]
        assert await outbox_size(engine) == 1

    async def test_the_same_key_with_another_body_is_422(self, notes):
        client, made, engine = notes
        key = {"Idempotency-Key": "note-0002"}
        assert (await client.post("/notes", json={"text": "tea"}, headers=key)).status_code == 201
        other = await client.post("/notes", json={"text": "rice"}, headers=key)
        assert other.status_code == 422
        assert other.headers["content-type"] == PROBLEM_JSON
        assert "Use a new key for a new request" in other.json()["detail"]
        assert made == ["tea"]
        assert await outbox_size(engine) == 1

    async def test_without_a_key_every_request_writes(self, notes):
        client, made, engine = notes
        for _ in range(2):
            r = await client.post("/notes", json={"text": "tea"})
            assert (r.status_code, r.headers.get("Idempotent-Replayed")) == (201, None)
        assert made == ["tea", "tea"]
        assert await outbox_size(engine) == 2

    async def test_keys_are_kept_per_scope(self, notes):
        client, _, engine = notes
        await client.post("/notes", json={"text": "tea"}, headers={"Idempotency-Key": "k-1"})
        async with make_sessionmaker(engine)() as s:
            rows = (await s.execute(select(keys_t.c.scope, keys_t.c.key, keys_t.c.state))).all()
        assert [tuple(r) for r in rows] == [("store-1", "k-1", "done")]

    async def test_a_malformed_key_is_422(self, notes):
        client, made, _ = notes
        r = await client.post("/notes", json={"text": "tea"}, headers={"Idempotency-Key": "a b"})
        assert r.status_code == 422
        assert made == []


class TestScopeOf:
    def test_the_client_behind_the_credential_or_the_principal(self):
        store = Identity(
            principal_id="api_key:1", kind="api_key", role="store", subject_id="s-1", name="till"
        )
        staff = Identity(principal_id="user:7", kind="user", role="bureau_clerk", name="Li")
        assert (scope_of(store), scope_of(staff)) == ("s-1", "user:7")
