"""Applications created from real jobs events on JetStream, for each program kind, with
re-delivery, out-of-order delivery, stacking and double-post rules."""

import json
import uuid

from sqlalchemy import func, select, text

from services.subsidies.eligibility.tables import MonthConfirmation, Placement, Worker
from services.subsidies.review.tables import ApplicationLine
from shared.events import Envelope
from tests.subsidies.factories import (
    API,
    AUDITOR,
    DEDICATED,
    STABLE,
    WORKSHOP,
    applications,
    approve,
    create_fund,
    create_program,
    get_app,
    get_fund,
    make_batch,
    register_payee,
    verify,
    wait_for_applications,
)
from tests.support.infra import wait_until


async def line_count(subsidies) -> int:  # type: ignore[no-untyped-def]
    async with subsidies.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(ApplicationLine)) or 0)


async def worker_row(subsidies, worker_id: str) -> Worker | None:  # type: ignore[no-untyped-def]
    async with subsidies.sessionmaker() as s:
        return await s.get(Worker, uuid.UUID(worker_id))


class TestWorkerRegistered:
    """The masked name and ID number of the public notice; events from before they existed."""

    async def test_masked_identity_is_kept(self, subsidies, feed):
        worker_id = str(uuid.uuid4())
        await feed.publish(
            "jobs.worker.registered",
            {
                "worker_id": worker_id,
                "township": "Houchang",
                "poor_household": True,
                "registered_on": "2020-01-01",
                "name_masked": "王*明",
                "national_id_masked": "522***********1234",
            },
        )
        await feed.barrier()
        worker = await worker_row(subsidies, worker_id)
        assert worker is not None
        assert (worker.name_masked, worker.national_id_masked) == ("王*明", "522***********1234")

    async def test_an_old_event_without_them_still_applies(self, subsidies, feed):
        worker_id = str(uuid.uuid4())
        old = {
            "worker_id": worker_id,
            "township": "Languan",
            "poor_household": True,
            "registered_on": "2020-01-01",
        }
        await feed.publish("jobs.worker.registered", old)
        await feed.barrier()
        worker = await worker_row(subsidies, worker_id)
        assert worker is not None and worker.township == "Languan"
        assert (worker.name_masked, worker.national_id_masked) == (None, None)
        # The same worker published again with the masks, then once more the old way: the
        # masks stay (an old event says nothing about them), the rest follows the event.
        await feed.publish(
            "jobs.worker.registered",
            old | {"name_masked": "李*", "national_id_masked": "522***********0011"},
        )
        await feed.publish("jobs.worker.registered", old | {"township": "Houchang"})
        await feed.barrier()
        worker = await worker_row(subsidies, worker_id)
        assert worker is not None and worker.township == "Houchang"
        assert (worker.name_masked, worker.national_id_masked) == ("李*", "522***********0011")


def updated(worker_id: str, at: str, **fields: object) -> dict[str, object]:
    """A ``jobs.worker.updated`` body: the worker's state after a correction made at ``at``."""
    return {
        "worker_id": worker_id,
        "township": "Houchang",
        "poor_household": True,
        "registered_on": "2020-01-01",
        "name_masked": "王*明",
        "national_id_masked": "522***********1234",
        "changed_at": f"2020-03-01T{at}+00:00",
    } | fields


def registered(worker_id: str, **fields: object) -> dict[str, object]:
    """A ``jobs.worker.registered`` body (no time of change)."""
    body = updated(worker_id, "") | {"name_masked": "王*"} | fields
    del body["changed_at"]
    return body


def projection(worker: Worker | None) -> tuple[object, ...]:
    assert worker is not None
    return (worker.name_masked, worker.township, worker.poor_household)


