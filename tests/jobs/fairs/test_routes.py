"""Job fairs: which partners take part, which workers attend."""

import uuid

from tests.jobs.conftest import (
    assert_problem,
    make_employer,
    make_partner,
    make_worker,
    staff,
)

FAIRS = "/v1/jobs/job-fairs"
FAIR = {
    "name": "Spring job fair",
    "held_on": "2026-06-01",
    "location": "Weng'an stadium",
    "township": "Yongyang",
}


async def make_fair(jobs, **overrides):
    r = await jobs.client.post(FAIRS, json=FAIR | overrides, headers=staff())
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
