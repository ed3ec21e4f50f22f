"""Tables and API schemas of the subsidies service, on its own metadata.

Three groups of tables:

* **rules**: ``funds`` (budget, reserved, paid — a CHECK keeps reserved + paid within the budget)
  and ``programs`` (one row per version of a program; applications point at the version they were
  computed under);
* **the employment view** built only from the jobs service's events: ``employers``,
  ``workers``, ``placements``, ``month_confirmations``;
* **the money trail**: ``applications`` (+ ``application_lines``, one per person-month or one-off
  grant), ``objections``, ``payees`` (bank accounts, encrypted), ``payment_batches`` (+
  ``batch_lines``) and the append-only, hash-chained ``audit_entries``.
"""

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import ConfigDict, field_validator, model_validator
from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.subsidies.eligibility.domain import AmountRule as AmountRule
from services.subsidies.review.domain import DEAD_STATES as DEAD_STATES
from services.subsidies.review.domain import RESERVED_STATES as RESERVED_STATES
from services.subsidies.review.domain import AppState as AppState
from shared.db import UTCDateTime, new_id, new_registry, utcnow
from shared.events import add_event_tables
from shared.events.tables import BigIntPK
from shared.validation import as_written


class SubsidiesModel(SQLModel, registry=new_registry()):
    pass


metadata = SubsidiesModel.metadata
event_tables = add_event_tables(metadata)


class _JsonInput(SubsidiesModel):
    """A request body as JSON gives it: Pydantic would read true/false as 1/0 ("budget_fen":
    false emptied a fund) and a number as seconds since 1970 ("valid_from": 0 is 1970-01-01)."""

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        return as_written(cls, data)


MAX_FEN = 10**13  # 100 billion yuan: bounds every amount so huge numbers are a 422
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,49}$"


class EmployerKind(StrEnum):
    haizhu_partner = "haizhu_partner"
    workshop = "workshop"
    dedicated_post = "dedicated_post"


class BeneficiaryKind(StrEnum):
    employer = "employer"
    workshop = "workshop"
    worker = "worker"


# ---------------------------------------------------------------- funds


class FundBase(SubsidiesModel):
    code: str = Field(max_length=50, schema_extra={"pattern": CODE_PATTERN}, unique=True)
    name: str = Field(min_length=1, max_length=200)
    budget_fen: int = Field(ge=0, le=MAX_FEN, sa_type=BigInteger)


class FundCreate(FundBase, _JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "guangzhou-aid-2020",
                    "name": "Guangzhou aid funds 2020 (广州帮扶资金)",
                    "budget_fen": 9_000_000_000,
                }
            ]
        },
    )


class FundUpdate(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": [{"budget_fen": 9_500_000_000}]}
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    budget_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)


