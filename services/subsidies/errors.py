"""Domain errors of the subsidies service."""

from typing import Any

from shared.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unprocessable


class FundNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("fund", ident)


class ProgramNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("program", ident)


class ApplicationNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("application", ident)


class NoticeNotFound(NotFound):
    """Not an application the public notice ever showed: the public learns nothing more."""

    def __init__(self, ident: object) -> None:
        super().__init__("application in public notice", ident)


class ObjectionNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("objection", ident)


class PayeeNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("payee", ident)


class BatchNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("payment batch", ident)


class PlacementUnknown(Unprocessable):
    code = "placement-unknown"

    def __init__(self, ident: object) -> None:
        super().__init__(
            f"No placement {ident} has been received from the jobs service yet; "
            "an application needs a known placement."
        )


class BeneficiaryUnknown(Unprocessable):
    code = "beneficiary-unknown"

    def __init__(self, kind: str, ident: object) -> None:
        who = "worker" if kind == "worker" else f"{kind} (employer)"
        super().__init__(
            f"No {who} {ident} has been received from the jobs service; a payee can only be "
            f"registered for a {who} the jobs service registered or placed. Check the id (and "
            "beneficiary_kind); if it was registered just now, try again in a moment."
        )


class DuplicateCode(Conflict):
    code = "duplicate-code"


class InvalidTransition(Conflict):
    """The application is not in a state that allows the action."""

    code = "invalid-transition"

    def __init__(self, action: str, state: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"Cannot {action} an application that is {state}; only one that is "
            f"{' or '.join(allowed)} can be.",
            state=state,
        )


class NoticeOver(Conflict):
    code = "notice-over"
    title = "The notice period is over"


class ObjectionPending(Conflict):
    code = "objection-pending"
    title = "A public objection awaits a clerk's decision"


class ObjectionResolved(Conflict):
    code = "objection-resolved"
    title = "The objection was already decided"


class TooManyObjections(TooManyRequests):
    code = "too-many-objections"
    title = "Too many objections from this address"


class MakerChecker(Forbidden):
    code = "maker-checker"
    title = "Four-eyes rule"


class AmountChanged(Conflict):
    code = "amount-changed"
    title = "The amount is not the one reviewed"


class FundExhausted(Conflict):
    code = "fund-exhausted"
    title = "Not enough money left in the fund"


class NotEligible(Conflict):
    code = "not-eligible"
    title = "The rules do not allow this grant"


class BudgetBelowCommitted(Conflict):
    code = "budget-below-committed"


class BatchNotDraft(Conflict):
    code = "batch-frozen"


class BatchNotExported(Conflict):
    code = "batch-not-exported"


class BatchPayeeReplaced(Conflict):
    code = "batch-payee-replaced"
    title = "A line would pay a replaced bank account"

    def __init__(self, detail: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(detail, problems=problems)


class EmptyBatch(Unprocessable):
    code = "empty-batch"


class BatchContentInvalid(Unprocessable):
    code = "batch-content"

    def __init__(self, detail: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(detail, problems=problems)


class BankFileInvalid(Unprocessable):
    code = "bank-file-invalid"
    title = "The bank result file cannot be applied"

    def __init__(self, detail: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(detail, problems=problems)


class BankFileConflict(Conflict):
    code = "bank-file-conflict"
    title = "The bank result contradicts a final result"

    def __init__(self, detail: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(detail, problems=problems)


class InvalidPayee(Unprocessable):
    code = "invalid-payee"
