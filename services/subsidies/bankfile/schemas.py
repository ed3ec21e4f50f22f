"""Schemas of the subsidies service's bankfile feature."""

import uuid

from services.subsidies.base import SubsidiesModel


class ReconcileResult(SubsidiesModel):
    batch_id: uuid.UUID
    state: str
    paid: int
    failed: int
    unchanged: int
    pending: int
