"""Schemas of the public notice (公示): what anyone may read of an application in notice, and
an objection from the public. Masked values only; no internal ids of people."""

import uuid
from datetime import datetime

from pydantic import ConfigDict, field_validator
from sqlmodel import Field

from services.subsidies.base import JsonInput, SubsidiesModel
from services.subsidies.notices.examples import NOTICE_EXAMPLE, PUBLIC_OBJECTION_EXAMPLES
from shared.pii import normalize_phone

MAX_OBJECTION_TEXT = 2000


class NoticePerson(SubsidiesModel):
    """One person a grant of the application is for (one per grant line), as the notice shows
    them: masked. The masks are null for a worker whose registration event predates them."""

    name_masked: str | None = Field(description="e.g. 王*明")
    national_id_masked: str | None = Field(description="e.g. 522***********1234")
    township: str
    month: str
    amount_fen: int


class NoticePublic(SubsidiesModel):
    """An application in public notice (公示): approved, not yet payable; anyone may object
    until `notice_ends_at` at `objection_path`."""

    model_config = ConfigDict(json_schema_extra={"examples": [NOTICE_EXAMPLE]})  # type: ignore[assignment]

    application_id: uuid.UUID
    program_code: str
    program_name: str
    beneficiary_kind: str = Field(description="`worker`, `employer` or `workshop`.")
    beneficiary_name: str | None = Field(
        description="Who is paid: the employer's or workshop's name, or the worker's masked name."
    )
    township: str
    month: str
    amount_fen: int
    notice_starts_at: datetime = Field(description="The approval, when the notice began.")
    notice_ends_at: datetime
    objection_path: str = Field(
        description="Where to send an objection (POST, no login) until `notice_ends_at`."
    )
    people: list[NoticePerson]


class NoticePage(SubsidiesModel):
    items: list[NoticePublic]
    next_cursor: str | None = None
    total: int = Field(description="Applications in notice matching the filters, all pages.")


class PublicObjectionCreate(JsonInput):
    """An objection from anyone, during the notice period. Text only (no file)."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": PUBLIC_OBJECTION_EXAMPLES},
    )
    text: str = Field(min_length=1, max_length=MAX_OBJECTION_TEXT)
    contact: str | None = Field(
        default=None,
        max_length=30,
        description="A mobile number for the bureau to call back (optional); stored "
        "encrypted, shown masked to the bureau's staff only.",
    )

    @field_validator("text")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the objection needs some text")
        return value.strip()

    @field_validator("contact")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalize_phone(value)


class PublicObjectionReceipt(SubsidiesModel):
    """What the sender gets back: that the objection was received, never the application."""

    id: uuid.UUID
    application_id: uuid.UUID
    status: str = Field(description="`open`: the bureau will decide it.")
    received_at: datetime
    contact_masked: str | None
