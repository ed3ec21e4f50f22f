"""workers keep the masked name and ID number of the public notice

``jobs.worker.registered`` now carries the worker's name and national ID number masked
(王*明, 520***********1234): the public notice (公示) of subsidy recipients shows them so, by
law. Only masked values travel and are kept. Workers known from earlier events have neither
(NULL) until jobs publishes them again.

Revision ID: d7ea66f7728f
Revises: aa351fd2663e
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7ea66f7728f"
down_revision: str | None = "aa351fd2663e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_masked", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("national_id_masked", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_column("national_id_masked")
        batch_op.drop_column("name_masked")
