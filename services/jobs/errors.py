"""Domain errors of the jobs service. None of them carries personal data in its detail."""

import uuid

from shared.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable


class EmployerNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("employer", ident)


class PostingNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("posting", ident)


class WorkerNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("worker", ident)


class NoWorkerWithThisId(NotFound):
    def __init__(self) -> None:
        AppError.__init__(
            self, "No worker is registered with this national ID number.", resource="worker"
        )


class PlacementNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("placement", ident)


class JobFairNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("job fair", ident)


class TrainingNotFound(NotFound):
    def __init__(self, ident: object) -> None:
        super().__init__("training session", ident)


class NotYourOrganisation(Forbidden):
    """A partner touched another partner's posting, placement or applications."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"This {what} belongs to another organisation; a partner may only act on its own."
        )


class PartnerNotRegistered(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "Your credential is not bound to a registered Haizhu partner "
            "organisation; ask the labour bureau to register it."
        )


class DuplicateWorker(Conflict):
    code = "duplicate-worker"
    title = "Worker already registered"

    def __init__(self, existing_worker_id: uuid.UUID) -> None:
        super().__init__(
            "A worker with this national ID number is already registered; use the existing record.",
            existing_worker_id=str(existing_worker_id),
        )


class DuplicateEmployer(Conflict):
    def __init__(self, kind: str) -> None:
        super().__init__(f"An employer of kind {kind} with this name is already registered.")


class InvalidState(Conflict):
    code = "invalid-state"
    title = "Not possible in the current state"


class PostingNotOpen(InvalidState):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"The posting is {status}; it takes no applications or hires.", posting_status=status
        )


class RuleViolation(Unprocessable):
    """Input that is well-formed but breaks a business rule (dates, months, ranges)."""

    code = "rule-violation"
    title = "The request breaks a rule"
