"""Who may be paid and when a batch may go to the bank (payments/domain.py), without a
database."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.subsidies.payments.domain import export_refusals, unpayable
from services.subsidies.review.domain import AppState


@dataclass
class App:
    state: str
    notice_ends_at: datetime | None = None
    beneficiary_kind: str = "worker"
    beneficiary_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Line:
    line_no: int
    payee_id: uuid.UUID
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    application_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Account:
    active: bool
    created_by: str


ACCOUNT = uuid.uuid4()


class TestUnpayable:
    def test_ready_with_an_account_is_payable(self) -> None:
        assert unpayable(App(AppState.ready_for_payment.value), ACCOUNT, None) is None

    def test_in_notice_says_when_the_notice_ends(self) -> None:
        ends = datetime(2020, 6, 6, tzinfo=UTC)
        problem = unpayable(App(AppState.in_notice.value, notice_ends_at=ends), ACCOUNT, None)
        assert (
            problem
            == f"it is in_notice, not ready_for_payment (public notice ends {ends.isoformat()})"
        )

    def test_no_account_registered(self) -> None:
        app = App(AppState.ready_for_payment.value)
        assert unpayable(app, None, None) == (
            f"no bank account registered for worker {app.beneficiary_id}"
        )

    def test_a_failed_payment_is_retried_only_to_another_account(self) -> None:
        failed = App(AppState.failed.value)
        assert unpayable(failed, ACCOUNT, ACCOUNT) is not None
        assert unpayable(failed, uuid.uuid4(), ACCOUNT) is None


class TestExportRefusals:
    def test_replaced_accounts_and_the_exporters_own_are_found(self) -> None:
        mine, theirs, retired = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        accounts = {
            mine: Account(True, "clerk-1"),
            theirs: Account(True, "clerk-2"),
            retired: Account(False, "clerk-2"),
        }
        lines = [Line(1, mine), Line(2, theirs), Line(3, retired), Line(4, uuid.uuid4())]
        replaced, own = export_refusals(lines, accounts, "clerk-1")
        assert [p["line_no"] for p in replaced] == [3, 4]
        assert own == [1]
        assert export_refusals(lines[1:2], accounts, "clerk-1") == ([], [])
