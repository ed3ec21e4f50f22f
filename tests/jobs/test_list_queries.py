"""Every list endpoint of the jobs service runs the same number of SQL statements whatever the
page size: related rows are read for the whole page at once (one query per relation), never one
query per item."""

from typing import Any

from shared.app import stop_tasks
from tests.jobs.conftest import (
    confirm,
    hire,
    make_employer,
    make_partner,
    make_posting,
    make_worker,
    staff,
)
from tests.support.apps import RunningService
from tests.support.queries import queries_of

MANY = 21  # a page of 20+ items

FAIRS = "/v1/jobs/job-fairs"
TRAININGS = "/v1/jobs/trainings"
FAIR = {"name": "Job fair", "held_on": "2026-06-01", "location": "Weng'an stadium"}
TRAINING = {
    "title": "Electrician basics",
    "starts_on": "2026-06-01",
    "ends_on": "2026-06-10",
    "location": "Jiangjiehe training room",
}


async def background_stopped(jobs: RunningService) -> None:
    """Stop the service's background tasks (the outbox relay, the expiry sweep): they share its
    engine, and only the statements of the request are to be counted."""
    await stop_tasks(jobs.runtime.tasks)


async def same_count(
    jobs: RunningService, one: str, many: str, *, items: int, **kwargs: Any
) -> tuple[int, Any]:
    """The statements of a one-item page and of a ``items``-item page of the same list: they
    must be equal. Returns the count and the larger page."""
    await background_stopped(jobs)
    await jobs.client.get(one, **kwargs)  # anything read once per process is read by now
    small, r = await queries_of(jobs, one, **kwargs)
    assert r.status_code == 200, r.text
    assert len(_items(r.json())) == 1
    large, r = await queries_of(jobs, many, **kwargs)
    assert r.status_code == 200, r.text
    assert len(_items(r.json())) == items
    assert small == large, f"{small} statements for one item, {large} for {items}"
    return small, _items(r.json())


def _items(body: Any) -> list[Any]:
    return body["items"] if isinstance(body, dict) else body


