"""The worker registry: national ID numbers and phones validated, encrypted, de-duplicated,
masked, and never seen in events, logs or error bodies."""

import asyncio
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text

from tests.jobs.conftest import (
    assert_problem,
    confirm,
    hire,
    make_partner,
    make_posting,
    national_id,
    outbox_events,
    phone,
    staff,
    worker_body,
)
from tests.support.apps import identity_headers

URL = "/v1/jobs/workers"


async def updates_of(jobs, worker_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [
        e
        for e in await outbox_events(jobs, "jobs.worker.updated")
        if e["data"]["worker_id"] == worker_id
    ]


class TestRegisterWorker:
    async def test_registers_with_masked_personal_data(self, jobs, clock):
        body = worker_body(township="Languan", poor_household=True, skills=["sewing", "tea"])
        r = await jobs.client.post(URL, json=body, headers=staff())
        assert r.status_code == 201, r.text
        worker = r.json()
        assert (
            worker["national_id_masked"]
            == body["national_id"][:3] + "*" * 11 + body["national_id"][-4:]
        )
        assert worker["phone_masked"] == body["phone"][:3] + "****" + body["phone"][-4:]
        assert worker["registered_on"] == "2026-06-15"
        assert body["national_id"] not in r.text
        assert body["phone"] not in r.text
        [event] = await outbox_events(jobs, "jobs.worker.registered")
        assert event["data"] == {
            "worker_id": worker["id"],
            "township": "Languan",
            "poor_household": True,
            "registered_on": "2026-06-15",
            # Masked only, for the subsidies service's public notice (公示).
            "name_masked": "W*******g",
            "national_id_masked": worker["national_id_masked"],
        }
        assert body["name"] not in json.dumps(event["data"])

    async def test_stored_encrypted_with_a_keyed_hash(self, jobs):
        body = worker_body()
        await jobs.client.post(URL, json=body, headers=staff())
        async with jobs.sessionmaker() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT national_id_encrypted, national_id_hash, phone_encrypted "
                        "FROM workers"
                    )
                )
            ).one()
        assert body["national_id"] not in json.dumps(list(row))
        assert body["phone"] not in json.dumps(list(row))
        assert len(row[1]) == 64
        vault = jobs.runtime.vault
        assert vault.decrypt(row[0], context="worker.national_id") == body["national_id"]

    async def test_same_person_twice_is_409_pointing_at_the_existing_worker(self, jobs):
        body = worker_body()
        first = (await jobs.client.post(URL, json=body, headers=staff())).json()
        again = body | {
            "name": "Someone Else",
            "national_id": body["national_id"].lower(),
            "phone": phone(),
        }
        r = await jobs.client.post(URL, json=again, headers=staff("bureau_approver"))
        problem = assert_problem(r, 409, contains="already registered")
        assert problem["existing_worker_id"] == first["id"]
        assert body["national_id"] not in r.text
        async with jobs.sessionmaker() as session:
            assert await session.scalar(text("SELECT count(*) FROM workers")) == 1
        assert len(await outbox_events(jobs, "jobs.worker.registered")) == 1

    async def test_concurrent_registrations_of_one_person(self, jobs):
        body = worker_body()
        results = await asyncio.gather(
            *[jobs.client.post(URL, json=body, headers=staff()) for _ in range(4)]
        )
        assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
        created = next(r.json() for r in results if r.status_code == 201)
        for r in results:
            if r.status_code == 409:
                assert r.json()["existing_worker_id"] == created["id"]

    async def test_bad_check_character(self, jobs):
        good = national_id()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        r = await jobs.client.post(URL, json=worker_body(national_id=bad), headers=staff())
        assert_problem(r, 422, contains="check character")
        assert bad not in r.text

    async def test_wrong_length_and_impossible_birth_date(self, jobs):
        r = await jobs.client.post(
            URL, json=worker_body(national_id="52272519900101"), headers=staff()
        )
        assert_problem(r, 422, contains="18 characters")
        r = await jobs.client.post(
            URL, json=worker_body(national_id="522725199002300011"), headers=staff()
        )
        assert_problem(r, 422, contains="birth date")

    async def test_bad_phone(self, jobs):
        r = await jobs.client.post(URL, json=worker_body(phone="12345"), headers=staff())
        problem = assert_problem(r, 422, contains="mobile number")
        assert "12345" not in json.dumps(problem)

    async def test_unknown_field_and_missing_township(self, jobs):
        r = await jobs.client.post(
            URL, json=worker_body(bank_account="6222020200112233445"), headers=staff()
        )
        assert_problem(r, 422, contains="bank_account")
        body = worker_body()
        del body["township"]
        assert_problem(await jobs.client.post(URL, json=body, headers=staff()), 422)

    async def test_only_bureau_staff_register(self, jobs):
        _, headers = await make_partner(jobs)
        for h in (headers, staff("auditor"), staff("store")):
            assert_problem(await jobs.client.post(URL, json=worker_body(), headers=h), 403)
        assert_problem(await jobs.client.post(URL, json=worker_body()), 401)


