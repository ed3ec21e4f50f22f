"""RELIABILITY #28: the audit trail is append-only in the database and its hash chain exposes an
edit made behind the service's back."""

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.subsidies.factories import (
    API,
    APPROVER,
    AUDITOR,
    CLERK,
    PARTNER,
    approve,
    dedicated_applications,
    verify,
)
from tests.support.apps import TEST_AUDIT_KEY

ROOT = Path(__file__).resolve().parents[2]


async def audit_of(svc, entity_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await svc.client.get(f"{API}/audit", headers=AUDITOR, params={"entity_id": entity_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def reviewed_application(svc, feed) -> dict:  # type: ignore[no-untyped-def]
    _, [app] = await dedicated_applications(svc, feed, 1)
    await verify(svc, app["id"])
    await approve(svc, app["id"])
    r = await svc.client.post(
        f"{API}/applications/{app['id']}/reject",
        headers=APPROVER,
        json={"reason": "objection upheld"},
    )
    assert r.status_code == 200
    return app  # type: ignore[no-any-return]


async def run_cli(database_url: str, svc, **env_overrides: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    """``python -m services.subsidies.audit verify`` as an operator runs it, with the service's
    database, audit key, NATS and event namespace."""
    settings = svc.app.state.settings
    env = (
        os.environ
        | {
            "SUBSIDIES_DATABASE_URL": database_url,
            "SUBSIDIES_AUDIT_KEY": TEST_AUDIT_KEY,
            "EW_NATS_URL": settings.nats_url,
            "EW_EVENT_NAMESPACE": settings.event_namespace,
            "EW_LOG_JSON": "true",
        }
        | env_overrides
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.subsidies.audit",
        "verify",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert out.strip(), err.decode()[-3000:]
    return proc.returncode or 0, json.loads(out.decode().strip().splitlines()[-1])


class TestAuditTrail:
    async def test_every_transition_is_recorded_with_who_from_to_and_why(self, subsidies, feed):
        app = await reviewed_application(subsidies, feed)
        entries = await audit_of(subsidies, app["id"])
        assert [(e["action"], e["from_state"], e["to_state"], e["actor"]) for e in entries] == [
            ("created", None, "pending_verification", "system:eligibility"),
            ("verified", "pending_verification", "verified", "user:clerk-1"),
            ("approved", "verified", "in_notice", "user:approver-1"),
            ("rejected", "in_notice", "rejected", "user:approver-1"),
        ]
        assert entries[-1]["reason"] == "objection upheld"
        assert all(e["at"] for e in entries)

    async def test_only_auditors_and_admins_read_it(self, subsidies):
        for headers in (CLERK, PARTNER):
            r = await subsidies.client.get(f"{API}/audit/verify", headers=headers)
            assert r.status_code == 403


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_entries SET reason = 'nothing happened'",
            "DELETE FROM audit_entries",
        ],
    )
    async def test_database_refuses_update_and_delete(self, subsidies, feed, statement):
        await reviewed_application(subsidies, feed)
        async with subsidies.sessionmaker() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text(statement))
        r = await subsidies.client.get(f"{API}/audit/verify", headers=AUDITOR)
        assert r.json()["ok"] is True


class TestTruncate:
    async def test_database_refuses_truncate_by_the_service_connection(self, subsidies, feed):
        await reviewed_application(subsidies, feed)
        async with subsidies.sessionmaker() as s:
            with pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"):
                await s.execute(text("TRUNCATE audit_entries"))
        r = await subsidies.client.get(f"{API}/audit/verify", headers=AUDITOR)
        assert r.json()["ok"] is True and r.json()["entries_checked"] >= 6


class TestVerifyChain:
    async def test_intact_chain_verifies(self, subsidies, feed, databases):
        await reviewed_application(subsidies, feed)
        r = await subsidies.client.get(f"{API}/audit/verify", headers=AUDITOR)
        assert r.status_code == 200
        body = r.json()
        assert body["ok"] is True and body["first_broken_seq"] is None
        assert body["entries_checked"] >= 6  # fund, program, created, verified, approved, …
        code, report = await run_cli(databases.url("subsidies"), subsidies)
        assert code == 0 and report["ok"] is True

    async def _tamper(self, subsidies, statement: str, seq: int) -> None:  # type: ignore[no-untyped-def]
        # With the trigger off, through the service's own connection: its role owns the table, so
        # it may disable the table's triggers. What an intruder with the service's credentials
        # could do; only the hash chain catches it.
        async with subsidies.sessionmaker() as s, s.begin():
            await s.execute(
                text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")
            )
            await s.execute(text(statement), {"seq": seq})
            await s.execute(
                text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only")
            )

    async def test_edit_made_directly_in_the_database_is_detected(self, subsidies, feed, databases):
        app = await reviewed_application(subsidies, feed)
        entries = await audit_of(subsidies, app["id"])
        rejected = entries[-1]
        await self._tamper(
            subsidies,
            "UPDATE audit_entries SET actor = 'user:nobody' WHERE seq = :seq",
            rejected["seq"],
        )
        r = await subsidies.client.get(f"{API}/audit/verify", headers=AUDITOR)
        body = r.json()
        assert body["ok"] is False
        assert body["first_broken_seq"] == rejected["seq"]
        assert "edited" in body["problem"]
        code, report = await run_cli(databases.url("subsidies"), subsidies)
        assert code == 1 and report["first_broken_seq"] == rejected["seq"]

    async def test_removed_entry_is_detected(self, subsidies, feed):
        app = await reviewed_application(subsidies, feed)
        verified, approved = (await audit_of(subsidies, app["id"]))[1:3]
        await self._tamper(subsidies, "DELETE FROM audit_entries WHERE seq = :seq", verified["seq"])
        body = (await subsidies.client.get(f"{API}/audit/verify", headers=AUDITOR)).json()
        assert body["ok"] is False
        assert body["first_broken_seq"] == approved["seq"]
