"""The public notice (公示): the board of applications in notice, and objections from anyone.

The notice is public by law, so it shows the recipients, masked: a worker's name and ID number
as the jobs service masked them (only masked values ever reach this service), an employer's
name (an organisation's name is public), the township, the amounts and the notice's dates. An
objection from the public is recorded ``open`` on the application for a clerk to decide
(``review.service.record_public_objection``); it reaches the clerks in the application's detail
and in the audit trail."""

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.notices import repository as repo
from services.subsidies.notices.schemas import (
    NoticePage,
    NoticePerson,
    NoticePublic,
    PublicObjectionCreate,
    PublicObjectionReceipt,
)
from services.subsidies.review import service as review_service
from shared.logging import scrub_text
from shared.pii import PiiVault, mask_phone

API = "/v1/subsidies"
CONTACT_CONTEXT = "objection.contact"
CLIENT_CONTEXT = "objection.client"


def objection_path(application_id: uuid.UUID) -> str:
    return f"{API}/notices/{application_id}/objections"


async def notice_board(
    session: AsyncSession,
    *,
    now: datetime,
    program_code: str | None,
    township: str | None,
    limit: int,
    cursor: str | None,
) -> NoticePage:
    """One page of the board and the total: four statements whatever the page's size."""
    rows, next_cursor = await repo.notices_page(
        session, now=now, program_code=program_code, township=township, limit=limit, cursor=cursor
    )
    total = await repo.count_notices(session, now=now, program_code=program_code, township=township)
    apps = [row[0] for row in rows]
    people: dict[uuid.UUID, list[NoticePerson]] = defaultdict(list)
    for line in await repo.people_of(session, [a.id for a in apps]):
        people[line.application_id].append(
            NoticePerson(
                name_masked=line.name_masked,
                national_id_masked=line.national_id_masked,
                township=line.township or "",
                month=line.month,
                amount_fen=line.amount_fen,
            )
        )
    employers = await repo.employer_names(
        session, {a.beneficiary_id for a in apps if a.beneficiary_kind != "worker"}
    )
    workers = await repo.worker_masks(
        session, {a.beneficiary_id for a in apps if a.beneficiary_kind == "worker"}
    )
    items = []
    for app, program_name in rows:
        assert app.approved_at is not None and app.notice_ends_at is not None  # in notice
        names = workers if app.beneficiary_kind == "worker" else employers
        items.append(
            NoticePublic(
                application_id=app.id,
                program_code=app.program_code,
                program_name=program_name,
                beneficiary_kind=app.beneficiary_kind,
                beneficiary_name=names.get(app.beneficiary_id),
                township=app.township,
                month=app.month,
                amount_fen=app.amount_fen,
                notice_starts_at=app.approved_at,
                notice_ends_at=app.notice_ends_at,
                objection_path=objection_path(app.id),
                people=people[app.id],
            )
        )
    return NoticePage(items=items, next_cursor=next_cursor, total=total)


async def object_publicly(
    session: AsyncSession,
    application_id: uuid.UUID,
    body: PublicObjectionCreate,
    *,
    vault: PiiVault,
    client: str | None,
    per_address_per_day: int,
    recorded_by: str,
    now: datetime,
) -> PublicObjectionReceipt:
    """Record an objection from the public; the phone number is kept encrypted and masked, the
    sender's address only as a keyed hash (to count what one address sends). ID numbers,
    phone and account numbers a stranger types into the text are masked before it is kept: the
    text is shown to staff and kept for good in the append-only audit trail."""
    contact = body.contact
    objection = await review_service.record_public_objection(
        session,
        application_id,
        text=scrub_text(body.text),
        contact_encrypted=vault.encrypt(contact, context=CONTACT_CONTEXT) if contact else None,
        contact_masked=mask_phone(contact) if contact else None,
        client_hash=vault.lookup_hash(client, context=CLIENT_CONTEXT) if client else None,
        per_address_per_day=per_address_per_day,
        recorded_by=recorded_by,
        now=now,
    )
    return PublicObjectionReceipt(
        id=objection.id,
        application_id=objection.application_id,
        status=objection.status,
        received_at=objection.created_at,
        contact_masked=objection.contact_masked,
    )