class Fund(FundBase, table=True):
    __tablename__ = "funds"
    __table_args__ = (
        CheckConstraint(
            "reserved_fen >= 0 AND paid_fen >= 0 AND reserved_fen + paid_fen <= budget_fen",
            name="within_budget",
        ),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    reserved_fen: int = Field(default=0, sa_type=BigInteger)
    paid_fen: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FundPublic(FundBase):
    id: uuid.UUID
    reserved_fen: int
    paid_fen: int
    available_fen: int
    created_at: datetime


# ---------------------------------------------------------------- programs


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


class _ProgramInput(ProgramRules, _JsonInput):
    not_stackable_with: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("not_stackable_with")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.match(CODE_PATTERN, code):
                raise ValueError(f"'{code[:60]}' is not a program code")
        return sorted(set(value))

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


_PROGRAM_EXAMPLE: dict[str, Any] = {
    "code": "stable-employment",
    "name": "Stable-employment subsidy (稳岗补贴)",
    "employer_kind": "haizhu_partner",
    "beneficiary_kind": "employer",
    "amount_rule": "one_off",
    "amount_fen": 500_000,
    "required_months": 6,
    "cap_per_person_fen": 500_000,
    "poor_only": True,
    "not_stackable_with": ["dedicated-post"],
    "notice_days": 5,
    "valid_from": "2020-01-01",
    "valid_until": "2020-12-31",
    "fund_id": "6f1c3a52-8f0e-4a8e-9d39-1f3f0c2b7e11",
}


class ProgramCreate(_ProgramInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": [_PROGRAM_EXAMPLE]}
    )
    code: str = Field(max_length=50, schema_extra={"pattern": CODE_PATTERN})


class ProgramRevise(_ProgramInput):
    """A full new version of the program's rules; applications keep the version they used."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {k: v for k, v in _PROGRAM_EXAMPLE.items() if k != "code"} | {"amount_fen": 600_000}
            ]
        },
    )
    reason: str = Field(min_length=1, max_length=500)


class Program(ProgramRules, table=True):
    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=50, index=True)
    version: int = Field(ge=1)
    is_current: bool = Field(default=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReevaluateRequest(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra={"examples": [{"dry_run": True}, {"dry_run": False}]}
    )
    dry_run: bool = Field(
        default=True,
        description="true (the default): only say what would be granted; false: grant it.",
    )


class ReevaluatedGrant(SubsidiesModel):
    placement_id: uuid.UUID
    worker_id: uuid.UUID
    month: str
    amount_fen: int
    beneficiary_kind: str
    beneficiary_id: uuid.UUID
    application_id: uuid.UUID | None = Field(
        default=None, description="The application the grant joined or opened (not in a dry run)."
    )


class ReevaluationRefusal(SubsidiesModel):
    placement_id: uuid.UUID
    month: str
    reason: str


class ReevaluationResult(SubsidiesModel):
    program_code: str
    program_version: int
    dry_run: bool
    placements_evaluated: int
    grant_count: int
    total_fen: int
    grants: list[ReevaluatedGrant]
    refused: list[ReevaluationRefusal] = Field(
        description="Months the rule is met for but a stacking, double-post or cap rule refuses."
    )


class ProgramPublic(ProgramRules):
    id: uuid.UUID
    code: str
    version: int
    is_current: bool
    created_by: str
    created_at: datetime


# ---------------------------------------------------------------- employment view (from events)


class Employer(SubsidiesModel, table=True):
    __tablename__ = "employers"
    employer_id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(max_length=30)
    name: str = Field(max_length=300)
    location: str = Field(max_length=200)


class Worker(SubsidiesModel, table=True):
    __tablename__ = "workers"
    worker_id: uuid.UUID = Field(primary_key=True)
    township: str = Field(max_length=200)
    poor_household: bool
    registered_on: date


class Placement(SubsidiesModel, table=True):
    __tablename__ = "placements"
    placement_id: uuid.UUID = Field(primary_key=True)
    worker_id: uuid.UUID = Field(index=True)
    employer_id: uuid.UUID = Field(index=True)
    employer_kind: str = Field(max_length=30)
    posting_id: uuid.UUID | None = None
    poor_household: bool
    township: str = Field(max_length=200)
    start_date: date
    monthly_wage_fen: int = Field(sa_type=BigInteger)
    end_date: date | None = None
    end_reason: str | None = Field(default=None, max_length=500)


class MonthConfirmation(SubsidiesModel, table=True):
    """A month the employer confirmed; kept even when it arrives before its placement, and
    evaluated once the placement is known. A correction supersedes the record it names."""

    __tablename__ = "month_confirmations"
    confirmation_id: uuid.UUID = Field(primary_key=True)
    placement_id: uuid.UUID = Field(index=True)
    worker_id: uuid.UUID
    month: str = Field(max_length=7)
    wage_paid_fen: int = Field(sa_type=BigInteger)
    supersedes: uuid.UUID | None = None
    superseded: bool = Field(default=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---------------------------------------------------------------- applications


class Application(SubsidiesModel, table=True):
    __tablename__ = "applications"
    __table_args__ = (
        # Maker-checker (RELIABILITY #22): the approver is neither the verifier nor the creator.
        CheckConstraint(
            "approved_by IS NULL OR (verified_by IS NOT NULL AND approved_by <> "
            "verified_by AND approved_by <> created_by)",
            name="maker_checker",
        ),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        Index("ix_applications_program_month", "program_code", "month"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    program_id: uuid.UUID = Field(foreign_key="programs.id")
    program_code: str = Field(max_length=50)
    program_version: int
    fund_id: uuid.UUID = Field(foreign_key="funds.id", index=True)
    beneficiary_kind: str = Field(max_length=20)
    beneficiary_id: uuid.UUID = Field(index=True)
    month: str = Field(max_length=7, description="The month the grant is for (YYYY-MM).")
    township: str = Field(max_length=200)
    amount_fen: int = Field(default=0, sa_type=BigInteger)
    state: str = Field(max_length=30, index=True)
    manual_reason: str | None = Field(default=None, max_length=1000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    verified_by: str | None = Field(default=None, max_length=200)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notice_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApplicationLine(SubsidiesModel, table=True):
    """One person-month (or one one-off grant) inside an application. ``line_key`` is unique
    per program, so a re-delivered or re-evaluated event can never add the same grant twice."""

    __tablename__ = "application_lines"
    __table_args__ = (UniqueConstraint("program_code", "line_key"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    program_code: str = Field(max_length=50)
    line_key: str = Field(max_length=120)
    worker_id: uuid.UUID = Field(index=True)
    placement_id: uuid.UUID = Field(index=True)
    employer_kind: str = Field(max_length=30)
    month: str = Field(max_length=7)
    amount_fen: int = Field(sa_type=BigInteger)
    confirmation_id: uuid.UUID | None = None


class ApplicationLinePublic(SubsidiesModel):
    worker_id: uuid.UUID
    placement_id: uuid.UUID
    month: str
    amount_fen: int
    confirmation_id: uuid.UUID | None


class Objection(SubsidiesModel, table=True):
    __tablename__ = "objections"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    text: str = Field(max_length=2000)
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ObjectionCreate(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "A villager reports the worker left the workshop in March."}]
        },
    )
    text: str = Field(min_length=1, max_length=2000)


class ObjectionPublic(SubsidiesModel):
    id: uuid.UUID
    text: str
    recorded_by: str
    created_at: datetime


class ApplicationPublic(SubsidiesModel):
    id: uuid.UUID
    program_id: uuid.UUID
    program_code: str
    program_version: int
    fund_id: uuid.UUID
    beneficiary_kind: str
    beneficiary_id: uuid.UUID
    month: str
    township: str
    amount_fen: int
    state: str
    manual_reason: str | None
    created_by: str
    created_at: datetime
    verified_by: str | None
    verified_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    notice_ends_at: datetime | None
    decision_reason: str | None
    updated_at: datetime
    lines: list[ApplicationLinePublic] = []
    objections: list[ObjectionPublic] = []


class ApplicationCreate(_JsonInput):
    """A hand-made application for a confirmed month the events did not grant."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "program_code": "dedicated-post",
                    "placement_id": "0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90",
                    "month": "2020-05",
                    "reason": "Refused while a non-stackable grant stood; that grant was rejected.",
                }
            ]
        },
    )
    program_code: str = Field(max_length=50, schema_extra={"pattern": CODE_PATTERN})
    placement_id: uuid.UUID
    month: str = Field(schema_extra={"pattern": MONTH_PATTERN}, max_length=7)
    reason: str = Field(min_length=1, max_length=1000)


