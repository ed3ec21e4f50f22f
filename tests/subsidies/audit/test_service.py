"""RELIABILITY #28 and #30: the audit trail is append-only for the service's database role, and
its keyed hash chain, checked against heads anchored outside the database, exposes an edit, a
forged entry, a recomputed chain or a removed tail made behind the service's back."""

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.subsidies.audit import service as audit
from services.subsidies.config import SubsidiesSettings
from tests.subsidies.factories import (
    API,
    APPROVER,
    AUDITOR,
    CLERK,
    PARTNER,
    JobsFeed,
    approve,
    dedicated_applications,
    make_batch,
    ready_applications,
    verify,
)
from tests.support.apps import TEST_AUDIT_KEY, running_service
from tests.support.infra import TEST_NATS_PASSWORDS, wait_until

ROOT = Path(__file__).resolve().parents[3]


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
    settings = svc.runtime.settings
    env = (
        os.environ
        | {
            "SUBSIDIES_DATABASE_URL": database_url,
            "SUBSIDIES_AUDIT_KEY": TEST_AUDIT_KEY,
            "EW_NATS_URL": settings.nats_url,
            # As operators run it: the ops user, which may only read and write the anchors.
            "EW_NATS_USER": "ops",
            "EW_NATS_PASSWORD": TEST_NATS_PASSWORDS["ops"],
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


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[AsyncConnection]:
    """A connection of its own (as the superuser or the owner, not the service), committed."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            yield conn
    finally:
        await engine.dispose()


async def chain(url: str) -> list[dict[str, Any]]:
    async with connected(url) as conn:
        rows = await conn.execute(text("SELECT * FROM audit_entries ORDER BY seq"))
        return [dict(r) for r in rows.mappings()]


async def anchors_of(js, namespace: str) -> list[audit.Anchor]:  # type: ignore[no-untyped-def]
    return await audit.read_anchors(await audit.anchor_store(js, namespace, create=False))


async def verification(svc) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = await svc.client.get(f"{API}/audit/verify", headers=AUDITOR)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def rehash(entry: dict[str, Any], prev_hash: str, key: bytes | None) -> str:
    return audit.entry_hash(
        key=key,
        entry_id=entry["entry_id"],
        entity_type=entry["entity_type"],
        entity_id=entry["entity_id"],
        action=entry["action"],
        from_state=entry["from_state"],
        to_state=entry["to_state"],
        actor=entry["actor"],
        reason=entry["reason"],
        at=entry["at"],
        prev_hash=prev_hash,
    )


class TestServiceRole:
    """The service connects as a role that owns nothing: the audit table is append-only for it,
    and it cannot switch the protection off."""

    @pytest.mark.parametrize(
        ("statement", "refusal"),
        [
            ("UPDATE audit_entries SET reason = 'nothing happened'", "permission denied"),
            ("DELETE FROM audit_entries", "permission denied"),
            ("TRUNCATE audit_entries", "permission denied"),
            (
                "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only",
                "must be owner",
            ),
            ("ALTER TABLE audit_entries DISABLE TRIGGER ALL", "must be owner"),
            ("SET session_replication_role = replica", "permission denied"),
            ("UPDATE alembic_version SET version_num = 'x'", "permission denied"),
        ],
    )
    async def test_service_role_is_refused(self, subsidies, feed, statement, refusal):
        await reviewed_application(subsidies, feed)
        async with subsidies.sessionmaker() as s:
            with pytest.raises(DBAPIError, match=refusal):
                await s.execute(text(statement))
        body = await verification(subsidies)
        assert body["ok"] is True and body["entries_checked"] >= 6

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_entries SET reason = 'nothing happened'",
            "DELETE FROM audit_entries",
            "TRUNCATE audit_entries",
        ],
    )
    async def test_trigger_refuses_even_the_owner(self, subsidies, feed, databases, statement):
        await reviewed_application(subsidies, feed)
        with pytest.raises(DBAPIError, match=r"append-only: (UPDATE|DELETE|TRUNCATE) refused"):
            async with connected(databases.owner_url("subsidies")) as conn:
                await conn.execute(text(statement))
        assert (await verification(subsidies))["ok"] is True


class TestVerifyChain:
    async def test_intact_chain_verifies(self, subsidies, feed, databases):
        await reviewed_application(subsidies, feed)
        body = await verification(subsidies)
        assert body["ok"] is True and body["first_broken_seq"] is None
        assert body["entries_checked"] >= 6  # fund, program, created, verified, approved, …
        code, report = await run_cli(databases.url("subsidies"), subsidies)
        assert code == 0 and report["ok"] is True

    async def _tamper(self, databases, statement: str, **params: Any) -> None:  # type: ignore[no-untyped-def]
        # As a database superuser with the triggers off: what someone with full access to the
        # database, but not to the audit key or NATS, can do.
        async with connected(databases.superuser_url("subsidies")) as conn:
            await conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            await conn.execute(text(statement), params)
            await conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))

    async def test_edit_made_directly_in_the_database_is_detected(self, subsidies, feed, databases):
        app = await reviewed_application(subsidies, feed)
        rejected = (await audit_of(subsidies, app["id"]))[-1]
        await self._tamper(
            databases,
            "UPDATE audit_entries SET actor = 'user:nobody' WHERE seq = :seq",
            seq=rejected["seq"],
        )
        body = await verification(subsidies)
        assert body["ok"] is False
        assert body["first_broken_seq"] == rejected["seq"]
        assert "edited" in body["problem"]
        code, report = await run_cli(databases.url("subsidies"), subsidies)
        assert code == 1 and report["first_broken_seq"] == rejected["seq"]

    async def test_removed_entry_is_detected(self, subsidies, feed, databases):
        app = await reviewed_application(subsidies, feed)
        verified, approved = (await audit_of(subsidies, app["id"]))[1:3]
        await self._tamper(
            databases, "DELETE FROM audit_entries WHERE seq = :seq", seq=verified["seq"]
        )
        body = await verification(subsidies)
        assert body["ok"] is False
        assert body["first_broken_seq"] == approved["seq"]

    async def test_tail_removed_after_an_export_is_detected(
        self, subsidies, feed, databases, js, namespace
    ):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        r = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        assert r.status_code == 200, r.text
        entries = await chain(databases.superuser_url("subsidies"))
        head = entries[-1]
        assert head["action"] == "batch.exported"
        # The export anchored the head outside the database once it had committed.
        anchors = await wait_until(
            lambda: _anchored(js, namespace, head["seq"]), what="the export's anchor"
        )
        assert anchors[-1].hash == head["hash"]
        assert r.text.endswith(f"# audit-head seq={head['seq']} hash={head['hash']}\r\n")

        await self._tamper(
            databases, "DELETE FROM audit_entries WHERE seq > :seq", seq=head["seq"] - 3
        )
        body = await verification(subsidies)
        assert body["ok"] is False
        assert body["first_broken_seq"] == head["seq"] - 2
        assert "removed from the end" in body["problem"]
        code, report = await run_cli(databases.url("subsidies"), subsidies)
        assert code == 1 and "removed from the end" in report["problem"]

    @pytest.mark.parametrize("guess", [None, b"dev-audit-key-change-me-0123456789abcdef"])
    async def test_chain_recomputed_without_the_key_is_detected(
        self, subsidies, feed, databases, guess
    ):
        await reviewed_application(subsidies, feed)
        entries = await chain(databases.superuser_url("subsidies"))
        middle = len(entries) // 2
        entries[middle]["actor"] = "user:nobody"
        prev = entries[middle]["prev_hash"]
        for e in entries[middle:]:
            e["prev_hash"], e["hash"] = prev, rehash(e, prev, guess)
            prev = e["hash"]
            await self._tamper(
                databases,
                "UPDATE audit_entries SET actor = :actor, prev_hash = :prev, hash = :hash "
                "WHERE seq = :seq",
                actor=e["actor"],
                prev=e["prev_hash"],
                hash=e["hash"],
                seq=e["seq"],
            )
        body = await verification(subsidies)
        assert body["ok"] is False
        assert body["first_broken_seq"] == entries[middle]["seq"]
        assert "keyed hash" in body["problem"]
        code, report = await run_cli(databases.url("subsidies"), subsidies)
        assert code == 1 and report["first_broken_seq"] == entries[middle]["seq"]

    async def test_entry_forged_by_the_service_role_is_detected(self, subsidies, feed, databases):
        # Triggers on, with the service's own credentials: INSERT is what the role may do.
        app = await reviewed_application(subsidies, feed)
        last = (await chain(databases.superuser_url("subsidies")))[-1]
        forged: dict[str, Any] = {
            "entry_id": uuid.uuid4(),
            "entity_type": "application",
            "entity_id": uuid.UUID(app["id"]),
            "action": "approved",
            "from_state": "verified",
            "to_state": "in_notice",
            "actor": "user:approver-1",
            "reason": None,
            "at": datetime.now(UTC),
        }
        forged["hash"] = rehash(forged, last["hash"], None)
        async with subsidies.sessionmaker() as s, s.begin():
            await s.execute(
                text(
                    "INSERT INTO audit_entries (entry_id, entity_type, entity_id, action, "
                    "from_state, to_state, actor, reason, at, prev_hash, hash) VALUES (:entry_id, "
                    ":entity_type, :entity_id, :action, :from_state, :to_state, :actor, :reason, "
                    ":at, :prev_hash, :hash)"
                ),
                forged | {"prev_hash": last["hash"]},
            )
        body = await verification(subsidies)
        assert body["ok"] is False
        assert body["first_broken_seq"] == last["seq"] + 1
        assert "keyed hash" in body["problem"]
        code, report = await run_cli(databases.url("subsidies"), subsidies)
        assert code == 1 and report["first_broken_seq"] == last["seq"] + 1

    async def test_unreadable_anchors_are_not_a_pass(self, subsidies, feed, databases):
        await reviewed_application(subsidies, feed)
        code, report = await run_cli(
            databases.url("subsidies"), subsidies, EW_NATS_URL="nats://127.0.0.1:9"
        )
        assert code == 1 and report["ok"] is False
        assert "anchors" in report["problem"] and "could not be read" in report["problem"]


async def _anchored(js, namespace: str, seq: int) -> list[audit.Anchor] | None:  # type: ignore[no-untyped-def]
    try:
        anchors = await anchors_of(js, namespace)
    except Exception:  # the bucket is made when the service's messaging is up
        return None
    return anchors if anchors and anchors[-1].seq >= seq else None


class TestAnchors:
    async def test_head_is_anchored_periodically(self, settings_for, js, namespace, databases):
        settings = settings_for("subsidies", audit_anchor_seconds=0.2)
        async with running_service("subsidies", settings) as svc:
            await reviewed_application(svc, JobsFeed(js, namespace, svc))
            head = (await chain(databases.superuser_url("subsidies")))[-1]
            anchors = await wait_until(
                lambda: _anchored(js, namespace, head["seq"]), what="a periodic anchor"
            )
            assert (anchors[-1].seq, anchors[-1].hash) == (head["seq"], head["hash"])
            assert (await verification(svc))["anchors_checked"] >= 1

    async def test_download_repeats_the_export_trailer(self, subsidies, feed):
        await ready_applications(subsidies, feed, 1)
        batch = await make_batch(subsidies)
        exported = await subsidies.client.post(f"{API}/batches/{batch['id']}/export", headers=CLERK)
        again = await subsidies.client.get(f"{API}/batches/{batch['id']}/file", headers=CLERK)
        assert again.text == exported.text
        assert again.text.splitlines()[-1].startswith("# audit-head seq=")


class TestAuditKey:
    def test_development_key_is_refused_outside_development(self):
        with pytest.raises(ValueError, match="SUBSIDIES_AUDIT_KEY"):
            SubsidiesSettings.model_validate(
                {"env": "production", "identity_secret": "x" * 40, "pii_key": "y" * 40},
                by_name=True,
            )
        with pytest.raises(ValueError, match="SUBSIDIES_AUDIT_KEY"):
            SubsidiesSettings.model_validate(
                {
                    "env": "test",
                    "audit_key": "short",
                    "identity_secret": "x" * 40,
                    "pii_key": "y" * 40,
                },
                by_name=True,
            )
