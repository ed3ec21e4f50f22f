"""Training sessions: attendance, completion."""

from datetime import date

from tests.jobs.conftest import (
    assert_problem,
    make_partner,
    make_worker,
    outbox_events,
    staff,
)

TRAININGS = "/v1/jobs/trainings"
TRAINING = {
    "title": "Electrician basics",
    "topic": "electrical",
    "provider": "Haizhu Vocational Centre",
    "starts_on": "2026-06-01",
    "ends_on": "2026-06-10",
    "location": "Jiangjiehe training room",
    "township": "Jiangjiehe",
}


async def make_training(jobs, **overrides):
    r = await jobs.client.post(TRAININGS, json=TRAINING | overrides, headers=staff())
    assert r.status_code == 201, r.text
    return r.json()


class TestTraining:
    async def test_attendance_and_completion_publish_an_event(self, jobs):
        training = await make_training(jobs)
        worker = await make_worker(jobs, poor_household=True)
        r = await jobs.client.post(
            f"{TRAININGS}/{training['id']}/attendees",
            json={"worker_id": worker["id"]},
            headers=staff(),
        )
        assert r.status_code == 201, r.text
        r = await jobs.client.post(
            f"{TRAININGS}/{training['id']}/completions",
            json={"worker_id": worker["id"], "completed_on": "2026-06-10"},
            headers=staff("bureau_approver"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["completed_on"] == "2026-06-10"
        [event] = await outbox_events(jobs, "jobs.training.completed")
        assert event["data"] == {
            "session_id": training["id"],
            "worker_id": worker["id"],
            "poor_household": True,
            "completed_on": "2026-06-10",
        }
        r = await jobs.client.get(f"{TRAININGS}/{training['id']}", headers=staff("auditor"))
        assert (r.json()["attendee_count"], r.json()["completed_count"]) == (1, 1)
        r = await jobs.client.get(f"{TRAININGS}/{training['id']}/attendees", headers=staff())
        assert r.json()[0]["worker_id"] == worker["id"]

    async def test_dates_out_of_order(self, jobs):
        r = await jobs.client.post(
            TRAININGS, json=TRAINING | {"ends_on": "2026-05-31"}, headers=staff()
        )
        assert_problem(r, 422, contains="ends_on must not be before starts_on")

    async def test_completion_rules(self, jobs, clock):
        training = await make_training(jobs)
        worker = await make_worker(jobs)
        url = f"{TRAININGS}/{training['id']}/completions"
        r = await jobs.client.post(
            url, json={"worker_id": worker["id"], "completed_on": "2026-06-10"}, headers=staff()
        )
        assert_problem(r, 409, contains="record attendance first")
        await jobs.client.post(
            f"{TRAININGS}/{training['id']}/attendees",
            json={"worker_id": worker["id"]},
            headers=staff(),
        )
        r = await jobs.client.post(
            url, json={"worker_id": worker["id"], "completed_on": "2026-05-31"}, headers=staff()
        )
        assert_problem(r, 422, contains="before the session started")
        r = await jobs.client.post(
            url, json={"worker_id": worker["id"], "completed_on": "2026-06-16"}, headers=staff()
        )
        assert_problem(r, 422, contains="in the future")
        ok = {"worker_id": worker["id"], "completed_on": "2026-06-12"}
        assert (await jobs.client.post(url, json=ok, headers=staff())).status_code == 200
        assert_problem(
            await jobs.client.post(url, json=ok, headers=staff()), 409, contains="already completed"
        )
        assert len(await outbox_events(jobs, "jobs.training.completed")) == 1

    async def test_attendance_before_the_session_starts(self, jobs, clock):
        training = await make_training(jobs, starts_on="2026-07-01", ends_on="2026-07-02")
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            f"{TRAININGS}/{training['id']}/attendees",
            json={"worker_id": worker["id"]},
            headers=staff(),
        )
        assert_problem(r, 422, contains="once it has started")
        clock.today = date(2026, 7, 1)
        r = await jobs.client.post(
            f"{TRAININGS}/{training['id']}/attendees",
            json={"worker_id": worker["id"]},
            headers=staff(),
        )
        assert r.status_code == 201

    async def test_roles(self, jobs):
        _, partner_headers = await make_partner(jobs)
        for h in (partner_headers, staff("auditor"), staff("store")):
            assert_problem(await jobs.client.post(TRAININGS, json=TRAINING, headers=h), 403)
        training = await make_training(jobs)
        r = await jobs.client.get(f"{TRAININGS}/{training['id']}", headers=partner_headers)
        assert r.status_code == 200
        assert len((await jobs.client.get(TRAININGS, headers=staff())).json()["items"]) == 1
        r = await jobs.client.get(
            f"{TRAININGS}/{training['id']}/attendees", headers=partner_headers
        )
        assert_problem(r, 403)
