"""What the subsidies service publishes on JetStream: the contract of events.py, and no
personal data."""

import json

import nats.errors
from nats.js import JetStreamContext
from sqlalchemy import text

from services.subsidies import events as contract
from shared.events import Envelope, Event
from tests.subsidies.factories import (
    ACCOUNT,
    API,
    APPROVER,
    CLERK,
    HEADER,
    approve,
    dedicated_applications,
    export,
    make_batch,
    register_payee,
    verify,
)
from tests.support.infra import wait_until

CONTRACT: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in vars(contract).values()
    if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event
}


async def published(js: JetStreamContext, namespace: str) -> list[tuple[str, bytes]]:
    sub = await js.pull_subscribe(
        f"{namespace}.subsidies.>", stream=f"{namespace.upper()}_SUBSIDIES"
    )
    out = []
    while True:
        try:
            msgs = await sub.fetch(100, timeout=0.5)
        except (TimeoutError, nats.errors.TimeoutError):
            break
        for m in msgs:
            out.append((m.subject.removeprefix(f"{namespace}."), m.data))
            await m.ack()
    await sub.unsubscribe()
    return out


class TestPublishedEvents:
    async def test_life_cycle_events_follow_the_contract_without_personal_data(
        self, subsidies, feed, js, namespace
    ):
        _, apps = await dedicated_applications(subsidies, feed, 3, notice_days=0)
        paid, failed, rejected = apps
        for app in (paid, failed):
            await verify(subsidies, app["id"])
            await approve(subsidies, app["id"])
            await register_payee(subsidies, app["beneficiary_id"], name="王小梅")
        r = await subsidies.client.post(
            f"{API}/applications/{rejected['id']}/reject",
            headers=APPROVER,
            json={"reason": "absent from post"},
        )
        assert r.status_code == 200
        batch = await make_batch(subsidies)
        rows = {row["reference"][4:]: row for row in await export(subsidies, batch["id"])}
        body = (
            HEADER + f"{rows[paid['id']]['line_id']},paid,50000,B1,\r\n"
            f"{rows[failed['id']]['line_id']},failed,50000,,account closed\r\n"
        )
        r = await subsidies.client.post(
            f"{API}/batches/{batch['id']}/results", headers=CLERK, content=body.encode()
        )
        assert r.status_code == 200

        expected = (
            ["subsidies.application.created"] * 3
            + ["subsidies.application.approved"] * 2
            + [
                "subsidies.application.rejected",
                "subsidies.batch.exported",
                "subsidies.application.paid",
                "subsidies.application.failed",
                "subsidies.batch.reconciled",
            ]
        )

        async def all_there() -> list[tuple[str, bytes]] | None:
            async with subsidies.sessionmaker() as s:
                pending = await s.scalar(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                )
            return None if pending else await published(js, namespace)

        events = await wait_until(all_there, timeout=20, what="outbox relayed")
        assert sorted(subject for subject, _ in events) == sorted(expected)
        for subject, raw in events:
            envelope = Envelope.model_validate_json(raw)
            assert envelope.type == subject and envelope.source == "subsidies"
            CONTRACT[subject].model_validate(envelope.data)  # exactly the declared fields
            payload = raw.decode()
            for secret in (ACCOUNT, "王小梅", "absent from post", "account closed"):
                assert secret not in payload, (subject, secret)
        reconciled = next(
            json.loads(raw)["data"] for s, raw in events if s == "subsidies.batch.reconciled"
        )
        assert reconciled | {"batch_id": None} == {
            "batch_id": None,
            "paid_count": 1,
            "failed_count": 1,
            "pending_count": 0,
            "paid_fen": 50_000,
            "failed_fen": 50_000,
            "complete": True,
        }


class TestOpenApi:
    async def test_every_operation_has_an_id_tag_and_summary(self, subsidies):
        r = await subsidies.client.get("/openapi.json")
        assert r.status_code == 200
        operations = [
            op
            for path, item in r.json()["paths"].items()
            if path.startswith("/v1/subsidies")
            for op in item.values()
        ]
        assert len(operations) >= 25
        for op in operations:
            assert op["operationId"] and op["tags"] and op["summary"]
