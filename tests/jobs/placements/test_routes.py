"""Placements (hires) and their monthly confirmations: openings never overbooked, months in
order, corrections as new records, partner A never touching partner B's placements."""

import asyncio
import uuid
from datetime import date

from sqlalchemy import text

from tests.jobs.conftest import (
    assert_problem,
    confirm,
    hire,
    make_employer,
    make_partner,
    make_placement,
    make_posting,
    make_worker,
    outbox_events,
    partner_headers,
    staff,
)
from tests.support.apps import identity_headers

URL = "/v1/jobs/placements"


class TestPartnerHire:
    async def test_hire_on_own_open_posting(self, jobs):
        employer, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs, township="Languan", poor_household=True)
        r = await hire(jobs, headers, posting, worker)
        assert r.status_code == 201, r.text
        placement = r.json()
        assert placement["employer_id"] == employer["id"]
        assert placement["worker_name"] == worker["name"]  # who was hired, never the ID number
        assert placement["employer_kind"] == "haizhu_partner"
        assert placement["posting_id"] == posting["id"]
        assert placement["next_month_to_confirm"] == "2026-03"
        [event] = await outbox_events(jobs, "jobs.placement.started")
        assert event["data"] == {
            "placement_id": placement["id"],
            "worker_id": worker["id"],
            "employer_id": employer["id"],
            "employer_kind": "haizhu_partner",
            "posting_id": posting["id"],
            "poor_household": True,
            "township": "Languan",
            "start_date": "2026-03-02",
            "monthly_wage_fen": 520_000,
        }
        r = await jobs.client.get(f"/v1/jobs/postings/{posting['id']}")
        assert r.json()["hires"] == 1
        assert r.json()["openings_remaining"] == 2

    async def test_last_opening_fills_the_posting(self, jobs):
        employer, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, openings=1)
        r = await hire(jobs, headers, posting, await make_worker(jobs))
        assert r.status_code == 201
        r = await jobs.client.get(f"/v1/jobs/postings/{posting['id']}", headers=headers)
        assert r.json()["status"] == "filled"
        [closed] = await outbox_events(jobs, "jobs.posting.closed")
        assert closed["data"] == {
            "posting_id": posting["id"],
            "employer_id": employer["id"],
            "status": "filled",
        }
        r = await hire(jobs, headers, posting, await make_worker(jobs))
        assert_problem(r, 409, contains="filled")

    async def test_concurrent_hires_never_exceed_openings(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, openings=2)
        workers = [await make_worker(jobs) for _ in range(6)]
        results = await asyncio.gather(*[hire(jobs, headers, posting, w) for w in workers])
        statuses = sorted(r.status_code for r in results)
        assert statuses == [201, 201, 409, 409, 409, 409]
        async with jobs.sessionmaker() as session:
            hires = await session.scalar(text("SELECT hires FROM postings"))
            count = await session.scalar(text("SELECT count(*) FROM placements"))
        assert (hires, count) == (2, 2)
        [filled] = await outbox_events(jobs, "jobs.posting.closed")
        assert filled["data"]["status"] == "filled"
        assert len(await outbox_events(jobs, "jobs.placement.started")) == 2

    async def test_hire_on_closed_posting(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        await jobs.client.post(f"/v1/jobs/postings/{posting['id']}/close", headers=headers)
        r = await hire(jobs, headers, posting, await make_worker(jobs))
        body = assert_problem(r, 409, contains="closed")
        assert body["posting_status"] == "closed"
        assert await outbox_events(jobs, "jobs.placement.started") == []

    async def test_hire_on_draft_and_expired_postings(self, jobs, clock):
        _, headers = await make_partner(jobs)
        draft = await make_posting(jobs, headers, publish=False)
        assert_problem(await hire(jobs, headers, draft, await make_worker(jobs)), 409)
        posting = await make_posting(jobs, headers, valid_through="2026-06-30")
        clock.today = date(2026, 7, 1)
        r = await hire(jobs, headers, posting, await make_worker(jobs), start_date="2026-07-01")
        assert_problem(r, 409, contains="expired")

    async def test_hire_on_another_partners_posting(self, jobs):
        _, headers_a = await make_partner(jobs)
        _, headers_b = await make_partner(jobs)
        posting = await make_posting(jobs, headers_a)
        r = await hire(jobs, headers_b, posting, await make_worker(jobs))
        assert_problem(r, 403, contains="another organisation")
        async with jobs.sessionmaker() as session:
            assert await session.scalar(text("SELECT hires FROM postings")) == 0

    async def test_employer_in_body_is_refused_for_partners(self, jobs):
        employer, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await hire(jobs, headers, posting, await make_worker(jobs), employer_id=employer["id"])
        assert_problem(r, 422, contains="employer_id is taken from your credential")

    async def test_one_active_placement_per_worker_and_employer(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs)
        assert (await hire(jobs, headers, posting, worker)).status_code == 201
        r = await hire(jobs, headers, posting, worker)
        assert_problem(r, 409, contains="already has an active placement")
        async with jobs.sessionmaker() as session:
            assert await session.scalar(text("SELECT hires FROM postings")) == 1

    async def test_bad_wage_and_unknown_worker(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs)
        assert_problem(await hire(jobs, headers, posting, worker, monthly_wage_fen=0), 422)
        assert_problem(await hire(jobs, headers, posting, worker, monthly_wage_fen=-5), 422)
        assert_problem(
            await hire(jobs, headers, posting, {"id": "6f1c2a53-3f8e-4a61-9b8e-0d4f3b1a2c10"}), 404
        )

    async def test_wage_only_as_a_json_integer(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs)
        for wage in ("520000", 520000.0, 5.2e5, "100"):
            r = await hire(jobs, headers, posting, worker, monthly_wage_fen=wage)
            assert_problem(r, 422, contains="monthly_wage_fen: must be a whole number of fen")
        async with jobs.sessionmaker() as session:
            assert await session.scalar(text("SELECT count(*) FROM placements")) == 0

    async def test_application_is_marked_hired(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            f"/v1/jobs/postings/{posting['id']}/applications",
            json={"worker_id": worker["id"]},
            headers=staff(),
        )
        assert r.status_code == 201
        await hire(jobs, headers, posting, worker)
        r = await jobs.client.get(
            f"/v1/jobs/postings/{posting['id']}/applications", headers=headers
        )
        assert [a["status"] for a in r.json()["items"]] == ["hired"]

    async def test_idempotent_retry_returns_the_first_response(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs)
        keyed = headers | {"Idempotency-Key": "hire-1"}
        first = await hire(jobs, keyed, posting, worker)
        second = await hire(jobs, keyed, posting, worker)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["Idempotent-Replayed"] == "true"
        assert len(await outbox_events(jobs, "jobs.placement.started")) == 1
        other = await hire(jobs, keyed, posting, worker, monthly_wage_fen=1)
        assert_problem(other, 422, contains="different request body")

    async def test_keys_are_scoped_to_the_organisation_or_the_staff_member(self, jobs):
        """The scope stored with a key is the organisation behind the credential (any of its keys
        replays) or, for staff, the principal: keys stored by earlier releases still replay."""
        employer, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs)
        first = await hire(jobs, headers | {"Idempotency-Key": "hire-2"}, posting, worker)
        assert first.status_code == 201, first.text
        another_key = partner_headers(employer["id"]) | {"Idempotency-Key": "hire-2"}
        second = await hire(jobs, another_key, posting, worker)
        assert second.headers["Idempotent-Replayed"] == "true"
        assert second.json() == first.json()
        workshop = await make_employer(jobs, kind="workshop")
        clerk = str(uuid.uuid4())
        body = {
            "worker_id": worker["id"],
            "employer_id": workshop["id"],
            "start_date": "2026-05-01",
            "monthly_wage_fen": 180_000,
        }
        r = await jobs.client.post(
            URL,
            json=body,
            headers=identity_headers("bureau_clerk", principal_id=clerk)
            | {"Idempotency-Key": "place-1"},
        )
        assert r.status_code == 201, r.text
        async with jobs.sessionmaker() as session:
            rows = (await session.execute(text("SELECT scope, key FROM idempotency_keys"))).all()
        assert sorted(tuple(row) for row in rows) == sorted(
            [(employer["id"], "hire-2"), (clerk, "place-1")]
        )


