"""Job postings: the partner's lifecycle (draft → open → closed / filled / expired), the public
search, and who sees what."""

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from services.jobs.postings.tables import Posting
from tests.jobs.conftest import (
    assert_problem,
    make_partner,
    make_posting,
    outbox_events,
    posting_body,
    staff,
)
from tests.support.apps import identity_headers

URL = "/v1/jobs/postings"


class TestCreatePosting:
    async def test_creates_a_draft_of_the_callers_organisation(self, jobs):
        employer, headers = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(), headers=headers)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "draft"
        assert body["employer"]["id"] == employer["id"]
        assert body["openings_remaining"] == 3
        assert body["housing"] is True
        assert await outbox_events(jobs, "jobs.posting.published") == []

    async def test_true_is_not_a_number_of_openings(self, jobs):
        # Pydantic read true as 1: the posting was saved with one opening.
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(openings=True), headers=headers)
        assert_problem(r, 422, contains="openings: must be a whole number")
        async with jobs.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Posting)) == 0

    @pytest.mark.parametrize("field", ["openings", "salary_min_fen", "salary_max_fen"])
    async def test_numbers_only_as_json_integers(self, jobs, field):
        # Pydantic read "3", 3.0 and 1e3 as whole numbers.
        _, headers = await make_partner(jobs)
        for value in ("3", 3.0, 1e3, "100"):
            r = await jobs.client.post(URL, json=posting_body(**{field: value}), headers=headers)
            assert_problem(r, 422, contains=f"{field}: must be a whole number")
        async with jobs.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Posting)) == 0

    async def test_flags_are_true_or_false(self, jobs):
        # Pydantic read 0 as false and "yes" as true.
        _, headers = await make_partner(jobs)
        for flags in ({"travel": 0}, {"housing": "yes"}, {"meals": 1}):
            r = await jobs.client.post(URL, json=posting_body(**flags), headers=headers)
            assert_problem(r, 422, contains=f"{next(iter(flags))}: must be true or false")
        async with jobs.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Posting)) == 0

    async def test_employer_in_body_is_rejected(self, jobs):
        _, headers = await make_partner(jobs)
        other, _ = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(employer_id=other["id"]), headers=headers)
        body = assert_problem(r, 422)
        assert body["errors"][0]["field"] == "body.employer_id"

    async def test_status_in_body_is_rejected(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(status="open"), headers=headers)
        assert_problem(r, 422, contains="status")

    async def test_inverted_salary_range(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(
            URL, json=posting_body(salary_min_fen=700_000, salary_max_fen=500_000), headers=headers
        )
        assert_problem(r, 422, contains="salary_min_fen must not be greater")

    async def test_negative_salary(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(salary_min_fen=-1), headers=headers)
        assert_problem(r, 422, contains="salary_min_fen")

    async def test_zero_openings(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(openings=0), headers=headers)
        assert_problem(r, 422, contains="openings")

    async def test_valid_through_in_the_past(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(
            URL, json=posting_body(valid_through="2026-06-14"), headers=headers
        )
        assert_problem(r, 422, contains="in the past")

    async def test_huge_numbers_and_unknown_category(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(openings=10**12), headers=headers)
        assert_problem(r, 422)
        r = await jobs.client.post(URL, json=posting_body(category="smuggling"), headers=headers)
        assert_problem(r, 422, contains="category")

    async def test_nul_byte_is_a_4xx(self, jobs):
        _, headers = await make_partner(jobs)
        r = await jobs.client.post(URL, json=posting_body(title="bad\x00title"), headers=headers)
        assert 400 <= r.status_code < 500

    async def test_sql_looking_text_is_stored_literally(self, jobs):
        _, headers = await make_partner(jobs)
        title = "Cook'); DROP TABLE postings; --"
        r = await jobs.client.post(URL, json=posting_body(title=title), headers=headers)
        assert r.status_code == 201
        assert r.json()["title"] == title

    async def test_partner_without_registered_organisation(self, jobs):
        r = await jobs.client.post(
            URL, json=posting_body(), headers=identity_headers("partner", str(uuid.uuid4()))
        )
        assert_problem(r, 403, contains="not bound to a registered")

    async def test_staff_cannot_post(self, jobs):
        r = await jobs.client.post(URL, json=posting_body(), headers=staff())
        assert_problem(r, 403)


class TestPublishPosting:
    async def test_draft_becomes_open_and_event_is_written(self, jobs):
        employer, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, publish=False)
        r = await jobs.client.post(f"{URL}/{posting['id']}/publish", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "open"
        [event] = await outbox_events(jobs, "jobs.posting.published")
        assert event["data"] == {
            "posting_id": posting["id"],
            "employer_id": employer["id"],
            "title": "Assembly line operator",
            "category": "manufacturing",
            "openings": 3,
            "salary_min_fen": 450_000,
            "salary_max_fen": 650_000,
            "district": "Haizhu",
            "valid_through": "2026-12-31",
        }

    async def test_publishing_twice_is_a_conflict(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await jobs.client.post(f"{URL}/{posting['id']}/publish", headers=headers)
        assert_problem(r, 409, contains="only a draft")

    async def test_other_partner_cannot_publish(self, jobs):
        _, headers_a = await make_partner(jobs)
        _, headers_b = await make_partner(jobs)
        posting = await make_posting(jobs, headers_a, publish=False)
        r = await jobs.client.post(f"{URL}/{posting['id']}/publish", headers=headers_b)
        assert_problem(r, 403, contains="another organisation")
        r = await jobs.client.get(f"{URL}/{posting['id']}", headers=headers_a)
        assert r.json()["status"] == "draft"

    async def test_draft_past_valid_through_cannot_be_published(self, jobs, clock):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, publish=False, valid_through="2026-06-20")
        clock.today = date(2026, 6, 21)
        r = await jobs.client.post(f"{URL}/{posting['id']}/publish", headers=headers)
        assert_problem(r, 422, contains="in the past")


class TestUpdatePosting:
    async def test_owner_edits_an_open_posting(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await jobs.client.patch(
            f"{URL}/{posting['id']}",
            json={"openings": 5, "salary_max_fen": 700_000},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["openings"] == 5
        assert r.json()["salary_max_fen"] == 700_000

    async def test_edit_that_inverts_the_salary_range(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await jobs.client.patch(
            f"{URL}/{posting['id']}", json={"salary_min_fen": 900_000}, headers=headers
        )
        assert_problem(r, 422, contains="salary_min_fen must not be greater")

    async def test_other_partner_cannot_edit(self, jobs):
        _, headers_a = await make_partner(jobs)
        _, headers_b = await make_partner(jobs)
        posting = await make_posting(jobs, headers_a)
        r = await jobs.client.patch(
            f"{URL}/{posting['id']}", json={"title": "Mine now"}, headers=headers_b
        )
        assert_problem(r, 403, contains="another organisation")
        r = await jobs.client.get(f"{URL}/{posting['id']}")
        assert r.json()["title"] == "Assembly line operator"

    async def test_closed_posting_cannot_be_edited(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        await jobs.client.post(f"{URL}/{posting['id']}/close", headers=headers)
        r = await jobs.client.patch(
            f"{URL}/{posting['id']}", json={"title": "Again"}, headers=headers
        )
        assert_problem(r, 409, contains="closed")

    async def test_unknown_field(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await jobs.client.patch(f"{URL}/{posting['id']}", json={"hires": 0}, headers=headers)
        assert_problem(r, 422, contains="hires")


class TestClosePosting:
    async def test_owner_closes_and_event_is_written(self, jobs):
        employer, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await jobs.client.post(f"{URL}/{posting['id']}/close", headers=headers)
        assert r.status_code == 200
        assert r.json()["status"] == "closed"
        [event] = await outbox_events(jobs, "jobs.posting.closed")
        assert event["data"] == {
            "posting_id": posting["id"],
            "employer_id": employer["id"],
            "status": "closed",
        }

    async def test_closing_a_draft_is_a_conflict(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, publish=False)
        r = await jobs.client.post(f"{URL}/{posting['id']}/close", headers=headers)
        assert_problem(r, 409, contains="only an open posting")

    async def test_other_partner_cannot_close(self, jobs):
        _, headers_a = await make_partner(jobs)
        _, headers_b = await make_partner(jobs)
        posting = await make_posting(jobs, headers_a)
        r = await jobs.client.post(f"{URL}/{posting['id']}/close", headers=headers_b)
        assert_problem(r, 403)
        assert await outbox_events(jobs, "jobs.posting.closed") == []


class TestExpiry:
    async def test_posting_past_valid_through_reads_as_expired_at_once(self, jobs, clock):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, valid_through="2026-06-30")
        clock.today = date(2026, 7, 1)
        r = await jobs.client.get(URL)
        assert r.json()["items"] == []
        r = await jobs.client.get(f"{URL}/{posting['id']}", headers=headers)
        assert r.json()["status"] == "expired"
        r = await jobs.client.get(URL, params={"mine": "true"}, headers=headers)
        assert [p["status"] for p in r.json()["items"]] == ["expired"]

    async def test_reading_postings_writes_nothing(self, jobs, clock):
        # The public board is read anonymously and often: it must not open write transactions.
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, valid_through="2026-06-30")
        clock.today = date(2026, 7, 1)
        await jobs.client.get(URL)
        await jobs.client.get(f"{URL}/{posting['id']}")
        await jobs.client.get(f"{URL}/{posting['id']}", headers=headers)
        await jobs.client.get(f"{URL}/{posting['id']}/applications", headers=headers)
        assert await outbox_events(jobs, "jobs.posting.closed") == []
        async with jobs.sessionmaker() as session:
            stored = await session.scalar(
                select(Posting.status).where(Posting.id == uuid.UUID(posting["id"]))
            )
        assert stored == "open"

    async def test_the_next_change_to_an_overdue_posting_expires_it(self, jobs, clock):
        employer, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, valid_through="2026-06-30")
        clock.today = date(2026, 7, 1)
        r = await jobs.client.post(f"{URL}/{posting['id']}/close", headers=headers)
        assert_problem(r, 409, contains="expired")
        [event] = await outbox_events(jobs, "jobs.posting.closed")
        assert event["data"] == {
            "posting_id": posting["id"],
            "employer_id": employer["id"],
            "status": "expired",
        }
        # Touching it again publishes nothing more.
        r = await jobs.client.patch(f"{URL}/{posting['id']}", json={"openings": 9}, headers=headers)
        assert_problem(r, 409, contains="expired")
        assert len(await outbox_events(jobs, "jobs.posting.closed")) == 1

    async def test_expired_posting_is_not_public(self, jobs, clock):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, valid_through="2026-06-30")
        clock.today = date(2026, 7, 1)
        r = await jobs.client.get(f"{URL}/{posting['id']}")
        assert_problem(r, 404)

    async def test_background_sweep_expires_untouched_postings(self, jobs, clock):
        from services.jobs.postings import service

        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, valid_through="2026-06-30")
        async with jobs.sessionmaker() as session, session.begin():
            assert await service.expire_overdue_postings(session, date(2026, 7, 1)) == 1
        async with jobs.sessionmaker() as session, session.begin():
            assert await service.expire_overdue_postings(session, date(2026, 7, 1)) == 0
        clock.today = date(2026, 7, 1)
        r = await jobs.client.get(f"{URL}/{posting['id']}", headers=headers)
        assert r.json()["status"] == "expired"


class TestConcurrentExpiry:
    async def test_two_sweeps_at_once_expire_each_posting_once(self, jobs):
        import asyncio

        from services.jobs.postings import service

        _, headers = await make_partner(jobs)
        for _ in range(3):
            await make_posting(jobs, headers, valid_through="2026-06-30")

        async def sweep():
            async with jobs.sessionmaker() as session, session.begin():
                return await service.expire_overdue_postings(session, date(2026, 7, 1))

        assert sum(await asyncio.gather(sweep(), sweep())) == 3
        assert len(await outbox_events(jobs, "jobs.posting.closed")) == 3


class TestListPostings:
    async def test_public_sees_only_open_postings_without_logging_in(self, jobs):
        _, headers = await make_partner(jobs)
        open_posting = await make_posting(jobs, headers)
        await make_posting(jobs, headers, publish=False)
        closed = await make_posting(jobs, headers)
        await jobs.client.post(f"{URL}/{closed['id']}/close", headers=headers)
        r = await jobs.client.get(URL)
        assert r.status_code == 200
        assert [p["id"] for p in r.json()["items"]] == [open_posting["id"]]

    async def test_public_cannot_ask_for_drafts(self, jobs):
        r = await jobs.client.get(URL, params={"status": "draft"})
        assert_problem(r, 403, contains="only open postings are public")

    async def test_partner_sees_its_own_drafts_with_mine(self, jobs):
        _, headers_a = await make_partner(jobs)
        _, headers_b = await make_partner(jobs)
        draft_a = await make_posting(jobs, headers_a, publish=False)
        await make_posting(jobs, headers_b, publish=False)
        r = await jobs.client.get(URL, params={"mine": "true"}, headers=headers_a)
        assert [p["id"] for p in r.json()["items"]] == [draft_a["id"]]
        r = await jobs.client.get(URL, params={"mine": "true"})
        assert_problem(r, 403)

    async def test_staff_filter_by_status(self, jobs):
        _, headers = await make_partner(jobs)
        draft = await make_posting(jobs, headers, publish=False)
        r = await jobs.client.get(URL, params={"status": "draft"}, headers=staff("auditor"))
        assert [p["id"] for p in r.json()["items"]] == [draft["id"]]

    async def test_filters(self, jobs):
        _, headers = await make_partner(jobs)
        cook = await make_posting(
            jobs,
            headers,
            title="Cook",
            category="catering",
            district="Haizhu",
            salary_min_fen=400_000,
            salary_max_fen=500_000,
            housing=False,
        )
        welder = await make_posting(
            jobs,
            headers,
            title="Welder",
            category="manufacturing",
            description="Shipyard welding",
            district="Panyu",
            salary_min_fen=700_000,
            salary_max_fen=900_000,
        )

        async def ids(**params):
            r = await jobs.client.get(URL, params=params)
            assert r.status_code == 200, r.text
            return {p["id"] for p in r.json()["items"]}

        assert await ids(category="catering") == {cook["id"]}
        assert await ids(district="Panyu") == {welder["id"]}
        assert await ids(salary_min_fen=600_000) == {welder["id"]}
        assert await ids(salary_max_fen=450_000) == {cook["id"]}
        assert await ids(q="shipyard") == {welder["id"]}
        assert await ids(q="100%_") == set()
        assert await ids(housing="false") == {cook["id"]}

    async def test_inverted_salary_filter(self, jobs):
        r = await jobs.client.get(URL, params={"salary_min_fen": 5, "salary_max_fen": 1})
        assert_problem(r, 422)

    async def test_sort_and_cursor_pagination(self, jobs):
        _, headers = await make_partner(jobs)
        made = [
            await make_posting(
                jobs, headers, salary_min_fen=100_000 * i, salary_max_fen=100_000 * i + 50_000
            )
            for i in range(1, 6)
        ]
        seen: list[str] = []
        cursor = None
        while True:
            params = {"sort": "salary_desc", "limit": 2} | ({"cursor": cursor} if cursor else {})
            r = await jobs.client.get(URL, params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            seen.extend(p["id"] for p in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [p["id"] for p in reversed(made)]

    async def test_newest_first_by_default(self, jobs):
        _, headers = await make_partner(jobs)
        first = await make_posting(jobs, headers)
        second = await make_posting(jobs, headers)
        r = await jobs.client.get(URL)
        assert [p["id"] for p in r.json()["items"]] == [second["id"], first["id"]]

    async def test_tampered_cursor_and_huge_page(self, jobs):
        assert_problem(await jobs.client.get(URL, params={"cursor": "not-a-cursor"}), 422)
        assert_problem(await jobs.client.get(URL, params={"limit": 100_000}), 422)
        from shared.pagination import encode_cursor

        newest = {"t": "2026-06-15T04:00:00+00:00", "id": str(uuid.uuid4()), "s": "newest"}
        wrong_sort = encode_cursor(newest)
        r = await jobs.client.get(URL, params={"cursor": wrong_sort, "sort": "salary_desc"})
        assert_problem(r, 422, contains="cursor")
        # a cursor of the soonest-closing order holds a date, never read as a time
        closing = newest | {"t": "2026-12-31", "s": "valid_through"}
        r = await jobs.client.get(URL, params={"cursor": encode_cursor(closing)})
        assert_problem(r, 422, contains="cursor")
        assert_problem(
            await jobs.client.get(
                URL, params={"cursor": encode_cursor(newest | {"t": "2026-06-15T04:00:00"})}
            ),
            422,
        )
        r = await jobs.client.get(URL, params={"cursor": encode_cursor(newest)})
        assert r.status_code == 200, r.text


class TestGetPosting:
    async def test_open_posting_is_public(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        r = await jobs.client.get(f"{URL}/{posting['id']}")
        assert r.status_code == 200
        body = r.json()
        assert body["employer"]["kind"] == "haizhu_partner"
        assert "created_by" not in body

    async def test_draft_is_hidden_from_public_and_other_partners(self, jobs):
        _, headers_a = await make_partner(jobs)
        _, headers_b = await make_partner(jobs)
        draft = await make_posting(jobs, headers_a, publish=False)
        assert_problem(await jobs.client.get(f"{URL}/{draft['id']}"), 404)
        assert_problem(await jobs.client.get(f"{URL}/{draft['id']}", headers=headers_b), 403)
        r = await jobs.client.get(f"{URL}/{draft['id']}", headers=headers_a)
        assert r.status_code == 200
        r = await jobs.client.get(f"{URL}/{draft['id']}", headers=staff("auditor"))
        assert r.status_code == 200

    async def test_unknown_and_malformed_ids(self, jobs):
        assert_problem(await jobs.client.get(f"{URL}/{uuid.uuid4()}"), 404)
        assert_problem(await jobs.client.get(f"{URL}/not-a-uuid"), 422)


class TestExpirySweep:
    async def test_sweep_runs_in_the_background(self, settings_for):
        from sqlalchemy import text

        from tests.jobs.conftest import Clock
        from tests.support.apps import running_service
        from tests.support.infra import wait_until

        settings = settings_for("jobs", expiry_sweep_seconds=0.1)
        async with running_service("jobs", settings) as jobs:
            clock = Clock(date(2026, 6, 15))
            jobs.runtime.clock = clock
            _, headers = await make_partner(jobs)
            await make_posting(jobs, headers, valid_through="2026-06-30")
            clock.today = date(2026, 7, 1)

            async def status():
                async with jobs.sessionmaker() as session:
                    return await session.scalar(text("SELECT status FROM postings"))

            assert await wait_until(lambda: _is(status, "expired"), timeout=10)
            [event] = await outbox_events(jobs, "jobs.posting.closed")
            assert event["data"]["status"] == "expired"


async def _is(read, expected):
    return await read() == expected


class TestPostingEdgeCases:
    async def test_openings_cannot_drop_below_hires(self, jobs):
        from tests.jobs.conftest import hire, make_worker

        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, openings=3)
        for _ in range(2):
            assert (await hire(jobs, headers, posting, await make_worker(jobs))).status_code == 201
        r = await jobs.client.patch(f"{URL}/{posting['id']}", json={"openings": 1}, headers=headers)
        assert_problem(r, 422, contains="fewer than the 2 hires")
        r = await jobs.client.patch(f"{URL}/{posting['id']}", json={"openings": 2}, headers=headers)
        assert r.status_code == 200
        assert r.json()["openings_remaining"] == 0
        assert r.json()["status"] == "filled"
        [event] = await outbox_events(jobs, "jobs.posting.closed")
        assert event["data"]["status"] == "filled"

    async def test_mine_with_a_malformed_partner_subject(self, jobs):
        r = await jobs.client.get(
            URL, params={"mine": "true"}, headers=identity_headers("partner", "not-a-uuid")
        )
        assert_problem(r, 403)
