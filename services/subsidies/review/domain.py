"""The application lifecycle, as one table: which action moves an application from which states
to which state, and what else must hold (the guard). Pure: no database, no clock of its own.

Every change of an application's state goes through :func:`check` (``review.service`` calls it
before it records the transition), so the rules below are the whole lifecycle. The table in
``services/subsidies/README.md`` is :func:`render_table`'s output (a test compares them).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from services.subsidies.errors import (
    AmountChanged,
    InvalidTransition,
    MakerChecker,
    NoticeOver,
    ObjectionPending,
)


class AppState(StrEnum):
    pending_verification = "pending_verification"
    verified = "verified"
    in_notice = "in_notice"  # approved, publicly posted (公示) until notice_ends_at
    ready_for_payment = "ready_for_payment"
    in_batch = "in_batch"
    paid = "paid"
    failed = "failed"
    rejected = "rejected"
    cancelled = "cancelled"


class ObjectionStatus(StrEnum):
    """An objection recorded by a clerk is ``upheld`` at once (the application goes back to
    verification). One from the public is ``open`` until a clerk decides: ``upheld`` (back to
    verification) or ``dismissed`` (with a reason). An open objection holds the end of the
    notice, so nobody is paid while the public's objection is unanswered; it does not move the
    application by itself, so an anonymous caller cannot undo reviews and reservations."""

    open = "open"
    upheld = "upheld"
    dismissed = "dismissed"


# States in which the application's amount is reserved in its fund.
RESERVED_STATES = (
    AppState.in_notice,
    AppState.ready_for_payment,
    AppState.in_batch,
    AppState.failed,
)
# States whose lines no longer count for stacking and caps.
DEAD_STATES = (AppState.rejected, AppState.cancelled)


def is_dead(state: str) -> bool:
    return state in {s.value for s in DEAD_STATES}


def is_reserved(state: str) -> bool:
    return state in {s.value for s in RESERVED_STATES}


@dataclass(frozen=True)
class Facts:
    """What a guard may look at: the application as it is and who acts when."""

    state: str
    actor: str
    now: datetime
    created_by: str | None = None
    verified_by: str | None = None
    approved_by: str | None = None
    notice_ends_at: datetime | None = None
    open_objections: int = 0


def notice_end(approved_at: datetime, notice_days: int) -> datetime | None:
    """When the public notice (公示) of an application approved at ``approved_at`` ends: the
    program's ``notice_days`` later; None when it has none (approval goes straight to
    ready_for_payment, ``approve_without_notice``). An objection is taken until then
    (:func:`notice_running`); after it, ``end_notice`` makes the application payable."""
    if notice_days <= 0:
        return None
    return approved_at + timedelta(days=notice_days)


def check_reviewed_amount(amount_fen: int, reviewed_fen: int | None) -> None:
    """A reviewer who says which amount they checked (``expected_amount_fen``) is refused when
    the application's amount is no longer that one: a grant line may join or leave a pending
    application while it is being reviewed (409 ``amount-changed``)."""
    if reviewed_fen is not None and reviewed_fen != amount_fen:
        raise AmountChanged(
            f"The application is now for {amount_fen} fen, not the {reviewed_fen} fen "
            "you reviewed (a grant line joined or left it); look at it again.",
            amount_fen=amount_fen,
        )


def public_objection_open(facts: Facts) -> None:
    """Whether the public may still object (公示): only while the application is in notice and
    before ``notice_ends_at``; refused with 409 ``notice-over`` otherwise."""
    running = facts.state == AppState.in_notice.value and (
        facts.notice_ends_at is None or facts.now < facts.notice_ends_at
    )
    if not running:
        ended = (
            f" (it ended at {facts.notice_ends_at.isoformat()})"
            if facts.notice_ends_at is not None and facts.now >= facts.notice_ends_at
            else ""
        )
        raise NoticeOver(
            f"The public notice period of this application is over{ended}; objections are no "
            "longer taken here. Please contact the Weng'an county labour bureau."
        )


Guard = Callable[[Facts], None]


def no_guard(facts: Facts) -> None:
    """—"""


def four_eyes(facts: Facts) -> None:
    """the approver is neither the creator nor the verifier"""
    if facts.actor == facts.verified_by:
        raise MakerChecker("You verified this application; another approver must approve it.")
    if facts.actor == facts.created_by:
        raise MakerChecker("You created this application; another approver must approve it.")


def notice_running(facts: Facts) -> None:
    """before `notice_ends_at`"""
    if facts.notice_ends_at is not None and facts.now >= facts.notice_ends_at:
        raise InvalidTransition(
            "object to",
            "past its notice period",
            (AppState.in_notice.value + " before notice_ends_at",),
        )


def no_open_objection(facts: Facts) -> None:
    """no public objection awaits a clerk's decision"""
    if facts.open_objections:
        raise ObjectionPending(
            f"{facts.open_objections} objection(s) from the public await a clerk's decision; "
            "the notice cannot end before they are upheld or dismissed."
        )


