"""Job fairs (which partners take part, which workers attend) and training sessions
(attendance, completion)."""

import uuid
from datetime import date

from tests.jobs.conftest import (
    assert_problem,
    make_employer,
    make_partner,
    make_worker,
    outbox_events,
    staff,
)

FAIRS = "/v1/jobs/job-fairs"
TRAININGS = "/v1/jobs/trainings"
FAIR = {
    "name": "Spring job fair",
    "held_on": "2026-06-01",
    "location": "Weng'an stadium",
    "township": "Yongyang",
}
TRAINING = {
    "title": "Electrician basics",
    "topic": "electrical",
    "provider": "Haizhu Vocational Centre",
    "starts_on": "2026-06-01",
    "ends_on": "2026-06-10",
    "location": "Jiangjiehe training room",
    "township": "Jiangjiehe",
}


async def make_fair(jobs, **overrides):
    r = await jobs.client.post(FAIRS, json=FAIR | overrides, headers=staff())
    assert r.status_code == 201, r.text
    return r.json()


async def make_training(jobs, **overrides):
    r = await jobs.client.post(TRAININGS, json=TRAINING | overrides, headers=staff())
    assert r.status_code == 201, r.text
    return r.json()


class TestJobFairs:
    async def test_organise_with_partners_and_attendees(self, jobs):
        fair = await make_fair(jobs)
        partner, partner_headers = await make_partner(jobs)
        r = await jobs.client.post(
            f"{FAIRS}/{fair['id']}/employers", json={"employer_id": partner["id"]}, headers=staff()
        )
        assert r.status_code == 201, r.text
        assert [e["id"] for e in r.json()["employers"]] == [partner["id"]]
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            f"{FAIRS}/{fair['id']}/attendees", json={"worker_id": worker["id"]}, headers=staff()
        )
        assert r.status_code == 201
        assert r.json()["attendee_count"] == 1
        r = await jobs.client.get(f"{FAIRS}/{fair['id']}/attendees", headers=staff("auditor"))
        assert r.json() == [worker["id"]]
        # A partner sees the fairs it can take part in, not who attended.
        r = await jobs.client.get(f"{FAIRS}/{fair['id']}", headers=partner_headers)
        assert r.json()["employers"][0]["name"] == partner["name"]
        assert len((await jobs.client.get(FAIRS, headers=partner_headers)).json()["items"]) == 1
        r = await jobs.client.get(f"{FAIRS}/{fair['id']}/attendees", headers=partner_headers)
        assert_problem(r, 403)

    async def test_duplicates_and_unknowns(self, jobs):
        fair = await make_fair(jobs)
        workshop = await make_employer(jobs, kind="workshop")
        url = f"{FAIRS}/{fair['id']}/employers"
        await jobs.client.post(url, json={"employer_id": workshop["id"]}, headers=staff())
        r = await jobs.client.post(url, json={"employer_id": workshop["id"]}, headers=staff())
        assert_problem(r, 409, contains="already takes part")
        r = await jobs.client.post(url, json={"employer_id": str(uuid.uuid4())}, headers=staff())
        assert_problem(r, 404, contains="employer")
        worker = await make_worker(jobs)
        url = f"{FAIRS}/{fair['id']}/attendees"
        await jobs.client.post(url, json={"worker_id": worker["id"]}, headers=staff())
        r = await jobs.client.post(url, json={"worker_id": worker["id"]}, headers=staff())
        assert_problem(r, 409, contains="already recorded")
        assert_problem(await jobs.client.get(f"{FAIRS}/{uuid.uuid4()}", headers=staff()), 404)

    async def test_attendance_before_the_fair(self, jobs):
        fair = await make_fair(jobs, held_on="2026-07-01")
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            f"{FAIRS}/{fair['id']}/attendees", json={"worker_id": worker["id"]}, headers=staff()
        )
        assert_problem(r, 422, contains="on or after that day")

    async def test_bad_input_and_roles(self, jobs):
        assert_problem(
            await jobs.client.post(FAIRS, json=FAIR | {"held_on": "1800-01-01"}, headers=staff()),
            422,
        )
        assert_problem(
            await jobs.client.post(FAIRS, json=FAIR | {"visitors": 5}, headers=staff()), 422
        )
        _, partner_headers = await make_partner(jobs)
        for h in (partner_headers, staff("auditor"), staff("store")):
            assert_problem(await jobs.client.post(FAIRS, json=FAIR, headers=h), 403)
        assert_problem(await jobs.client.get(FAIRS, headers=staff("store")), 403)
        assert_problem(await jobs.client.get(FAIRS), 401)


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
