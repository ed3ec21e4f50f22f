"""Factories and helpers for the jobs service tests: plain async functions with keyword
overrides, calling the service over HTTP as the named principal."""

import itertools
import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text

from shared.pii import national_id_check_char
from tests.support.apps import RunningService, identity_headers

CHINA = timezone(timedelta(hours=8))
TODAY = date(2026, 6, 15)
_seq = itertools.count(1)


class Clock:
    """Replaces the service's clock: tests move ``today`` (a date in China time) as they need;
    the clock reads noon of that day."""

    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> datetime:
        return datetime.combine(self.today, time(12), tzinfo=CHINA)


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Clock | None:
    if "jobs" not in request.fixturenames:
        return None
    jobs: RunningService = request.getfixturevalue("jobs")
    c = Clock(TODAY)
    jobs.runtime.clock = c
    return c


def national_id(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    first17 = f"522725{1970 + n // 1000 % 40:04d}0{1 + n % 9}1{n % 3}{n % 1000:03d}"
    return first17 + national_id_check_char(first17)


def phone(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    return f"139{n % 100_000_000:08d}"


def staff(role: str = "bureau_clerk") -> dict[str, str]:
    return identity_headers(role)  # type: ignore[arg-type]


def partner_headers(employer_id: str) -> dict[str, str]:
    return identity_headers("partner", employer_id)


async def make_employer(jobs: RunningService, **overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "haizhu_partner",
        "name": f"Employer {uuid.uuid4().hex[:8]}",
        "location": "Haizhu",
        "address": "1 Test Road",
        "contact": "hr@example.com",
    } | overrides
    r = await jobs.client.post("/v1/jobs/employers", json=body, headers=staff())
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def make_partner(
    jobs: RunningService, **overrides: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """A Haizhu partner organisation and the headers of its API key."""
    employer = await make_employer(jobs, kind="haizhu_partner", **overrides)
    return employer, partner_headers(employer["id"])


def posting_body(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Assembly line operator",
        "description": "Assemble chargers.",
        "category": "manufacturing",
        "employment_type": "full_time",
        "district": "Haizhu",
        "address": "88 Xingang Road",
        "salary_min_fen": 450_000,
        "salary_max_fen": 650_000,
        "openings": 3,
        "requirements": "Aged 18-45",
        "housing": True,
        "meals": True,
        "travel": False,
        "contact": "hr@example.com",
        "valid_through": "2026-12-31",
    } | overrides


async def make_posting(
    jobs: RunningService, headers: dict[str, str], *, publish: bool = True, **overrides: Any
) -> dict[str, Any]:
    r = await jobs.client.post("/v1/jobs/postings", json=posting_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    posting = r.json()
    if publish:
        r = await jobs.client.post(f"/v1/jobs/postings/{posting['id']}/publish", headers=headers)
        assert r.status_code == 200, r.text
        posting = r.json()
    return posting  # type: ignore[no-any-return]


def worker_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Wang Fang",
        "national_id": national_id(),
        "phone": phone(),
        "township": "Houchang",
        "poor_household": True,
        "skills": ["sewing"],
    } | overrides


async def make_worker(jobs: RunningService, **overrides: Any) -> dict[str, Any]:
    r = await jobs.client.post("/v1/jobs/workers", json=worker_body(**overrides), headers=staff())
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def hire(
    jobs: RunningService,
    headers: dict[str, str],
    posting: dict[str, Any],
    worker: dict[str, Any],
    **overrides: Any,
) -> Any:
    body = {
        "worker_id": worker["id"],
        "posting_id": posting["id"],
        "start_date": "2026-03-02",
        "monthly_wage_fen": 520_000,
    } | overrides
    return await jobs.client.post("/v1/jobs/placements", json=body, headers=headers)


async def make_placement(
    jobs: RunningService, **overrides: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """A partner's placement on a fresh posting; returns it and the partner's headers."""
    _, headers = await make_partner(jobs)
    posting = await make_posting(jobs, headers)
    worker = overrides.pop("worker", None) or await make_worker(jobs)
    r = await hire(jobs, headers, posting, worker, **overrides)
    assert r.status_code == 201, r.text
    return r.json(), headers


async def confirm(
    jobs: RunningService,
    headers: dict[str, str],
    placement_id: str,
    month: str,
    wage: int = 520_000,
    **extra: Any,
) -> Any:
    return await jobs.client.post(
        f"/v1/jobs/placements/{placement_id}/confirmations",
        json={"month": month, "wage_paid_fen": wage} | extra,
        headers=headers,
    )


async def outbox_events(
    jobs: RunningService, event_type: str | None = None
) -> list[dict[str, Any]]:
    """Envelopes written to the outbox, oldest first."""
    async with jobs.sessionmaker() as session:
        rows = (await session.execute(text("SELECT payload FROM outbox ORDER BY seq"))).all()
    envelopes = [json.loads(r[0]) for r in rows]
    return [e for e in envelopes if event_type is None or e["type"] == event_type]


def assert_problem(r: Any, status: int, *, contains: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    if contains is not None:
        assert contains.lower() in (body["detail"]).lower(), body["detail"]
    return body  # type: ignore[no-any-return]
