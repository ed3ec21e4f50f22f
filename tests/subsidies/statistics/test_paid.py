"""Subsidies paid per program over a period of settlement dates (China time), for the
dashboard: what the bank paid, by when it paid it."""

from datetime import UTC, datetime

from tests.subsidies.factories import (
    API,
    AUDITOR,
    CLERK,
    HEADER,
    PARTNER,
    export,
    make_batch,
    ready_applications,
)


async def pay(subsidies, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    batch = await make_batch(subsidies, ids)
    rows = await export(subsidies, batch["id"])
    body = HEADER + "".join(
        f"{r['line_id']},paid,{r['amount_fen']},B-{r['line_no']},\r\n" for r in rows
    )
    r = await subsidies.client.post(
        f"{API}/batches/{batch['id']}/results", headers=CLERK, content=body.encode()
    )
    assert r.status_code == 200 and r.json()["paid"] == len(ids), r.text


async def paid(subsidies, **params):  # type: ignore[no-untyped-def]
    r = await subsidies.client.get(f"{API}/statistics/paid", params=params, headers=AUDITOR)
    assert r.status_code == 200, r.text
    return r.json()


class TestPaidPerProgram:
    async def test_by_the_day_the_bank_paid_in_china_time(self, subsidies, feed, clock):
        fund, apps = await ready_applications(subsidies, feed, 3)
        clock.now = datetime(2020, 6, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 June in China
        await pay(subsidies, [apps[0]["id"], apps[1]["id"]])
        clock.now = datetime(2020, 6, 30, 16, 0, tzinfo=UTC)  # 00:00 on 1 July in China
        await pay(subsidies, [apps[2]["id"]])

        june = await paid(subsidies, **{"from": "2020-06-01", "to": "2020-06-30"})
        assert june["from_date"] == "2020-06-01" and june["to_date"] == "2020-06-30"
        [row] = june["rows"]
        assert row == {
            "program_code": "dedicated-post",
            "program_name": "Dedicated-post subsidy (扶贫专岗补贴)",
            "fund_id": fund["id"],
            "fund_code": fund["code"],
            "paid_fen": 100_000,
            "payments": 2,
            "beneficiaries": 2,
            "fund_budget_fen": fund["budget_fen"],
            "fund_paid_fen": 150_000,
        }
        assert june["total_paid_fen"] == 100_000
        july = await paid(subsidies, **{"from": "2020-07-01"})
        assert july["total_paid_fen"] == 50_000 and july["rows"][0]["payments"] == 1
        everything = await paid(subsidies)
        assert everything["total_paid_fen"] == 150_000
        assert (await paid(subsidies, **{"to": "2020-05-31"}))["rows"] == []
        assert (await paid(subsidies, program_code="workshop"))["rows"] == []

    async def test_failed_and_pending_lines_are_not_paid(self, subsidies, feed, clock):
        await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        rows = await export(subsidies, batch["id"])
        body = HEADER + f"{rows[0]['line_id']},failed,50000,,account closed\r\n"
        r = await subsidies.client.post(
            f"{API}/batches/{batch['id']}/results", headers=CLERK, content=body.encode()
        )
        assert r.status_code == 200
        assert (await paid(subsidies))["rows"] == []

    async def test_period_backwards_is_422_and_roles(self, subsidies):
        r = await subsidies.client.get(
            f"{API}/statistics/paid",
            params={"from": "2020-07-01", "to": "2020-06-01"},
            headers=AUDITOR,
        )
        assert r.status_code == 422
        r = await subsidies.client.get(f"{API}/statistics/paid", headers=PARTNER)
        assert r.status_code == 403
        r = await subsidies.client.get(f"{API}/statistics/paid")
        assert r.status_code == 401