class Transition(NamedTuple):
    from_states: tuple[AppState, ...]
    to_state: AppState
    guard: Guard


S = AppState
_BEFORE_BATCH = (S.pending_verification, S.verified, S.in_notice, S.ready_for_payment, S.failed)

TRANSITIONS: dict[str, Transition] = {
    "verify": Transition((S.pending_verification,), S.verified, no_guard),
    "approve": Transition((S.verified,), S.in_notice, four_eyes),
    "approve_without_notice": Transition((S.verified,), S.ready_for_payment, four_eyes),
    "object": Transition((S.in_notice,), S.pending_verification, notice_running),
    "end_notice": Transition((S.in_notice,), S.ready_for_payment, no_open_objection),
    "uphold_objection": Transition((S.in_notice,), S.pending_verification, no_guard),
    "reject": Transition((S.pending_verification, S.verified, S.in_notice), S.rejected, no_guard),
    "cancel": Transition(_BEFORE_BATCH, S.cancelled, no_guard),
    "batch": Transition((S.ready_for_payment, S.failed), S.in_batch, no_guard),
    "unbatch": Transition((S.in_batch,), S.ready_for_payment, no_guard),
    "pay": Transition((S.in_batch,), S.paid, no_guard),
    "fail": Transition((S.in_batch,), S.failed, no_guard),
    "withdraw": Transition(_BEFORE_BATCH, S.cancelled, no_guard),
    "return_for_review": Transition(_BEFORE_BATCH[1:], S.pending_verification, no_guard),
}

# How an action is named in an error message ("Cannot object to an application that is …").
_VERB = {"object": "object to", "approve_without_notice": "approve"}


def permits(action: str, state: str) -> bool:
    """Whether ``action`` may start from ``state`` (its guard aside)."""
    return state in {s.value for s in TRANSITIONS[action].from_states}


def check(action: str, facts: Facts) -> AppState:
    """The state ``action`` leads to from ``facts``; raises the domain error that refuses it
    (409 ``invalid-transition`` for a wrong state, or the guard's)."""
    transition = TRANSITIONS[action]
    if not permits(action, facts.state):
        verb = _VERB.get(action, action)
        shown = facts.state
        if verb == "approve" and facts.approved_by is not None:
            shown = f"{facts.state} (already approved by {facts.approved_by})"
        raise InvalidTransition(verb, shown, tuple(s.value for s in transition.from_states))
    transition.guard(facts)
    return transition.to_state


def render_table() -> str:
    """The lifecycle table as Markdown, for the service's README."""
    rows = ["| action | from | to | also requires |", "|---|---|---|---|"]
    for action, (from_states, to_state, guard) in TRANSITIONS.items():
        sources = ", ".join(s.value for s in from_states)
        rows.append(f"| `{action}` | {sources} | {to_state.value} | {guard.__doc__} |")
    return "\n".join(rows) + "\n"
