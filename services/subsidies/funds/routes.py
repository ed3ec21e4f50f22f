"""Routes of the subsidies service's funds feature."""

from fastapi import APIRouter, status

from services.subsidies.dependencies import FundDep
from services.subsidies.funds import repository as repo
from services.subsidies.funds import service
from services.subsidies.funds.schemas import FundCreate, FundPublic, FundUpdate
from services.subsidies.funds.tables import Fund
from services.subsidies.roles import Admin, Staff
from shared.db import SessionDep
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Now

router = APIRouter(prefix="/v1/subsidies")


def fund_public(fund: Fund) -> FundPublic:
    return FundPublic(
        id=fund.id,
        code=fund.code,
        name=fund.name,
        budget_fen=fund.budget_fen,
        reserved_fen=fund.reserved_fen,
        paid_fen=fund.paid_fen,
        available_fen=service.available_fen(fund),
        created_at=fund.created_at,
    )


@router.post(
    "/funds",
    tags=["funds"],
    operation_id="createFund",
    summary="Create a fund",
    status_code=status.HTTP_201_CREATED,
    response_model=FundPublic,
    responses=responses(401, 403, 409, 422),
)
async def create_fund(
    body: FundCreate, session: SessionDep, identity: Admin, now: Now
) -> FundPublic:
    """Register a fund with its allocated budget in fen (1 yuan = 100 fen). Approvals reserve
    from it; payments draw it down; it can never be over-committed."""
    return fund_public(await service.create_fund(session, body, actor=identity.actor, now=now))


@router.get(
    "/funds",
    tags=["funds"],
    operation_id="listFunds",
    summary="List funds",
    response_model=Page[FundPublic],
    responses=responses(401, 403, 422),
)
async def list_funds(
    session: SessionDep, _: Staff, limit: Limit = 50, cursor: Cursor = None
) -> Page[FundPublic]:
    items, next_cursor = await repo.list_funds(session, limit=limit, cursor=cursor)
    return Page(items=[fund_public(f) for f in items], next_cursor=next_cursor)


@router.get(
    "/funds/{fund_id}",
    tags=["funds"],
    operation_id="getFund",
    summary="Get a fund",
    response_model=FundPublic,
    responses=responses(401, 403, 404, 422),
)
async def get_fund(_: Staff, fund: FundDep) -> FundPublic:
    """Budget, reserved (approved, not yet paid), paid and available amounts."""
    return fund_public(fund)


@router.patch(
    "/funds/{fund_id}",
    tags=["funds"],
    operation_id="updateFund",
    summary="Rename a fund or change its budget",
    response_model=FundPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def update_fund(
    identity: Admin, fund: FundDep, body: FundUpdate, session: SessionDep, now: Now
) -> FundPublic:
    """The budget cannot go below what is already reserved plus paid (409)."""
    return fund_public(
        await service.update_fund(session, fund, body, actor=identity.actor, now=now)
    )