class TestWorkerUpdated:
    """Corrections of a worker: the newest applied wins, whatever the order of delivery."""

    async def test_a_correction_replaces_the_registered_values(self, subsidies, feed):
        worker_id = str(uuid.uuid4())
        await feed.publish("jobs.worker.registered", registered(worker_id))
        await feed.publish(
            "jobs.worker.updated",
            updated(worker_id, "08:00:00", township="Languan", poor_household=False),
        )
        await feed.barrier()
        worker = await worker_row(subsidies, worker_id)
        assert projection(worker) == ("王*明", "Languan", False)
        assert worker is not None and worker.national_id_masked == "522***********1234"
        assert worker.changed_at is not None and worker.changed_at.isoformat() == (
            "2020-03-01T08:00:00+00:00"
        )

    async def test_an_older_correction_after_a_newer_one_changes_nothing(self, subsidies, feed):
        worker_id = str(uuid.uuid4())
        newer = updated(worker_id, "09:00:00.000002", name_masked="欧**明")
        older = updated(worker_id, "09:00:00.000001", name_masked="李*", township="Languan")
        await feed.publish("jobs.worker.updated", newer)
        await feed.publish("jobs.worker.updated", older)
        # Re-published (a new event id), and a registration re-published after the correction.
        await feed.publish("jobs.worker.updated", newer | {"township": "Yongyang"})
        await feed.publish("jobs.worker.registered", registered(worker_id))
        await feed.barrier()
        worker = await worker_row(subsidies, worker_id)
        assert projection(worker) == ("欧**明", "Houchang", True)
        assert worker is not None and worker.changed_at is not None
        assert worker.changed_at.microsecond == 2
        # A newer one still applies.
        await feed.publish("jobs.worker.updated", updated(worker_id, "10:00:00", name_masked="李*"))
        await feed.barrier()
        assert projection(await worker_row(subsidies, worker_id)) == ("李*", "Houchang", True)

    async def test_a_correction_before_the_registration_makes_the_worker_known(
        self, subsidies, feed
    ):
        worker_id = str(uuid.uuid4())
        await feed.publish(
            "jobs.worker.updated", updated(worker_id, "08:00:00", township="Languan")
        )
        await feed.publish("jobs.worker.registered", registered(worker_id, poor_household=False))
        await feed.barrier()
        worker = await worker_row(subsidies, worker_id)
        assert projection(worker) == ("王*明", "Languan", True)
        assert worker is not None and worker.registered_on.isoformat() == "2020-01-01"


