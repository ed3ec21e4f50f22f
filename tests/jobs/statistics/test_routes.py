"""The program's figures: jobs offered, postings, fairs, training, people trained, placements,
stable employment and wages, by period and township."""

from tests.jobs.conftest import (
    assert_problem,
    confirm,
    hire,
    make_employer,
    make_partner,
    make_posting,
    make_worker,
    staff,
)

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
