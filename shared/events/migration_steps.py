"""Schema steps of the event kit's own tables (outbox, inbox, dead letters), which every
consuming service holds alike: each service's Alembic revision calls the step of its date, so the
three revisions cannot drift apart. A step is frozen once released (a later change is a new
step), as a migration is."""

import sqlalchemy as sa
from alembic import op

import shared.db

# 2026-12-06: dead letters keep their kind, event type and headers, and whether they were
# replayed (python -m deploy.ops dead-letters). The kind of letters kept before is read back from
# their reason, which the consumer always began the same way for each kind; they have no headers
# and cannot be replayed.
_KIND_FROM_REASON = """
UPDATE dead_letters SET kind = CASE
    WHEN reason LIKE 'not signed by %' THEN 'unsigned'
    WHEN reason LIKE 'invalid envelope:%' THEN 'invalid_envelope'
    WHEN reason LIKE 'misaddressed:%' THEN 'misaddressed'
    WHEN reason LIKE 'invalid data:%' THEN 'invalid_data'
    WHEN reason LIKE 'gave up after %' THEN 'exhausted'
    ELSE 'poison'
END
"""


def dead_letter_replay_upgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("event_type", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("headers", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("replayed_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("replay_outcome", sa.String(length=20), nullable=True))
    op.execute(_KIND_FROM_REASON)
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=30), nullable=False)


def dead_letter_replay_downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        for name in ("replay_outcome", "replayed_at", "headers", "event_type", "kind"):
            batch.drop_column(name)
