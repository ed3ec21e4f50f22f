"""Who may be paid, and when a batch may go to the bank: the payment rules as pure functions
(no database). ``payments.service`` loads the applications, payees and lines and asks these.

* an application is **payable** when the lifecycle lets it into a batch (ready for payment, or
  failed), its beneficiary has a bank account registered, and, after a failed payment, that
  account was replaced since (a **retry** never pays the account that failed);
* a batch is **exported** only when every line still pays the beneficiary's current account
  (else 409 ``batch-payee-replaced``: discard it and make a new one), and never by a clerk who
  registered or replaced the account of any of its lines (403 ``maker-checker``: a changed bank
  account is the classic path of payment fraud).

The payment file's format (:class:`FileFormat`): its encoding and whether amounts are in fen or
in yuan with two decimals, chosen on export and download; the default is unchanged.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from services.subsidies.review import domain as review
from services.subsidies.review.domain import AppState


class Payable(Protocol):
    """An application as the payment rules see it (``Application``)."""

    @property
    def state(self) -> str: ...
    @property
    def notice_ends_at(self) -> datetime | None: ...
    @property
    def beneficiary_kind(self) -> str: ...
    @property
    def beneficiary_id(self) -> uuid.UUID: ...


class Line(Protocol):
    """A batch line (``BatchLine``)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def line_no(self) -> int: ...
    @property
    def application_id(self) -> uuid.UUID: ...
    @property
    def payee_id(self) -> uuid.UUID: ...


class Account(Protocol):
    """A registered bank account (``Payee``)."""

    @property
    def active(self) -> bool: ...
    @property
    def created_by(self) -> str: ...


def may_batch(app: Payable) -> bool:
    """Whether the lifecycle lets the application into a batch (its account aside)."""
    return review.permits("batch", app.state)


def unpayable(
    app: Payable, payee_id: uuid.UUID | None, failed_payee_id: uuid.UUID | None
) -> str | None:
    """Why ``app`` cannot be paid in a new batch, or None. ``payee_id`` is its beneficiary's
    current account (None: none registered); ``failed_payee_id`` the account its last failed
    payment went to (None: it never failed)."""
    if not may_batch(app):
        detail = f"it is {app.state}, not ready_for_payment"
        if app.state == AppState.in_notice.value and app.notice_ends_at is not None:
            detail += f" (public notice ends {app.notice_ends_at.isoformat()})"
        return detail
    if payee_id is None:
        return f"no bank account registered for {app.beneficiary_kind} {app.beneficiary_id}"
    if app.state == AppState.failed.value and failed_payee_id == payee_id:
        return "its last payment failed and the payee's account has not been corrected since"
    return None


def export_refusals(
    lines: Sequence[Line], accounts: Mapping[uuid.UUID, Account], exporter: str
) -> tuple[list[dict[str, Any]], list[int]]:
    """The lines that would pay an account no longer current (each a problem to list), and the
    numbers of the lines whose account ``exporter`` registered; both empty when the batch may
    be exported by them."""
    replaced: list[dict[str, Any]] = []
    own: list[int] = []
    for line in lines:
        account = accounts.get(line.payee_id)
        if account is None or not account.active:
            replaced.append(
                {
                    "line_no": line.line_no,
                    "line_id": str(line.id),
                    "application_id": str(line.application_id),
                    "problem": "the beneficiary's bank account was replaced after this batch was "
                    "made; this line would pay the old account",
                }
            )
        elif account.created_by == exporter:
            own.append(line.line_no)
    return replaced, own


# --- the payment file's format --------------------------------------------------------------
# Banks and Excel on Chinese Windows read GBK (or UTF-8 only with a BOM) and amounts in yuan
# with two decimals; the default stays what it always was (UTF-8 without BOM, integer fen).


class FileEncoding(StrEnum):
    utf_8 = "utf-8"  # the default: what every file was before the choice existed
    utf_8_sig = "utf-8-sig"  # UTF-8 with a BOM, so Excel reads it as UTF-8
    gbk = "gbk"  # what Chinese Windows and most bank systems read
    gb18030 = "gb18030"  # GBK's superset, for names with characters GBK lacks


class AmountUnit(StrEnum):
    fen = "fen"  # integer fen (the default)
    yuan = "yuan"  # yuan with exactly two decimals, computed from fen by integer division


@dataclass(frozen=True)
class FileFormat:
    encoding: FileEncoding = FileEncoding.utf_8
    amounts: AmountUnit = AmountUnit.fen

    @property
    def amount_column(self) -> str:
        return f"amount_{self.amounts.value}"

    @property
    def charset(self) -> str:
        """The charset of the file's ``Content-Type`` (a BOM is still UTF-8)."""
        return "utf-8" if self.encoding is FileEncoding.utf_8_sig else self.encoding.value

    def amount(self, fen: int) -> int | str:
        """The amount cell: fen as they are, or yuan exactly (never through a float)."""
        return fen if self.amounts is AmountUnit.fen else yuan(fen)

    def describe(self) -> str:
        return f"encoding={self.encoding.value} amounts={self.amounts.value}"


def yuan(fen: int) -> str:
    """``50000`` → ``"500.00"``, ``5`` → ``"0.05"``, ``-1234`` → ``"-12.34"``: integer division."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def unencodable_rows(rows: Sequence[str], encoding: FileEncoding) -> list[int]:
    """The (1-based) rows of the file that ``encoding`` cannot write (a rare character of a
    holder's name in GBK, say)."""
    bad = []
    for number, row in enumerate(rows, start=1):
        try:
            row.encode(encoding.value)
        except UnicodeEncodeError:
            bad.append(number)
    return bad
