"""Factories for the subsidies tests: a feed of real jobs events on JetStream, and plain async
factories for funds, programs and applications driven through the API."""

import csv
import io
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import select

from services.subsidies.eligibility.tables import Worker
from shared.events import Envelope
from tests.support.apps import RunningService, identity_headers
from tests.support.events import publish_signed
from tests.support.infra import wait_until

API = "/v1/subsidies"


class Caller(Mapping[str, str]):
    """Identity headers of one caller, signed afresh on every use (the gateway's tokens live
    60 seconds, shorter than a test run)."""

    def __init__(
        self,
        role: str,
        principal_id: str | None = None,
        subject_id: str | None = None,
        kind: str = "user",
    ) -> None:
        self.role, self.subject_id, self.kind = role, subject_id, kind
        self.principal_id = principal_id or f"{role}-{uuid.uuid4().hex[:8]}"

    def _fresh(self) -> dict[str, str]:
        return identity_headers(
            self.role,
            self.subject_id,
            principal_id=self.principal_id,  # type: ignore[arg-type]
            kind=self.kind,
        )

    def __getitem__(self, key: str) -> str:
        return self._fresh()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fresh())

    def __len__(self) -> int:
        return 1

    def __or__(self, other: Mapping[str, str]) -> dict[str, str]:  # type: ignore[override]
        return self._fresh() | dict(other)


def principal(role: str, principal_id: str | None = None) -> Caller:
    return Caller(role, principal_id)


# Fixed people, so tests can reason about who did what.
ADMIN = principal("admin", "admin-1")
CLERK = principal("bureau_clerk", "clerk-1")
CLERK2 = principal("bureau_clerk", "clerk-2")
APPROVER = principal("bureau_approver", "approver-1")
APPROVER2 = principal("bureau_approver", "approver-2")
AUDITOR = principal("auditor", "auditor-1")
PARTNER = Caller("partner", subject_id=str(uuid.uuid4()), kind="api_key")
STORE = Caller("store", subject_id=str(uuid.uuid4()), kind="api_key")


