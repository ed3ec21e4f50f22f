"""Tables of the subsidies service's payees feature."""

import uuid
from datetime import datetime

from sqlmodel import Field

from services.subsidies.base import SubsidiesModel
from shared.db import UTCDateTime, new_id, utcnow


class Payee(SubsidiesModel, table=True):
    """A bank account for a beneficiary. Replacing it makes a new row and retires the old one,
    so a batch line keeps pointing at the account it was paid to."""

    __tablename__ = "payees"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    beneficiary_kind: str = Field(max_length=20)
    beneficiary_id: uuid.UUID = Field(index=True)
    holder_name_enc: str = Field(max_length=1000)
    holder_name_masked: str = Field(max_length=100)
    account_enc: str = Field(max_length=1000)
    account_hash: str = Field(max_length=64, index=True)
    account_masked: str = Field(max_length=40)
    bank_name: str = Field(max_length=200)
    active: bool = Field(default=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
