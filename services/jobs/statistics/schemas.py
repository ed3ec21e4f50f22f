"""The figures the program reports. Example in ``examples.py``."""

from datetime import date

from pydantic import ConfigDict
from sqlmodel import Field

from services.jobs.base import JobsModel
from services.jobs.statistics import examples


class Statistics(JobsModel):
    """What the program reports (see PROGRAM.md), for the period and township asked for."""

    period_from: date | None
    period_to: date | None
    township: str | None
    stable_months: int = Field(description="Consecutive confirmed months that count as stable.")
    jobs_offered: int = Field(description="Sum of openings of postings published in the period.")
    postings: int = Field(description="Postings published in the period.")
    job_fairs_held: int
    training_sessions: int = Field(description="Sessions that started in the period.")
    people_trained: int = Field(description="Distinct workers who completed training.")
    people_trained_poor: int
    placements: int = Field(description="Placements that started in the period.")
    placements_poor: int
    workers_in_stable_employment: int
    workers_in_stable_employment_poor: int
    total_wages_paid_fen: int = Field(description="Confirmed wages of months in the period.")
    total_wages_paid_poor_fen: int
    workshops: int = Field(
        description="Poverty-alleviation workshops (扶贫车间) registered by the end of the "
        "period (in the township, when given: the workshop's location)."
    )
    workshops_employing: int = Field(
        description="Workshops with at least one placement active during the period."
    )
    workshop_workers: int = Field(
        description="Distinct workers with a workshop placement active during the period."
    )
    workshop_workers_poor: int = Field(
        description="Of them, members of registered poor households (PROGRAM.md: "
        '"10 workshops employing 2,171 poor people").'
    )

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_extra={"examples": examples.STATISTICS}
    )
