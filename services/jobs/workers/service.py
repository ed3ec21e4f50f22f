"""Registering and correcting a worker (personal data encrypted; the events carry the name and ID
number only masked, for the public notice of subsidy recipients), and loading a worker for the
other features; never commits."""

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs import events
from services.jobs.db import found
from services.jobs.errors import DuplicateWorker, NoWorkerWithThisId, WorkerNotFound
from services.jobs.workers import repository as repo
from services.jobs.workers.domain import mask_name
from services.jobs.workers.schemas import WorkerCreate, WorkerUpdate
from services.jobs.workers.tables import Worker, WorkerChange
from shared.db import utcnow
from shared.errors import Conflict
from shared.events import add_event
from shared.identity import Identity
from shared.pii import PiiVault, mask_national_id, mask_phone

ID_CONTEXT = "worker.national_id"
PHONE_CONTEXT = "worker.phone"


async def register_worker(
    session: AsyncSession, vault: PiiVault, data: WorkerCreate, actor: Identity, today: date
) -> Worker:
    id_hash = vault.lookup_hash(data.national_id, context=ID_CONTEXT)
    existing = await repo.find_worker_by_id_hash(session, id_hash)
    if existing is not None:
        raise DuplicateWorker(existing.id)
    worker = Worker(
        name=data.name,
        township=data.township,
        poor_household=data.poor_household,
        skills=list(data.skills),
        national_id_encrypted=vault.encrypt(data.national_id, context=ID_CONTEXT),
        national_id_hash=id_hash,
        national_id_masked=mask_national_id(data.national_id),
        phone_encrypted=vault.encrypt(data.phone, context=PHONE_CONTEXT) if data.phone else None,
        phone_hash=vault.lookup_hash(data.phone, context=PHONE_CONTEXT) if data.phone else None,
        phone_masked=mask_phone(data.phone) if data.phone else None,
        registered_on=today,
        created_by=actor.actor,
    )
    try:
        async with session.begin_nested():
            session.add(worker)
            await session.flush()
    except IntegrityError:
        # A concurrent registration of the same person committed first.
        twin = await repo.find_worker_by_id_hash(session, id_hash)
        if twin is None:
            raise Conflict("The worker could not be registered; retry.") from None
        raise DuplicateWorker(twin.id) from None
    await add_event(
        session,
        events.WorkerRegistered(
            worker_id=worker.id,
            township=worker.township,
            poor_household=worker.poor_household,
            registered_on=today,
            name_masked=mask_name(worker.name),
            national_id_masked=worker.national_id_masked,
        ),
    )
    return worker


async def get_worker(session: AsyncSession, worker_id: uuid.UUID) -> Worker:
    """The worker with this id, or ``WorkerNotFound`` (other features load workers through
    here)."""
    return found(await repo.get_worker(session, worker_id), WorkerNotFound, worker_id)


async def find_by_national_id(session: AsyncSession, vault: PiiVault, national_id: str) -> Worker:
    """The worker registered with this national ID number (found by its keyed hash), or
    ``NoWorkerWithThisId``."""
    worker = await repo.find_worker_by_id_hash(
        session, vault.lookup_hash(national_id, context=ID_CONTEXT)
    )
    if worker is None:
        raise NoWorkerWithThisId()
    return worker


EDITABLE = ("name", "township", "poor_household", "skills")


async def update_worker(
    session: AsyncSession, vault: PiiVault, worker: Worker, data: WorkerUpdate, actor: Identity
) -> Worker:
    """Correct a worker's record and audit the change (old → new, who, when, why; phones
    masked). Fields not sent are left alone; a change to nothing records nothing.

    A change of the masked name, township or poor-household flag publishes
    ``jobs.worker.updated`` in the same transaction: the subsidies service keeps them for its
    public notice (公示). A change of only the phone, the skills, or of the name where its mask
    stays the same (王小明 → 王晓明, both 王*明) publishes nothing. The subsidies service still
    decides on the placement's own copy of ``poor_household`` and ``township`` (taken when the
    hire was recorded), so a correction changes no grant by itself; a clerk who corrects the
    flag of someone with open applications sees them in the review queue."""
    await repo.lock_worker(session, worker)
    published_before = _published(worker)
    sent = data.model_dump(exclude_unset=True)
    changes: list[dict[str, object]] = []
    for field in EDITABLE:
        if field in sent and sent[field] is not None and sent[field] != getattr(worker, field):
            changes.append({"field": field, "old": getattr(worker, field), "new": sent[field]})
            setattr(worker, field, list(sent[field]) if field == "skills" else sent[field])
    if "phone" in sent:
        _change_phone(vault, worker, sent["phone"], changes)
    if not changes:
        return worker
    changed_at = await _next_change_time(session, worker.id)
    session.add(worker)
    session.add(
        WorkerChange(
            worker_id=worker.id,
            changes=changes,
            reason=data.reason,
            changed_by=actor.actor,
            changed_by_name=actor.name,
            changed_at=changed_at,
        )
    )
    await session.flush()
    if _published(worker) != published_before:
        await add_event(
            session,
            events.WorkerUpdated(
                worker_id=worker.id,
                township=worker.township,
                poor_household=worker.poor_household,
                registered_on=worker.registered_on,
                name_masked=mask_name(worker.name),
                national_id_masked=worker.national_id_masked,
                changed_at=changed_at,
            ),
        )
    return worker


def _published(worker: Worker) -> tuple[str, str, bool]:
    """What the events say of a worker that a correction can change."""
    return mask_name(worker.name), worker.township, worker.poor_household


async def _next_change_time(session: AsyncSession, worker_id: uuid.UUID) -> datetime:
    """Now, or just after the worker's previous correction if the clock says otherwise (it
    stepped back, or another replica's runs behind): ``changed_at`` strictly increases for one
    worker, as consumers of ``jobs.worker.updated`` order corrections by it. The worker's row
    is locked, so corrections take turns here."""
    now = utcnow()
    last = await repo.last_change_at(session, worker_id)
    return now if last is None or now > last else last + timedelta(microseconds=1)


def _change_phone(
    vault: PiiVault, worker: Worker, phone: str | None, changes: list[dict[str, object]]
) -> None:
    new_hash = vault.lookup_hash(phone, context=PHONE_CONTEXT) if phone else None
    if new_hash == worker.phone_hash:
        return
    new_masked = mask_phone(phone) if phone else None
    changes.append({"field": "phone", "old": worker.phone_masked, "new": new_masked})
    worker.phone_encrypted = vault.encrypt(phone, context=PHONE_CONTEXT) if phone else None
    worker.phone_hash = new_hash
    worker.phone_masked = new_masked
