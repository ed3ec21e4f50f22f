"""Schemas of the subsidies service's audit feature."""

import uuid
from datetime import datetime

from sqlmodel import Field

from services.subsidies.base import SubsidiesModel


class AuditEntryPublic(SubsidiesModel):
    seq: int
    entry_id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    action: str
    from_state: str | None
    to_state: str | None
    actor: str
    reason: str | None
    at: datetime
    prev_hash: str
    hash: str


class AuditVerification(SubsidiesModel):
    ok: bool
    entries_checked: int
    first_broken_seq: int | None = None
    problem: str | None = None
    anchors_checked: int = Field(
        default=0, description="Heads anchored outside the database that were checked."
    )