class TestReadWorkers:
    async def test_staff_and_auditors_read_masked_workers(self, jobs):
        body = worker_body(township="Houchang")
        worker = (await jobs.client.post(URL, json=body, headers=staff())).json()
        await jobs.client.post(
            URL, json=worker_body(township="Languan", poor_household=False), headers=staff()
        )
        r = await jobs.client.get(f"{URL}/{worker['id']}", headers=staff("auditor"))
        assert r.status_code == 200
        assert r.json()["national_id_masked"] == worker["national_id_masked"]
        assert body["national_id"] not in r.text
        r = await jobs.client.get(URL, params={"township": "Houchang"}, headers=staff())
        assert [w["id"] for w in r.json()["items"]] == [worker["id"]]
        r = await jobs.client.get(URL, params={"poor_household": "false"}, headers=staff())
        assert len(r.json()["items"]) == 1

    async def test_partners_and_public_cannot_read_the_registry(self, jobs):
        _, headers = await make_partner(jobs)
        worker = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        assert_problem(await jobs.client.get(URL, headers=headers), 403)
        assert_problem(await jobs.client.get(f"{URL}/{worker['id']}", headers=headers), 403)
        assert_problem(await jobs.client.get(URL), 401)

    async def test_unknown_worker(self, jobs):
        assert_problem(await jobs.client.get(f"{URL}/{uuid.uuid4()}", headers=staff()), 404)

    async def test_found_by_the_last_characters_of_the_masked_id_number(self, jobs):
        one = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        two = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        last4 = one["national_id_masked"][-4:]
        r = await jobs.client.get(URL, params={"id_last_digits": last4}, headers=staff())
        assert [w["id"] for w in r.json()["items"]] == [one["id"]]
        r = await jobs.client.get(
            URL, params={"id_last_digits": last4[-1], "name": "Wang"}, headers=staff()
        )
        expected = {w["id"] for w in (one, two) if w["national_id_masked"][-1] == last4[-1]}
        assert {w["id"] for w in r.json()["items"]} == expected

    async def test_last_characters_are_digits_or_x_only(self, jobs):
        for bad in ("12345", "%", "1_", ""):
            r = await jobs.client.get(URL, params={"id_last_digits": bad}, headers=staff())
            assert_problem(r, 422)


