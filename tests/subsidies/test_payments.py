"""Payees, payment batches, the bank payment file and reconciliation with the bank's results."""

import uuid

import pytest
from sqlalchemy import select, text

from services.subsidies.models import Payee
from tests.subsidies.factories import (
    ACCOUNT,
    API,
    APPROVER,
    AUDITOR,
    CLERK,
    HEADER,
    OTHER_ACCOUNT,
    PARTNER,
    STORE,
    approve,
    dedicated_applications,
    export,
    get_app,
    get_fund,
    make_batch,
    ready_applications,
    register_payee,
    send_results,
    verify,
)


class TestRegisterPayee:
    async def test_account_is_stored_encrypted_and_shown_masked(self, subsidies):
        worker = str(uuid.uuid4())
        payee = await register_payee(subsidies, worker, account="6222 0202 0011 2233 445")
        assert payee["account_number"] == "*" * 15 + "3445"
        assert payee["holder_name"] == "王**"
        assert ACCOUNT not in str(payee)
        async with subsidies.sessionmaker() as s:
            row = await s.scalar(select(Payee).where(Payee.id == uuid.UUID(payee["id"])))
        assert ACCOUNT not in " ".join(str(v) for v in row.model_dump().values())
        r = await subsidies.client.get(f"{API}/payees/{payee['id']}", headers=AUDITOR)
        assert r.json()["account_number"].endswith("3445") and ACCOUNT not in r.text

    async def test_registering_again_replaces_the_account(self, subsidies):
        worker = str(uuid.uuid4())
        first = await register_payee(subsidies, worker)
        second = await register_payee(subsidies, worker, account=OTHER_ACCOUNT)
        r = await subsidies.client.get(
            f"{API}/payees", headers=AUDITOR, params={"beneficiary_id": worker}
        )
        active = {p["id"]: p["active"] for p in r.json()["items"]}
        assert active == {first["id"]: False, second["id"]: True}

    async def test_invalid_account_is_422_without_echoing_it(self, subsidies):
        r = await subsidies.client.post(
            f"{API}/payees",
            headers=CLERK,
            json={
                "beneficiary_kind": "worker",
                "beneficiary_id": str(uuid.uuid4()),
                "holder_name": "x",
                "account_number": "12345abc",
                "bank_name": "b",
            },
        )
        assert r.status_code == 422
        assert "12345abc" not in r.text

    @pytest.mark.parametrize("headers", [PARTNER, STORE, AUDITOR])
    async def test_other_roles_may_not_register(self, subsidies, headers):
        r = await subsidies.client.post(
            f"{API}/payees",
            headers=headers,
            json={
                "beneficiary_kind": "worker",
                "beneficiary_id": str(uuid.uuid4()),
                "holder_name": "x",
                "account_number": ACCOUNT,
                "bank_name": "b",
            },
        )
        assert r.status_code == 403


class TestCreateBatch:
    async def test_takes_every_ready_application(self, subsidies, feed):
        _, apps = await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        assert batch["state"] == "draft"
        assert batch["line_count"] == 2 and batch["total_fen"] == 100_000
        assert {line["application_id"] for line in batch["lines"]} == {a["id"] for a in apps}
        assert all(line["account_number"].endswith("3445") for line in batch["lines"])
        for app in apps:
            assert (await get_app(subsidies, app["id"]))["state"] == "in_batch"

    async def test_nothing_ready_is_an_empty_batch_422(self, subsidies):
        r = await subsidies.client.post(f"{API}/batches", headers=CLERK, json={})
        assert r.status_code == 422
        assert r.json()["type"].endswith("empty-batch")

    async def test_unpayable_applications_refuse_the_whole_batch(self, subsidies, feed):
        _, apps = await dedicated_applications(subsidies, feed, 2, notice_days=0)
        ready, pending = apps
        await verify(subsidies, ready["id"])
        await approve(subsidies, ready["id"])  # ready, but no payee registered
        r = await subsidies.client.post(
            f"{API}/batches", headers=CLERK, json={"application_ids": [ready["id"], pending["id"]]}
        )
        assert r.status_code == 422
        problems = {p["application_id"]: p["problem"] for p in r.json()["problems"]}
        assert "no bank account" in problems[ready["id"]]
        assert "pending_verification" in problems[pending["id"]]
        assert (await get_app(subsidies, ready["id"]))["state"] == "ready_for_payment"

    async def test_application_in_notice_is_not_payable_until_notice_ends(
        self, subsidies, feed, clock
    ):
        from datetime import timedelta

        _, [app] = await dedicated_applications(subsidies, feed, 1, notice_days=5)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        await register_payee(subsidies, app["beneficiary_id"])
        r = await subsidies.client.post(
            f"{API}/batches", headers=CLERK, json={"application_ids": [app["id"]]}
        )
        assert r.status_code == 422
        assert "notice ends" in r.json()["problems"][0]["problem"]
        clock.now += timedelta(days=5)
        batch = await make_batch(subsidies, [app["id"]])  # the notice is closed on the way
        assert batch["line_count"] == 1


