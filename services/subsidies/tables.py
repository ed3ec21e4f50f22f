"""Every table of the subsidies service, so the one metadata (``base.metadata``) knows them all
when Alembic compares it with the database or a test creates the schema.

Three groups of tables:

* **rules**: ``funds`` (budget, reserved, paid — a CHECK keeps reserved + paid within the budget)
  and ``programs`` (one row per version of a program; applications point at the version they were
  computed under);
* **the employment view** built only from the jobs service's events: ``employers``,
  ``workers``, ``placements``, ``month_confirmations``;
* **the money trail**: ``applications`` (+ ``application_lines``, one per person-month or one-off
  grant), ``objections``, ``payees`` (bank accounts, encrypted), ``payment_batches`` (+
  ``batch_lines``) and the append-only, hash-chained ``audit_entries``.
"""

from services.subsidies.audit.tables import AuditEntry
from services.subsidies.base import event_tables, metadata
from services.subsidies.eligibility.tables import Employer, MonthConfirmation, Placement, Worker
from services.subsidies.funds.tables import Fund
from services.subsidies.payees.tables import Payee
from services.subsidies.payments.tables import BatchLine, PaymentBatch
from services.subsidies.programs.tables import Program
from services.subsidies.review.tables import Application, ApplicationLine, Objection

__all__ = [
    "Application",
    "ApplicationLine",
    "AuditEntry",
    "BatchLine",
    "Employer",
    "Fund",
    "MonthConfirmation",
    "Objection",
    "Payee",
    "PaymentBatch",
    "Placement",
    "Program",
    "Worker",
    "event_tables",
    "metadata",
]