async def post(jobs: RunningService, path: str, body: dict[str, Any], headers: Any) -> Any:
    r = await jobs.client.post(path, json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


class TestEveryListRunsTheSameStatementsWhateverThePageSize:
    async def test_employers(self, jobs):
        for _ in range(MANY):
            await make_employer(jobs)
        url = "/v1/jobs/employers?limit="
        n, _ = await same_count(jobs, f"{url}1", f"{url}{MANY}", items=MANY, headers=staff())
        assert n == 1

    async def test_workers(self, jobs):
        for _ in range(MANY):
            await make_worker(jobs)
        url = "/v1/jobs/workers?limit="
        n, _ = await same_count(jobs, f"{url}1", f"{url}{MANY}", items=MANY, headers=staff())
        assert n == 1

    async def test_postings_in_every_order(self, jobs):
        for i in range(MANY):
            _, headers = await make_partner(jobs)
            await make_posting(jobs, headers, salary_max_fen=700_000 + i)
        for sort in ("newest", "salary_desc", "valid_through"):
            url = f"/v1/jobs/postings?sort={sort}&limit="
            n, _ = await same_count(jobs, f"{url}1", f"{url}{MANY}", items=MANY)
            assert n == 1  # postings with their employers, joined

    async def test_applications(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        url = f"/v1/jobs/postings/{posting['id']}/applications"
        for _ in range(MANY):
            worker = await make_worker(jobs)
            await post(jobs, url, {"worker_id": worker["id"]}, staff())
        n, _ = await same_count(
            jobs, f"{url}?limit=1", f"{url}?limit={MANY}", items=MANY, headers=headers
        )
        assert n == 2  # the posting; its applications with their workers, joined

    async def test_job_fairs(self, jobs):
        employers = [await make_employer(jobs, kind="workshop") for _ in range(3)]
        worker = await make_worker(jobs)
        for i in range(MANY):
            fair = await post(jobs, FAIRS, FAIR | {"name": f"Fair {i}"}, staff())
            for employer in employers[: i % 4]:
                await post(
                    jobs,
                    f"{FAIRS}/{fair['id']}/employers",
                    {"employer_id": employer["id"]},
                    staff(),
                )
            if i % 2:
                await post(
                    jobs, f"{FAIRS}/{fair['id']}/attendees", {"worker_id": worker["id"]}, staff()
                )
        url = f"{FAIRS}?limit="
        n, fairs = await same_count(jobs, f"{url}1", f"{url}{MANY}", items=MANY, headers=staff())
        assert n == 3  # the fairs; their employers; their attendance counted
        for fair in fairs:
            i = int(fair["name"].removeprefix("Fair "))
            taking_part = sorted(e["name"] for e in employers[: i % 4])
            assert [e["name"] for e in fair["employers"]] == taking_part
            assert fair["attendee_count"] == i % 2

    async def test_job_fair_attendance(self, jobs):
        one = await post(jobs, FAIRS, FAIR, staff())
        many = await post(jobs, FAIRS, FAIR, staff())
        worker = await make_worker(jobs)
        await post(jobs, f"{FAIRS}/{one['id']}/attendees", {"worker_id": worker["id"]}, staff())
        for _ in range(MANY):
            worker = await make_worker(jobs)
            await post(
                jobs, f"{FAIRS}/{many['id']}/attendees", {"worker_id": worker["id"]}, staff()
            )
        n, _ = await same_count(
            jobs,
            f"{FAIRS}/{one['id']}/attendees",
            f"{FAIRS}/{many['id']}/attendees",
            items=MANY,
            headers=staff(),
        )
        assert n == 2  # the fair; its attendees

    async def test_trainings(self, jobs):
        worker = await make_worker(jobs)
        for i in range(MANY):
            training = await post(jobs, TRAININGS, TRAINING | {"title": f"Course {i}"}, staff())
            if i % 2:
                url = f"{TRAININGS}/{training['id']}"
                await post(jobs, f"{url}/attendees", {"worker_id": worker["id"]}, staff())
                body = {"worker_id": worker["id"], "completed_on": "2026-06-10"}
                await post(jobs, f"{url}/completions", body, staff())
        url = f"{TRAININGS}?limit="
        n, trainings = await same_count(
            jobs, f"{url}1", f"{url}{MANY}", items=MANY, headers=staff()
        )
        assert n == 2  # the sessions; their attendance and completions counted
        for training in trainings:
            i = int(training["title"].removeprefix("Course "))
            assert (training["attendee_count"], training["completed_count"]) == (i % 2, i % 2)

    async def test_training_attendees(self, jobs):
        one = await post(jobs, TRAININGS, TRAINING, staff())
        many = await post(jobs, TRAININGS, TRAINING, staff())
        worker = await make_worker(jobs)
        await post(jobs, f"{TRAININGS}/{one['id']}/attendees", {"worker_id": worker["id"]}, staff())
        for _ in range(MANY):
            worker = await make_worker(jobs)
            body = {"worker_id": worker["id"]}
            await post(jobs, f"{TRAININGS}/{many['id']}/attendees", body, staff())
        n, _ = await same_count(
            jobs,
            f"{TRAININGS}/{one['id']}/attendees",
            f"{TRAININGS}/{many['id']}/attendees",
            items=MANY,
            headers=staff(),
        )
        assert n == 2  # the session; its attendees

    async def test_placements_for_staff_and_partner(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers, openings=MANY + 1)
        for i in range(MANY):
            r = await hire(jobs, headers, posting, await make_worker(jobs))
            assert r.status_code == 201, r.text
            if i % 2:
                r = await confirm(jobs, headers, r.json()["id"], "2026-03")
                assert r.status_code == 201, r.text
        url = "/v1/jobs/placements?limit="
        n, placements = await same_count(
            jobs, f"{url}1", f"{url}{MANY}", items=MANY, headers=staff()
        )
        assert n == 3  # the placements; their current confirmations; their workers' names
        assert sorted(len(p["confirmed_months"]) for p in placements) == [0] * 11 + [1] * 10
        assert all(p["worker_name"] for p in placements)
        n, _ = await same_count(jobs, f"{url}1", f"{url}{MANY}", items=MANY, headers=headers)
        assert n == 4  # and the partner behind the credential

    async def test_months_of_a_placement(self, jobs):
        _, headers = await make_partner(jobs)
        posting = await make_posting(jobs, headers)
        placements = []
        for _ in range(2):
            r = await hire(jobs, headers, posting, await make_worker(jobs), start_date="2024-09-02")
            assert r.status_code == 201, r.text
            placements.append(r.json()["id"])
        one, many = placements
        assert (await confirm(jobs, headers, one, "2024-09")).status_code == 201
        month = "2024-09"
        for _ in range(MANY):
            assert (await confirm(jobs, headers, many, month)).status_code == 201, month
            year, mon = int(month[:4]), int(month[5:])
            month = f"{year + 1}-01" if mon == 12 else f"{year}-{mon + 1:02d}"
        url = "/v1/jobs/placements/{}/confirmations"
        n, _ = await same_count(
            jobs, url.format(one), url.format(many), items=MANY, headers=headers
        )
        assert n == 2  # the placement; its records
