"""The API's problem documents in plain words. Problem ``detail``s are English sentences for
programmers; a person at the console reads the sentence mapped here from the problem's code (the
last part of its ``type``), translated, and the English detail only where nothing is mapped."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# By problem code; an entry under (code, action) wins for that action.
MESSAGES: dict[str | tuple[str, str], str] = {
    "maker-checker": N_(
        "Four-eyes rule: you created or verified this application yourself, so another "
        "approver must approve it."
    ),
    ("maker-checker", "export"): N_(
        "Four-eyes rule: you registered or changed the bank account of a line in this batch, "
        "so another clerk must export it."
    ),
    "fund-exhausted": N_(
        "The fund does not have enough money left for this amount. It cannot be approved until "
        "the fund's budget is raised."
    ),
    "amount-changed": N_(
        "The amount changed after you opened the page (a grant line joined or left the "
        "application). Look at it again and repeat your decision."
    ),
    "invalid-transition": N_(
        "The application is no longer in a state that allows this; the page shows its current "
        "state."
    ),
    "not-eligible": N_("The program's rules do not allow this grant."),
    "batch-payee-replaced": N_(
        "A beneficiary's bank account was replaced after this batch was made, so a line would "
        "pay the old account. Discard the batch and make a new one."
    ),
    "batch-frozen": N_("This batch has been exported already and cannot be changed."),
    "batch-not-exported": N_("This batch has not been exported yet."),
    "empty-batch": N_(
        "No application is ready for payment with a registered bank account: nothing to batch."
    ),
    "batch-content": N_("Some of the chosen applications cannot be paid."),
    "bank-file-invalid": N_(
        "The bank's result file cannot be applied; nothing was changed. The lines at fault are "
        "listed below."
    ),
    "bank-file-conflict": N_(
        "The bank's result file contradicts a result already recorded; nothing was changed."
    ),
    "budget-below-committed": N_(
        "The budget cannot be lower than what is already reserved and paid."
    ),
    "duplicate-code": N_("This code is already used."),
    "unknown-subject": N_("The store or partner organisation does not exist."),
    "conflict": N_("This conflicts with existing data (for example, the name is already taken)."),
    "validation": N_("Some fields are missing or not valid."),
    "unprocessable": N_("The request cannot be processed."),
    "unauthorized": N_("Your sign-in is no longer valid; log in again."),
    ("unauthorized", "login"): N_("Wrong username or password, or the account is disabled."),
    "forbidden": N_("Your role is not allowed to do this."),
    "not-found": N_("It does not exist (any more)."),
    "rate-limited": N_("Too many requests; wait a moment and try again."),
    "payload-too-large": N_("The file is too large."),
    "upstream-unavailable": N_("A service of the platform cannot be reached; try again later."),
    "upstream-timeout": N_("A service of the platform did not answer in time; try again later."),
    "unavailable": N_("The service is unavailable right now; nothing was saved. Try again later."),
    # Bureau, partner, store and onboarding pages.
    "duplicate-worker": N_(
        "A worker with this ID number is already registered; open the existing record."
    ),
    "invalid-state": N_("Not possible in the current state (the page shows it)."),
    "day-closed": N_("The business day is closed: it takes no new sales."),
    "day-already-closed": N_("This business day was already closed."),
    "day-in-future": N_("This business day has not begun yet; it can be closed from its start."),
    "batch-too-large": N_("The file has too many lines (at most 5,000) or is too large."),
    "batch-unreadable": N_(
        "The file cannot be read: it must be UTF-8 CSV with the header "
        "receipt_number,sold_at,sku,quantity,unit_price_fen."
    ),
    # The public notice, objections and bank-file formats.
    "notice-over": N_(
        "The notice period of this entry is over: objections can no longer be sent here. "
        "Contact the county labour bureau."
    ),
    ("not-found", "object"): N_(
        "This entry is no longer in public notice (it has been decided or withdrawn)."
    ),
    "too-many-objections": N_(
        "Too many objections were sent from your network today. Try again tomorrow, or object "
        "in person at the county labour bureau."
    ),
    ("rate-limited", "object"): N_(
        "Too many requests from your network; wait a moment and send the objection again."
    ),
    ("validation", "object"): N_(
        "The objection cannot be sent: write up to 2,000 characters, and give a valid mobile "
        "number or none."
    ),
    "objection-resolved": N_("This objection has been decided already."),
    "objection-pending": N_(
        "An objection from the public is still open: a clerk must decide it first."
    ),
    ("batch-content", "export"): N_(
        "A name in this batch has a character the chosen encoding cannot write; nothing was "
        "exported. Choose GB18030 or UTF-8 with BOM."
    ),
    ("batch-content", "retry"): N_(
        "Some of the chosen payments cannot be sent again yet (listed below); nothing was batched."
    ),
    "beneficiary-unknown": N_(
        "The platform does not know this beneficiary (the jobs service has not registered it)."
    ),
    "invalid-payee": N_("The bank account is not valid."),
}

# Bulk results carry a status and an English detail but no code: by status, for the action.
BULK_BY_STATUS: dict[tuple[str, int], str] = {
    ("approve", 403): "maker-checker",
    ("approve", 404): "not-found",
    ("verify", 404): "not-found",
    ("verify", 409): "invalid-transition",
}


@dataclass
class Problem:
    """A refusal from the API, as the console shows it."""

    status: int
    code: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_body(cls, status: int, body: Any) -> "Problem":
        if not isinstance(body, dict):
            return cls(status, f"http-{status}", "")
        kind = str(body.get("type") or "")
        code = kind.rsplit(":", 1)[-1] if kind else f"http-{status}"
        extra = {k: v for k, v in body.items() if k not in ("type", "title", "status", "detail")}
        return cls(status, code, str(body.get("detail") or ""), extra)

    def message(self, gettext: Callable[[str], str], action: str | None = None) -> str:
        """The sentence for a person, in their language; the English detail when none is
        mapped (better than nothing: it names the rule)."""
        text = MESSAGES.get((self.code, action or "")) or MESSAGES.get(self.code)
        if text is None:
            return self.detail or gettext("The request failed.")
        return gettext(text)


def bulk_message(
    gettext: Callable[[str], str], action: str, status: int, detail: str | None
) -> str:
    if detail and detail.startswith("Fund ") and " left" in detail:  # fund-exhausted
        return gettext(MESSAGES["fund-exhausted"])
    if detail and "amount" in detail and "reviewed" in detail:
        return gettext(MESSAGES["amount-changed"])
    if detail and detail.startswith("Cannot "):  # the invalid-transition sentence
        return gettext(MESSAGES["invalid-transition"])
    code = BULK_BY_STATUS.get((action, status))
    if code is not None:
        return gettext(MESSAGES[code])
    return detail or gettext("The request failed.")
