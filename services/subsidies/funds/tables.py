"""Tables of the subsidies service's funds feature."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint
from sqlmodel import Field

from services.subsidies.base import CODE_PATTERN, MAX_FEN, SubsidiesModel
from shared.db import UTCDateTime, new_id, utcnow


class FundBase(SubsidiesModel):
    code: str = Field(max_length=50, schema_extra={"pattern": CODE_PATTERN}, unique=True)
    name: str = Field(min_length=1, max_length=200)
    budget_fen: int = Field(ge=0, le=MAX_FEN, sa_type=BigInteger)


class Fund(FundBase, table=True):
    __tablename__ = "funds"
    __table_args__ = (
        CheckConstraint(
            "reserved_fen >= 0 AND paid_fen >= 0 AND reserved_fen + paid_fen <= budget_fen",
            name="within_budget",
        ),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    reserved_fen: int = Field(default=0, sa_type=BigInteger)
    paid_fen: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