class ReasonBody(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Social insurance record shows a gap in April."}]
        },
    )
    reason: str = Field(min_length=1, max_length=1000)


class NoteBody(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [{"note": "ok"}, {"note": "ok", "expected_amount_fen": 40000}]
        },
    )
    note: str | None = Field(default=None, max_length=1000)
    # The amount the reviewer saw: a line may join or leave a pending application meanwhile.
    expected_amount_fen: int | None = Field(default=None, ge=0, le=10**15)


class BulkIds(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [{"application_ids": ["0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90"]}]
        },
    )
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=1000)


class BulkItemResult(SubsidiesModel):
    application_id: uuid.UUID
    ok: bool
    state: str | None = None
    status: int = 200
    detail: str | None = None


class BulkResult(SubsidiesModel):
    succeeded: int
    failed: int
    results: list[BulkItemResult]


class NoticeSweepResult(SubsidiesModel):
    moved_to_ready: int


# ---------------------------------------------------------------- payees


class Payee(SubsidiesModel, table=True):
    """A bank account for a beneficiary. Replacing it makes a new row and retires the old one,
    so a batch line keeps pointing at the account it was paid to."""

    __tablename__ = "payees"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    beneficiary_kind: str = Field(max_length=20)
    beneficiary_id: uuid.UUID = Field(index=True)
    holder_name_enc: str = Field(max_length=1000)
    holder_name_masked: str = Field(max_length=100)
    account_enc: str = Field(max_length=1000)
    account_hash: str = Field(max_length=64, index=True)
    account_masked: str = Field(max_length=40)
    bank_name: str = Field(max_length=200)
    active: bool = Field(default=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PayeeCreate(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_kind": "workshop",
                    "beneficiary_id": "9a5e2c1d-7b44-4f0a-8e3c-2d1f6b7a8c90",
                    "holder_name": "瓮安县某扶贫车间",
                    "account_number": "6222020200112233445",
                    "bank_name": "Agricultural Bank of China, Weng'an branch",
                }
            ]
        },
    )
    beneficiary_kind: BeneficiaryKind
    beneficiary_id: uuid.UUID
    holder_name: str = Field(min_length=1, max_length=200)
    account_number: str = Field(min_length=1, max_length=40)
    bank_name: str = Field(min_length=1, max_length=200)


