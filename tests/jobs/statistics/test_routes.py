"""The program's figures: jobs offered, postings, fairs, training, people trained, placements,
stable employment and wages, by period and township."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

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
    staff,
)
from tests.support.apps import RunningService, running_service
from tests.support.sqlite import migrated_sqlite_url

URL = "/v1/jobs/statistics"


async def scenario(jobs):
    jobs.runtime.settings.stable_months = 2
    _, headers = await make_partner(jobs)
    posting = await make_posting(jobs, headers, openings=3)
    await make_posting(jobs, headers, openings=5)
    await make_posting(jobs, headers, openings=10, publish=False)
    c = jobs.client
    await c.post(
        "/v1/jobs/job-fairs",
        json={
            "name": "Held",
            "held_on": "2026-06-01",
            "location": "Stadium",
            "township": "Yongyang",
        },
        headers=staff(),
    )
    await c.post(
        "/v1/jobs/job-fairs",
        json={"name": "Coming", "held_on": "2026-07-01", "location": "Stadium"},
        headers=staff(),
    )
    training = (
        await c.post(
            "/v1/jobs/trainings",
            json={
                "title": "Sewing",
                "starts_on": "2026-06-01",
                "ends_on": "2026-06-05",
                "location": "Jiangjiehe",
                "township": "Jiangjiehe",
            },
            headers=staff(),
        )
    ).json()
    poor = await make_worker(jobs, township="Houchang", poor_household=True)
    other = await make_worker(jobs, township="Languan", poor_household=False)
    for w in (poor, other):
        await c.post(
            f"/v1/jobs/trainings/{training['id']}/attendees",
            json={"worker_id": w["id"]},
            headers=staff(),
        )
        r = await c.post(
            f"/v1/jobs/trainings/{training['id']}/completions",
            json={"worker_id": w["id"], "completed_on": "2026-06-05"},
            headers=staff(),
        )
        assert r.status_code == 200, r.text
    placement = (await hire(jobs, headers, posting, poor, start_date="2026-03-02")).json()
    march = (await confirm(jobs, headers, placement["id"], "2026-03", 500_000)).json()
    await confirm(jobs, headers, placement["id"], "2026-04", 500_000)
    r = await confirm(jobs, headers, placement["id"], "2026-03", 520_000, corrects=march["id"])
    assert r.status_code == 201, r.text
    workshop = await make_employer(jobs, kind="workshop", location="Languan")
    r = await c.post(
        "/v1/jobs/placements",
        json={
            "worker_id": other["id"],
            "employer_id": workshop["id"],
            "start_date": "2026-05-01",
            "monthly_wage_fen": 180_000,
        },
        headers=staff(),
    )
    await confirm(jobs, staff(), r.json()["id"], "2026-05", 180_000)


class TestStatistics:
    async def test_cumulative_figures(self, jobs):
        await scenario(jobs)
        r = await jobs.client.get(URL, headers=staff("auditor"))
        assert r.status_code == 200, r.text
        assert r.json() == {
            "period_from": None,
            "period_to": None,
            "township": None,
            "stable_months": 2,
            "jobs_offered": 8,
            "postings": 2,
            "job_fairs_held": 1,
            "training_sessions": 1,
            "people_trained": 2,
            "people_trained_poor": 1,
            "placements": 2,
            "placements_poor": 1,
            "workers_in_stable_employment": 1,
            "workers_in_stable_employment_poor": 1,
            "total_wages_paid_fen": 520_000 + 500_000 + 180_000,
            "total_wages_paid_poor_fen": 520_000 + 500_000,
            "workshops": 1,
            "workshops_employing": 1,
            "workshop_workers": 1,
            "workshop_workers_poor": 0,
        }

    async def test_by_township(self, jobs):
        await scenario(jobs)
        r = await jobs.client.get(URL, params={"township": "Houchang"}, headers=staff())
        body = r.json()
        assert body["placements"] == 1
        assert body["people_trained"] == 1
        assert body["total_wages_paid_fen"] == 1_020_000
        assert body["job_fairs_held"] == 0
        assert body["jobs_offered"] == 8  # Haizhu-side figure, not filtered

    async def test_by_period(self, jobs):
        await scenario(jobs)
        r = await jobs.client.get(
            URL, params={"from": "2026-04-01", "to": "2026-04-30"}, headers=staff()
        )
        body = r.json()
        assert body["placements"] == 0
        assert body["postings"] == 0
        assert body["total_wages_paid_fen"] == 500_000
        assert body["workers_in_stable_employment"] == 1
        assert body["people_trained"] == 0
        r = await jobs.client.get(URL, params={"from": "2026-05-01"}, headers=staff())
        assert r.json()["workers_in_stable_employment"] == 0
        assert r.json()["total_wages_paid_fen"] == 180_000

    async def test_month_corrected_to_zero_is_not_employment(self, jobs):
        jobs.runtime.settings.stable_months = 2
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs, poor_household=True)
        placement = (await hire(jobs, headers, posting, worker, start_date="2026-03-02")).json()
        await confirm(jobs, headers, placement["id"], "2026-03", 500_000)
        april = (await confirm(jobs, headers, placement["id"], "2026-04", 500_000)).json()
        r = await jobs.client.get(URL, headers=staff())
        assert r.json()["workers_in_stable_employment"] == 1
        r = await confirm(jobs, headers, placement["id"], "2026-04", 0, corrects=april["id"])
        assert r.status_code == 201, r.text
        r = await jobs.client.get(URL, headers=staff())
        assert r.json()["workers_in_stable_employment"] == 0
        assert r.json()["workers_in_stable_employment_poor"] == 0
        assert r.json()["total_wages_paid_fen"] == 500_000

    async def test_stable_months_is_configuration(self, jobs):
        await scenario(jobs)
        jobs.runtime.settings.stable_months = 3
        r = await jobs.client.get(URL, headers=staff())
        assert r.json()["workers_in_stable_employment"] == 0

    async def test_inverted_period(self, jobs):
        r = await jobs.client.get(
            URL, params={"from": "2026-05-01", "to": "2026-04-01"}, headers=staff()
        )
        assert_problem(r, 422, contains="from must not be after to")

    async def test_only_staff_and_auditors(self, jobs):
        _, headers = await make_partner(jobs)
        assert_problem(await jobs.client.get(URL, headers=headers), 403)
        assert_problem(await jobs.client.get(URL, headers=staff("store")), 403)
        assert_problem(await jobs.client.get(URL), 401)


@pytest.fixture(params=["postgresql", "sqlite"])
async def jobs_on(request, settings_for, tmp_path) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    overrides: dict[str, Any] = {}
    if request.param == "sqlite":
        overrides["database_url"] = await migrated_sqlite_url("jobs", tmp_path)
    async with running_service("jobs", settings_for("jobs", **overrides)) as running:
        running.runtime.clock = Clock(TODAY)
        yield running


async def workshop_hire(
    jobs: RunningService, workshop: dict[str, Any], worker: dict[str, Any], start: str
) -> dict[str, Any]:
    r = await jobs.client.post(
        "/v1/jobs/placements",
        json={
            "worker_id": worker["id"],
            "employer_id": workshop["id"],
            "start_date": start,
            "monthly_wage_fen": 180_000,
        },
        headers=staff(),
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


class TestWorkshopFigures:
    """PROGRAM.md: "10 workshops built with Haizhu aid, employing 2,171 poor people"."""

    async def scenario(self, jobs: RunningService) -> None:
        languan = await make_employer(jobs, kind="workshop", location="Languan")
        houchang = await make_employer(jobs, kind="workshop", location="Houchang")
        await make_employer(jobs, kind="workshop", location="Houchang")  # employs nobody yet
        await make_partner(jobs)  # not a workshop
        poor = [await make_worker(jobs, poor_household=True) for _ in range(3)]
        other = await make_worker(jobs, poor_household=False)
        await workshop_hire(jobs, languan, poor[0], "2026-03-01")
        await workshop_hire(jobs, languan, other, "2026-03-01")
        left = await workshop_hire(jobs, houchang, poor[1], "2026-02-01")
        r = await jobs.client.post(
            f"/v1/jobs/placements/{left['id']}/end",
            json={"end_date": "2026-03-31", "reason": "resigned"},
            headers=staff(),
        )
        assert r.status_code == 200, r.text
        # The same worker twice (two workshops) is one person employed.
        await workshop_hire(jobs, houchang, poor[0], "2026-05-01")
        await workshop_hire(jobs, languan, poor[2], "2026-06-10")

    async def figures(self, jobs: RunningService, **params: str) -> dict[str, int]:
        r = await jobs.client.get(URL, params=params, headers=staff("auditor"))
        assert r.status_code == 200, r.text
        body = r.json()
        keys = ("workshops", "workshops_employing", "workshop_workers", "workshop_workers_poor")
        return {k: body[k] for k in keys}

    async def test_cumulative(self, jobs_on):
        await self.scenario(jobs_on)
        assert await self.figures(jobs_on) == {
            "workshops": 3,
            "workshops_employing": 2,
            "workshop_workers": 4,
            "workshop_workers_poor": 3,
        }

    async def test_by_period(self, jobs_on):
        await self.scenario(jobs_on)
        # April: the Houchang hire ended in March, the later ones had not started.
        assert await self.figures(jobs_on, **{"from": "2026-04-01", "to": "2026-04-30"}) == {
            "workshops": 0,  # registered today (December 2026), after the period
            "workshops_employing": 1,
            "workshop_workers": 2,
            "workshop_workers_poor": 1,
        }
        june = await self.figures(jobs_on, **{"from": "2026-06-01"})
        assert june == {
            "workshops": 3,
            "workshops_employing": 2,
            "workshop_workers": 3,
            "workshop_workers_poor": 2,
        }

    async def test_by_township_of_the_workshop(self, jobs_on):
        await self.scenario(jobs_on)
        assert await self.figures(jobs_on, township="Houchang") == {
            "workshops": 2,
            "workshops_employing": 1,
            "workshop_workers": 2,
            "workshop_workers_poor": 2,
        }