class TestUpdateWorker:
    async def test_change_is_saved_and_audited_with_phone_masked(self, jobs):
        body = worker_body(township="Houchang", poor_household=False)
        worker = (await jobs.client.post(URL, json=body, headers=staff())).json()
        new_phone = phone()
        clerk = identity_headers("bureau_clerk", kind="user", name="li.clerk")
        r = await jobs.client.patch(
            f"{URL}/{worker['id']}",
            json={
                "township": "Languan",
                "poor_household": True,
                "phone": new_phone,
                "name": "Wang Fang",  # unchanged: not in the audit
                "reason": "household re-registered",
            },
            headers=clerk,
        )
        assert r.status_code == 200, r.text
        assert r.json()["township"] == "Languan" and r.json()["poor_household"] is True
        assert r.json()["phone_masked"] == new_phone[:3] + "****" + new_phone[-4:]
        assert new_phone not in r.text

        r = await jobs.client.get(f"{URL}/{worker['id']}/changes", headers=staff("auditor"))
        assert r.status_code == 200, r.text
        [change] = r.json()["items"]
        masked = new_phone[:3] + "****" + new_phone[-4:]
        assert change["changes"] == [
            {"field": "township", "old": "Houchang", "new": "Languan"},
            {"field": "poor_household", "old": False, "new": True},
            {"field": "phone", "old": worker["phone_masked"], "new": masked},
        ]
        assert change["reason"] == "household re-registered"
        assert change["changed_by_name"] == "li.clerk"
        assert change["changed_by"].startswith("user:")
        assert body["phone"] not in r.text and new_phone not in r.text
        # The subsidies service's notice follows the township and flag: one event, in the same
        # transaction, with the worker's state after the correction, masked only.
        [event] = await updates_of(jobs, worker["id"])
        assert event["data"] == {
            "worker_id": worker["id"],
            "township": "Languan",
            "poor_household": True,
            "registered_on": worker["registered_on"],
            "name_masked": "W*******g",
            "national_id_masked": worker["national_id_masked"],
            "changed_at": event["data"]["changed_at"],
        }
        assert datetime.fromisoformat(event["data"]["changed_at"]) == datetime.fromisoformat(
            change["changed_at"]
        )
        assert body["national_id"] not in json.dumps(event) and new_phone not in json.dumps(event)

    async def test_a_corrected_name_is_published_masked_with_increasing_times(self, jobs):
        worker = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        for name in ("王小明", "王晓明", "欧阳小明"):  # 王晓明 has the same mask: no event
            r = await jobs.client.patch(
                f"{URL}/{worker['id']}", json={"name": name}, headers=staff()
            )
            assert r.status_code == 200, r.text
        events = await updates_of(jobs, worker["id"])
        assert [e["data"]["name_masked"] for e in events] == ["王*明", "欧**明"]
        assert "小明" not in json.dumps(events, ensure_ascii=False)
        times = [datetime.fromisoformat(e["data"]["changed_at"]) for e in events]
        assert times[0] < times[1]

    async def test_no_event_for_a_correction_of_nothing_or_of_phone_and_skills(self, jobs):
        worker = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        for body in (
            {"township": worker["township"], "poor_household": worker["poor_household"]},
            {"name": worker["name"]},
            {"phone": phone(), "skills": ["tea"]},
        ):
            r = await jobs.client.patch(f"{URL}/{worker['id']}", json=body, headers=staff())
            assert r.status_code == 200, r.text
        assert await updates_of(jobs, worker["id"]) == []
        # The phone and skills were still corrected and audited.
        changes = await jobs.client.get(f"{URL}/{worker['id']}/changes", headers=staff())
        assert len(changes.json()["items"]) == 1

    async def test_nothing_changed_records_nothing_and_phone_can_be_removed(self, jobs):
        worker = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        r = await jobs.client.patch(
            f"{URL}/{worker['id']}", json={"township": worker["township"]}, headers=staff()
        )
        assert r.status_code == 200
        changes = await jobs.client.get(f"{URL}/{worker['id']}/changes", headers=staff())
        assert changes.json()["items"] == []
        r = await jobs.client.patch(f"{URL}/{worker['id']}", json={"phone": None}, headers=staff())
        assert r.json()["phone_masked"] is None
        changes = await jobs.client.get(f"{URL}/{worker['id']}/changes", headers=staff())
        assert changes.json()["items"][0]["changes"] == [
            {"field": "phone", "old": worker["phone_masked"], "new": None}
        ]

    async def test_id_number_cannot_change_and_bad_values_are_refused(self, jobs):
        worker = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        other = national_id()
        r = await jobs.client.patch(
            f"{URL}/{worker['id']}", json={"national_id": other}, headers=staff()
        )
        assert_problem(r, 422)
        assert other not in r.text
        r = await jobs.client.patch(
            f"{URL}/{worker['id']}", json={"phone": "12345"}, headers=staff()
        )
        assert_problem(r, 422, contains="mobile number")
        r = await jobs.client.patch(f"{URL}/{worker['id']}", json={"name": " "}, headers=staff())
        assert_problem(r, 422)

    async def test_only_bureau_staff_may_edit(self, jobs):
        _, partner = await make_partner(jobs)
        worker = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        for headers in (partner, staff("auditor")):
            r = await jobs.client.patch(
                f"{URL}/{worker['id']}", json={"township": "Languan"}, headers=headers
            )
            assert_problem(r, 403)
        assert_problem(await jobs.client.get(f"{URL}/{worker['id']}/changes", headers=partner), 403)
        r = await jobs.client.patch(
            f"{URL}/{uuid.uuid4()}", json={"township": "Languan"}, headers=staff()
        )
        assert_problem(r, 404)


