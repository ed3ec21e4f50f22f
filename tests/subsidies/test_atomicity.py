"""Bulk review actions are atomic per item and as a whole, on PostgreSQL and on SQLite (the
default of ``make run``): issue 8, item 2 — bulk-approve answered 503 "nothing was saved" while
14 of 30 were approved with money reserved, and bulk verify beside a clerk entering bank
accounts answered 503 on SQLite."""

import asyncio
import uuid
from typing import Any

from sqlalchemy.exc import OperationalError

from services.subsidies.review import service
from tests.subsidies.factories import (
    API,
    APPROVER,
    AUDITOR,
    CLERK,
    dedicated_applications,
    get_app,
    get_fund,
    register_payee,
    verify,
)
from tests.support.apps import RunningService


async def audit_entries(svc: RunningService) -> int:
    r = await svc.client.get(f"{API}/audit/verify", headers=AUDITOR)
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    return int(r.json()["entries_checked"])


class TestBulkApprove:
    async def test_failing_midway_saves_nothing(self, svc, jobs_feed, monkeypatch):
        fund, apps = await dedicated_applications(svc, jobs_feed, 5)
        ids = [a["id"] for a in apps]
        for i in ids:
            await verify(svc, i)
        before = await audit_entries(svc)
        real_approve = service.approve
        calls = 0

        async def approve_then_lose_the_database(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == 4:  # three items done, then the database fails the request
                raise OperationalError("UPDATE funds", {}, Exception("database is locked"))
            return await real_approve(*args, **kwargs)

        monkeypatch.setattr(service, "approve", approve_then_lose_the_database)
        r = await svc.client.post(
            f"{API}/applications/bulk-approve", headers=APPROVER, json={"application_ids": ids}
        )
        assert r.status_code == 503
        assert "nothing was saved" in r.json()["detail"]
        assert [(await get_app(svc, i))["state"] for i in ids] == ["verified"] * 5
        assert (await get_fund(svc, fund["id"]))["reserved_fen"] == 0
        assert await audit_entries(svc) == before

    async def test_each_item_reported_truthfully_and_only_those_changed(self, svc, jobs_feed):
        fund, apps = await dedicated_applications(svc, jobs_feed, 4, amount_fen=50_000)
        a, b, pending, c = (x["id"] for x in apps)
        for i in (a, b, c):
            await verify(svc, i)
        missing = str(uuid.uuid4())
        before = await audit_entries(svc)
        r = await svc.client.post(
            f"{API}/applications/bulk-approve",
            headers=APPROVER,
            json={"application_ids": [a, pending, b, missing, a, c]},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["succeeded"], body["failed"]) == (3, 3)
        outcome = [(x["application_id"], x["ok"], x.get("status")) for x in body["results"]]
        assert outcome == [
            (a, True, 200),
            (pending, False, 409),
            (b, True, 200),
            (missing, False, 404),
            (a, False, 422),
            (c, True, 200),
        ]
        states = {i: (await get_app(svc, i))["state"] for i in (a, b, pending, c)}
        assert states == {
            a: "in_notice",
            b: "in_notice",
            c: "in_notice",
            pending: "pending_verification",
        }
        assert (await get_fund(svc, fund["id"]))["reserved_fen"] == 150_000
        assert await audit_entries(svc) > before


class TestBulkVerifyBesideOtherWriters:
    async def test_no_503_while_a_second_clerk_registers_bank_accounts(self, svc, jobs_feed):
        _, apps = await dedicated_applications(svc, jobs_feed, 12)
        ids = [a["id"] for a in apps]

        async def bulk_verify(chunk: list[str]) -> int:
            r = await svc.client.post(
                f"{API}/applications/bulk-verify", headers=CLERK, json={"application_ids": chunk}
            )
            return r.status_code

        async def payees() -> list[dict[str, Any]]:
            return [await register_payee(svc, a["beneficiary_id"]) for a in apps]

        statuses = await asyncio.gather(
            *(bulk_verify(ids[n : n + 2]) for n in range(0, 12, 2)), payees()
        )
        assert statuses[:-1] == [200] * 6
        assert len(statuses[-1]) == 12  # every payee registered (201, checked in the factory)
        assert [(await get_app(svc, i))["state"] for i in ids] == ["verified"] * 12