class TestCreateBatchIdempotency:
    async def test_replayed_key_returns_the_same_batch(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        headers = CLERK | {"Idempotency-Key": "batch-2020-03"}
        first = await subsidies.client.post(f"{API}/batches", headers=headers, json={})
        again = await subsidies.client.post(f"{API}/batches", headers=headers, json={})
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        r = await subsidies.client.get(f"{API}/batches", headers=AUDITOR)
        assert len(r.json()["items"]) == 1


class TestExportBatch:
    async def test_export_has_clear_accounts_and_freezes_the_batch(self, subsidies, feed):
        _, apps = await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        rows = await export(subsidies, batch["id"])
        assert [r["line_id"] for r in rows] == [line["id"] for line in batch["lines"]]
        assert {r["account_number"] for r in rows} == {ACCOUNT}
        assert {r["payee_name"] for r in rows} == {"王小梅"}
        assert {r["amount_fen"] for r in rows} == {"50000"}
        assert {r["currency"] for r in rows} == {"CNY"}
        assert {r["reference"] for r in rows} == {f"SUB-{a['id']}" for a in apps}
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        assert r.json()["state"] == "exported" and r.json()["exported_by"] == "user:clerk-1"
        assert ACCOUNT not in r.text

    async def test_exporting_twice_is_refused(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        await export(subsidies, batch["id"])
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        assert r.status_code == 409
        assert "already exported" in r.json()["detail"]

    async def test_exporting_a_batch_without_lines_is_refused(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        async with subsidies.sessionmaker() as s, s.begin():  # emptied behind the API's back
            await s.execute(text("DELETE FROM batch_lines WHERE batch_id = :b"), {"b": batch["id"]})
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        assert r.status_code == 422
        assert r.json()["type"].endswith("empty-batch")
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        assert r.json()["state"] == "draft"

    async def test_unknown_batch_is_404(self, subsidies):
        r = await subsidies.client.post(f"{API}/batches/{uuid.uuid4()}/export", headers=CLERK)
        assert r.status_code == 404

    async def test_partner_key_is_403(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=PARTNER)
        assert r.status_code == 403


class TestImportResults:
    async def test_round_trip_paid_and_failed(self, subsidies, feed):
        fund, _ = await ready_applications(subsidies, feed, 3)
        batch = await make_batch(subsidies)
        rows = await export(subsidies, batch["id"])
        ok1, ok2, bad = rows
        body = (
            HEADER + f"{ok1['line_id']},paid,50000,BANK-001,\r\n"
            f"{ok2['line_id']},paid,50000,BANK-002,\r\n"
            f"{bad['line_id']},failed,50000,,account closed\r\n"
        )
        r = await send_results(subsidies, batch["id"], body)
        assert r.status_code == 200, r.text
        assert r.json() | {"batch_id": None} == {
            "batch_id": None,
            "state": "reconciled",
            "paid": 2,
            "failed": 1,
            "unchanged": 0,
            "pending": 0,
        }
        by_ref = {row["line_id"]: row["reference"][4:] for row in rows}
        assert (await get_app(subsidies, by_ref[ok1["line_id"]]))["state"] == "paid"
        assert (await get_app(subsidies, by_ref[bad["line_id"]]))["state"] == "failed"
        f = await get_fund(subsidies, fund["id"])
        assert (f["paid_fen"], f["reserved_fen"]) == (100_000, 50_000)
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        lines = {line["id"]: line for line in r.json()["lines"]}
        assert lines[ok1["line_id"]]["bank_reference"] == "BANK-001"
        assert lines[bad["line_id"]]["failure_reason"] == "account closed"

        # Importing the same file again changes nothing.
        r = await send_results(subsidies, batch["id"], body)
        assert r.status_code == 200
        assert (r.json()["paid"], r.json()["failed"], r.json()["unchanged"]) == (0, 0, 3)
        assert await get_fund(subsidies, fund["id"]) == f

    async def test_partial_file_leaves_other_lines_pending(self, subsidies, feed):
        await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        first, _ = await export(subsidies, batch["id"])
        r = await send_results(
            subsidies, batch["id"], HEADER + f"{first['line_id']},paid,50000,B1,\r\n"
        )
        assert r.json()["state"] == "exported" and r.json()["pending"] == 1

    async def test_malformed_file_is_refused_with_line_numbers_and_nothing_applied(
        self, subsidies, feed
    ):
        fund, _ = await ready_applications(subsidies, feed, 3)
        batch = await make_batch(subsidies)
        a, b, c = await export(subsidies, batch["id"])
        body = (
            HEADER + f"{a['line_id']},paid,50000,B1,\r\n"  # line 2: fine
            f"{uuid.uuid4()},paid,50000,B2,\r\n"  # 3: unknown line
            f"{b['line_id']},paid,49999,B3,\r\n"  # 4: amount differs
            f"{a['line_id']},paid,50000,B1,\r\n"  # 5: duplicate
            f"{c['line_id']},refunded,50000,B4,\r\n"  # 6: bad status
            "not-a-uuid,paid,1,B5,\r\n"
        )  # 7: bad id
        r = await send_results(subsidies, batch["id"], body)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert [p["line"] for p in r.json()["problems"]] == [3, 4, 5, 6, 7]
        assert "49999" not in r.json()["problems"][1]["problem"]
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        assert {line["status"] for line in r.json()["lines"]} == {"pending"}
        assert (await get_fund(subsidies, fund["id"]))["paid_fen"] == 0

    @pytest.mark.parametrize("body", ["", "a,b,c\r\n", HEADER, "\x00\x01\x02", "line_id\r\n"])
    async def test_not_a_result_file_is_422(self, subsidies, feed, body):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        await export(subsidies, batch["id"])
        r = await send_results(subsidies, batch["id"], body)
        assert r.status_code == 422
        assert r.json()["type"].endswith("bank-file-invalid")

    async def test_result_for_an_unexported_batch_is_409(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        line = batch["lines"][0]
        r = await send_results(subsidies, batch["id"], HEADER + f"{line['id']},paid,50000,B,\r\n")
        assert r.status_code == 409

    async def test_contradicting_a_paid_line_is_409(self, subsidies, feed):
        fund, _ = await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        [row] = await export(subsidies, batch["id"])
        await send_results(subsidies, batch["id"], HEADER + f"{row['line_id']},paid,50000,B1,\r\n")
        r = await send_results(
            subsidies, batch["id"], HEADER + f"{row['line_id']},failed,50000,,bounced\r\n"
        )
        assert r.status_code == 409
        assert r.json()["problems"][0]["line"] == 2
        assert (await get_fund(subsidies, fund["id"]))["paid_fen"] == 50_000


class TestFailedPayments:
    async def _failed(self, subsidies, feed):  # type: ignore[no-untyped-def]
        fund, [app] = await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        [row] = await export(subsidies, batch["id"])
        r = await send_results(
            subsidies, batch["id"], HEADER + f"{row['line_id']},failed,50000,,account closed\r\n"
        )
        assert r.status_code == 200
        return fund, app

    async def test_failed_line_goes_into_a_later_batch_after_the_payee_is_fixed(
        self, subsidies, feed
    ):
        fund, app = await self._failed(subsidies, feed)
        r = await subsidies.client.post(
            f"{API}/batches", headers=CLERK, json={"application_ids": [app["id"]]}
        )
        assert r.status_code == 422
        assert "not been corrected" in r.json()["problems"][0]["problem"]
        await register_payee(subsidies, app["beneficiary_id"], account=OTHER_ACCOUNT)
        batch = await make_batch(subsidies, [app["id"]])
        [row] = await export(subsidies, batch["id"])
        assert row["account_number"] == OTHER_ACCOUNT
        r = await send_results(
            subsidies, batch["id"], HEADER + f"{row['line_id']},paid,50000,B9,\r\n"
        )
        assert r.json()["paid"] == 1
        f = await get_fund(subsidies, fund["id"])
        assert (f["paid_fen"], f["reserved_fen"]) == (50_000, 0)

    async def test_cancelling_a_failed_payment_releases_the_money(self, subsidies, feed):
        fund, app = await self._failed(subsidies, feed)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/cancel",
            headers=APPROVER,
            json={"reason": "worker unreachable"},
        )
        assert r.status_code == 200
        f = await get_fund(subsidies, fund["id"])
        assert (f["paid_fen"], f["reserved_fen"]) == (0, 0)

    async def test_paid_is_final(self, subsidies, feed):
        _, [app] = await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        [row] = await export(subsidies, batch["id"])
        await send_results(subsidies, batch["id"], HEADER + f"{row['line_id']},paid,50000,B1,\r\n")
        for action in ("cancel", "reject"):
            r = await subsidies.client.post(
                f"{API}/applications/{app['id']}/{action}", headers=APPROVER, json={"reason": "try"}
            )
            assert r.status_code == 409
        assert (await get_app(subsidies, app["id"]))["state"] == "paid"