class PayeePublic(SubsidiesModel):
    id: uuid.UUID
    beneficiary_kind: str
    beneficiary_id: uuid.UUID
    holder_name: str
    account_number: str
    bank_name: str
    active: bool
    created_at: datetime


# ---------------------------------------------------------------- batches


class BatchState(StrEnum):
    draft = "draft"
    exported = "exported"
    reconciled = "reconciled"
    discarded = "discarded"  # before export, by a clerk; its applications went back to ready


class PaymentBatch(SubsidiesModel, table=True):
    __tablename__ = "payment_batches"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state: str = Field(max_length=20)
    line_count: int
    total_fen: int = Field(sa_type=BigInteger)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    exported_by: str | None = Field(default=None, max_length=200)
    exported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reconciled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    discarded_by: str | None = Field(default=None, max_length=200)
    discarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BatchLine(SubsidiesModel, table=True):
    __tablename__ = "batch_lines"
    __table_args__ = (UniqueConstraint("batch_id", "application_id"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    batch_id: uuid.UUID = Field(foreign_key="payment_batches.id", index=True)
    line_no: int
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    payee_id: uuid.UUID = Field(foreign_key="payees.id")
    amount_fen: int = Field(sa_type=BigInteger)
    status: str = Field(default="pending", max_length=20)
    bank_reference: str | None = Field(default=None, max_length=100)
    failure_reason: str | None = Field(default=None, max_length=500)
    settled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BatchCreate(_JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"application_ids": ["0b7d1f0e-3c55-4d0e-a5a4-8d5b3f1e2a90"]},
                {"fund_id": None},
            ]
        },
    )
    application_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=5000)
    fund_id: uuid.UUID | None = None


class BatchLinePublic(SubsidiesModel):
    id: uuid.UUID
    line_no: int
    application_id: uuid.UUID
    payee_id: uuid.UUID
    account_number: str
    amount_fen: int
    status: str
    bank_reference: str | None
    failure_reason: str | None


class SkippedApplication(SubsidiesModel):
    application_id: uuid.UUID
    reason: str


class BatchPublic(SubsidiesModel):
    id: uuid.UUID
    state: str
    line_count: int
    total_fen: int = Field(sa_type=BigInteger)
    created_by: str
    created_at: datetime
    exported_by: str | None
    exported_at: datetime | None
    reconciled_at: datetime | None
    discarded_by: str | None = None
    discarded_at: datetime | None = None
    lines: list[BatchLinePublic] = []
    # Only in the answer to making a batch of every ready application: those left out.
    skipped: list[SkippedApplication] = []


class ReconcileResult(SubsidiesModel):
    batch_id: uuid.UUID
    state: str
    paid: int
    failed: int
    unchanged: int
    pending: int


# ---------------------------------------------------------------- audit


class AuditEntry(SubsidiesModel, table=True):
    """Append-only (the service's role may only SELECT and INSERT it, and a PostgreSQL trigger
    refuses UPDATE and DELETE), each entry's keyed hash covering its content and the previous
    entry's hash, so an edit anywhere breaks the chain."""

    __tablename__ = "audit_entries"
    # shared.migrations grants the service's role no UPDATE, DELETE or TRUNCATE on it.
    __table_args__ = {"info": {"append_only": True}}
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


# ---------------------------------------------------------------- statistics


class FundStats(SubsidiesModel):
    fund_id: uuid.UUID
    code: str
    name: str
    budget_fen: int
    reserved_fen: int
    paid_fen: int
    available_fen: int
    usage_basis_points: int = Field(description="paid / budget in 1/10000 (10000 = 100%).")
    committed_basis_points: int = Field(description="(reserved + paid) / budget in 1/10000.")


class StatsRow(SubsidiesModel):
    program_code: str
    fund_id: uuid.UUID
    month: str | None = None
    township: str | None = None
    applications: int
    by_state: dict[str, int]
    beneficiaries: int
    amount_fen: int
    reserved_fen: int
    paid_fen: int


class Statistics(SubsidiesModel):
    funds: list[FundStats]
    rows: list[StatsRow]
    group_by: list[str]


def public_dict(obj: Any, **extra: Any) -> dict[str, Any]:
    return obj.model_dump() | extra
