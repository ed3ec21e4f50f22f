"""Review of applications: verification, approval (maker-checker, fund reservation), rejection,
cancellation, public notice and objections, bulk operations, and every refusal."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.subsidies.factories import (
    API,
    APPROVER,
    APPROVER2,
    AUDITOR,
    CLERK,
    CLERK2,
    DEDICATED,
    PARTNER,
    STORE,
    applications,
    approve,
    create_fund,
    create_program,
    dedicated_applications,
    get_app,
    get_fund,
    principal,
    verify,
)

PROBLEM = "application/problem+json"


class TestVerify:
    async def test_clerk_verifies_a_pending_application(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/verify",
            json={"note": "insurance record checked"},
            headers=CLERK,
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "verified"
        assert r.json()["verified_by"] == "user:clerk-1"

    async def test_verifying_twice_is_refused(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        r = await subsidies.client.post(f"{API}/applications/{app['id']}/verify", headers=CLERK2)
        assert r.status_code == 409
        assert r.headers["content-type"] == PROBLEM
        assert "verified" in r.json()["detail"]

    async def test_verifying_a_rejected_application_is_refused(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/reject",
            json={"reason": "not on the post"},
            headers=CLERK,
        )
        assert r.status_code == 200
        r = await subsidies.client.post(f"{API}/applications/{app['id']}/verify", headers=CLERK)
        assert r.status_code == 409
        assert r.json()["state"] == "rejected"
        assert (await get_app(subsidies, app["id"]))["state"] == "rejected"

    @pytest.mark.parametrize("headers", [APPROVER, PARTNER, STORE, AUDITOR])
    async def test_other_roles_may_not_verify(self, subsidies, feed, headers):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(f"{API}/applications/{app['id']}/verify", headers=headers)
        assert r.status_code == 403
        assert r.headers["content-type"] == PROBLEM
        assert (await get_app(subsidies, app["id"]))["state"] == "pending_verification"

    async def test_unknown_application_is_404(self, subsidies):
        r = await subsidies.client.post(f"{API}/applications/{uuid.uuid4()}/verify", headers=CLERK)
        assert r.status_code == 404

    async def test_unknown_field_is_422(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/verify",
            json={"note": "x", "state": "approved"},
            headers=CLERK,
        )
        assert r.status_code == 422
        assert "state" in r.json()["detail"]

    async def test_true_is_not_an_amount(self, subsidies, feed):
        # Pydantic read true as an expected amount of 1 fen.
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/verify",
            json={"expected_amount_fen": True},
            headers=CLERK,
        )
        assert r.status_code == 422
        assert "expected_amount_fen: must be a whole number" in r.json()["detail"]
        r = await subsidies.client.get(f"{API}/applications/{app['id']}", headers=AUDITOR)
        assert r.json()["state"] == "pending_verification"


class TestReviewedAmount:
    async def test_verify_refuses_an_amount_other_than_the_one_checked(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/verify",
            headers=CLERK,
            json={"expected_amount_fen": app["amount_fen"] - 1},
        )
        assert r.status_code == 409, r.text
        assert r.json()["type"].endswith("amount-changed")
        assert r.json()["amount_fen"] == app["amount_fen"]
        r = await subsidies.client.get(f"{API}/applications/{app['id']}", headers=AUDITOR)
        assert r.json()["state"] == "pending_verification"
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/verify",
            headers=CLERK,
            json={"expected_amount_fen": app["amount_fen"]},
        )
        assert r.status_code == 200

    async def test_approve_refuses_an_amount_other_than_the_one_reviewed(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/approve",
            headers=APPROVER,
            json={"expected_amount_fen": 1},
        )
        assert r.status_code == 409, r.text
        assert r.json()["type"].endswith("amount-changed")
        r = await subsidies.client.get(f"{API}/applications/{app['id']}", headers=AUDITOR)
        assert r.json()["state"] == "verified"
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/approve",
            headers=APPROVER,
            json={"note": "ok", "expected_amount_fen": app["amount_fen"]},
        )
        assert r.status_code == 200


class TestApprove:
    async def test_approval_reserves_the_amount_and_starts_public_notice(
        self, subsidies, feed, clock
    ):
        fund, [app] = await dedicated_applications(subsidies, feed, 1, notice_days=5)
        await verify(subsidies, app["id"])
        body = await approve(subsidies, app["id"])
        assert body["state"] == "in_notice"
        assert body["approved_by"] == "user:approver-1"
        assert body["notice_ends_at"].startswith("2020-06-06T08:00:00")
        f = await get_fund(subsidies, fund["id"])
        assert (f["reserved_fen"], f["paid_fen"]) == (50_000, 0)
        assert f["available_fen"] == fund["budget_fen"] - 50_000

    async def test_no_notice_period_goes_straight_to_ready(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1, notice_days=0)
        await verify(subsidies, app["id"])
        assert (await approve(subsidies, app["id"]))["state"] == "ready_for_payment"

    async def test_approving_what_you_verified_is_refused(self, subsidies, feed):
        fund, [app] = await dedicated_applications(subsidies, feed, 1)
        same_person_as_clerk = principal("bureau_approver", "clerk-1")
        await verify(subsidies, app["id"], CLERK)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/approve", headers=same_person_as_clerk
        )
        assert r.status_code == 403
        assert r.json()["type"].endswith("maker-checker")
        assert "verified" in r.json()["detail"]
        assert (await get_app(subsidies, app["id"]))["state"] == "verified"
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    async def test_approving_what_you_created_is_refused(self, subsidies, feed):
        fund = await create_fund(subsidies)
        p = await feed.placement(kind="dedicated_post")
        await feed.month(p, "2020-02")
        await feed.barrier()
        # The program came after the month was confirmed, so no grant was made from the event.
        await create_program(subsidies, DEDICATED, fund["id"])
        maker = principal("bureau_clerk", "person-7")
        r = await subsidies.client.post(
            f"{API}/applications",
            headers=maker,
            json={
                "program_code": "dedicated-post",
                "placement_id": p["placement_id"],
                "month": "2020-02",
                "reason": "confirmation lost",
            },
        )
        assert r.status_code == 201, r.text
        app = r.json()
        assert app["created_by"] == "user:person-7" and app["manual_reason"]
        await verify(subsidies, app["id"], CLERK)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/approve",
            headers=principal("bureau_approver", "person-7"),
        )
        assert r.status_code == 403
        assert "created" in r.json()["detail"]

    async def test_database_refuses_approver_equal_to_verifier(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        async with subsidies.sessionmaker() as s:
            with pytest.raises(IntegrityError):
                await s.execute(
                    text(
                        "UPDATE applications SET approved_by = verified_by, "
                        "state = 'in_notice' WHERE id = :id"
                    ),
                    {"id": app["id"]},
                )
            await s.rollback()
            with pytest.raises(IntegrityError):
                await s.execute(
                    text("UPDATE applications SET approved_by = created_by WHERE id = :id"),
                    {"id": app["id"]},
                )

    async def test_approving_twice_is_refused(self, subsidies, feed):
        fund, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"], APPROVER)
        for who in (APPROVER, APPROVER2):
            r = await subsidies.client.post(f"{API}/applications/{app['id']}/approve", headers=who)
            assert r.status_code == 409
            assert "already approved" in r.json()["detail"]
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 50_000

    async def test_approving_an_unverified_application_is_refused(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(f"{API}/applications/{app['id']}/approve", headers=APPROVER)
        assert r.status_code == 409
        assert "pending_verification" in r.json()["detail"]

    async def test_approving_beyond_the_fund_is_refused(self, subsidies, feed):
        fund, [app] = await dedicated_applications(subsidies, feed, 1, fund_budget=49_999)
        await verify(subsidies, app["id"])
        r = await subsidies.client.post(f"{API}/applications/{app['id']}/approve", headers=APPROVER)
        assert r.status_code == 409
        assert r.json()["type"].endswith("fund-exhausted")
        assert r.json()["available_fen"] == 49_999
        assert (await get_app(subsidies, app["id"]))["state"] == "verified"
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    @pytest.mark.parametrize(
        "headers", [CLERK, PARTNER, STORE, AUDITOR, principal("admin", "admin-9")]
    )
    async def test_only_approvers_approve(self, subsidies, feed, headers):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        r = await subsidies.client.post(f"{API}/applications/{app['id']}/approve", headers=headers)
        assert r.status_code == 403

    async def test_replayed_idempotency_key_returns_the_first_response(self, subsidies, feed):
        fund, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        headers = APPROVER | {"Idempotency-Key": "approve-1"}
        first = await subsidies.client.post(
            f"{API}/applications/{app['id']}/approve", headers=headers
        )
        again = await subsidies.client.post(
            f"{API}/applications/{app['id']}/approve", headers=headers
        )
        assert first.status_code == again.status_code == 200
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == first.json()
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 50_000


class TestReject:
    async def test_rejection_at_approval_step_keeps_the_reason(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/reject",
            json={"reason": "wage slip missing"},
            headers=APPROVER,
        )
        assert r.status_code == 200
        assert r.json()["state"] == "rejected"
        assert r.json()["decision_reason"] == "wage slip missing"

    async def test_rejection_during_notice_releases_the_reservation(self, subsidies, feed):
        fund, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/reject",
            json={"reason": "fraud found"},
            headers=APPROVER2,
        )
        assert r.status_code == 200
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    async def test_reason_is_required(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/reject", json={}, headers=CLERK
        )
        assert r.status_code == 422
        assert "reason" in r.json()["detail"]

    async def test_nul_byte_in_reason_is_4xx_and_nothing_changes(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/reject", json={"reason": "a\x00b"}, headers=CLERK
        )
        assert 400 <= r.status_code < 500
        assert (await get_app(subsidies, app["id"]))["state"] == "pending_verification"

    async def test_rejecting_a_rejected_application_is_refused(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        body = {"reason": "no"}
        await subsidies.client.post(
            f"{API}/applications/{app['id']}/reject", json=body, headers=CLERK
        )
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/reject", json=body, headers=CLERK
        )
        assert r.status_code == 409


class TestCancel:
    async def test_cancelling_a_ready_application_releases_the_money(self, subsidies, feed):
        fund, [app] = await dedicated_applications(subsidies, feed, 1, notice_days=0)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/cancel",
            json={"reason": "worker moved away"},
            headers=APPROVER,
        )
        assert r.status_code == 200
        assert r.json()["state"] == "cancelled"
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    async def test_cancelling_twice_is_refused(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        body = {"reason": "duplicate"}
        await subsidies.client.post(
            f"{API}/applications/{app['id']}/cancel", json=body, headers=CLERK
        )
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/cancel", json=body, headers=CLERK
        )
        assert r.status_code == 409


class TestPublicNotice:
    async def test_notice_ends_then_ready_for_payment(self, subsidies, feed, clock):
        _, [app] = await dedicated_applications(subsidies, feed, 1, notice_days=5)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        clock.now += timedelta(days=4, hours=23)
        r = await subsidies.client.post(f"{API}/notices/close-ended", headers=CLERK)
        assert r.json() == {"moved_to_ready": 0}
        assert (await get_app(subsidies, app["id"]))["state"] == "in_notice"
        clock.now += timedelta(hours=1)
        r = await subsidies.client.post(f"{API}/notices/close-ended", headers=CLERK)
        assert r.json() == {"moved_to_ready": 1}
        assert (await get_app(subsidies, app["id"]))["state"] == "ready_for_payment"

    async def test_objection_sends_it_back_to_verification(self, subsidies, feed, clock):
        fund, [app] = await dedicated_applications(subsidies, feed, 1)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        clock.now += timedelta(days=2)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/objections",
            json={"text": "She left the post in March."},
            headers=CLERK2,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["state"] == "pending_verification"
        assert [o["text"] for o in body["objections"]] == ["She left the post in March."]
        assert body["verified_by"] is None and body["approved_by"] is None
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0
        # Back through both reviews; the earlier approver may approve the re-verified one.
        await verify(subsidies, app["id"], CLERK)
        assert (await approve(subsidies, app["id"], APPROVER))["state"] == "in_notice"

    async def test_objection_outside_notice_is_refused(self, subsidies, feed, clock):
        _, [app] = await dedicated_applications(subsidies, feed, 1)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/objections", json={"text": "x"}, headers=CLERK
        )
        assert r.status_code == 409
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        clock.now += timedelta(days=6)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/objections", json={"text": "too late"}, headers=CLERK
        )
        assert r.status_code == 409


class TestBulkVerify:
    async def test_each_is_checked_on_its_own(self, subsidies, feed):
        _, apps = await dedicated_applications(subsidies, feed, 3)
        a, b, c = (x["id"] for x in apps)
        await subsidies.client.post(
            f"{API}/applications/{c}/reject", json={"reason": "no"}, headers=CLERK
        )
        missing = str(uuid.uuid4())
        r = await subsidies.client.post(
            f"{API}/applications/bulk-verify",
            headers=CLERK,
            json={"application_ids": [a, b, c, missing]},
        )
        assert r.status_code == 200
        body = r.json()
        assert (body["succeeded"], body["failed"]) == (2, 2)
        outcome = {x["application_id"]: x for x in body["results"]}
        assert outcome[a]["ok"] and outcome[a]["state"] == "verified"
        assert outcome[c]["status"] == 409 and "rejected" in outcome[c]["detail"]
        assert outcome[missing]["status"] == 404
        assert (await get_app(subsidies, c))["state"] == "rejected"

    async def test_empty_list_is_422(self, subsidies):
        r = await subsidies.client.post(
            f"{API}/applications/bulk-verify", headers=CLERK, json={"application_ids": []}
        )
        assert r.status_code == 422


class TestBulkApprove:
    async def test_fund_covers_some_refusals_leave_the_rest_untouched(self, subsidies, feed):
        fund, apps = await dedicated_applications(subsidies, feed, 4, fund_budget=120_000)
        ids = [x["id"] for x in apps]
        r = await subsidies.client.post(
            f"{API}/applications/bulk-verify", headers=CLERK, json={"application_ids": ids}
        )
        assert r.json()["succeeded"] == 4
        r = await subsidies.client.post(
            f"{API}/applications/bulk-approve", headers=APPROVER, json={"application_ids": ids}
        )
        assert r.status_code == 200
        body = r.json()
        assert (body["succeeded"], body["failed"]) == (2, 2)
        refused = [x for x in body["results"] if not x["ok"]]
        assert {x["status"] for x in refused} == {409}
        for x in refused:
            assert (await get_app(subsidies, x["application_id"]))["state"] == "verified"
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 100_000
        r = await subsidies.client.get(f"{API}/audit/verify", headers=AUDITOR)
        assert r.json()["ok"] is True  # refused items left no trace in the chain

    async def test_own_verified_item_is_refused_others_approved(self, subsidies, feed):
        _, apps = await dedicated_applications(subsidies, feed, 2)
        a, b = (x["id"] for x in apps)
        await verify(subsidies, a, principal("bureau_clerk", "dual"))
        await verify(subsidies, b, CLERK)
        r = await subsidies.client.post(
            f"{API}/applications/bulk-approve",
            headers=principal("bureau_approver", "dual"),
            json={"application_ids": [a, b]},
        )
        outcome = {x["application_id"]: x for x in r.json()["results"]}
        assert outcome[a]["status"] == 403 and not outcome[a]["ok"]
        assert outcome[b]["ok"]


class TestCreateApplicationByHand:
    async def test_unknown_placement_is_422(self, subsidies):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        r = await subsidies.client.post(
            f"{API}/applications",
            headers=CLERK,
            json={
                "program_code": "dedicated-post",
                "placement_id": str(uuid.uuid4()),
                "month": "2020-02",
                "reason": "lost",
            },
        )
        assert r.status_code == 422
        assert "placement" in r.json()["detail"]

    async def test_duplicate_of_an_automatic_grant_is_refused(self, subsidies, feed):
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post")
        await feed.month(p, "2020-02")
        await feed.barrier()
        r = await subsidies.client.post(
            f"{API}/applications",
            headers=CLERK,
            json={
                "program_code": "dedicated-post",
                "placement_id": p["placement_id"],
                "month": "2020-02",
                "reason": "again",
            },
        )
        assert r.status_code == 409
        assert "already" in r.json()["detail"]

    async def _manual(self, subsidies, placement_id: str, month: str):  # type: ignore[no-untyped-def]
        return await subsidies.client.post(
            f"{API}/applications",
            headers=CLERK,
            json={
                "program_code": "dedicated-post",
                "placement_id": placement_id,
                "month": month,
                "reason": "x",
            },
        )

    @pytest.mark.parametrize("month", ["9999-12", "2099-01", "2026-12", "2026-11"])
    async def test_month_not_confirmed_worked_is_not_eligible(self, subsidies, feed, month):
        """Issue 8, item 3: a clerk could create (and so have paid) a grant for any month."""
        fund = await create_fund(subsidies)
        await create_program(subsidies, DEDICATED, fund["id"])
        p = await feed.placement(kind="dedicated_post", start="2026-10-01")
        october = await feed.month(p, "2026-10")
        # November was confirmed and then corrected to no wage; the placement ended in November.
        november = await feed.month(p, "2026-11")
        await feed.month(p, "2026-11", wage=0, supersedes=november["confirmation_id"])
        await feed.ended(p, "2026-11-30")
        await feed.barrier()
        before = await applications(subsidies, program_code="dedicated-post")
        assert {(a["month"], a["state"]) for a in before} == {
            (october["month"], "pending_verification"),
            ("2026-11", "cancelled"),
        }
        r = await self._manual(subsidies, p["placement_id"], month)
        assert r.status_code == 409, r.text
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["type"].endswith("not-eligible")
        detail = r.json()["detail"]
        assert month in detail and "confirm" in detail
        assert len(await applications(subsidies, program_code="dedicated-post")) == len(before)
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    async def test_month_breaking_the_programs_run_is_not_eligible(self, subsidies, feed):
        fund = await create_fund(subsidies)
        p = await feed.placement(kind="dedicated_post")
        await feed.months(p, "2020-02", "2020-04")
        await feed.barrier()
        await create_program(subsidies, DEDICATED, fund["id"], required_months=2)
        r = await self._manual(subsidies, p["placement_id"], "2020-04")
        assert r.status_code == 409, r.text
        assert "2 consecutive months" in r.json()["detail"]

    async def test_confirmed_month_the_events_did_not_grant_is_accepted(self, subsidies, feed):
        fund = await create_fund(subsidies)
        p = await feed.placement(kind="dedicated_post")
        await feed.month(p, "2020-02")
        await feed.barrier()
        await create_program(subsidies, DEDICATED, fund["id"])
        r = await self._manual(subsidies, p["placement_id"], "2020-02")
        assert r.status_code == 201, r.text
        assert (r.json()["month"], r.json()["amount_fen"]) == ("2020-02", 50_000)

    async def test_mass_assignment_is_422(self, subsidies):
        r = await subsidies.client.post(
            f"{API}/applications",
            headers=CLERK,
            json={
                "program_code": "dedicated-post",
                "placement_id": str(uuid.uuid4()),
                "month": "2020-02",
                "reason": "x",
                "amount_fen": 99999999,
                "approved_by": "me",
            },
        )
        assert r.status_code == 422

    async def test_partner_key_is_403(self, subsidies):
        r = await subsidies.client.post(
            f"{API}/applications",
            headers=PARTNER,
            json={
                "program_code": "dedicated-post",
                "placement_id": str(uuid.uuid4()),
                "month": "2020-02",
                "reason": "x",
            },
        )
        assert r.status_code == 403