@dataclass
class JobsFeed:
    """Publishes jobs-service envelopes exactly as the jobs relay would."""

    js: JetStreamContext
    namespace: str
    service: RunningService
    published: list[Envelope] = field(default_factory=list)

    async def publish(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        envelope: Envelope | None = None,
        msg_id: str | None = None,
    ) -> Envelope:
        envelope = envelope or Envelope(type=event_type, source="jobs", data=data)
        await publish_signed(
            self.js,
            f"{self.namespace}.{envelope.type}",
            envelope.model_dump_json().encode(),
            publisher="jobs",
            headers={"Nats-Msg-Id": msg_id or str(envelope.id)},
        )
        self.published.append(envelope)
        return envelope

    async def placement(
        self,
        *,
        kind: str = "haizhu_partner",
        poor: bool = True,
        township: str = "Houchang",
        worker_id: uuid.UUID | None = None,
        employer_id: uuid.UUID | None = None,
        start: str = "2020-01-01",
        placement_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        data = {
            "placement_id": str(placement_id or uuid.uuid4()),
            "worker_id": str(worker_id or uuid.uuid4()),
            "employer_id": str(employer_id or uuid.uuid4()),
            "employer_kind": kind,
            "posting_id": None,
            "poor_household": poor,
            "township": township,
            "start_date": start,
            "monthly_wage_fen": 350000,
        }
        await self.publish("jobs.placement.started", data)
        return data

    async def month(
        self,
        placement: dict[str, Any],
        month: str,
        *,
        wage: int = 350000,
        supersedes: str | None = None,
        confirmation_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        data = {
            "confirmation_id": str(confirmation_id or uuid.uuid4()),
            "placement_id": placement["placement_id"],
            "worker_id": placement["worker_id"],
            "employer_id": placement["employer_id"],
            "employer_kind": placement["employer_kind"],
            "month": month,
            "wage_paid_fen": wage,
            "supersedes": supersedes,
        }
        await self.publish("jobs.placement.month_confirmed", data)
        return data

    async def months(self, placement: dict[str, Any], *months: str) -> None:
        for m in months:
            await self.month(placement, m)

    async def ended(self, placement: dict[str, Any], end_date: str) -> None:
        await self.publish(
            "jobs.placement.ended",
            {
                "placement_id": placement["placement_id"],
                "worker_id": placement["worker_id"],
                "employer_id": placement["employer_id"],
                "end_date": end_date,
                "reason": "contract ended",
            },
        )

    async def worker(self, *, poor: bool = True) -> str:
        """A worker registered with the jobs service, known here once this returns."""
        worker_id = uuid.uuid4()
        await self.publish(
            "jobs.worker.registered",
            {
                "worker_id": str(worker_id),
                "township": "Yongyang",
                "poor_household": poor,
                "registered_on": "2020-01-01",
            },
        )
        await self.barrier()
        return str(worker_id)

    async def barrier(self) -> None:
        """Wait until everything published so far has been consumed (events are handled in
        stream order), by publishing a marker event and waiting for its effect."""
        worker_id = uuid.uuid4()
        await self.publish(
            "jobs.worker.registered",
            {
                "worker_id": str(worker_id),
                "township": "Languan",
                "poor_household": True,
                "registered_on": "2020-01-01",
            },
        )

        async def arrived() -> bool:
            async with self.service.sessionmaker() as s:
                return (
                    await s.scalar(select(Worker).where(Worker.worker_id == worker_id)) is not None
                )

        await wait_until(arrived, timeout=20, what="marker event consumed")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# ---------------------------------------------------------------- factories


async def create_fund(svc: RunningService, **overrides: Any) -> dict[str, Any]:
    body = {
        "code": f"fund-{uuid.uuid4().hex[:8]}",
        "name": "Guangzhou aid (广州帮扶资金)",
        "budget_fen": 100_000_000,
    } | overrides
    r = await svc.client.post(f"{API}/funds", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


STABLE = {
    "code": "stable-employment",
    "name": "Stable-employment subsidy (稳岗补贴)",
    "employer_kind": "haizhu_partner",
    "beneficiary_kind": "employer",
    "amount_rule": "one_off",
    "amount_fen": 500_000,
    "required_months": 3,
    "poor_only": True,
    "notice_days": 5,
    "valid_from": "2020-01-01",
    "valid_until": "2020-12-31",
}
WORKSHOP = {
    "code": "workshop",
    "name": "Workshop subsidy (扶贫车间补贴)",
    "employer_kind": "workshop",
    "beneficiary_kind": "workshop",
    "amount_rule": "per_person_month",
    "amount_fen": 20_000,
    "required_months": 1,
    "poor_only": True,
    "notice_days": 5,
    "valid_from": "2020-01-01",
}
DEDICATED = {
    "code": "dedicated-post",
    "name": "Dedicated-post subsidy (扶贫专岗补贴)",
    "employer_kind": "dedicated_post",
    "beneficiary_kind": "worker",
    "amount_rule": "per_person_month",
    "amount_fen": 50_000,
    "required_months": 1,
    "poor_only": True,
    "notice_days": 5,
    "valid_from": "2020-01-01",
}


async def create_program(
    svc: RunningService, template: dict[str, Any], fund_id: str, **overrides: Any
) -> dict[str, Any]:
    body = template | {"fund_id": fund_id} | overrides
    r = await svc.client.post(f"{API}/programs", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def applications(svc: RunningService, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {k: v for k, v in params.items() if v is not None} | {"limit": 200}
        if cursor:
            query["cursor"] = cursor
        r = await svc.client.get(f"{API}/applications", params=query, headers=AUDITOR)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


async def wait_for_applications(
    svc: RunningService, count: int, **params: Any
) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        found = await applications(svc, **params)
        return found if len(found) >= count else None

    return await wait_until(enough, timeout=20, what=f"{count} application(s) {params}")  # type: ignore[no-any-return]


async def get_app(svc: RunningService, app_id: str) -> dict[str, Any]:
    r = await svc.client.get(f"{API}/applications/{app_id}", headers=AUDITOR)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def get_fund(svc: RunningService, fund_id: str) -> dict[str, Any]:
    r = await svc.client.get(f"{API}/funds/{fund_id}", headers=AUDITOR)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def dedicated_applications(
    svc: RunningService,
    feed: JobsFeed,
    n: int,
    *,
    fund_budget: int = 100_000_000,
    amount_fen: int = 50_000,
    notice_days: int = 5,
    month: str = "2020-03",
    township: str = "Houchang",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A fund, the dedicated-post program and ``n`` pending applications made from real
    events (one worker each)."""
    fund = await create_fund(svc, budget_fen=fund_budget)
    await create_program(svc, DEDICATED, fund["id"], amount_fen=amount_fen, notice_days=notice_days)
    for _ in range(n):
        p = await feed.placement(kind="dedicated_post", township=township)
        await feed.month(p, month)
    apps = await wait_for_applications(svc, n, program_code="dedicated-post")
    return fund, apps


async def verify(
    svc: RunningService, app_id: str, who: Mapping[str, str] = CLERK
) -> dict[str, Any]:
    r = await svc.client.post(f"{API}/applications/{app_id}/verify", headers=who)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def approve(
    svc: RunningService, app_id: str, who: Mapping[str, str] = APPROVER
) -> dict[str, Any]:
    r = await svc.client.post(f"{API}/applications/{app_id}/approve", headers=who)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


# ---------------------------------------------------------------- payments

ACCOUNT = "6222020200112233445"
OTHER_ACCOUNT = "6228480402564890018"
HEADER = "line_id,status,amount_fen,bank_reference,reason\r\n"


async def register_payee(
    svc,
    worker_id: str,
    account: str = ACCOUNT,  # type: ignore[no-untyped-def]
    name: str = "王小梅",
    who: Mapping[str, str] = CLERK2,
    kind: str = "worker",
) -> dict[str, Any]:
    """Registered by clerk-2, so that clerk-1 (who exports in these tests) is a second person."""
    r = await svc.client.post(
        f"{API}/payees",
        headers=who,
        json={
            "beneficiary_kind": kind,
            "beneficiary_id": worker_id,
            "holder_name": name,
            "account_number": account,
            "bank_name": "Agricultural Bank of China, Weng'an",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def ready_applications(svc, feed, n: int, **kw: Any):  # type: ignore[no-untyped-def]
    """``n`` approved dedicated-post applications ready for payment, each with a payee."""
    fund, apps = await dedicated_applications(svc, feed, n, notice_days=0, **kw)
    for app in apps:
        await verify(svc, app["id"])
        await approve(svc, app["id"])
        await register_payee(svc, app["beneficiary_id"])
    return fund, apps


async def make_batch(svc, ids: list[str] | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {"application_ids": ids} if ids else {}
    r = await svc.client.post(f"{API}/batches", headers=CLERK, json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def export(svc, batch_id: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    r = await svc.client.post(f"{API}/batches/{batch_id}/export", headers=CLERK)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return payment_lines(r.text)


def payment_lines(text: str) -> list[dict[str, str]]:
    """The payment lines of a bank file: every row but the ``# audit-head`` trailer."""
    *lines, trailer = text.split("\r\n")[:-1]
    assert trailer.startswith("# audit-head seq="), trailer
    return list(csv.DictReader(io.StringIO("\r\n".join(lines) + "\r\n")))


async def send_results(svc, batch_id: str, body: str):  # type: ignore[no-untyped-def]
    return await svc.client.post(
        f"{API}/batches/{batch_id}/results",
        headers=CLERK,
        content=body.encode(),
    )
