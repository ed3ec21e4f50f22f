"""dead letters keep their kind, event type and headers, and whether they were replayed

An operator lists and replays dead letters (python -m deploy.ops dead-letters, issue 13): a
replay checks the publisher's signature again, so the message's headers are kept; the kind of
letters kept before is read back from their reason, which the consumer always began the same way
for each kind. Letters kept before have no headers and cannot be replayed.

Revision ID: 377be7c7b915
Revises: a11bc01bede8
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "377be7c7b915"
down_revision: str | None = "a11bc01bede8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_FROM_REASON = """
UPDATE dead_letters SET kind = CASE
    WHEN reason LIKE 'not signed by %' THEN 'unsigned'
    WHEN reason LIKE 'invalid envelope:%' THEN 'invalid_envelope'
    WHEN reason LIKE 'misaddressed:%' THEN 'misaddressed'
    WHEN reason LIKE 'invalid data:%' THEN 'invalid_data'
    WHEN reason LIKE 'gave up after %' THEN 'exhausted'
    ELSE 'poison'
END
"""


def upgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("event_type", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("headers", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("replayed_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("replay_outcome", sa.String(length=20), nullable=True))
    op.execute(KIND_FROM_REASON)
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=30), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        for name in ("replay_outcome", "replayed_at", "headers", "event_type", "kind"):
            batch.drop_column(name)
