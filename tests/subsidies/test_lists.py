"""Every list of the service pages the same way and reads set-based:

* a last page exactly ``limit`` long says so (``next_cursor: null``), never followed by an empty
  page; following the cursors gives every item once, in the list's order;
* a page runs the same number of SQL statements whatever its size (no query per item).
"""

import uuid
from typing import Any

from tests.subsidies.factories import (
    ADMIN,
    API,
    AUDITOR,
    CLERK,
    DEDICATED,
    approve,
    create_fund,
    create_program,
    dedicated_applications,
    make_batch,
    ready_applications,
    register_payee,
    verify,
)
from tests.support.apps import RunningService
from tests.support.queries import queries_of

MANY = 21


async def pages(
    svc: RunningService, path: str, limit: int, headers: Any = AUDITOR, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page of a list, following ``next_cursor``."""
    found: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = params | {"limit": limit} | ({"cursor": cursor} if cursor else {})
        r = await svc.client.get(f"{API}{path}", params=query, headers=headers)
        assert r.status_code == 200, r.text
        found.append(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return found
        assert len(found) <= 100, "the cursors never end"


async def assert_pages_end_exactly(
    svc: RunningService, path: str, total: int, key: str = "id", **params: Any
) -> None:
    """``total`` items: one full page has no next cursor, and pages of ``total - 1`` end on
    the second page with the last item (no empty page after a full one)."""
    (whole,) = await pages(svc, path, total, **params)
    assert len(whole) == total
    first, last = await pages(svc, path, total - 1, **params)
    assert [x[key] for x in first + last] == [x[key] for x in whole]
    assert len(last) == 1
    singles = await pages(svc, path, 1, **params)
    assert [x[key] for page in singles for x in page] == [x[key] for x in whole]


async def statements(svc: RunningService, path: str, headers: Any) -> tuple[int, Any]:
    """The statements of one GET (the request's own: see tests.support.queries) and its
    response."""
    return await queries_of(svc, path, headers=headers)


async def assert_set_based(
    svc: RunningService, path: str, headers: Any = AUDITOR, **params: Any
) -> tuple[int, int]:
    """A page of one item and a page of every item run the same statements; returns the count."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    few, r1 = await statements(svc, f"{API}{path}?limit=1&{query}", headers)
    many, r2 = await statements(svc, f"{API}{path}?limit=200&{query}", headers)
    assert r1.status_code == r2.status_code == 200, (r1.text, r2.text)
    assert len(r1.json()["items"]) == 1
    assert len(r2.json()["items"]) >= MANY - 1
    assert few == many, f"{path}: {few} statements for 1 item, {many} for {MANY}"
    print(f"statements {path}?{query}: {few} for 1 item, {many} for {len(r2.json()['items'])}")
    return few, many


class TestListFunds:
    async def test_pages_end_exactly_and_read_set_based(self, subsidies):
        for _ in range(MANY):
            await create_fund(subsidies)
        await assert_pages_end_exactly(subsidies, "/funds", MANY)
        await assert_set_based(subsidies, "/funds")


class TestListPrograms:
    async def test_pages_end_exactly_and_read_set_based(self, subsidies):
        fund = await create_fund(subsidies)
        for i in range(MANY):
            await create_program(subsidies, DEDICATED, fund["id"], code=f"post-{i:02d}")
        await assert_pages_end_exactly(subsidies, "/programs", MANY)
        await assert_set_based(subsidies, "/programs")

    async def test_versions_read_set_based(self, subsidies):
        fund = await create_fund(subsidies)
        program = await create_program(subsidies, DEDICATED, fund["id"])
        rules = {k: v for k, v in program.items() if k in DEDICATED and k != "code"}
        path = f"{API}/programs/{program['code']}/versions"
        one, r = await statements(subsidies, path, AUDITOR)
        assert len(r.json()) == 1
        for amount in range(MANY - 1):
            r = await subsidies.client.put(
                f"{API}/programs/{program['code']}",
                headers=ADMIN,
                json=rules | {"fund_id": fund["id"], "amount_fen": 1000 + amount, "reason": "r"},
            )
            assert r.status_code == 200, r.text
        many, r = await statements(subsidies, path, AUDITOR)
        assert [v["version"] for v in r.json()] == list(range(1, MANY + 1))
        assert one == many


class TestListApplications:
    async def test_pages_end_exactly(self, subsidies, feed):
        _, apps = await dedicated_applications(subsidies, feed, 3)
        await assert_pages_end_exactly(subsidies, "/applications", 3)
        await assert_pages_end_exactly(
            subsidies, "/applications", 3, program_code="dedicated-post", state=apps[0]["state"]
        )

    async def test_lines_and_objections_read_set_based(self, subsidies, feed):
        _, apps = await dedicated_applications(subsidies, feed, MANY)
        assert all(len(a["lines"]) == 1 for a in apps)
        await assert_set_based(subsidies, "/applications")
        await assert_set_based(subsidies, "/applications", program_code="dedicated-post")


class TestListNotices:
    async def test_pages_end_exactly_and_read_set_based(self, subsidies, feed):
        _, apps = await dedicated_applications(subsidies, feed, MANY)
        for app in apps:
            assert (await verify(subsidies, app["id"]))["state"] == "verified"
            assert (await approve(subsidies, app["id"]))["state"] == "in_notice"
        await assert_pages_end_exactly(subsidies, "/notices", MANY, key="application_id")
        await assert_set_based(subsidies, "/notices", headers={})  # the public, no login
        await assert_set_based(subsidies, "/notices", program_code="dedicated-post")


class TestListPayees:
    async def test_pages_end_exactly_and_read_set_based(self, subsidies, feed):
        workers = [str(uuid.uuid4()) for _ in range(MANY)]
        for worker in workers:
            await feed.publish(
                "jobs.worker.registered",
                {
                    "worker_id": worker,
                    "township": "Yongyang",
                    "poor_household": True,
                    "registered_on": "2020-01-01",
                },
            )
        await feed.barrier()
        for worker in workers:
            await register_payee(subsidies, worker)
        await assert_pages_end_exactly(subsidies, "/payees", MANY)
        await register_payee(subsidies, workers[0], account="6228480402564890018")
        await assert_pages_end_exactly(subsidies, "/payees", 2, beneficiary_id=workers[0])
        await assert_set_based(subsidies, "/payees")


class TestListBatches:
    async def test_pages_end_exactly_and_lines_read_set_based(self, subsidies, feed):
        _, apps = await ready_applications(subsidies, feed, MANY)
        for app in apps[:-2]:
            await make_batch(subsidies, [app["id"]])
        await make_batch(subsidies, [a["id"] for a in apps[-2:]])
        await assert_pages_end_exactly(subsidies, "/batches", MANY - 1)
        await assert_set_based(subsidies, "/batches")


class TestGetBatch:
    async def test_lines_read_set_based(self, subsidies, feed):
        _, apps = await ready_applications(subsidies, feed, MANY)
        small = await make_batch(subsidies, [apps[0]["id"]])
        large = await make_batch(subsidies, [a["id"] for a in apps[1:]])
        few, r = await statements(subsidies, f"{API}/batches/{small['id']}", CLERK)
        assert len(r.json()["lines"]) == 1
        many, r = await statements(subsidies, f"{API}/batches/{large['id']}", CLERK)
        assert len(r.json()["lines"]) == MANY - 1
        assert all(line["account_number"].endswith("3445") for line in r.json()["lines"])
        assert few == many


class TestListAudit:
    async def test_pages_end_exactly_and_read_set_based(self, subsidies):
        funds = [await create_fund(subsidies) for _ in range(MANY)]
        await assert_pages_end_exactly(subsidies, "/audit", MANY, key="seq")
        await assert_set_based(subsidies, "/audit")
        r = await subsidies.client.patch(
            f"{API}/funds/{funds[0]['id']}", headers=ADMIN, json={"budget_fen": 1}
        )
        assert r.status_code == 200, r.text
        await assert_pages_end_exactly(subsidies, "/audit", 2, key="seq", entity_id=funds[0]["id"])

    async def test_a_cursor_of_another_shape_is_422(self, subsidies):
        await create_fund(subsidies)
        for cursor in ("eyJzZXEiOjF9", "eyJ0IjoieCIsImlkIjoiMSJ9", "%%%"):  # {"seq":1}, bad t
            r = await subsidies.client.get(
                f"{API}/audit", params={"cursor": cursor}, headers=AUDITOR
            )
            assert r.status_code == 422, (cursor, r.text)
            assert r.headers["content-type"] == "application/problem+json"