class TestPersonalDataNeverLeaks:
    async def test_no_id_number_or_phone_in_events_responses_or_logs(self, jobs, capfd):
        """Scan everything a whole flow produces for the worker's ID number and phone."""
        body = worker_body()
        responses = []
        r = await jobs.client.post(URL, json=body, headers=staff())
        responses.append(r)
        worker = r.json()
        responses.append(await jobs.client.post(URL, json=body, headers=staff()))  # 409
        bad = body | {"national_id": body["national_id"][:17] + "Z"}
        responses.append(await jobs.client.post(URL, json=bad, headers=staff()))  # 422
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        responses.append(
            await jobs.client.post(
                f"/v1/jobs/postings/{posting['id']}/applications",
                json={"worker_id": worker["id"]},
                headers=staff(),
            )
        )
        responses.append(
            await jobs.client.get(
                f"/v1/jobs/postings/{posting['id']}/applications", headers=headers
            )
        )
        r = await hire(jobs, headers, posting, worker)
        responses.append(r)
        responses.append(await confirm(jobs, headers, r.json()["id"], "2026-03"))
        responses.append(await jobs.client.get(URL, headers=staff()))
        assert [x.status_code for x in responses] == [201, 409, 422, 201, 200, 201, 201, 200]

        envelopes = await outbox_events(jobs)
        assert {e["type"] for e in envelopes} >= {
            "jobs.worker.registered",
            "jobs.placement.started",
            "jobs.placement.month_confirmed",
        }
        logs = capfd.readouterr().out
        assert '"route": "/v1/jobs/workers"' in logs  # the logs were captured
        haystacks = [x.text for x in responses] + [json.dumps(e) for e in envelopes] + [logs]
        for secret in (body["national_id"], body["phone"], body["national_id"][:17]):
            for hay in haystacks:
                assert secret not in hay
        assert "Wang Fang" not in json.dumps(envelopes)


class TestApplications:
    async def test_bureau_applies_and_partner_sees_applicants_without_personal_data(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        body = worker_body(skills=["welding"])
        worker = (await jobs.client.post(URL, json=body, headers=staff())).json()
        r = await jobs.client.post(
            f"/v1/jobs/postings/{posting['id']}/applications",
            json={"worker_id": worker["id"], "note": "Met at the fair"},
            headers=staff(),
        )
        assert r.status_code == 201, r.text
        r = await jobs.client.get(
            f"/v1/jobs/postings/{posting['id']}/applications", headers=headers
        )
        [application] = r.json()["items"]
        assert application["applicant"] == {
            "id": worker["id"],
            "name": "Wang Fang",
            "township": "Houchang",
            "skills": ["welding"],
        }
        assert "national_id" not in r.text and "phone" not in r.text
        assert "poor_household" not in r.text

    async def test_other_partner_cannot_see_applications(self, jobs):
        _, headers_a = await make_partner(jobs)
        _, headers_b = await make_partner(jobs)
        posting = await make_posting(jobs, headers_a)
        r = await jobs.client.get(
            f"/v1/jobs/postings/{posting['id']}/applications", headers=headers_b
        )
        assert_problem(r, 403, contains="another organisation")

    async def test_applying_twice_or_to_a_closed_posting(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        url = f"/v1/jobs/postings/{posting['id']}/applications"
        assert (
            await jobs.client.post(url, json={"worker_id": worker["id"]}, headers=staff())
        ).status_code == 201
        r = await jobs.client.post(url, json={"worker_id": worker["id"]}, headers=staff())
        assert_problem(r, 409, contains="already applied")
        await jobs.client.post(f"/v1/jobs/postings/{posting['id']}/close", headers=headers)
        other = (await jobs.client.post(URL, json=worker_body(), headers=staff())).json()
        r = await jobs.client.post(url, json={"worker_id": other["id"]}, headers=staff())
        assert_problem(r, 409, contains="closed")

    async def test_partners_cannot_apply_for_workers(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await jobs.client.post(
            f"/v1/jobs/postings/{posting['id']}/applications",
            json={"worker_id": str(uuid.uuid4())},
            headers=headers,
        )
        assert_problem(r, 403)
        r = await jobs.client.post(
            f"/v1/jobs/postings/{posting['id']}/applications",
            json={"worker_id": str(uuid.uuid4())},
            headers=staff(),
        )
        assert_problem(r, 404, contains="worker")
        assert identity_headers  # the module's helper stays in use for other tests


class TestLookupWorker:
    async def test_staff_find_a_worker_by_id_number(self, jobs):
        body = worker_body()
        worker = (await jobs.client.post(URL, json=body, headers=staff())).json()
        r = await jobs.client.post(
            f"{URL}/lookup", json={"national_id": body["national_id"]}, headers=staff("auditor")
        )
        assert r.status_code == 200, r.text
        assert r.json()["id"] == worker["id"]
        assert body["national_id"] not in r.text

    async def test_unknown_and_invalid_numbers(self, jobs):
        r = await jobs.client.post(
            f"{URL}/lookup", json={"national_id": national_id()}, headers=staff()
        )
        problem = assert_problem(r, 404, contains="no worker is registered")
        assert "national_id" not in json.dumps(problem).replace("national ID", "")
        r = await jobs.client.post(f"{URL}/lookup", json={"national_id": "123"}, headers=staff())
        assert_problem(r, 422, contains="18 characters")

    async def test_partners_cannot_look_up(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(
            f"{URL}/lookup", json={"national_id": national_id()}, headers=headers
        )
        assert_problem(r, 403)
