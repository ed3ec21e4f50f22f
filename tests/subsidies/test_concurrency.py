"""RELIABILITY #17: concurrent approvals against one budget never over-commit it."""

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.subsidies.funds import repository as repo
from tests.subsidies.factories import (
    API,
    AUDITOR,
    CLERK,
    create_fund,
    dedicated_applications,
    get_fund,
    principal,
)


class TestConcurrentApprovals:
    async def test_twenty_concurrent_approvals_against_a_fund_covering_seven(self, subsidies, feed):
        amount = 50_000
        budget = 7 * amount + 12_345  # covers seven, not eight
        fund, apps = await dedicated_applications(
            subsidies, feed, 20, fund_budget=budget, amount_fen=amount
        )
        ids = [a["id"] for a in apps]
        r = await subsidies.client.post(
            f"{API}/applications/bulk-verify", headers=CLERK, json={"application_ids": ids}
        )
        assert r.json()["succeeded"] == 20

        async def approve(app_id: str, n: int):  # type: ignore[no-untyped-def]
            return await subsidies.client.post(
                f"{API}/applications/{app_id}/approve",
                headers=principal("bureau_approver", f"approver-{n}"),
            )

        responses = await asyncio.gather(*(approve(i, n) for n, i in enumerate(ids)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 7 + [409] * 13, [r.text for r in responses]
        for r in responses:
            if r.status_code == 409:
                assert r.json()["type"].endswith("fund-exhausted")
                assert r.json()["needed_fen"] == amount
        f = await get_fund(subsidies, fund["id"])
        assert f["reserved_fen"] == 7 * amount <= budget
        assert f["available_fen"] == 12_345
        r = await subsidies.client.get(
            f"{API}/applications", headers=AUDITOR, params={"state": "in_notice", "limit": 200}
        )
        approved = r.json()["items"]
        assert len(approved) == 7
        assert sum(a["amount_fen"] for a in approved) == f["reserved_fen"]


class TestReserve:
    async def test_conditional_update_alone_never_overdraws(self, subsidies):
        """The fund guard does not rely on any other lock: twenty transactions reserving at once
        straight through the repository still leave the fund within its budget."""
        fund = await create_fund(subsidies, budget_fen=5 * 1_000 + 999)
        fund_id = uuid.UUID(fund["id"])

        async def reserve() -> bool:
            async with subsidies.sessionmaker() as s, s.begin():
                return await repo.reserve(s, fund_id, 1_000)

        results = await asyncio.gather(*(reserve() for _ in range(20)))
        assert sum(results) == 5
        f = await get_fund(subsidies, fund["id"])
        assert f["reserved_fen"] == 5_000
        assert f["available_fen"] == 999

    async def test_check_constraint_refuses_an_unconditional_overdraw(self, subsidies):
        fund = await create_fund(subsidies, budget_fen=1_000)
        async with subsidies.sessionmaker() as s:
            with pytest.raises(IntegrityError):
                await s.execute(
                    text("UPDATE funds SET reserved_fen = 1001 WHERE id = :id"), {"id": fund["id"]}
                )