class TestBureauPlacement:
    async def test_workshop_placement(self, jobs):
        workshop = await make_employer(jobs, kind="workshop", location="Jiangjiehe")
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            URL,
            json={
                "worker_id": worker["id"],
                "employer_id": workshop["id"],
                "start_date": "2026-05-01",
                "monthly_wage_fen": 180_000,
            },
            headers=staff(),
        )
        assert r.status_code == 201, r.text
        [event] = await outbox_events(jobs, "jobs.placement.started")
        assert event["data"]["employer_kind"] == "workshop"
        assert event["data"]["posting_id"] is None

    async def test_staff_cannot_record_a_partner_hire(self, jobs):
        partner, _ = await make_partner(jobs)
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            URL,
            json={
                "worker_id": worker["id"],
                "employer_id": partner["id"],
                "start_date": "2026-05-01",
                "monthly_wage_fen": 180_000,
            },
            headers=staff(),
        )
        assert_problem(r, 422, contains="recorded by the partner")

    async def test_employer_required(self, jobs):
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            URL,
            json={
                "worker_id": worker["id"],
                "start_date": "2026-05-01",
                "monthly_wage_fen": 180_000,
            },
            headers=staff(),
        )
        assert_problem(r, 422, contains="employer_id is required")

    async def test_auditor_and_store_cannot_record(self, jobs):
        workshop = await make_employer(jobs, kind="dedicated_post")
        worker = await make_worker(jobs)
        body = {
            "worker_id": worker["id"],
            "employer_id": workshop["id"],
            "start_date": "2026-05-01",
            "monthly_wage_fen": 50_000,
        }
        for role in ("auditor", "store"):
            assert_problem(await jobs.client.post(URL, json=body, headers=staff(role)), 403)


