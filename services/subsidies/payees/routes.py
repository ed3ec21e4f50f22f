"""Routes of the subsidies service's payees feature."""

import uuid

from fastapi import APIRouter, status

from services.subsidies.dependencies import PayeeDep
from services.subsidies.payees import repository as repo
from services.subsidies.payees import service
from services.subsidies.payees.schemas import PayeeCreate, PayeePublic
from services.subsidies.payees.tables import Payee
from services.subsidies.roles import Clerk, Staff
from shared.db import SessionDep
from shared.openapi import responses
from shared.pagination import Cursor, Limit, Page
from shared.runtime import Now, VaultDep

router = APIRouter(prefix="/v1/subsidies")


def payee_public(payee: Payee) -> PayeePublic:
    return PayeePublic(
        id=payee.id,
        beneficiary_kind=payee.beneficiary_kind,
        beneficiary_id=payee.beneficiary_id,
        holder_name=payee.holder_name_masked,
        account_number=payee.account_masked,
        bank_name=payee.bank_name,
        active=payee.active,
        created_at=payee.created_at,
    )


@router.post(
    "/payees",
    tags=["payments"],
    operation_id="registerPayee",
    summary="Register or replace a beneficiary's bank account",
    status_code=status.HTTP_201_CREATED,
    response_model=PayeePublic,
    responses=responses(401, 403, 422),
)
async def register_payee(
    body: PayeeCreate, session: SessionDep, identity: Clerk, vault: VaultDep, now: Now
) -> PayeePublic:
    """The account is stored encrypted and shown masked from then on. Registering again for the
    same beneficiary replaces the account (the old one is kept, inactive, for the history).
    The beneficiary must be known from the jobs service's events (a worker or employer it
    registered or placed): 422 `beneficiary-unknown` otherwise."""
    return payee_public(
        await service.register_payee(session, body, vault=vault, actor=identity.actor, now=now)
    )


@router.get(
    "/payees",
    tags=["payments"],
    operation_id="listPayees",
    summary="List payees",
    response_model=Page[PayeePublic],
    responses=responses(401, 403, 422),
)
async def list_payees(
    session: SessionDep,
    _: Staff,
    beneficiary_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PayeePublic]:
    items, next_cursor = await repo.list_payees(
        session, beneficiary_id=beneficiary_id, limit=limit, cursor=cursor
    )
    return Page(items=[payee_public(p) for p in items], next_cursor=next_cursor)


@router.get(
    "/payees/{payee_id}",
    tags=["payments"],
    operation_id="getPayee",
    summary="Get a payee (masked)",
    response_model=PayeePublic,
    responses=responses(401, 403, 404, 422),
)
async def get_payee(_: Staff, payee: PayeeDep) -> PayeePublic:
    return payee_public(payee)
