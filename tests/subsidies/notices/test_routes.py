"""The public notice (公示) and objections from the public, on PostgreSQL and on SQLite: only
applications in notice, only masked values, pages and totals; an objection reaches the
application's detail and audit trail, holds the payment until a clerk decides, and is refused
once the notice is over or when one address sends too many."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tests.subsidies.factories import (
    ADMIN,
    API,
    AUDITOR,
    CLERK,
    DEDICATED,
    PARTNER,
    STABLE,
    STORE,
    Clock,
    JobsFeed,
    approve,
    create_fund,
    create_program,
    get_app,
    get_fund,
    verify,
    wait_for_applications,
)
from tests.support.apps import RunningService, running_service
from tests.support.sqlite import migrated_sqlite_url

# What the jobs service knows in clear and never sends: the test checks they never appear.
CLEAR_NAME, CLEAR_ID = "王小明", "522725199001011234"
NAME_MASKED, ID_MASKED = "王*明", "522***********1234"
PHONE = "13812345678"


@pytest.fixture(params=["postgresql", "sqlite"])
async def svc(request, settings_for, tmp_path) -> AsyncIterator[RunningService]:  # type: ignore[no-untyped-def]
    overrides: dict[str, Any] = {"public_objections_per_address_per_day": 3}
    if request.param == "sqlite":
        overrides["database_url"] = await migrated_sqlite_url("subsidies", tmp_path)
    async with running_service("subsidies", settings_for("subsidies", **overrides)) as running:
        yield running


@pytest.fixture
def clock_of(svc: RunningService) -> Clock:
    from datetime import UTC, datetime

    c = Clock(datetime(2020, 6, 1, 8, 0, tzinfo=UTC))
    svc.runtime.clock = c
    return c


async def worker(feed: JobsFeed, *, masked: bool = True, township: str = "Houchang") -> str:
    worker_id = str(uuid.uuid4())
    data: dict[str, Any] = {
        "worker_id": worker_id,
        "township": township,
        "poor_household": True,
        "registered_on": "2020-01-01",
    }
    if masked:
        data |= {"name_masked": NAME_MASKED, "national_id_masked": ID_MASKED}
    await feed.publish("jobs.worker.registered", data)
    return worker_id


async def dedicated(
    svc: RunningService,
    feed: JobsFeed,
    n: int,
    *,
    township: str = "Houchang",
    masked: bool = True,
    notice_days: int = 5,
) -> list[dict[str, Any]]:
    """``n`` pending dedicated-post applications, each for a registered worker."""
    fund = await create_fund(svc)
    await create_program(svc, DEDICATED, fund["id"], notice_days=notice_days)
    for _ in range(n):
        worker_id = await worker(feed, masked=masked, township=township)
        p = await feed.placement(kind="dedicated_post", township=township, worker_id=worker_id)
        await feed.month(p, "2020-03")
    return await wait_for_applications(svc, n, program_code="dedicated-post")


async def in_notice(svc: RunningService, app_id: str) -> dict[str, Any]:
    await verify(svc, app_id)
    return await approve(svc, app_id)


async def board(svc: RunningService, **params: Any) -> dict[str, Any]:
    r = await svc.client.get(f"{API}/notices", params=params)  # no identity at all
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def object_publicly(
    svc: RunningService, app_id: str, body: dict[str, Any], address: str = "203.0.113.7"
) -> Any:
    return await svc.client.post(
        f"{API}/notices/{app_id}/objections", json=body, headers={"X-Forwarded-For": address}
    )


class TestListNotices:
    async def test_only_applications_in_notice_and_only_masked(self, svc, jobs_feed, clock_of):
        apps = await dedicated(svc, jobs_feed, 3)
        posted = await in_notice(svc, apps[0]["id"])
        await verify(svc, apps[1]["id"])  # verified, not approved: not public
        await in_notice(svc, apps[2]["id"])
        r = await svc.client.post(
            f"{API}/applications/{apps[2]['id']}/reject", headers=CLERK, json={"reason": "no"}
        )
        assert r.status_code == 200, r.text

        page = await board(svc)
        assert page["total"] == 1 and page["next_cursor"] is None
        [item] = page["items"]
        assert item == {
            "application_id": posted["id"],
            "program_code": "dedicated-post",
            "program_name": DEDICATED["name"],
            "beneficiary_kind": "worker",
            "beneficiary_name": NAME_MASKED,
            "township": "Houchang",
            "month": "2020-03",
            "amount_fen": 50_000,
            "notice_starts_at": "2020-06-01T08:00:00Z",
            "notice_ends_at": "2020-06-06T08:00:00Z",
            "objection_path": f"/v1/subsidies/notices/{posted['id']}/objections",
            "people": [
                {
                    "name_masked": NAME_MASKED,
                    "national_id_masked": ID_MASKED,
                    "township": "Houchang",
                    "month": "2020-03",
                    "amount_fen": 50_000,
                }
            ],
        }
        text = json.dumps(page, ensure_ascii=False)
        assert CLEAR_NAME not in text and CLEAR_ID not in text
        # No internal ids of people: neither the worker, the placement nor the fund.
        for key in ("beneficiary_id", "worker_id", "placement_id", "fund_id"):
            assert key not in text
        assert posted["beneficiary_id"] not in text

    async def test_pages_totals_and_filters(self, svc, jobs_feed, clock_of):
        apps = await dedicated(svc, jobs_feed, 5, township="Houchang")
        fund = await create_fund(svc)
        await create_program(svc, STABLE, fund["id"])
        for a in apps:
            clock_of.now += timedelta(minutes=1)
            await in_notice(svc, a["id"])
        seen: list[str] = []
        cursor = None
        sizes = []
        while True:
            page = await board(svc, limit=2, **({"cursor": cursor} if cursor else {}))
            assert page["total"] == 5
            sizes.append(len(page["items"]))
            seen += [i["application_id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sizes == [2, 2, 1]
        assert seen == [a["id"] for a in apps]  # oldest approval first, each once
        assert (await board(svc, program_code="dedicated-post"))["total"] == 5
        assert (await board(svc, program_code="stable-employment"))["total"] == 0
        assert (await board(svc, township="Houchang"))["total"] == 5
        empty = await board(svc, township="Languan")
        assert empty == {"items": [], "next_cursor": None, "total": 0}

    async def test_a_notice_that_ended_is_no_longer_on_the_board(self, svc, jobs_feed, clock_of):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        clock_of.now += timedelta(days=5)
        assert (await board(svc))["total"] == 0

    async def test_workers_known_from_old_events_show_no_mask(self, svc, jobs_feed, clock_of):
        [app] = await dedicated(svc, jobs_feed, 1, masked=False)
        await in_notice(svc, app["id"])
        [item] = (await board(svc))["items"]
        assert item["beneficiary_name"] is None
        assert item["people"][0]["name_masked"] is None
        assert item["people"][0]["national_id_masked"] is None

    async def test_staff_see_the_same_partner_and_store_keys_are_refused(
        self, svc, jobs_feed, clock_of
    ):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        anonymous = await board(svc)
        r = await svc.client.get(f"{API}/notices", headers=CLERK)
        assert r.status_code == 200 and r.json() == anonymous
        for key in (PARTNER, STORE):
            r = await svc.client.get(f"{API}/notices", headers=key)
            assert r.status_code == 403
            r = await svc.client.post(
                f"{API}/notices/{app['id']}/objections", headers=key, json={"text": "x"}
            )
            assert r.status_code == 403


class TestPublicObjection:
    async def test_reaches_the_application_and_its_audit_trail(self, svc, jobs_feed, clock_of):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        clock_of.now += timedelta(hours=2)
        r = await object_publicly(
            svc, app["id"], {"text": "  她三月份已经离开了。  ", "contact": "138 1234 5678"}
        )
        assert r.status_code == 201, r.text
        receipt = r.json()
        assert receipt["status"] == "open"
        assert receipt["application_id"] == app["id"]
        assert receipt["contact_masked"] == "138****5678"
        assert PHONE not in r.text

        detail = await get_app(svc, app["id"])
        assert detail["state"] == "in_notice"  # an objection alone moves nothing
        [objection] = detail["objections"]
        assert objection["text"] == "她三月份已经离开了。"
        assert objection["recorded_by"] == "public"
        assert objection["status"] == "open"
        assert objection["contact_masked"] == "138****5678"
        assert PHONE not in json.dumps(detail)

        r = await svc.client.get(f"{API}/audit", params={"entity_id": app["id"]}, headers=AUDITOR)
        entries = r.json()["items"]
        assert entries[-1]["action"] == "objection_received"
        assert entries[-1]["actor"] == "public"
        assert PHONE not in r.text

    async def test_personal_numbers_typed_into_the_text_are_kept_masked(
        self, svc, jobs_feed, clock_of
    ):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        text = f"This is really {CLEAR_ID}, call her on {PHONE}."
        r = await object_publicly(svc, app["id"], {"text": text})
        assert r.status_code == 201, r.text
        [objection] = (await get_app(svc, app["id"]))["objections"]
        assert objection["text"] == f"This is really {ID_MASKED}, call her on 138****5678."
        r = await svc.client.get(f"{API}/audit", params={"entity_id": app["id"]}, headers=AUDITOR)
        assert CLEAR_ID not in r.text and PHONE not in r.text

    async def test_an_open_objection_holds_the_payment_until_dismissed(
        self, svc, jobs_feed, clock_of
    ):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        r = await object_publicly(svc, app["id"], {"text": "not a poor household"})
        objection_id = r.json()["id"]
        clock_of.now += timedelta(days=6)
        r = await svc.client.post(f"{API}/notices/close-ended", headers=CLERK)
        assert r.json() == {"moved_to_ready": 0}
        assert (await get_app(svc, app["id"]))["state"] == "in_notice"

        decision = f"{API}/applications/{app['id']}/objections/{objection_id}/decision"
        r = await svc.client.post(
            decision, headers=CLERK, json={"decision": "dismiss", "reason": "Records checked."}
        )
        assert r.status_code == 200, r.text
        [objection] = r.json()["objections"]
        assert objection["status"] == "dismissed"
        assert objection["resolved_by"] == "user:clerk-1"
        assert objection["resolution"] == "Records checked."
        r = await svc.client.post(f"{API}/notices/close-ended", headers=CLERK)
        assert r.json() == {"moved_to_ready": 1}
        again = await svc.client.post(
            decision, headers=CLERK, json={"decision": "uphold", "reason": "changed my mind"}
        )
        assert again.status_code == 409
        assert again.json()["type"].endswith("objection-resolved")

    async def test_an_upheld_objection_sends_it_back_to_verification(
        self, svc, jobs_feed, clock_of
    ):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        fund_id = app["fund_id"]
        assert (await get_fund(svc, fund_id))["reserved_fen"] == 50_000
        r = await object_publicly(svc, app["id"], {"text": "She left in March."})
        objection_id = r.json()["id"]
        r = await svc.client.post(
            f"{API}/applications/{app['id']}/objections/{objection_id}/decision",
            headers=CLERK,
            json={"decision": "uphold", "reason": "The workshop confirms it."},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["state"] == "pending_verification"
        assert body["approved_by"] is None and body["notice_ends_at"] is None
        assert (await get_fund(svc, fund_id))["reserved_fen"] == 0
        r = await svc.client.get(f"{API}/audit", params={"entity_id": app["id"]}, headers=ADMIN)
        assert [e["action"] for e in r.json()["items"]][-2:] == [
            "objection_received",
            "objection_upheld",
        ]

    async def test_refused_once_the_notice_is_over(self, svc, jobs_feed, clock_of):
        apps = await dedicated(svc, jobs_feed, 2)
        await in_notice(svc, apps[0]["id"])
        clock_of.now += timedelta(days=5)
        r = await object_publicly(svc, apps[0]["id"], {"text": "too late"})
        assert r.status_code == 409
        assert r.json()["type"].endswith("notice-over")
        assert "notice period of this application is over" in r.json()["detail"]
        # Payable now: still over.
        await svc.client.post(f"{API}/notices/close-ended", headers=CLERK)
        r = await object_publicly(svc, apps[0]["id"], {"text": "too late"})
        assert r.status_code == 409
        # Never posted (pending) or unknown: nothing to learn about it.
        for ident in (apps[1]["id"], str(uuid.uuid4())):
            r = await object_publicly(svc, ident, {"text": "?"})
            assert r.status_code == 404, r.text
        assert (await get_app(svc, apps[0]["id"]))["objections"] == []

    async def test_one_address_may_send_only_so_many_a_day(self, svc, jobs_feed, clock_of):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        for _ in range(3):  # the test's limit
            assert (await object_publicly(svc, app["id"], {"text": "x"})).status_code == 201
        r = await object_publicly(svc, app["id"], {"text": "x"})
        assert r.status_code == 429
        assert r.json()["type"].endswith("too-many-objections")
        assert r.headers["retry-after"] == "86400"
        # Another address is not held back; the same one is again a day later.
        other = await object_publicly(svc, app["id"], {"text": "x"}, address="198.51.100.9")
        assert other.status_code == 201
        clock_of.now += timedelta(days=1, seconds=1)
        assert (await object_publicly(svc, app["id"], {"text": "x"})).status_code == 201
        assert len((await get_app(svc, app["id"]))["objections"]) == 5

    @pytest.mark.parametrize(
        "body",
        [
            {"text": ""},
            {"text": "   "},
            {"text": "x" * 2001},
            {"text": "ok", "contact": "12345"},
            {"text": "ok", "file": "data:application/pdf;base64,JVBERi0="},
            {"contact": PHONE},
        ],
    )
    async def test_text_only_and_bounded(self, svc, jobs_feed, clock_of, body):
        [app] = await dedicated(svc, jobs_feed, 1)
        await in_notice(svc, app["id"])
        r = await object_publicly(svc, app["id"], body)
        assert r.status_code == 422, r.text
        assert PHONE not in r.text and "12345" not in r.text
        assert (await get_app(svc, app["id"]))["objections"] == []
