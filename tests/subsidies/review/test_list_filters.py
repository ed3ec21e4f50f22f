"""The applications list's township filter and total, on PostgreSQL and on SQLite: the review
queue filters by township and says how many applications its filters select over all pages."""

from typing import Any

from tests.subsidies.factories import (
    API,
    AUDITOR,
    DEDICATED,
    create_fund,
    create_program,
    verify,
    wait_for_applications,
)
from tests.subsidies.test_lists import assert_set_based
from tests.support.apps import RunningService


async def listed(svc: RunningService, **params: Any) -> dict[str, Any]:
    r = await svc.client.get(f"{API}/applications", params=params, headers=AUDITOR)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


class TestTownshipAndTotal:
    async def test_filter_by_township_with_the_total_over_all_pages(self, svc, jobs_feed):
        fund = await create_fund(svc)
        await create_program(svc, DEDICATED, fund["id"])
        for township in ("Houchang", "Houchang", "Houchang", "Yuhe"):
            placement = await jobs_feed.placement(kind="dedicated_post", township=township)
            await jobs_feed.month(placement, "2020-03")
        apps = await wait_for_applications(svc, 4, program_code="dedicated-post")

        first = await listed(svc, township="Houchang", limit=2)
        assert len(first["items"]) == 2 and first["total"] == 3
        rest = await listed(svc, township="Houchang", limit=2, cursor=first["next_cursor"])
        assert len(rest["items"]) == 1 and rest["total"] == 3  # the total of all pages
        assert {a["township"] for a in first["items"] + rest["items"]} == {"Houchang"}
        yuhe = await listed(svc, township="Yuhe")
        assert [a["township"] for a in yuhe["items"]] == ["Yuhe"] and yuhe["total"] == 1
        assert (await listed(svc))["total"] == 4
        assert (await listed(svc, township="Nowhere")) == {
            "items": [],
            "next_cursor": None,
            "total": 0,
        }

        # With the other filters: the same conditions select the page and the count.
        houchang = [a for a in apps if a["township"] == "Houchang"]
        await verify(svc, houchang[0]["id"])
        both = await listed(svc, township="Houchang", state="verified")
        assert [a["id"] for a in both["items"]] == [houchang[0]["id"]] and both["total"] == 1
        assert (await listed(svc, township="Yuhe", state="verified"))["total"] == 0

    async def test_township_validated(self, svc):
        r = await svc.client.get(
            f"{API}/applications", params={"township": "x" * 201}, headers=AUDITOR
        )
        assert r.status_code == 422


class TestSetBased:
    async def test_the_total_is_one_statement_whatever_the_page(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        for _ in range(21):
            placement = await feed.placement(kind="dedicated_post", township="Houchang")
            await feed.month(placement, "2020-03")
        await wait_for_applications(subsidies, 21, program_code="dedicated-post")
        await assert_set_based(subsidies, "/applications", township="Houchang")
