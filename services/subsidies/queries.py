"""Query conditions several features' repositories share."""

from typing import Any

from services.subsidies.audit.tables import AuditEntry
from services.subsidies.eligibility.tables import Employer, MonthConfirmation, Placement, Worker
from services.subsidies.funds.tables import Fund
from services.subsidies.payees.tables import Payee
from services.subsidies.payments.tables import BatchLine, PaymentBatch
from services.subsidies.programs.tables import Program
from services.subsidies.review.domain import DEAD_STATES
from services.subsidies.review.tables import Application, ApplicationLine, Objection
from shared.db import columns

F = columns(Fund)


PR = columns(Program)


A = columns(Application)


AL = columns(ApplicationLine)


MC = columns(MonthConfirmation)


PY = columns(Payee)


PB = columns(PaymentBatch)


BL = columns(BatchLine)


AU = columns(AuditEntry)


OB = columns(Objection)


PL = columns(Placement)


WK = columns(Worker)


EM = columns(Employer)


def live() -> Any:
    return A.state.not_in([s.value for s in DEAD_STATES])