class TestConfirmMonth:
    async def test_false_is_not_a_wage(self, jobs):
        # Pydantic read true as a wage of 1 fen, and false as 0.
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        for wage in (True, False):
            r = await confirm(jobs, headers, placement["id"], "2026-03", wage)
            assert_problem(r, 422, contains="wage_paid_fen: must be a whole number")
        r = await jobs.client.get(f"{URL}/{placement['id']}", headers=headers)
        assert r.json()["confirmed_months"] == []
        assert await outbox_events(jobs, "jobs.placement.month_confirmed") == []

    async def test_wage_only_as_a_json_integer(self, jobs):
        # Pydantic read "520000", 5200.00 and 5.2e5 as fen.
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        for wage in ("520000", 5200.00, 5.2e5, "100"):
            r = await confirm(jobs, headers, placement["id"], "2026-03", wage)
            assert_problem(r, 422, contains="wage_paid_fen: must be a whole number of fen")
        r = await jobs.client.get(f"{URL}/{placement['id']}", headers=headers)
        assert r.json()["confirmed_months"] == []
        assert await outbox_events(jobs, "jobs.placement.month_confirmed") == []

    async def test_months_in_order_from_the_start_month(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        r = await confirm(jobs, headers, placement["id"], "2026-03", 500_000)
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["supersedes"] is None
        r = await confirm(jobs, headers, placement["id"], "2026-04", 510_000)
        assert r.status_code == 201
        r = await jobs.client.get(f"{URL}/{placement['id']}", headers=headers)
        assert r.json()["confirmed_months"] == ["2026-03", "2026-04"]
        assert r.json()["next_month_to_confirm"] == "2026-05"
        events = await outbox_events(jobs, "jobs.placement.month_confirmed")
        assert events[0]["data"] == {
            "confirmation_id": first["id"],
            "placement_id": placement["id"],
            "worker_id": placement["worker_id"],
            "employer_id": placement["employer_id"],
            "employer_kind": "haizhu_partner",
            "month": "2026-03",
            "wage_paid_fen": 500_000,
            "supersedes": None,
        }
        assert [e["data"]["month"] for e in events] == ["2026-03", "2026-04"]

    async def test_month_before_the_start(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        r = await confirm(jobs, headers, placement["id"], "2026-02")
        assert_problem(r, 422, contains="before the placement started")

    async def test_month_in_the_future(self, jobs, clock):
        placement, headers = await make_placement(jobs, start_date="2026-06-01")
        assert (await confirm(jobs, headers, placement["id"], "2026-06")).status_code == 201
        r = await confirm(jobs, headers, placement["id"], "2026-07")
        assert_problem(r, 422, contains="in the future")
        clock.today = date(2026, 7, 1)
        assert (await confirm(jobs, headers, placement["id"], "2026-07")).status_code == 201

    async def test_gap_is_refused(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        r = await confirm(jobs, headers, placement["id"], "2026-04")
        body = assert_problem(r, 422, contains="next month to confirm is 2026-03")
        assert body["next_month_to_confirm"] == "2026-03"

    async def test_same_month_twice_is_a_conflict(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        first = (await confirm(jobs, headers, placement["id"], "2026-03")).json()
        r = await confirm(jobs, headers, placement["id"], "2026-03")
        body = assert_problem(r, 409, contains="already confirmed")
        assert body["confirmation_id"] == first["id"]

    async def test_correction_supersedes_and_keeps_the_original(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        first = (await confirm(jobs, headers, placement["id"], "2026-03", 500_000)).json()
        await confirm(jobs, headers, placement["id"], "2026-04", 500_000)
        r = await confirm(
            jobs,
            headers,
            placement["id"],
            "2026-03",
            540_000,
            corrects=first["id"],
            note="Overtime was left out.",
        )
        assert r.status_code == 201, r.text
        correction = r.json()
        assert correction["supersedes"] == first["id"]
        r = await jobs.client.get(f"{URL}/{placement['id']}/confirmations", headers=headers)
        records = {c["id"]: c for c in r.json()}
        assert records[first["id"]]["superseded"] is True
        assert records[first["id"]]["wage_paid_fen"] == 500_000
        assert records[correction["id"]]["superseded"] is False
        event = (await outbox_events(jobs, "jobs.placement.month_confirmed"))[-1]
        assert event["data"]["supersedes"] == first["id"]
        assert event["data"]["wage_paid_fen"] == 540_000
        # The replaced record cannot be corrected a second time.
        r = await confirm(jobs, headers, placement["id"], "2026-03", 1, corrects=first["id"])
        body = assert_problem(r, 409, contains="already corrected")
        assert body["latest_confirmation_id"] == correction["id"]

    async def test_correction_to_zero_wage_for_a_month_not_worked(self, jobs):
        # An inspection a month later finds the worker was paid for a post not worked.
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        first = (await confirm(jobs, headers, placement["id"], "2026-03", 500_000)).json()
        r = await confirm(
            jobs, headers, placement["id"], "2026-03", 0, corrects=first["id"], note="Not worked."
        )
        assert r.status_code == 201, r.text
        assert r.json()["wage_paid_fen"] == 0
        assert r.json()["supersedes"] == first["id"]
        event = (await outbox_events(jobs, "jobs.placement.month_confirmed"))[-1]
        assert event["data"]["wage_paid_fen"] == 0
        assert event["data"]["supersedes"] == first["id"]
        # The month keeps its record; confirming continues with the next one.
        r = await jobs.client.get(f"{URL}/{placement['id']}", headers=headers)
        assert r.json()["next_month_to_confirm"] == "2026-04"

    async def test_zero_wage_on_a_first_confirmation_is_refused(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        r = await confirm(jobs, headers, placement["id"], "2026-03", 0)
        assert_problem(r, 422, contains="only on a correction")
        async with jobs.sessionmaker() as session:
            count = await session.scalar(text("SELECT count(*) FROM placement_confirmations"))
        assert count == 0

    async def test_correction_of_another_month_or_placement(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        first = (await confirm(jobs, headers, placement["id"], "2026-03")).json()
        r = await confirm(jobs, headers, placement["id"], "2026-04", corrects=first["id"])
        assert_problem(r, 422, contains="is for 2026-03")
        other, other_headers = await make_placement(jobs, start_date="2026-03-02")
        r = await confirm(jobs, other_headers, other["id"], "2026-03", corrects=first["id"])
        assert_problem(r, 422, contains="not name a confirmation of this placement")

    async def test_bad_month_and_wage(self, jobs):
        placement, headers = await make_placement(jobs)
        assert_problem(await confirm(jobs, headers, placement["id"], "2026-13"), 422)
        assert_problem(await confirm(jobs, headers, placement["id"], "March"), 422)
        assert_problem(await confirm(jobs, headers, placement["id"], "2026-03", -1), 422)
        r = await jobs.client.post(
            f"{URL}/{placement['id']}/confirmations",
            json={"month": "2026-03", "wage_paid_fen": 1, "worker_id": placement["worker_id"]},
            headers=headers,
        )
        assert_problem(r, 422, contains="worker_id")

    async def test_other_partner_cannot_confirm_or_read(self, jobs):
        placement, _ = await make_placement(jobs)
        _, headers_b = await make_partner(jobs)
        assert_problem(await confirm(jobs, headers_b, placement["id"], "2026-03"), 403)
        assert_problem(await jobs.client.get(f"{URL}/{placement['id']}", headers=headers_b), 403)
        r = await jobs.client.get(f"{URL}/{placement['id']}/confirmations", headers=headers_b)
        assert_problem(r, 403)
        assert await outbox_events(jobs, "jobs.placement.month_confirmed") == []

    async def test_staff_confirm_workshop_placements_only(self, jobs):
        partner_placement, _ = await make_placement(jobs)
        r = await confirm(jobs, staff(), partner_placement["id"], "2026-03")
        assert_problem(r, 403, contains="partner records")
        workshop = await make_employer(jobs, kind="workshop")
        worker = await make_worker(jobs)
        r = await jobs.client.post(
            URL,
            json={
                "worker_id": worker["id"],
                "employer_id": workshop["id"],
                "start_date": "2026-05-01",
                "monthly_wage_fen": 180_000,
            },
            headers=staff(),
        )
        r = await confirm(jobs, staff("bureau_approver"), r.json()["id"], "2026-05", 180_000)
        assert r.status_code == 201, r.text

    async def test_concurrent_confirmations_of_one_month(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        results = await asyncio.gather(
            *[confirm(jobs, headers, placement["id"], "2026-03") for _ in range(4)]
        )
        assert sorted(r.status_code for r in results) == [201, 409, 409, 409]


class TestEndPlacement:
    async def test_end_with_reason(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        r = await jobs.client.post(
            f"{URL}/{placement['id']}/end",
            json={"end_date": "2026-05-31", "reason": "resigned"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ended"
        [event] = await outbox_events(jobs, "jobs.placement.ended")
        assert event["data"] == {
            "placement_id": placement["id"],
            "worker_id": placement["worker_id"],
            "employer_id": placement["employer_id"],
            "end_date": "2026-05-31",
            "reason": "resigned",
        }
        # Months up to the end can still be confirmed, none after.
        assert (await confirm(jobs, headers, placement["id"], "2026-03")).status_code == 201
        assert (await confirm(jobs, headers, placement["id"], "2026-04")).status_code == 201
        assert (await confirm(jobs, headers, placement["id"], "2026-05")).status_code == 201
        r = await confirm(jobs, headers, placement["id"], "2026-06")
        assert_problem(r, 422, contains="ended")

    async def test_dates_out_of_order(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        url = f"{URL}/{placement['id']}/end"
        r = await jobs.client.post(
            url, json={"end_date": "2026-03-01", "reason": "other"}, headers=headers
        )
        assert_problem(r, 422, contains="before the start date")
        r = await jobs.client.post(
            url, json={"end_date": "2026-06-16", "reason": "other"}, headers=headers
        )
        assert_problem(r, 422, contains="in the future")
        await confirm(jobs, headers, placement["id"], "2026-03")
        await confirm(jobs, headers, placement["id"], "2026-04")
        r = await jobs.client.post(
            url, json={"end_date": "2026-03-31", "reason": "other"}, headers=headers
        )
        assert_problem(r, 422, contains="confirmed up to 2026-04")
        r = await jobs.client.post(
            url, json={"end_date": "2026-05-01", "reason": "bored"}, headers=headers
        )
        assert_problem(r, 422, contains="reason")

    async def test_ending_twice_and_other_partner(self, jobs):
        placement, headers = await make_placement(jobs, start_date="2026-03-02")
        _, headers_b = await make_partner(jobs)
        url = f"{URL}/{placement['id']}/end"
        body = {"end_date": "2026-04-30", "reason": "contract_ended"}
        assert_problem(await jobs.client.post(url, json=body, headers=headers_b), 403)
        assert (await jobs.client.post(url, json=body, headers=headers)).status_code == 200
        assert_problem(
            await jobs.client.post(url, json=body, headers=headers), 409, contains="already ended"
        )
        assert len(await outbox_events(jobs, "jobs.placement.ended")) == 1

    async def test_new_placement_after_the_old_one_ended(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        worker = await make_worker(jobs)
        first = (await hire(jobs, headers, posting, worker)).json()
        await jobs.client.post(
            f"{URL}/{first['id']}/end",
            json={"end_date": "2026-04-30", "reason": "resigned"},
            headers=headers,
        )
        r = await hire(jobs, headers, posting, worker, start_date="2026-06-01")
        assert r.status_code == 201, r.text


class TestListPlacements:
    async def test_partner_sees_only_its_own(self, jobs):
        mine, headers = await make_placement(jobs)
        await make_placement(jobs)
        r = await jobs.client.get(URL, headers=headers)
        assert [p["id"] for p in r.json()["items"]] == [mine["id"]]
        r = await jobs.client.get(URL, headers=staff("auditor"))
        assert len(r.json()["items"]) == 2

    async def test_partner_cannot_list_another_employer(self, jobs):
        _, headers = await make_placement(jobs)
        other, _ = await make_placement(jobs)
        r = await jobs.client.get(
            URL, params={"employer_id": other["employer_id"]}, headers=headers
        )
        assert_problem(r, 403)

    async def test_filters_and_pagination(self, jobs):
        placement, _ = await make_placement(jobs)
        await make_placement(jobs)
        await make_placement(jobs)
        r = await jobs.client.get(
            URL, params={"worker_id": placement["worker_id"]}, headers=staff()
        )
        assert [p["id"] for p in r.json()["items"]] == [placement["id"]]
        r = await jobs.client.get(URL, params={"limit": 2}, headers=staff())
        page = r.json()
        assert len(page["items"]) == 2
        r = await jobs.client.get(
            URL, params={"limit": 2, "cursor": page["next_cursor"]}, headers=staff()
        )
        assert len(r.json()["items"]) == 1
        assert r.json()["next_cursor"] is None
