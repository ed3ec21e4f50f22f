"""workers keep the time of the latest correction applied

``jobs.worker.updated`` carries a corrected worker's masked name, township and poor-household
flag with the time of the correction; the projection keeps that time and applies only newer
corrections, so a redelivered or late older one (or a re-published registration) changes
nothing. NULL for every existing row: only its registration is known.

Revision ID: 5b0c2f6e91d4
Revises: e4035e1ba717
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "5b0c2f6e91d4"
down_revision: str | None = "e4035e1ba717"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("changed_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
