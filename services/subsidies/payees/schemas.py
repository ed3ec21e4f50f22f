"""Schemas of the subsidies service's payees feature."""

import uuid
from datetime import datetime

from pydantic import ConfigDict
from sqlmodel import Field

from services.subsidies.base import JsonInput, SubsidiesModel
from services.subsidies.payees.examples import PAYEE_CREATE_EXAMPLES
from services.subsidies.programs.tables import BeneficiaryKind


class PayeeCreate(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={"examples": PAYEE_CREATE_EXAMPLES},
    )
    beneficiary_kind: BeneficiaryKind
    beneficiary_id: uuid.UUID
    holder_name: str = Field(min_length=1, max_length=200)
    account_number: str = Field(min_length=1, max_length=40)
    bank_name: str = Field(min_length=1, max_length=200)


class PayeePublic(SubsidiesModel):
    id: uuid.UUID
    beneficiary_kind: str
    beneficiary_id: uuid.UUID
    holder_name: str
    account_number: str
    bank_name: str
    active: bool
    created_at: datetime
