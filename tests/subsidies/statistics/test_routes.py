"""Statistics per program and fund, by month and township, against totals this test computes
from what it published and did."""

import uuid
from collections import Counter, defaultdict
from typing import Any

from tests.subsidies.factories import (
    API,
    AUDITOR,
    CLERK,
    DEDICATED,
    HEADER,
    PARTNER,
    WORKSHOP,
    applications,
    approve,
    create_fund,
    create_program,
    export,
    make_batch,
    register_payee,
    verify,
    wait_for_applications,
)

BUDGET = 1_000_000


async def scenario(subsidies, feed) -> tuple[dict[str, Any], list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Publish employment, then review and pay some of it. Returns the fund and the test's own
    ledger: one record per application with what the test knows it must be."""
    fund = await create_fund(subsidies, budget_fen=BUDGET)
    await create_program(subsidies, DEDICATED, fund["id"], notice_days=0)
    await create_program(subsidies, WORKSHOP, fund["id"], notice_days=0)
    known: dict[str, dict[str, Any]] = {}  # by beneficiary id
    plan = [("Houchang", "2020-03")] * 3 + [("Languan", "2020-03")] * 2 + [("Houchang", "2020-04")]
    for township, month in plan:
        p = await feed.placement(kind="dedicated_post", township=township)
        await feed.month(p, month)
        known[p["worker_id"]] = {
            "program": "dedicated-post",
            "township": township,
            "month": month,
            "amount": 50_000,
            "state": "pending_verification",
        }
    workshop = uuid.uuid4()
    for _ in range(2):
        p = await feed.placement(kind="workshop", employer_id=workshop, township="Languan")
        await feed.month(p, "2020-03")
    known[str(workshop)] = {
        "program": "workshop",
        "township": "Languan",
        "month": "2020-03",
        "amount": 40_000,
        "state": "pending_verification",
    }
    await wait_for_applications(subsidies, 7)
    await feed.barrier()
    apps = await applications(subsidies)
    for app in apps:
        known[app["beneficiary_id"]]["id"] = app["id"]
    assert len(apps) == 7

    houchang_march = [
        k for k, v in known.items() if v["township"] == "Houchang" and v["month"] == "2020-03"
    ]
    paid, ready, rejected = (known[b] for b in houchang_march)
    ws = known[str(workshop)]
    for record in (paid, ready, ws):
        await verify(subsidies, record["id"])
        await approve(subsidies, record["id"])
        record["state"] = "ready_for_payment"
    r = await subsidies.client.post(
        f"{API}/applications/{rejected['id']}/reject",
        headers=CLERK,
        json={"reason": "not on the post"},
    )
    assert r.status_code == 200
    rejected["state"] = "rejected"
    verified_only = next(
        v for v in known.values() if v["township"] == "Languan" and v["program"] == "dedicated-post"
    )
    await verify(subsidies, verified_only["id"])
    verified_only["state"] = "verified"

    payee_of = next(b for b, v in known.items() if v is paid)
    await register_payee(subsidies, payee_of)
    batch = await make_batch(subsidies, [paid["id"]])
    [row] = await export(subsidies, batch["id"])
    r = await subsidies.client.post(
        f"{API}/batches/{batch['id']}/results",
        headers=CLERK,
        content=(HEADER + f"{row['line_id']},paid,50000,B1,\r\n").encode(),
    )
    assert r.status_code == 200
    paid["state"] = "paid"
    return fund, list(known.values())


def expected_rows(ledger: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[tuple, dict]:
    rows: dict[tuple, dict] = defaultdict(
        lambda: {"by_state": Counter(), "amount": 0, "reserved": 0, "paid": 0, "n": 0}
    )
    for rec in ledger:
        row = rows[(rec["program"], *(rec[k] for k in keys))]
        row["by_state"][rec["state"]] += 1
        row["n"] += 1
        if rec["state"] not in ("rejected", "cancelled"):
            row["amount"] += rec["amount"]
        if rec["state"] in ("in_notice", "ready_for_payment", "in_batch", "failed"):
            row["reserved"] += rec["amount"]
        if rec["state"] == "paid":
            row["paid"] += rec["amount"]
    return rows


def actual_rows(body: dict[str, Any], keys: tuple[str, ...]) -> dict[tuple, dict]:
    return {
        (row["program_code"], *(row[k] for k in keys)): {
            "by_state": Counter(row["by_state"]),
            "amount": row["amount_fen"],
            "reserved": row["reserved_fen"],
            "paid": row["paid_fen"],
            "n": row["applications"],
        }
        for row in body["rows"]
    }


class TestStatistics:
    async def test_totals_match_by_program_month_and_township(self, subsidies, feed):
        _, ledger = await scenario(subsidies, feed)
        r = await subsidies.client.get(
            f"{API}/statistics",
            headers=AUDITOR,
            params=[("group_by", "month"), ("group_by", "township")],
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert actual_rows(body, ("month", "township")) == expected_rows(
            ledger, ("month", "township")
        )

        paid = sum(rec["amount"] for rec in ledger if rec["state"] == "paid")
        reserved = sum(rec["amount"] for rec in ledger if rec["state"] == "ready_for_payment")
        [f] = body["funds"]
        assert (f["budget_fen"], f["reserved_fen"], f["paid_fen"]) == (BUDGET, reserved, paid)
        assert f["available_fen"] == BUDGET - reserved - paid
        assert f["usage_basis_points"] == paid * 10_000 // BUDGET
        assert f["committed_basis_points"] == (paid + reserved) * 10_000 // BUDGET

    async def test_ungrouped_counts_beneficiaries_per_program(self, subsidies, feed):
        _, ledger = await scenario(subsidies, feed)
        r = await subsidies.client.get(f"{API}/statistics", headers=AUDITOR)
        rows = {row["program_code"]: row for row in r.json()["rows"]}
        assert actual_rows(r.json(), ()) == expected_rows(ledger, ())
        live_dedicated = [
            x for x in ledger if x["program"] == "dedicated-post" and x["state"] != "rejected"
        ]
        assert rows["dedicated-post"]["beneficiaries"] == len(live_dedicated)
        assert rows["workshop"]["beneficiaries"] == 1

    async def test_filters_by_township_and_month(self, subsidies, feed):
        _, ledger = await scenario(subsidies, feed)
        r = await subsidies.client.get(
            f"{API}/statistics",
            headers=AUDITOR,
            params={"township": "Languan", "group_by": "month"},
        )
        languan = [x for x in ledger if x["township"] == "Languan"]
        assert actual_rows(r.json(), ("month",)) == expected_rows(languan, ("month",))
        r = await subsidies.client.get(
            f"{API}/statistics",
            headers=AUDITOR,
            params={"from_month": "2020-04", "to_month": "2020-04"},
        )
        april = [x for x in ledger if x["month"] == "2020-04"]
        assert actual_rows(r.json(), ()) == expected_rows(april, ())

    async def test_bad_grouping_is_422_and_partner_is_403(self, subsidies):
        r = await subsidies.client.get(
            f"{API}/statistics", headers=AUDITOR, params={"group_by": "worker"}
        )
        assert r.status_code == 422
        r = await subsidies.client.get(
            f"{API}/statistics", headers=AUDITOR, params={"from_month": "2020-13"}
        )
        assert r.status_code == 422
        r = await subsidies.client.get(f"{API}/statistics", headers=PARTNER)
        assert r.status_code == 403
