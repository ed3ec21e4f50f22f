"""Events the subsidies service consumes: the jobs service's employment events.

The service keeps its own view of employers, workers, placements and confirmed months, built
only from these events (never by calling jobs or reading its database), and evaluates the
programs after each one. Each model below declares only the fields this service reads.

Order does not matter: a month confirmed before its placement is stored and evaluated when the
placement arrives; a placement ended before it started is retried later. A worker's correction
(``jobs.worker.updated``) applies only if newer than the last one applied (by its
``changed_at``), and a registration, which has no such time, counts as older than any
correction: it only fills what a correction left unknown. Re-delivery does not
matter either: the inbox drops a repeated event id, and a grant is keyed by program and
placement (and month), so even a re-published event with a new id adds nothing.
"""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.subsidies.audit import service as audit
from services.subsidies.base import MAX_FEN, MONTH_PATTERN
from services.subsidies.config import SubsidiesSettings
from services.subsidies.eligibility import registry, service
from services.subsidies.eligibility import repository as repo
from services.subsidies.eligibility.tables import MonthConfirmation, Placement
from shared.events import Envelope, RetryLater, Subscription


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EmployerRegistered(_Read):
    employer_id: uuid.UUID
    kind: Literal["haizhu_partner", "workshop", "dedicated_post"]
    name: str = Field(max_length=300)
    location: str = Field(max_length=200)


class WorkerRegistered(_Read):
    worker_id: uuid.UUID
    township: str = Field(max_length=200)
    poor_household: bool
    registered_on: date
    # Masked only (the public notice shows them so); absent from events published before.
    name_masked: str | None = Field(default=None, max_length=100)
    national_id_masked: str | None = Field(default=None, max_length=20)


class WorkerUpdated(_Read):
    worker_id: uuid.UUID
    township: str = Field(max_length=200)
    poor_household: bool
    registered_on: date
    # Masked only, as in WorkerRegistered.
    name_masked: str = Field(max_length=100)
    national_id_masked: str = Field(max_length=20)
    changed_at: datetime


class PlacementStarted(_Read):
    placement_id: uuid.UUID
    worker_id: uuid.UUID
    employer_id: uuid.UUID
    employer_kind: Literal["haizhu_partner", "workshop", "dedicated_post"]
    posting_id: uuid.UUID | None = None
    poor_household: bool
    township: str = Field(max_length=200)
    start_date: date
    monthly_wage_fen: int = Field(ge=0, le=MAX_FEN)


class MonthConfirmed(_Read):
    confirmation_id: uuid.UUID
    placement_id: uuid.UUID
    worker_id: uuid.UUID
    month: str = Field(pattern=MONTH_PATTERN)
    wage_paid_fen: int = Field(ge=0, le=MAX_FEN)
    supersedes: uuid.UUID | None = None


class PlacementEnded(_Read):
    placement_id: uuid.UUID
    end_date: date
    reason: str = Field(default="", max_length=2000)


jobs_events = Subscription(durable="subsidies-eligibility", publisher="jobs")


@jobs_events.handles("jobs.employer.registered")
async def on_employer_registered(
    session: AsyncSession, e: EmployerRegistered, envelope: Envelope
) -> None:
    await registry.record_employer(
        session, employer_id=e.employer_id, kind=e.kind, name=e.name, location=e.location
    )


@jobs_events.handles("jobs.worker.registered")
async def on_worker_registered(
    session: AsyncSession, e: WorkerRegistered, envelope: Envelope
) -> None:
    await registry.record_worker(
        session,
        worker_id=e.worker_id,
        township=e.township,
        poor_household=e.poor_household,
        registered_on=e.registered_on,
        name_masked=e.name_masked,
        national_id_masked=e.national_id_masked,
    )


@jobs_events.handles("jobs.worker.updated")
async def on_worker_updated(session: AsyncSession, e: WorkerUpdated, envelope: Envelope) -> None:
    await registry.update_worker(session, **e.model_dump())


@jobs_events.handles("jobs.placement.started")
async def on_placement_started(
    session: AsyncSession, e: PlacementStarted, envelope: Envelope
) -> None:
    await service.record_placement(session, Placement(**e.model_dump()))


@jobs_events.handles("jobs.placement.month_confirmed")
async def on_month_confirmed(session: AsyncSession, e: MonthConfirmed, envelope: Envelope) -> None:
    await service.record_confirmation(
        session, MonthConfirmation(**e.model_dump(), received_at=envelope.occurred_at)
    )


@jobs_events.handles("jobs.placement.ended")
async def on_placement_ended(session: AsyncSession, e: PlacementEnded, envelope: Envelope) -> None:
    placement = await repo.get_placement(session, e.placement_id)
    if placement is None:
        raise RetryLater(f"placement {e.placement_id} not known yet")
    await service.end_placement(session, placement, end_date=e.end_date, reason=e.reason)


subscriptions: list[Subscription] = [jobs_events]


def prepare_sessions(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: SubsidiesSettings,
    anchorer: audit.AuditAnchorer | None = None,
) -> None:
    """What the handlers need of their sessions: the audit chain's key (they append entries).
    The service passes its anchorer too (app.py); an operator replaying a dead letter in a
    process of its own does not (deploy.ops dead-letters replay)."""
    chain = audit.ChainKey(
        settings.audit_key.get_secret_value().encode(), settings.audit_legacy_until_seq
    )
    audit.bind(sessionmaker, chain, anchorer)
