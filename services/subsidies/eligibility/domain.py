"""Who is granted what: the eligibility rules of every program, as pure functions over typed
records (no database, no clock). ``eligibility.service`` loads the records, asks these functions
and writes what they decide.

* a month **counts** when its standing (not superseded) confirmation has a wage paid > 0;
* a grant is due for a month that **ends a run** of the program's ``required_months`` counted
  months, within the program's validity (a one-off: the first such month only), and only for
  registered-poor workers when the program says ``poor_only``;
* a grant is **refused** when already made (same line key), when the placement has a live grant
  of a program that may not be stacked with it (不得叠加, symmetric), when the worker holds
  another subsidised post that month (双岗), or when a cap would be passed;
* a grant is worth the program's amount under its current version (:func:`grant_amount`) and
  is paid to the worker or the employer (:func:`beneficiary`); per-person-month grants gather
  in the beneficiary's open application of the month (:func:`joins_open_application`);
* a grant is **withdrawn** when a correction takes the wage from a month its run needed, unless
  (one-off) another run still meets the rule (吃空饷).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol


class AmountRule(StrEnum):
    one_off = "one_off"
    per_person_month = "per_person_month"


class Confirmation(Protocol):
    """A month the employer confirmed (``MonthConfirmation``)."""

    @property
    def confirmation_id(self) -> uuid.UUID: ...
    @property
    def month(self) -> str: ...
    @property
    def wage_paid_fen(self) -> int: ...
    @property
    def superseded(self) -> bool: ...


class Rule(Protocol):
    """One version of a program (``Program``)."""

    @property
    def code(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def employer_kind(self) -> str: ...
    @property
    def beneficiary_kind(self) -> str: ...
    @property
    def amount_rule(self) -> str: ...
    @property
    def amount_fen(self) -> int: ...
    @property
    def required_months(self) -> int: ...
    @property
    def cap_months(self) -> int | None: ...
    @property
    def cap_per_person_fen(self) -> int | None: ...
    @property
    def cap_per_beneficiary_fen(self) -> int | None: ...
    @property
    def poor_only(self) -> bool: ...
    @property
    def valid_from(self) -> date: ...
    @property
    def valid_until(self) -> date | None: ...


class Job(Protocol):
    """A placement as the jobs service's events described it (``Placement``)."""

    @property
    def placement_id(self) -> uuid.UUID: ...
    @property
    def worker_id(self) -> uuid.UUID: ...
    @property
    def employer_id(self) -> uuid.UUID: ...
    @property
    def employer_kind(self) -> str: ...
    @property
    def poor_household(self) -> bool: ...
    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date | None: ...


