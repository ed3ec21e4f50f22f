"""worker changes: the audit of corrections to a worker's record

Clerks correct a worker's name, phone, township, poor-household flag or skills from the console
(issue 10); each correction keeps old and new values (phones masked), who, when and why.

Revision ID: 5d0e3c7a9b21
Revises: a85352b392ea
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "5d0e3c7a9b21"
down_revision: str | None = "a85352b392ea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_by_name", sa.String(length=200), nullable=False),
        sa.Column("changed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_worker_changes_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_changes")),
    )
    with op.batch_alter_table("worker_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_changes_worker_id"), ["worker_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("worker_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_changes_worker_id"))
    op.drop_table("worker_changes")
