"""The envelope every event travels in, and the base class of event contracts.

A publisher declares its events in its ``events.py`` as subclasses of :class:`Event`; the class
carries the event type (which is also the NATS subject) and its schema version.
"""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.db import utcnow


class Event(BaseModel):
    """Base of a published event's payload. Subclasses set ``event_type`` and ``event_version``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    source: str
    data: dict[str, Any]

    @classmethod
    def wrap(cls, event: Event, *, source: str, occurred_at: datetime | None = None) -> "Envelope":
        return cls(
            type=event.event_type,
            version=event.event_version,
            occurred_at=occurred_at or utcnow(),
            source=source,
            data=event.model_dump(mode="json"),
        )
