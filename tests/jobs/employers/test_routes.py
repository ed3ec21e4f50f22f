"""Employers: the bureau registers Haizhu partners, workshops and dedicated-post units; a
partner manages its own profile."""

import uuid

from tests.jobs.conftest import assert_problem, make_employer, make_partner, outbox_events, staff
from tests.support.apps import identity_headers

URL = "/v1/jobs/employers"
BODY = {
    "kind": "workshop",
    "name": "Jiangjiehe bamboo workshop",
    "location": "Jiangjiehe",
    "address": "Relocation site, block 3",
    "description": "Bamboo weaving",
    "contact": "Site office",
}


class TestCreateEmployer:
    async def test_bureau_registers_a_workshop_and_event_is_written(self, jobs):
        r = await jobs.client.post(URL, json=BODY, headers=staff())
        assert r.status_code == 201, r.text
        employer = r.json()
        assert employer["kind"] == "workshop"
        [event] = await outbox_events(jobs, "jobs.employer.registered")
        assert event["data"] == {
            "employer_id": employer["id"],
            "kind": "workshop",
            "name": "Jiangjiehe bamboo workshop",
            "location": "Jiangjiehe",
        }
        assert event["source"] == "jobs"
        assert event["version"] == 1

    async def test_admin_registers_a_partner(self, jobs):
        r = await jobs.client.post(
            URL,
            json=BODY | {"kind": "haizhu_partner", "name": "P1"},
            headers=identity_headers("admin"),
        )
        assert r.status_code == 201

    async def test_duplicate_name_of_the_same_kind(self, jobs):
        await jobs.client.post(URL, json=BODY, headers=staff())
        r = await jobs.client.post(URL, json=BODY, headers=staff())
        assert_problem(r, 409, contains="already registered")
        r = await jobs.client.post(URL, json=BODY | {"kind": "dedicated_post"}, headers=staff())
        assert r.status_code == 201

    async def test_bad_input(self, jobs):
        assert_problem(
            await jobs.client.post(URL, json=BODY | {"kind": "bank"}, headers=staff()), 422
        )
        assert_problem(await jobs.client.post(URL, json=BODY | {"name": ""}, headers=staff()), 422)
        assert_problem(
            await jobs.client.post(URL, json=BODY | {"id": str(uuid.uuid4())}, headers=staff()), 422
        )

    async def test_partners_auditors_and_stores_cannot_register(self, jobs):
        _, headers = await make_partner(jobs)
        for h in (headers, staff("auditor"), staff("store")):
            assert_problem(await jobs.client.post(URL, json=BODY, headers=h), 403)


class TestOwnProfile:
    async def test_partner_reads_and_updates_its_profile(self, jobs):
        employer, headers = await make_partner(jobs)
        r = await jobs.client.get(f"{URL}/me", headers=headers)
        assert r.json()["id"] == employer["id"]
        r = await jobs.client.patch(
            f"{URL}/me",
            json={"contact": "jobs@example.com", "description": "Electronics"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["contact"] == "jobs@example.com"
        assert r.json()["name"] == employer["name"]

    async def test_kind_and_id_cannot_be_changed(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.patch(f"{URL}/me", json={"kind": "workshop"}, headers=headers)
        assert_problem(r, 422, contains="kind")

    async def test_renaming_onto_another_partner(self, jobs):
        other, _ = await make_partner(jobs)
        _, headers = await make_partner(jobs)
        r = await jobs.client.patch(f"{URL}/me", json={"name": other["name"]}, headers=headers)
        assert_problem(r, 409)

    async def test_unregistered_partner_and_workshop_subjects(self, jobs):
        workshop = await make_employer(jobs, kind="workshop")
        for subject in (str(uuid.uuid4()), workshop["id"], "not-a-uuid", None):
            r = await jobs.client.get(f"{URL}/me", headers=identity_headers("partner", subject))
            assert_problem(r, 403, contains="not bound to a registered")

    async def test_staff_have_no_profile(self, jobs):
        assert_problem(await jobs.client.get(f"{URL}/me", headers=staff()), 403)


class TestReadEmployers:
    async def test_staff_list_and_filter_by_kind(self, jobs):
        partner = await make_employer(jobs, kind="haizhu_partner")
        workshop = await make_employer(jobs, kind="workshop")
        r = await jobs.client.get(URL, params={"kind": "workshop"}, headers=staff("auditor"))
        assert [e["id"] for e in r.json()["items"]] == [workshop["id"]]
        r = await jobs.client.get(f"{URL}/{partner['id']}", headers=staff())
        assert r.json()["kind"] == "haizhu_partner"

    async def test_partners_cannot_list_employers(self, jobs):
        _, headers = await make_partner(jobs)
        assert_problem(await jobs.client.get(URL, headers=headers), 403)

    async def test_unknown_employer(self, jobs):
        r = await jobs.client.get(f"{URL}/{uuid.uuid4()}", headers=staff())
        assert_problem(r, 404, contains="employer")
