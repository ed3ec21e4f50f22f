"""Schemas of the subsidies service's statistics feature."""

import uuid
from datetime import date

from sqlmodel import Field

from services.subsidies.base import SubsidiesModel


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


class PaidRow(SubsidiesModel):
    program_code: str
    program_name: str
    fund_id: uuid.UUID
    fund_code: str
    paid_fen: int = Field(description="Paid by the bank in the period (lines settled paid).")
    payments: int = Field(description="Payment lines settled paid in the period.")
    beneficiaries: int = Field(description="Distinct beneficiaries paid in the period.")
    fund_budget_fen: int = Field(description="The fund's budget now (shared by its programs).")
    fund_paid_fen: int = Field(description="Everything the fund has paid so far.")


class PaidStatistics(SubsidiesModel):
    """Subsidies paid per program over a period of settlement dates (China time)."""

    from_date: date | None = Field(description="First day counted (`from`), China time.")
    to_date: date | None = Field(description="Last day counted (`to`), China time.")
    rows: list[PaidRow]
    total_paid_fen: int
