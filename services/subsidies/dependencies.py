"""Load-by-id dependencies of the subsidies service: the resource a path names, or its 404."""

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
from shared.loader import loader

ProgramCode = Annotated[str, Path(max_length=50, pattern=CODE_PATTERN)]

FundDep = Annotated[Fund, Depends(loader(funds_service.get_fund, FundNotFound, param="fund_id"))]


ProgramDep = Annotated[
    Program,
    Depends(
        loader(
            programs_service.current_program, ProgramNotFound, param="code", annotation=ProgramCode
        )
    ),
]


ApplicationDep = Annotated[
    Application,
    Depends(loader(review_service.get_application, ApplicationNotFound, param="application_id")),
]


PayeeDep = Annotated[
    Payee, Depends(loader(payees_service.get_payee, PayeeNotFound, param="payee_id"))
]


BatchDep = Annotated[
    PaymentBatch, Depends(loader(payments_service.get_batch, BatchNotFound, param="batch_id"))
]
