"""Monthly confirmations in batches (a partner's payroll month): every line under the single
endpoint's rules, in order, all or nothing, one event per line, on PostgreSQL and SQLite."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.jobs.conftest import (
    TODAY,
    Clock,
    assert_problem,
    confirm,
    hire,
    make_employer,
    make_partner,
    make_posting,
    make_worker,
    outbox_events,
    staff,
)
from tests.support.apps import RunningService, running_service
from tests.support.sqlite import migrated_sqlite_url

URL = "/v1/jobs/placements/confirmations:batch"


@pytest.fixture(params=["postgresql", "sqlite"])
async def jobs_on(request, settings_for, tmp_path) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    overrides: dict[str, Any] = {"confirmation_batch_max_lines": 5}
    if request.param == "sqlite":
        overrides["database_url"] = await migrated_sqlite_url("jobs", tmp_path)
    async with running_service("jobs", settings_for("jobs", **overrides)) as running:
        running.runtime.clock = Clock(TODAY)
        yield running


async def _partner_with_hires(jobs: RunningService, n: int) -> tuple[dict[str, str], list[str]]:
    _, headers = await make_partner(jobs)
    posting = await make_posting(jobs, headers, openings=n)
    ids = []
    for _ in range(n):
        r = await hire(jobs, headers, posting, await make_worker(jobs))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return headers, ids


def _line(placement_id: str, month: str, wage: int = 520_000, **extra: Any) -> dict[str, Any]:
    return {"placement_id": placement_id, "month": month, "wage_paid_fen": wage} | extra


async def _records(jobs: RunningService) -> int:
    async with jobs.sessionmaker() as session:
        return int(await session.scalar(text("SELECT count(*) FROM placement_confirmations")) or 0)


async def test_a_payroll_month_in_one_request(jobs_on):
    headers, (a, b) = await _partner_with_hires(jobs_on, 2)
    lines = [_line(a, "2026-03"), _line(b, "2026-03", 480_000), _line(a, "2026-04")]
    r = await jobs_on.client.post(URL, json={"confirmations": lines}, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["confirmed"] == 3
    assert [(c["placement_id"], c["month"], c["wage_paid_fen"]) for c in body["items"]] == [
        (a, "2026-03", 520_000),
        (b, "2026-03", 480_000),
        (a, "2026-04", 520_000),
    ]
    placement = (await jobs_on.client.get(f"/v1/jobs/placements/{a}", headers=headers)).json()
    assert placement["confirmed_months"] == ["2026-03", "2026-04"]
    assert placement["next_month_to_confirm"] == "2026-05"
    events = await outbox_events(jobs_on, "jobs.placement.month_confirmed")
    assert [(e["data"]["placement_id"], e["data"]["month"]) for e in events] == [
        (a, "2026-03"),
        (b, "2026-03"),
        (a, "2026-04"),
    ]
    assert [e["data"]["confirmation_id"] for e in events] == [c["id"] for c in body["items"]]


async def test_the_first_bad_line_refuses_the_batch_and_is_named(jobs_on):
    headers, (a, b) = await _partner_with_hires(jobs_on, 2)
    gap = [_line(a, "2026-03"), _line(b, "2026-04")]  # b's next month is 2026-03
    r = await jobs_on.client.post(URL, json={"confirmations": gap}, headers=headers)
    body = assert_problem(r, 422, contains="line 2")
    assert body["line"] == 2 and body["placement_id"] == b
    assert body["next_month_to_confirm"] == "2026-03"
    twice = [_line(a, "2026-03"), _line(a, "2026-03")]
    body = assert_problem(
        await jobs_on.client.post(URL, json={"confirmations": twice}, headers=headers), 409
    )
    assert body["line"] == 2
    future = [_line(a, "2026-03"), _line(a, "2026-04"), _line(a, "2026-05"), _line(a, "2026-06")]
    future.append(_line(a, "2026-07"))
    body = assert_problem(
        await jobs_on.client.post(URL, json={"confirmations": future}, headers=headers),
        422,
        contains="in the future",
    )
    assert body["line"] == 5
    assert await _records(jobs_on) == 0
    assert await outbox_events(jobs_on, "jobs.placement.month_confirmed") == []


async def test_other_organisations_and_unknown_placements(jobs_on):
    headers, [own] = await _partner_with_hires(jobs_on, 1)
    _, [theirs] = await _partner_with_hires(jobs_on, 1)
    lines = [_line(own, "2026-03"), _line(theirs, "2026-03")]
    body = assert_problem(
        await jobs_on.client.post(URL, json={"confirmations": lines}, headers=headers),
        403,
        contains="another organisation",
    )
    assert body["line"] == 2
    lines = [_line("6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10", "2026-03")]
    body = assert_problem(
        await jobs_on.client.post(URL, json={"confirmations": lines}, headers=headers), 404
    )
    assert body["line"] == 1
    # staff confirm workshops' and dedicated posts' months, never a partner's
    body = assert_problem(
        await jobs_on.client.post(
            URL, json={"confirmations": [_line(own, "2026-03")]}, headers=staff()
        ),
        403,
    )
    assert body["line"] == 1
    assert await _records(jobs_on) == 0


async def test_staff_confirm_workshop_months_and_correct_one(jobs_on):
    workshop = await make_employer(jobs_on, kind="workshop", location="Weng'an")
    worker = await make_worker(jobs_on)
    r = await jobs_on.client.post(
        "/v1/jobs/placements",
        json={
            "worker_id": worker["id"],
            "employer_id": workshop["id"],
            "start_date": "2026-04-01",
            "monthly_wage_fen": 180_000,
        },
        headers=staff(),
    )
    placement = r.json()["id"]
    first = await confirm(jobs_on, staff(), placement, "2026-04", 150_000)
    assert first.status_code == 201, first.text
    lines = [
        _line(placement, "2026-04", 180_000, corrects=first.json()["id"], note="payslip"),
        _line(placement, "2026-05", 180_000),
    ]
    r = await jobs_on.client.post(URL, json={"confirmations": lines}, headers=staff())
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["supersedes"] == first.json()["id"]
    records = (
        await jobs_on.client.get(f"/v1/jobs/placements/{placement}/confirmations", headers=staff())
    ).json()
    assert [(c["month"], c["wage_paid_fen"], c["superseded"]) for c in records] == [
        ("2026-04", 150_000, True),
        ("2026-04", 180_000, False),
        ("2026-05", 180_000, False),
    ]
    events = await outbox_events(jobs_on, "jobs.placement.month_confirmed")
    assert [e["data"]["supersedes"] for e in events] == [None, first.json()["id"], None]


async def test_limits_and_malformed_lines(jobs_on):
    headers, [a] = await _partner_with_hires(jobs_on, 1)
    months = [f"2026-0{m}" for m in range(1, 7)]  # 6 lines, the limit is 5 here
    r = await jobs_on.client.post(
        URL, json={"confirmations": [_line(a, m) for m in months]}, headers=headers
    )
    body = assert_problem(r, 413, contains="at most 5")
    assert (body["line"], body["max_lines"]) == (6, 5)
    assert_problem(await jobs_on.client.post(URL, json={"confirmations": []}, headers=headers), 422)
    bad = [_line(a, "2026-03"), _line(a, "2026-13")]
    body = assert_problem(
        await jobs_on.client.post(URL, json={"confirmations": bad}, headers=headers), 422
    )
    assert body["errors"][0]["field"] == "body.confirmations.1.month"
    zero = [_line(a, "2026-03", 0)]
    assert_problem(
        await jobs_on.client.post(URL, json={"confirmations": zero}, headers=headers), 422
    )
    assert await _records(jobs_on) == 0


async def test_a_retry_with_the_same_key_records_nothing_twice(jobs_on):
    headers, (a, b) = await _partner_with_hires(jobs_on, 2)
    keyed = headers | {"Idempotency-Key": "payroll-2026-03"}
    body = {"confirmations": [_line(a, "2026-03"), _line(b, "2026-03")]}
    first = await jobs_on.client.post(URL, json=body, headers=keyed)
    again = await jobs_on.client.post(URL, json=body, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await _records(jobs_on) == 2
    assert len(await outbox_events(jobs_on, "jobs.placement.month_confirmed")) == 2
    other = {"confirmations": [_line(a, "2026-04")]}
    assert_problem(await jobs_on.client.post(URL, json=other, headers=keyed), 422)
