"""Service of the subsidies service's statistics feature."""

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.review import domain as review
from services.subsidies.review.domain import AppState
from services.subsidies.statistics import repository as repo
from services.subsidies.statistics.schemas import FundStats, Statistics, StatsRow

GROUPS = ("month", "township")


def basis_points(part: int, whole: int) -> int:
    return part * 10000 // whole if whole > 0 else 0


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
    funds = [
        FundStats(
            fund_id=f.id,
            code=f.code,
            name=f.name,
            budget_fen=f.budget_fen,
            reserved_fen=f.reserved_fen,
            paid_fen=f.paid_fen,
            available_fen=f.budget_fen - f.reserved_fen - f.paid_fen,
            usage_basis_points=basis_points(f.paid_fen, f.budget_fen),
            committed_basis_points=basis_points(f.reserved_fen + f.paid_fen, f.budget_fen),
        )
        for f in await repo.all_funds(session, fund_id)
    ]
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    n = len(group_by)
    for row in await repo.application_stats(session, group_by=group_by, **filters):
        key = tuple(row[: 2 + n])
        state, count, amount = row[2 + n], int(row[3 + n]), int(row[4 + n])
        acc = rows.setdefault(
            key,
            {
                "by_state": defaultdict(int),
                "applications": 0,
                "amount_fen": 0,
                "reserved_fen": 0,
                "paid_fen": 0,
                "beneficiaries": 0,
            },
        )
        acc["by_state"][state] += count
        acc["applications"] += count
        if not review.is_dead(state):
            acc["amount_fen"] += amount
        if review.is_reserved(state):
            acc["reserved_fen"] += amount
        if state == AppState.paid.value:
            acc["paid_fen"] += amount
    for row in await repo.beneficiary_counts(session, group_by=group_by, **filters):
        key = tuple(row[: 2 + n])
        if key in rows:
            rows[key]["beneficiaries"] = int(row[2 + n])
    out = []
    for key in sorted(rows, key=lambda k: tuple(str(x) for x in k)):
        acc = rows[key]
        groups = dict(zip(group_by, key[2:], strict=True))
        out.append(
            StatsRow(
                program_code=key[0],
                fund_id=key[1],
                month=groups.get("month"),
                township=groups.get("township"),
                applications=acc["applications"],
                by_state=dict(acc["by_state"]),
                beneficiaries=acc["beneficiaries"],
                amount_fen=acc["amount_fen"],
                reserved_fen=acc["reserved_fen"],
                paid_fen=acc["paid_fen"],
            )
        )
    return Statistics(funds=funds, rows=out, group_by=group_by)
