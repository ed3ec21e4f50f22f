"""Service of the subsidies service's statistics feature."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.funds import service as funds_service
from services.subsidies.funds.tables import Fund
from services.subsidies.review import domain as review
from services.subsidies.review.domain import AppState
from services.subsidies.statistics import repository as repo
from services.subsidies.statistics.schemas import (
    FundStats,
    PaidRow,
    PaidStatistics,
    Statistics,
    StatsRow,
)

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


CHINA = timezone(timedelta(hours=8))  # Weng'an and Haizhu: no daylight saving


def china_day_start(day: date) -> datetime:
    """The UTC instant a calendar day begins in China (00:00 UTC+8)."""
    return datetime.combine(day, time(), tzinfo=CHINA).astimezone(UTC)


async def paid_statistics(
    session: AsyncSession,
    *,
    from_date: date | None,
    to_date: date | None,
    program_code: str | None,
    fund_id: uuid.UUID | None,
) -> PaidStatistics:
    """What the bank paid per program (and fund) with a settlement date from ``from_date`` to
    ``to_date`` inclusive, days in China time: the dashboard's "subsidies paid per program"
    for any period, beside each fund's budget and all it has paid."""
    rows = await repo.paid_in_period(
        session,
        since=china_day_start(from_date) if from_date else None,
        until=china_day_start(to_date + timedelta(days=1)) if to_date else None,
        program_code=program_code,
        fund_id=fund_id,
    )
    names = await repo.program_names(session, {row[0] for row in rows})
    funds = {f.id: f for f in await repo.all_funds(session, fund_id)}
    paid_rows = []
    for code, row_fund_id, paid, payments, beneficiaries in sorted(rows, key=lambda r: r[0]):
        fund = funds[row_fund_id]
        paid_rows.append(
            PaidRow(
                program_code=code,
                program_name=names.get(code, code),
                fund_id=row_fund_id,
                fund_code=fund.code,
                paid_fen=int(paid),
                payments=int(payments),
                beneficiaries=int(beneficiaries),
                fund_budget_fen=fund.budget_fen,
                fund_paid_fen=fund.paid_fen,
            )
        )
    return PaidStatistics(
        from_date=from_date,
        to_date=to_date,
        rows=paid_rows,
        total_paid_fen=sum(r.paid_fen for r in paid_rows),
    )
