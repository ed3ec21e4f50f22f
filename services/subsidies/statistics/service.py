"""Service of the subsidies service's statistics feature."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.funds import service as funds_service
from services.subsidies.funds.tables import Fund
from services.subsidies.review import domain as review
from services.subsidies.review.domain import AppState
from services.subsidies.statistics import repository as repo
from services.subsidies.statistics.schemas import FundStats, Statistics, StatsRow

GROUPS = ("month", "township")


def basis_points(part: int, whole: int) -> int:
    return part * 10000 // whole if whole > 0 else 0


def fund_stats(fund: Fund) -> FundStats:
    return FundStats(
        fund_id=fund.id,
        code=fund.code,
        name=fund.name,
        budget_fen=fund.budget_fen,
        reserved_fen=fund.reserved_fen,
        paid_fen=fund.paid_fen,
        available_fen=funds_service.available_fen(fund),
        usage_basis_points=basis_points(fund.paid_fen, fund.budget_fen),
        committed_basis_points=basis_points(fund.reserved_fen + fund.paid_fen, fund.budget_fen),
    )


@dataclass
class _Totals:
    """One group's counts and amounts, summed over the states of its applications."""

    by_state: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    applications: int = 0
    amount_fen: int = 0
    reserved_fen: int = 0
    paid_fen: int = 0
    beneficiaries: int = 0

    def add(self, state: str, count: int, amount: int) -> None:
        """Live amounts leave rejected and cancelled out; reserved and paid by their states."""
        self.by_state[state] += count
        self.applications += count
        if not review.is_dead(state):
            self.amount_fen += amount
        if review.is_reserved(state):
            self.reserved_fen += amount
        if state == AppState.paid.value:
            self.paid_fen += amount


def _totals(
    state_rows: Iterable[Any], beneficiary_rows: Iterable[Any], groups: int
) -> dict[tuple[Any, ...], _Totals]:
    """Totals per (program, fund, *groups) from the per-state rows and the beneficiary counts."""
    totals: dict[tuple[Any, ...], _Totals] = {}
    for row in state_rows:
        key = tuple(row[: 2 + groups])
        state, count, amount = row[2 + groups], int(row[3 + groups]), int(row[4 + groups])
        totals.setdefault(key, _Totals()).add(state, count, amount)
    for row in beneficiary_rows:
        key = tuple(row[: 2 + groups])
        if key in totals:
            totals[key].beneficiaries = int(row[2 + groups])
    return totals


def _stats_row(key: tuple[Any, ...], totals: _Totals, group_by: list[str]) -> StatsRow:
    groups = dict(zip(group_by, key[2:], strict=True))
    return StatsRow(
        program_code=key[0],
        fund_id=key[1],
        month=groups.get("month"),
        township=groups.get("township"),
        applications=totals.applications,
        by_state=dict(totals.by_state),
        beneficiaries=totals.beneficiaries,
        amount_fen=totals.amount_fen,
        reserved_fen=totals.reserved_fen,
        paid_fen=totals.paid_fen,
    )


async def statistics(
    session: AsyncSession,
    *,
    group_by: list[str],
    program_code: str | None,
    fund_id: uuid.UUID | None,
    township: str | None,
    from_month: str | None,
    to_month: str | None,
) -> Statistics:
    filters: dict[str, Any] = {
        "program_code": program_code,
        "fund_id": fund_id,
        "township": township,
        "from_month": from_month,
        "to_month": to_month,
    }
    funds = [fund_stats(f) for f in await repo.all_funds(session, fund_id)]
    totals = _totals(
        await repo.application_stats(session, group_by=group_by, **filters),
        await repo.beneficiary_counts(session, group_by=group_by, **filters),
        len(group_by),
    )
    rows = [
        _stats_row(key, totals[key], group_by)
        for key in sorted(totals, key=lambda k: tuple(str(x) for x in k))
    ]
    return Statistics(funds=funds, rows=rows, group_by=group_by)