class TestStableEmployment:
    async def test_granted_once_after_required_consecutive_months(self, subsidies, feed):
        fund = await create_fund(subsidies)
        program = await create_program(subsidies, STABLE, fund["id"])
        p = await feed.placement(kind="haizhu_partner", township="Houchang")
        await feed.months(p, "2020-01", "2020-02", "2020-03", "2020-04")
        [app] = await wait_for_applications(subsidies, 1, program_code="stable-employment")
        await feed.barrier()
        assert len(await applications(subsidies)) == 1
        assert app["beneficiary_kind"] == "employer"
        assert app["beneficiary_id"] == p["employer_id"]
        assert app["amount_fen"] == 500_000
        assert app["month"] == "2020-03"
        assert app["township"] == "Houchang"
        assert app["state"] == "pending_verification"
        assert app["program_version"] == 1 and app["program_id"] == program["id"]
        assert app["created_by"] == "system:eligibility"
        assert [line["worker_id"] for line in app["lines"]] == [p["worker_id"]]

    async def test_gap_restarts_the_count(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        p = await feed.placement()
        await feed.months(p, "2020-01", "2020-02", "2020-04", "2020-05")
        await feed.barrier()
        assert await applications(subsidies) == []
        await feed.month(p, "2020-06")
        [app] = await wait_for_applications(subsidies, 1)
        assert app["month"] == "2020-06"

    async def test_worker_not_registered_poor_is_not_granted(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        p = await feed.placement(poor=False)
        await feed.months(p, "2020-01", "2020-02", "2020-03")
        await feed.barrier()
        assert await applications(subsidies) == []

    async def test_month_without_wage_does_not_count(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        p = await feed.placement()
        await feed.months(p, "2020-01", "2020-02")
        await feed.month(p, "2020-03", wage=0)
        await feed.barrier()
        assert await applications(subsidies) == []


class TestWorkshop:
    async def test_each_confirmed_month_is_a_line_of_the_workshop_monthly_application(
        self, subsidies, feed
    ):
        fund = await create_fund(subsidies)
        await create_program(subsidies, WORKSHOP, fund["id"])
        workshop = uuid.uuid4()
        a = await feed.placement(kind="workshop", employer_id=workshop)
        b = await feed.placement(kind="workshop", employer_id=workshop)
        not_poor = await feed.placement(kind="workshop", employer_id=workshop, poor=False)
        for p in (a, b, not_poor):
            await feed.month(p, "2020-03")
        await feed.month(a, "2020-04")
        await feed.barrier()
        apps = await applications(subsidies, program_code="workshop")
        by_month = {x["month"]: x for x in apps}
        assert sorted(by_month) == ["2020-03", "2020-04"] and len(apps) == 2
        march = by_month["2020-03"]
        assert march["beneficiary_kind"] == "workshop"
        assert march["beneficiary_id"] == str(workshop)
        assert sorted(line["worker_id"] for line in march["lines"]) == sorted(
            [a["worker_id"], b["worker_id"]]
        )
        assert march["amount_fen"] == 2 * 20_000
        assert by_month["2020-04"]["amount_fen"] == 20_000

    async def test_out_of_order_and_redelivered_months_make_one_line_each(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, WORKSHOP, fund["id"])
        workshop = uuid.uuid4()
        p = {
            "placement_id": str(uuid.uuid4()),
            "worker_id": str(uuid.uuid4()),
            "employer_id": str(workshop),
            "employer_kind": "workshop",
        }
        march = Envelope(
            type="jobs.placement.month_confirmed",
            source="jobs",
            data={
                "confirmation_id": str(uuid.uuid4()),
                "placement_id": p["placement_id"],
                "worker_id": p["worker_id"],
                "employer_id": p["employer_id"],
                "employer_kind": "workshop",
                "month": "2020-03",
                "wage_paid_fen": 280000,
                "supersedes": None,
            },
        )
        for _ in range(3):  # before the placement, and three times
            await feed.publish(march.type, march.data, envelope=march, msg_id=str(uuid.uuid4()))
        await feed.placement(
            kind="workshop",
            employer_id=workshop,
            placement_id=uuid.UUID(p["placement_id"]),
            worker_id=uuid.UUID(p["worker_id"]),
        )
        await feed.publish(march.type, march.data, envelope=march, msg_id=str(uuid.uuid4()))
        [app] = await wait_for_applications(subsidies, 1, program_code="workshop")
        await feed.barrier()
        [app] = await applications(subsidies)
        assert app["beneficiary_id"] == str(workshop)
        assert [(line["worker_id"], line["month"]) for line in app["lines"]] == [
            (p["worker_id"], "2020-03")
        ]
        assert app["amount_fen"] == 20_000


class TestDedicatedPost:
    async def test_each_confirmed_month_is_the_worker_monthly_application(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post")
        await feed.months(p, "2020-03", "2020-04")
        apps = await wait_for_applications(subsidies, 2, program_code="dedicated-post")
        assert sorted(x["month"] for x in apps) == ["2020-03", "2020-04"]
        assert {x["beneficiary_kind"] for x in apps} == {"worker"}
        assert {x["beneficiary_id"] for x in apps} == {p["worker_id"]}
        assert {x["amount_fen"] for x in apps} == {50_000}

    async def test_one_person_never_holds_two_subsidised_posts_in_one_month(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        worker = uuid.uuid4()
        first = await feed.placement(kind="dedicated_post", worker_id=worker)
        second = await feed.placement(kind="dedicated_post", worker_id=worker)
        await feed.month(first, "2020-03")
        await feed.month(second, "2020-03")
        await feed.month(second, "2020-04")
        await feed.barrier()
        apps = await applications(subsidies, program_code="dedicated-post")
        assert sorted((x["month"], x["lines"][0]["placement_id"]) for x in apps) == [
            ("2020-03", first["placement_id"]),
            ("2020-04", second["placement_id"]),
        ]

    async def test_cap_months_limits_the_person_months(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"], cap_months=2)
        p = await feed.placement(kind="dedicated_post")
        await feed.months(p, "2020-01", "2020-02", "2020-03")
        await feed.barrier()
        apps = await applications(subsidies)
        assert sorted(x["month"] for x in apps) == ["2020-01", "2020-02"]


class TestStacking:
    async def test_same_person_and_job_get_only_one_of_two_non_stacking_programs(
        self, subsidies, feed
    ):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        await create_program(
            subsidies,
            STABLE,
            fund["id"],
            code="stable-monthly",
            amount_rule="per_person_month",
            amount_fen=20_000,
            not_stackable_with=["stable-employment"],
        )
        p = await feed.placement()
        await feed.months(p, "2020-01", "2020-02", "2020-03")
        await feed.barrier()
        apps = await applications(subsidies)
        # Programs are evaluated in code order: the one-off comes first and blocks the other.
        assert {x["program_code"] for x in apps} == {"stable-employment"}
        assert len(apps) == 1

    async def test_stackable_programs_both_apply(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        await create_program(
            subsidies,
            STABLE,
            fund["id"],
            code="stable-monthly",
            amount_rule="per_person_month",
            amount_fen=20_000,
            required_months=1,
        )
        p = await feed.placement()
        await feed.months(p, "2020-01", "2020-02", "2020-03")
        await feed.barrier()
        apps = await applications(subsidies)
        assert (
            sorted(x["program_code"] for x in apps)
            == ["stable-employment"] + ["stable-monthly"] * 3
        )


class TestRedelivery:
    async def test_same_event_three_times_makes_one_application(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post")
        envelope = Envelope(
            type="jobs.placement.month_confirmed",
            source="jobs",
            data={
                "confirmation_id": str(uuid.uuid4()),
                "placement_id": p["placement_id"],
                "worker_id": p["worker_id"],
                "employer_id": p["employer_id"],
                "employer_kind": "dedicated_post",
                "month": "2020-03",
                "wage_paid_fen": 300000,
                "supersedes": None,
            },
        )
        for _ in range(3):  # new Nats-Msg-Id each time: JetStream dedup does not drop them
            await feed.publish(
                envelope.type, envelope.data, envelope=envelope, msg_id=str(uuid.uuid4())
            )
        await feed.barrier()
        assert len(await applications(subsidies)) == 1
        assert await line_count(subsidies) == 1

    async def test_republished_with_a_new_event_id_makes_no_second_grant(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        placement_id = uuid.uuid4()
        p = await feed.placement(placement_id=placement_id)
        await feed.placement(
            placement_id=placement_id,
            worker_id=uuid.UUID(p["worker_id"]),
            employer_id=uuid.UUID(p["employer_id"]),
        )
        confirmation = uuid.uuid4()
        await feed.months(p, "2020-01", "2020-02")
        for _ in range(2):
            await feed.month(p, "2020-03", confirmation_id=confirmation)
        await feed.months(p, "2020-04", "2020-05", "2020-06")
        await feed.barrier()
        assert len(await applications(subsidies)) == 1


class TestOutOfOrder:
    async def test_months_confirmed_before_the_placement_are_granted_when_it_arrives(
        self, subsidies, feed
    ):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        p = {
            "placement_id": str(uuid.uuid4()),
            "worker_id": str(uuid.uuid4()),
            "employer_id": str(uuid.uuid4()),
            "employer_kind": "haizhu_partner",
        }
        await feed.months(p, "2020-01", "2020-02", "2020-03")
        await feed.barrier()
        assert await applications(subsidies) == []  # nothing wrong made meanwhile
        async with subsidies.sessionmaker() as s:
            kept = await s.scalar(select(func.count()).select_from(MonthConfirmation))
        assert kept == 3
        await feed.placement(
            placement_id=uuid.UUID(p["placement_id"]),
            worker_id=uuid.UUID(p["worker_id"]),
            employer_id=uuid.UUID(p["employer_id"]),
            poor=True,
        )
        [app] = await wait_for_applications(subsidies, 1)
        assert app["month"] == "2020-03"
        assert app["beneficiary_id"] == p["employer_id"]
        await feed.barrier()
        assert len(await applications(subsidies)) == 1

    async def test_months_before_a_non_poor_placement_create_nothing(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"])
        p = {
            "placement_id": str(uuid.uuid4()),
            "worker_id": str(uuid.uuid4()),
            "employer_id": str(uuid.uuid4()),
            "employer_kind": "haizhu_partner",
        }
        await feed.months(p, "2020-01", "2020-02", "2020-03")
        await feed.placement(
            placement_id=uuid.UUID(p["placement_id"]),
            worker_id=uuid.UUID(p["worker_id"]),
            poor=False,
        )
        await feed.barrier()
        assert await applications(subsidies) == []

    async def test_placement_ended_before_started_is_retried_until_it_applies(
        self, subsidies, feed
    ):
        placement_id = uuid.uuid4()
        await feed.publish(
            "jobs.placement.ended",
            {
                "placement_id": str(placement_id),
                "worker_id": str(uuid.uuid4()),
                "employer_id": str(uuid.uuid4()),
                "end_date": "2020-05-31",
                "reason": "contract",
            },
        )
        await feed.placement(placement_id=placement_id)

        async def ended() -> bool:
            async with subsidies.sessionmaker() as s:
                p = await s.get(Placement, placement_id)
                return p is not None and str(p.end_date) == "2020-05-31"

        await wait_until(ended, timeout=20, what="placement ended")


class TestPoisonEvent:
    async def test_invalid_event_is_dead_lettered_and_later_events_still_apply(
        self, subsidies, feed
    ):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post")
        bad = await feed.publish(
            "jobs.placement.month_confirmed",
            {"placement_id": p["placement_id"], "month": "2020-13", "wage_paid_fen": -5},
        )
        await feed.month(p, "2020-03")
        [app] = await wait_for_applications(subsidies, 1)
        assert app["month"] == "2020-03"

        async def dead_letter() -> str | None:
            async with subsidies.sessionmaker() as s:
                return await s.scalar(
                    text("SELECT reason FROM dead_letters WHERE event_id = :id"),
                    {"id": str(bad.id)},
                )

        reason = await wait_until(dead_letter, timeout=20, what="dead letter")
        assert "invalid data" in reason


class TestCorrection:
    async def test_correction_to_no_wage_withdraws_an_unreviewed_grant(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post")
        original = await feed.month(p, "2020-03")
        [app] = await wait_for_applications(subsidies, 1)
        await feed.month(p, "2020-03", wage=0, supersedes=original["confirmation_id"])

        async def cancelled() -> bool:
            return (await get_app(subsidies, app["id"]))["state"] == "cancelled"

        await wait_until(cancelled, timeout=20, what="grant withdrawn")
        assert (await get_app(subsidies, app["id"]))["amount_fen"] == 0


async def _audit_of(svc, app_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await svc.client.get(f"{API}/audit", headers=AUDITOR, params={"entity_id": app_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def _state_becomes(svc, app_id: str, state: str) -> dict:  # type: ignore[no-untyped-def]
    async def reached() -> dict | None:
        app = await get_app(svc, app_id)
        return app if app["state"] == state else None

    return await wait_until(reached, timeout=20, what=f"application {state}")  # type: ignore[no-any-return]


class TestCorrectionBreaksTheRun:
    """A correction to no wage takes away a month a grant's rule depended on (issue 8, item 3):
    the grant is withdrawn whatever kind it is, until money has left for the bank."""

    async def _one_off(self, subsidies, feed, **program):  # type: ignore[no-untyped-def]
        fund = await create_fund(subsidies)
        await create_program(subsidies, STABLE, fund["id"], amount_fen=300_000, **program)
        p = await feed.placement()
        confirmed = [await feed.month(p, m) for m in ("2020-01", "2020-02", "2020-03")]
        [app] = await wait_for_applications(subsidies, 1, program_code="stable-employment")
        assert (app["amount_fen"], app["month"]) == (300_000, "2020-03")
        return fund, p, confirmed, app

    async def test_pending_one_off_is_withdrawn_when_a_middle_month_loses_its_wage(
        self, subsidies, feed
    ):
        _, p, confirmed, app = await self._one_off(subsidies, feed)
        await feed.month(p, "2020-02", wage=0, supersedes=confirmed[1]["confirmation_id"])
        withdrawn = await _state_becomes(subsidies, app["id"], "cancelled")
        assert withdrawn["amount_fen"] == 0 and withdrawn["lines"] == []
        entries = await _audit_of(subsidies, app["id"])
        assert [e["action"] for e in entries] == ["created", "line_withdrawn", "withdrawn"]
        assert all(e["actor"] == "system:eligibility" for e in entries)
        assert "2020-02" in entries[2]["reason"] and "no wage" in entries[2]["reason"]
        await feed.barrier()
        assert len(await applications(subsidies)) == 1  # no other grant made in its place

    async def test_approved_one_off_is_withdrawn_and_its_reservation_released(
        self, subsidies, feed
    ):
        fund, p, confirmed, app = await self._one_off(subsidies, feed)
        await verify(subsidies, app["id"])
        assert (await approve(subsidies, app["id"]))["state"] == "in_notice"
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 300_000
        await feed.month(p, "2020-02", wage=0, supersedes=confirmed[1]["confirmation_id"])
        await _state_becomes(subsidies, app["id"], "cancelled")
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0
        [withdrawn] = [
            e for e in await _audit_of(subsidies, app["id"]) if e["action"] == "withdrawn"
        ]
        assert withdrawn["from_state"] == "in_notice"
        assert "300000 fen reserved released" in withdrawn["reason"]

    async def test_one_off_stays_while_another_run_still_meets_the_rule(self, subsidies, feed):
        _, p, confirmed, app = await self._one_off(subsidies, feed)
        await feed.months(p, "2020-04", "2020-05")
        await feed.month(p, "2020-02", wage=0, supersedes=confirmed[1]["confirmation_id"])
        await feed.barrier()  # 2020-03..05 is still a run of three months with a wage
        kept = await get_app(subsidies, app["id"])
        assert (kept["state"], kept["amount_fen"]) == ("pending_verification", 300_000)
        assert len(await applications(subsidies)) == 1

    async def test_grant_in_a_batch_is_not_taken_back_and_the_audit_says_so(self, subsidies, feed):
        fund, p, confirmed, app = await self._one_off(subsidies, feed, notice_days=0)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        await register_payee(subsidies, p["employer_id"], kind="employer")
        await make_batch(subsidies, [app["id"]])
        await feed.month(p, "2020-02", wage=0, supersedes=confirmed[1]["confirmation_id"])

        async def noted() -> dict | None:
            entries = await _audit_of(subsidies, app["id"])
            return next((e for e in entries if e["action"] == "withdrawal_blocked"), None)

        entry = await wait_until(noted, timeout=20, what="the blocked withdrawal on record")
        assert "in_batch" in entry["reason"] and "2020-02" in entry["reason"]
        kept = await get_app(subsidies, app["id"])
        assert (kept["state"], kept["amount_fen"]) == ("in_batch", 300_000)
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 300_000

    async def test_approved_monthly_grant_is_withdrawn_and_released_too(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post")
        original = await feed.month(p, "2020-03")
        [app] = await wait_for_applications(subsidies, 1)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        await feed.month(p, "2020-03", wage=0, supersedes=original["confirmation_id"])
        await _state_becomes(subsidies, app["id"], "cancelled")
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    async def test_verified_workshop_application_losing_a_line_goes_back_to_review(
        self, subsidies, feed
    ):
        fund = await create_fund(subsidies)
        await create_program(subsidies, WORKSHOP, fund["id"])
        workshop = uuid.uuid4()
        a = await feed.placement(kind="workshop", employer_id=workshop)
        b = await feed.placement(kind="workshop", employer_id=workshop)
        first = await feed.month(a, "2020-03")
        await feed.month(b, "2020-03")
        await feed.barrier()
        [app] = await applications(subsidies, program_code="workshop")
        await verify(subsidies, app["id"])
        await feed.month(a, "2020-03", wage=0, supersedes=first["confirmation_id"])
        back = await _state_becomes(subsidies, app["id"], "pending_verification")
        assert back["amount_fen"] == 20_000 and back["verified_by"] is None
        assert [line["worker_id"] for line in back["lines"]] == [b["worker_id"]]
        actions = [e["action"] for e in await _audit_of(subsidies, app["id"])]
        assert actions[-2:] == ["line_withdrawn", "returned_for_review"]

    async def test_per_month_grants_after_the_broken_month_are_withdrawn(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"], required_months=2)
        p = await feed.placement(kind="dedicated_post")
        confirmed = [await feed.month(p, m) for m in ("2020-01", "2020-02", "2020-03")]
        apps = await wait_for_applications(subsidies, 2)
        by_month = {x["month"]: x for x in apps}
        assert sorted(by_month) == ["2020-02", "2020-03"]
        await feed.month(p, "2020-02", wage=0, supersedes=confirmed[1]["confirmation_id"])
        # 2020-02 lost its wage: neither 2020-02 nor 2020-03 ends two months with a wage.
        await _state_becomes(subsidies, by_month["2020-03"]["id"], "cancelled")
        await _state_becomes(subsidies, by_month["2020-02"]["id"], "cancelled")


async def _amendments(svc, app_id: str) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def]
    r = await svc.client.get(f"{API}/audit", headers=AUDITOR, params={"entity_id": app_id})
    entries = [e for e in r.json()["items"] if e["action"] in ("line_added", "line_withdrawn")]
    async with svc.sessionmaker() as s:
        payloads = (
            await s.scalars(
                text(
                    "SELECT payload FROM outbox WHERE subject = 'subsidies.application.amended' "
                    "ORDER BY seq"
                )
            )
        ).all()
    data = [json.loads(p)["data"] if isinstance(p, str) else p["data"] for p in payloads]
    return entries, [d for d in data if d["application_id"] == app_id]


class TestAmendedApplication:
    async def _workshop_march(self, subsidies, feed):  # type: ignore[no-untyped-def]
        fund = await create_fund(subsidies)
        await create_program(subsidies, WORKSHOP, fund["id"])
        workshop = uuid.uuid4()
        a = await feed.placement(kind="workshop", employer_id=workshop)
        b = await feed.placement(kind="workshop", employer_id=workshop)
        first = await feed.month(a, "2020-03")
        await feed.month(b, "2020-03")
        await feed.barrier()
        [app] = await applications(subsidies, program_code="workshop")
        assert app["amount_fen"] == 40_000
        return a, first, app

    async def test_line_joining_a_pending_application_is_on_record(self, subsidies, feed):
        _, _, app = await self._workshop_march(subsidies, feed)
        entries, events = await _amendments(subsidies, app["id"])
        assert [(e["action"], e["actor"]) for e in entries] == [
            ("line_added", "system:eligibility")
        ]
        assert "amount_fen 20000 → 40000" in entries[0]["reason"]
        assert len(events) == 1
        assert (events[0]["change"], events[0]["old_amount_fen"], events[0]["new_amount_fen"]) == (
            "line_added",
            20_000,
            40_000,
        )

    async def test_line_withdrawn_from_a_pending_application_is_on_record(self, subsidies, feed):
        a, first, app = await self._workshop_march(subsidies, feed)
        await feed.month(a, "2020-03", wage=0, supersedes=first["confirmation_id"])

        async def withdrawn() -> bool:
            return (await get_app(subsidies, app["id"]))["amount_fen"] == 20_000

        await wait_until(withdrawn, timeout=20, what="line withdrawn")
        entries, events = await _amendments(subsidies, app["id"])
        assert [e["action"] for e in entries] == ["line_added", "line_withdrawn"]
        assert "amount_fen 40000 → 20000" in entries[1]["reason"]
        assert "no wage paid" in entries[1]["reason"]
        assert len(events) == 2
        assert (events[1]["change"], events[1]["old_amount_fen"], events[1]["new_amount_fen"]) == (
            "line_withdrawn",
            40_000,
            20_000,
        )
