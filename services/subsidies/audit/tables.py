"""Tables of the subsidies service's audit feature."""

import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field

from services.subsidies.base import SubsidiesModel
from shared.db import UTCDateTime, new_id
from shared.events.tables import BigIntPK


class AuditEntry(SubsidiesModel, table=True):
    """Append-only (the service's role may only SELECT and INSERT it, and a PostgreSQL trigger
    refuses UPDATE and DELETE), each entry's keyed hash covering its content and the previous
    entry's hash, so an edit anywhere breaks the chain."""

    __tablename__ = "audit_entries"
    # shared.migrations grants the service's role no UPDATE, DELETE or TRUNCATE on it.
    __table_args__ = {"info": {"append_only": True}}  # noqa: RUF012 (SQLAlchemy reads it)
    seq: int | None = Field(
        default=None, sa_column=Column(BigIntPK, primary_key=True, autoincrement=True)
    )
    entry_id: uuid.UUID = Field(default_factory=new_id, unique=True)
    entity_type: str = Field(max_length=30)
    entity_id: uuid.UUID = Field(index=True)
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str | None = Field(default=None, max_length=30)
    actor: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(sa_type=UTCDateTime)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
