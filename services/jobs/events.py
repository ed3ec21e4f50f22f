"""Events the jobs service publishes: its public contract (version 1).

Each class is the ``data`` of an envelope whose ``type`` is the class's ``event_type`` (also the
NATS subject, on the ``JOBS`` stream). Ids are UUID strings, dates ``YYYY-MM-DD``, months
``YYYY-MM``, money integer fen. No event carries personal data in clear: no names of people,
national ID numbers or phone numbers; consumers that need a person refer to ``worker_id``. The
one exception is masked: ``jobs.worker.registered`` carries the worker's name and ID number
*masked* (王*明, ``520***********1234``), as the subsidies service's public notice (公示) of
recipients must show them by law, and ``jobs.worker.updated`` carries them masked again after a
correction; the clear values never leave the jobs service.

Consumers (the subsidies service) read these field names; changing one is a new version.
"""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from services.jobs.base import MAX_SALARY_FEN
from shared.events import Event

EmployerKindName = Literal["haizhu_partner", "workshop", "dedicated_post"]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class EmployerRegistered(Event):
    """An employer was registered: a Haizhu partner organisation, a Weng'an poverty-alleviation
    workshop (扶贫车间) or a unit offering dedicated poverty-alleviation posts (扶贫专岗).
    ``location`` is the district (Haizhu side) or township (Weng'an side)."""

    event_type = "jobs.employer.registered"
    employer_id: uuid.UUID
    kind: EmployerKindName
    name: str = Field(max_length=200)
    location: str = Field(max_length=100)


class WorkerRegistered(Event):
    """The labour bureau registered a Weng'an worker. ``poor_household`` marks members of
    registered poor households (建档立卡户). ``name_masked`` and ``national_id_masked`` are the
    worker's name and ID number as a public notice shows them (王*明, 520***********1234), for
    the notice of subsidy recipients (公示); never the clear values. Both are optional: events
    published before they were added have neither."""

    event_type = "jobs.worker.registered"
    worker_id: uuid.UUID
    township: str = Field(max_length=100)
    poor_household: bool
    registered_on: date
    name_masked: str | None = Field(default=None, max_length=100)
    national_id_masked: str | None = Field(default=None, max_length=20)


class WorkerUpdated(Event):
    """The labour bureau corrected a worker's masked name, township or poor-household flag (a
    correction of only the phone or skills publishes nothing). The event is the worker's state
    after the correction, masked as in ``jobs.worker.registered`` (never the clear values; the ID
    number never changes and is repeated only so that the event stands alone).
    ``changed_at`` is the time of the correction, strictly increasing for one worker: a consumer
    keeps the latest it applied and ignores an older update, and orders any registration of the
    worker before every update."""

    event_type = "jobs.worker.updated"
    worker_id: uuid.UUID
    township: str = Field(max_length=100)
    poor_household: bool
    registered_on: date
    name_masked: str = Field(max_length=100)
    national_id_masked: str = Field(max_length=20)
    changed_at: datetime


class PostingPublished(Event):
    """A partner's job posting was published (draft → open): it is now visible to job seekers.
    Salaries are per month, in fen."""

    event_type = "jobs.posting.published"
    posting_id: uuid.UUID
    employer_id: uuid.UUID
    title: str
    category: str
    openings: int
    salary_min_fen: int
    salary_max_fen: int
    district: str
    valid_through: date


class PostingClosed(Event):
    """An open posting stopped taking applications: ``closed`` by its employer, ``filled`` when
    hires reached its openings, or ``expired`` after its valid-through date."""

    event_type = "jobs.posting.closed"
    posting_id: uuid.UUID
    employer_id: uuid.UUID
    status: Literal["closed", "filled", "expired"]


class PlacementStarted(Event):
    """A worker was placed with an employer (a hire). ``posting_id`` is null for placements in
    workshops and dedicated posts, which have no posting. ``poor_household`` and ``township`` are
    the worker's at the time of the hire."""

    event_type = "jobs.placement.started"
    placement_id: uuid.UUID
    worker_id: uuid.UUID
    employer_id: uuid.UUID
    employer_kind: EmployerKindName
    posting_id: uuid.UUID | None
    poor_household: bool
    township: str = Field(max_length=100)
    start_date: date
    monthly_wage_fen: int = Field(ge=1, le=MAX_SALARY_FEN)


class PlacementMonthConfirmed(Event):
    """The employer (or the labour bureau for workshops and dedicated posts) confirmed that the
    placed worker was still employed in ``month`` and was paid ``wage_paid_fen``. A correction is
    a new confirmation whose ``supersedes`` names the record it replaces; the latest record of a
    month is the one that counts. A correction with ``wage_paid_fen`` 0 says the month was not
    worked or paid after all (a first confirmation is always positive)."""

    event_type = "jobs.placement.month_confirmed"
    confirmation_id: uuid.UUID
    placement_id: uuid.UUID
    worker_id: uuid.UUID
    employer_id: uuid.UUID
    employer_kind: EmployerKindName
    month: str = Field(pattern=MONTH_PATTERN)
    # 0 only on a correction: the month turned out not to have been worked or paid.
    wage_paid_fen: int = Field(ge=0, le=MAX_SALARY_FEN)
    supersedes: uuid.UUID | None


class PlacementEnded(Event):
    """A placement ended on ``end_date``. ``reason`` is one of ``resigned``, ``dismissed``,
    ``contract_ended``, ``employer_closed``, ``other``."""

    event_type = "jobs.placement.ended"
    placement_id: uuid.UUID
    worker_id: uuid.UUID
    employer_id: uuid.UUID
    end_date: date
    reason: str = Field(max_length=20)


class TrainingCompleted(Event):
    """A worker completed a labour training session."""

    event_type = "jobs.training.completed"
    session_id: uuid.UUID
    worker_id: uuid.UUID
    poor_household: bool
    completed_on: date


PUBLISHED_EVENTS: tuple[type[Event], ...] = (
    EmployerRegistered,
    WorkerRegistered,
    WorkerUpdated,
    PostingPublished,
    PostingClosed,
    PlacementStarted,
    PlacementMonthConfirmed,
    PlacementEnded,
    TrainingCompleted,
)
