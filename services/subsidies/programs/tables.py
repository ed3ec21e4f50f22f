"""Tables of the subsidies service's programs feature."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field

from services.subsidies.base import MAX_FEN, SubsidiesModel
from services.subsidies.eligibility.domain import AmountRule
from shared.db import UTCDateTime, new_id, utcnow


class EmployerKind(StrEnum):
    haizhu_partner = "haizhu_partner"
    workshop = "workshop"
    dedicated_post = "dedicated_post"


class BeneficiaryKind(StrEnum):
    employer = "employer"
    workshop = "workshop"
    worker = "worker"


class ProgramRules(SubsidiesModel):
    """The rule fields of a program; changing any of them makes a new version."""

    name: str = Field(min_length=1, max_length=200)
    employer_kind: EmployerKind = Field(
        description="Placements at this kind of employer are evaluated against the program."
    )
    beneficiary_kind: BeneficiaryKind
    amount_rule: AmountRule
    amount_fen: int = Field(
        gt=0, le=MAX_FEN, sa_type=BigInteger, description="One-off amount, or per person-month."
    )
    required_months: int = Field(
        default=1,
        ge=1,
        le=120,
        description="Consecutive confirmed months (wage paid) needed before a grant (one-off) "
        "or before a month counts (per person-month).",
    )
    cap_months: int | None = Field(
        default=None, ge=1, le=600, description="Most person-months paid to one worker."
    )
    cap_per_person_fen: int | None = Field(default=None, gt=0, le=MAX_FEN, sa_type=BigInteger)
    cap_per_beneficiary_fen: int | None = Field(default=None, gt=0, le=MAX_FEN, sa_type=BigInteger)
    poor_only: bool = Field(
        default=True, description="Only members of registered poor households count."
    )
    not_stackable_with: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    notice_days: int = Field(default=5, ge=0, le=90, description="Public notice period (公示).")
    valid_from: date
    valid_until: date | None = None
    fund_id: uuid.UUID = Field(foreign_key="funds.id")


class Program(ProgramRules, table=True):
    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=50, index=True)
    version: int = Field(ge=1)
    is_current: bool = Field(default=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
