"""Every table of the jobs service, on its one metadata: what Alembic compares with the database.
A feature's new table module is imported here."""

from services.jobs.base import event_tables, metadata
from services.jobs.employers.tables import Employer
from services.jobs.fairs.tables import JobFair, JobFairAttendee, JobFairEmployer
from services.jobs.placements.tables import Confirmation, Placement
from services.jobs.postings.tables import Application, Posting
from services.jobs.trainings.tables import TrainingAttendee, TrainingSession
from services.jobs.workers.tables import Worker, WorkerChange

__all__ = [
    "Application",
    "Confirmation",
    "Employer",
    "JobFair",
    "JobFairAttendee",
    "JobFairEmployer",
    "Placement",
    "Posting",
    "TrainingAttendee",
    "TrainingSession",
    "Worker",
    "WorkerChange",
    "event_tables",
    "metadata",
]
