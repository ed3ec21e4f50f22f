"""Schemas of the subsidies service's statistics feature."""

import uuid

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
