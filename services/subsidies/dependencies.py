"""Load-by-id dependencies of the subsidies service."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from services.subsidies.base import CODE_PATTERN
from services.subsidies.errors import (
    ApplicationNotFound,
    BatchNotFound,
    FundNotFound,
    PayeeNotFound,
    ProgramNotFound,
)
from services.subsidies.funds import service as funds_service
from services.subsidies.funds.tables import Fund
from services.subsidies.payees import service as payees_service
from services.subsidies.payees.tables import Payee
from services.subsidies.payments import service as payments_service
from services.subsidies.payments.tables import PaymentBatch
from services.subsidies.programs import service as programs_service
from services.subsidies.programs.tables import Program
from services.subsidies.review import service as review_service
from services.subsidies.review.tables import Application
from shared.db import SessionDep


async def fund_by_id(fund_id: uuid.UUID, session: SessionDep) -> Fund:
    fund = await funds_service.get_fund(session, fund_id)
    if fund is None:
        raise FundNotFound(fund_id)
    return fund


async def program_by_code(
    session: SessionDep,
    code: Annotated[str, Path(max_length=50, pattern=CODE_PATTERN)],
) -> Program:
    program = await programs_service.current_program(session, code)
    if program is None:
        raise ProgramNotFound(code)
    return program


async def application_by_id(application_id: uuid.UUID, session: SessionDep) -> Application:
    app = await review_service.get_application(session, application_id)
    if app is None:
        raise ApplicationNotFound(application_id)
    return app


async def payee_by_id(payee_id: uuid.UUID, session: SessionDep) -> Payee:
    payee = await payees_service.get_payee(session, payee_id)
    if payee is None:
        raise PayeeNotFound(payee_id)
    return payee


async def batch_by_id(batch_id: uuid.UUID, session: SessionDep) -> PaymentBatch:
    batch = await payments_service.get_batch(session, batch_id)
    if batch is None:
        raise BatchNotFound(batch_id)
    return batch


FundDep = Annotated[Fund, Depends(fund_by_id)]


ProgramDep = Annotated[Program, Depends(program_by_code)]


ApplicationDep = Annotated[Application, Depends(application_by_id)]


PayeeDep = Annotated[Payee, Depends(payee_by_id)]


BatchDep = Annotated[PaymentBatch, Depends(batch_by_id)]