def month_add(month: str, delta: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def counted_months(confirmations: Iterable[Confirmation]) -> dict[str, uuid.UUID]:
    """Months with a wage actually paid, by the confirmation that stands for each."""
    months: dict[str, uuid.UUID] = {}
    for c in confirmations:
        if not c.superseded and c.wage_paid_fen > 0:
            months[c.month] = c.confirmation_id
    return months


def run_ends(months: Iterable[str], required: int) -> list[str]:
    """Months that end a run of ``required`` consecutive counted months, in order."""
    counted = set(months)
    return [m for m in sorted(counted) if all(month_add(m, -k) in counted for k in range(required))]


def within_validity(rule: Rule, month: str) -> bool:
    if month < month_of(rule.valid_from):
        return False
    return rule.valid_until is None or month <= month_of(rule.valid_until)


def due_months(rule: Rule, job: Job, months: Iterable[str]) -> list[str]:
    """The months for which ``rule`` grants something on ``job`` (before the refusals below)."""
    if rule.poor_only and not job.poor_household:
        return []
    ends = [m for m in run_ends(months, rule.required_months) if within_validity(rule, m)]
    return ends[:1] if rule.amount_rule == AmountRule.one_off.value else ends


def line_key(rule: Rule, job: Job, month: str) -> str:
    """What makes a grant unique per program: the placement once, or the placement and month."""
    if rule.amount_rule == AmountRule.one_off.value:
        return f"{job.placement_id}:once"
    return f"{job.placement_id}:{month}"


def grant_amount(rule: Rule) -> int:
    """A grant is worth the program's ``amount_fen`` under the version current when it is made;
    its application keeps that version (``program_id``, ``program_version``) and amounts to the
    sum of its lines, so a later version changes nothing already granted."""
    return rule.amount_fen


def joins_open_application(rule: Rule, *, manual: bool) -> bool:
    """A per-person-month grant made from the events joins its beneficiary's open application
    of the program and month (pending verification, not hand-made); a one-off, or a grant made
    by hand, is an application of its own."""
    return not manual and rule.amount_rule == AmountRule.per_person_month.value


def beneficiary(rule: Rule, job: Job) -> uuid.UUID:
    return job.worker_id if rule.beneficiary_kind == "worker" else job.employer_id


def conflicting_codes(own: Iterable[str] | None, listing_it: Iterable[str]) -> set[str]:
    """Programs that may not be stacked with this one: those it lists and those listing it."""
    return set(own or []) | set(listing_it)


@dataclass(frozen=True)
class Granted:
    """What is already granted that the refusal rules look at (live grants only)."""

    already: bool = False  # a line with the same program and line key exists
    stacked_with: str | None = None  # a conflicting program granted on the same placement
    other_post_in_month: bool = False  # another dedicated-post grant of the worker that month
    worker_months: int = 0  # the worker's grants of this program
    worker_fen: int = 0  # and their amount
    beneficiary_fen: int = 0  # the beneficiary's amount of this program


def refusal(rule: Rule, job: Job, month: str, granted: Granted) -> str | None:
    """Why a grant of ``rule`` for ``job`` and ``month`` may not be made, or None."""
    if granted.already:
        return (
            f"{rule.code} has already been granted for this placement"
            + ("" if rule.amount_rule == AmountRule.one_off.value else f" and month {month}")
            + "."
        )
    if granted.stacked_with:  # 不得叠加
        return (
            f"This placement already has a grant of program '{granted.stacked_with}', which may "
            f"not be stacked with '{rule.code}'."
        )
    if job.employer_kind == "dedicated_post" and granted.other_post_in_month:  # 双岗
        return (
            f"The worker already holds another subsidised post in {month}; one "
            "person may hold only one."
        )
    amount = rule.amount_fen
    if rule.cap_months is not None and granted.worker_months >= rule.cap_months:
        return f"The worker has reached the cap of {rule.cap_months} months."
    if (
        rule.cap_per_person_fen is not None
        and granted.worker_fen + amount > rule.cap_per_person_fen
    ):
        return f"The worker would exceed the cap of {rule.cap_per_person_fen} fen."
    cap = rule.cap_per_beneficiary_fen
    if cap is not None and granted.beneficiary_fen + amount > cap:
        return f"The beneficiary would exceed the cap of {cap} fen."
    return None


def months_needed(rule: Rule, month: str) -> set[str]:
    """The months whose wage a grant for ``month`` rests on (its run)."""
    return {month_add(month, -k) for k in range(rule.required_months)}


def unsupported(rule: Rule, month: str, months: Iterable[str], lost: set[str]) -> set[str]:
    """The months of ``lost`` (taken away by a correction) that a grant of ``rule`` for ``month``
    needed; empty when the grant still stands. A one-off stands while any run of ``months``
    (those still counted) meets the rule."""
    missing = months_needed(rule, month) & lost
    if not missing:
        return set()
    if rule.amount_rule == AmountRule.one_off.value and any(
        within_validity(rule, m) for m in run_ends(months, rule.required_months)
    ):
        return set()
    return missing


def manual_refusal(rule: Rule, job: Job, month: str, months: Iterable[str]) -> str | None:
    """Why staff may not grant ``month`` by hand: a hand-made grant needs what an automatic one
    needs, the month confirmed with a wage paid, ending a run of ``required_months`` such
    months, within the placement and the program (without it a clerk could grant any month,
    e.g. 9999-12). None when the grant may be made (the refusals above still apply)."""
    if month < month_of(job.start_date):
        return f"The placement started in {month_of(job.start_date)}; {month} is before it."
    if not within_validity(rule, month):
        return f"Program {rule.code} v{rule.version} is not valid in {month}."
    problem = _months_worked_problem(rule, job, month, months)
    if problem:
        return problem
    if rule.poor_only and not job.poor_household:
        return f"Program {rule.code} counts only registered-poor workers."
    if job.employer_kind != rule.employer_kind:
        return (
            f"Program {rule.code} is for {rule.employer_kind} placements, "
            f"this one is at a {job.employer_kind}."
        )
    return None


def _months_worked_problem(rule: Rule, job: Job, month: str, months: Iterable[str]) -> str | None:
    counted = sorted(set(months))
    end = job.end_date
    if end is not None and month > month_of(end):
        problem = f"the placement ended on {end.isoformat()}, before {month}"
    elif month in run_ends(counted, rule.required_months):
        return None
    elif month not in counted:
        problem = f"{month} is not confirmed as worked with a wage paid"
    else:
        problem = (
            f"program {rule.code} needs {rule.required_months} consecutive months "
            f"with a wage paid ending in {month}"
        )
    known = ", ".join(counted) or "none"
    return (
        f"Placement {job.placement_id}: {problem} (months confirmed with a wage: "
        f"{known}). The employer confirms (or corrects) months in the jobs service; once "
        "confirmed, the grant is made automatically, or may then be created here."
    )
