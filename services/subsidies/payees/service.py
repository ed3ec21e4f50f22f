"""Service of the subsidies service's payees feature."""

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.subsidies.audit import service as audit
from services.subsidies.eligibility import service as eligibility_service
from services.subsidies.errors import (
    BeneficiaryUnknown,
    InvalidPayee,
)
from services.subsidies.payees import repository as repo
from services.subsidies.payees.schemas import PayeeCreate
from services.subsidies.payees.tables import Payee
from shared.pii import PiiVault, mask_account, normalize_account

PAYEE_CONTEXT = "subsidies.payee"


def mask_name(name: str) -> str:
    return name[0] + "*" * min(len(name) - 1, 8) if len(name) > 1 else "*"


async def register_payee(
    session: AsyncSession, body: PayeeCreate, *, vault: PiiVault, actor: str, now: datetime
) -> Payee:
    await audit.serialize(session)
    try:
        account = normalize_account(body.account_number)
    except ValueError as exc:
        raise InvalidPayee(f"account_number: {exc}.") from None
    holder = body.holder_name.strip()
    if not holder or "\x00" in holder:
        raise InvalidPayee("holder_name: give the account holder's name as the bank knows it.")
    if not await eligibility_service.beneficiary_known(
        session, body.beneficiary_kind.value, body.beneficiary_id
    ):
        raise BeneficiaryUnknown(body.beneficiary_kind.value, body.beneficiary_id)
    previous = await repo.active_payee(session, body.beneficiary_kind.value, body.beneficiary_id)
    await repo.retire_payees(session, body.beneficiary_kind.value, body.beneficiary_id)
    payee = Payee(
        beneficiary_kind=body.beneficiary_kind.value,
        beneficiary_id=body.beneficiary_id,
        holder_name_enc=vault.encrypt(holder, context=PAYEE_CONTEXT + ".holder"),
        holder_name_masked=mask_name(holder),
        account_enc=vault.encrypt(account, context=PAYEE_CONTEXT + ".account"),
        account_hash=vault.lookup_hash(account, context=PAYEE_CONTEXT + ".account"),
        account_masked=mask_account(account),
        bank_name=body.bank_name.strip(),
        active=True,
        created_by=actor,
        created_at=now,
    )
    session.add(payee)
    await session.flush()
    await audit.record(
        session,
        entity_type="payee",
        entity_id=payee.id,
        action="payee.replaced" if previous else "payee.registered",
        actor=actor,
        at=now,
        reason=f"for {body.beneficiary_kind.value} {body.beneficiary_id}"
        + (f", replaces payee {previous.id}" if previous else ""),
    )
    return payee


# What the other features read and change of this one: they never use its repository.


async def active_payee(
    session: AsyncSession, beneficiary_kind: str, beneficiary_id: uuid.UUID
) -> Payee | None:
    return await repo.active_payee(session, beneficiary_kind, beneficiary_id)


async def payees_by_id(
    session: AsyncSession, payee_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Payee]:
    return await repo.payees_by_id(session, payee_ids)


async def get_payee(session: AsyncSession, payee_id: uuid.UUID) -> Payee | None:
    return await repo.get_payee(session, payee_id)
