"""Schemas of the subsidies service's payees feature."""

import uuid
from datetime import datetime

from pydantic import ConfigDict
from sqlmodel import Field

from services.subsidies.base import JsonInput, SubsidiesModel
from services.subsidies.programs.tables import BeneficiaryKind


class PayeeCreate(JsonInput):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_kind": "workshop",
                    "beneficiary_id": "9a5e2c1d-7b44-4f0a-8e3c-2d1f6b7a8c90",
                    "holder_name": "瓮安县某扶贫车间",
                    "account_number": "6222020200112233445",
                    "bank_name": "Agricultural Bank of China, Weng'an branch",
                }
            ]
        },
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
