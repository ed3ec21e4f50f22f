"""Idempotency-Key behaviour that no single service owns, on a real service database: a claim
left behind by a crashed process is taken over by exactly one retry."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import insert, select

from shared.db import utcnow
from shared.errors import Conflict
from shared.idempotency import IdempotencyGuard, keys_t, request_fingerprint

PATH = "/v1/products/stores/me/sales"
BODY = {"receipt_number": "R-1", "lines": []}


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
                    return await guard.begin(session, "store-1", BODY)
                except Conflict:
                    return "conflict"

        outcomes = await asyncio.gather(*(retry() for _ in range(10)))
        assert sorted(map(str, outcomes)) == ["None"] + ["conflict"] * 9

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
