"""Service of the subsidies service's funds feature, and the rules of a fund's money:

* what is **available** is the budget less what is reserved (approved, not yet paid) and paid;
* an approval **reserves** its amount only if that much is available, in one conditional
  UPDATE (never check-then-act; a CHECK constraint backs it), else it is refused
  (409 ``fund-exhausted``, saying what is left);
* rejection, cancellation, an objection or a withdrawal **release** a reservation; a payment
  **settles** it (reserved → paid);
* the **budget** never goes below what is reserved plus paid (409 ``budget-below-committed``).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.errors import (
    BudgetBelowCommitted,
    DuplicateCode,
    FundExhausted,
    FundNotFound,
)
from services.subsidies.funds import repository as repo
from services.subsidies.funds.schemas import FundCreate, FundUpdate
from services.subsidies.funds.tables import Fund


async def create_fund(
    session: AsyncSession, body: FundCreate, *, actor: str, now: datetime
) -> Fund:
    await audit.serialize(session)
    if await repo.get_fund_by_code(session, body.code):
        raise DuplicateCode(f"A fund with code '{body.code}' already exists.")
    fund = Fund(code=body.code, name=body.name, budget_fen=body.budget_fen, created_at=now)
    session.add(fund)
    await session.flush()
    await audit.record(
        session,
        entity_type="fund",
        entity_id=fund.id,
        action="fund.created",
        actor=actor,
        at=now,
        reason=f"budget {body.budget_fen} fen",
    )
    return fund


async def update_fund(
    session: AsyncSession, fund: Fund, body: FundUpdate, *, actor: str, now: datetime
) -> Fund:
    await audit.serialize(session)
    if body.budget_fen is not None and body.budget_fen != fund.budget_fen:
        if not await repo.set_budget(session, fund.id, body.budget_fen):
            await repo.refresh(session, fund)
            raise BudgetBelowCommitted(
                f"The budget cannot go below what is already reserved and paid "
                f"({fund.reserved_fen + fund.paid_fen} fen)."
            )
        await audit.record(
            session,
            entity_type="fund",
            entity_id=fund.id,
            action="fund.budget_changed",
            actor=actor,
            at=now,
            reason=f"budget {fund.budget_fen} → {body.budget_fen} fen",
        )
    if body.name is not None:
        fund.name = body.name
        session.add(fund)
    await session.flush()
    await repo.refresh(session, fund)
    return fund


def available_fen(fund: Fund) -> int:
    return fund.budget_fen - fund.reserved_fen - fund.paid_fen


# What the other features read and change of this one: they never use its repository.


async def get_fund(session: AsyncSession, fund_id: uuid.UUID) -> Fund | None:
    return await repo.get_fund(session, fund_id)


async def refresh(session: AsyncSession, obj: Any) -> None:
    return await repo.refresh(session, obj)


async def release(session: AsyncSession, fund_id: uuid.UUID, amount_fen: int) -> None:
    return await repo.release(session, fund_id, amount_fen)


async def reserve(session: AsyncSession, fund_id: uuid.UUID, amount_fen: int) -> None:
    """Take ``amount_fen`` from what is left of the fund, in one conditional statement: two
    concurrent approvals can never both see the same money as free (RELIABILITY #17). Refused
    (``FundExhausted``) when less is left."""
    if await repo.reserve(session, fund_id, amount_fen):
        return
    fund = await repo.get_fund(session, fund_id)
    if fund is None:
        raise FundNotFound(fund_id)
    await repo.refresh(session, fund)
    raise FundExhausted(
        f"Fund '{fund.code}' has {available_fen(fund)} fen "
        f"left, less than the {amount_fen} fen this application needs.",
        available_fen=available_fen(fund),
        needed_fen=amount_fen,
    )


async def settle(session: AsyncSession, fund_id: uuid.UUID, amount_fen: int) -> None:
    """Move a reserved amount to paid."""
    return await repo.settle(session, fund_id, amount_fen)
