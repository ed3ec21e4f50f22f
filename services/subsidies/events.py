"""Events the subsidies service publishes: its public contract (v1).

No personal data: ids, codes, months, townships and amounts only; never names, ID numbers or
bank accounts; reasons stay in the audit trail, not in events.
"""

import uuid

from shared.events import Event


class ApplicationCreated(Event):
    event_type = "subsidies.application.created"
    application_id: uuid.UUID
    program_code: str
    program_version: int
    fund_id: uuid.UUID
    beneficiary_kind: str
    beneficiary_id: uuid.UUID
    month: str
    township: str
    amount_fen: int
    manual: bool


class ApplicationAmended(Event):
    """A grant line joined a pending application or was withdrawn from an application not yet
    paid or in a batch (a correction took away a month its rule needed), changing its amount."""

    event_type = "subsidies.application.amended"
    application_id: uuid.UUID
    program_code: str
    month: str
    change: str  # "line_added" | "line_withdrawn"
    old_amount_fen: int
    new_amount_fen: int


class ApplicationApproved(Event):
    event_type = "subsidies.application.approved"
    application_id: uuid.UUID
    program_code: str
    fund_id: uuid.UUID
    amount_fen: int
    notice_ends_at: str | None


class ApplicationRejected(Event):
    event_type = "subsidies.application.rejected"
    application_id: uuid.UUID
    program_code: str
    from_state: str


class ApplicationPaid(Event):
    event_type = "subsidies.application.paid"
    application_id: uuid.UUID
    program_code: str
    fund_id: uuid.UUID
    batch_id: uuid.UUID
    amount_fen: int


class ApplicationFailed(Event):
    event_type = "subsidies.application.failed"
    application_id: uuid.UUID
    program_code: str
    batch_id: uuid.UUID
    amount_fen: int


class BatchExported(Event):
    event_type = "subsidies.batch.exported"
    batch_id: uuid.UUID
    line_count: int
    total_fen: int


class BatchDiscarded(Event):
    event_type = "subsidies.batch.discarded"
    batch_id: uuid.UUID
    line_count: int
    total_fen: int


class BatchReconciled(Event):
    event_type = "subsidies.batch.reconciled"
    batch_id: uuid.UUID
    paid_count: int
    failed_count: int
    pending_count: int
    paid_fen: int
    failed_fen: int
    complete: bool
