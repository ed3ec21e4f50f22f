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

from shared.events.migration_steps import dead_letter_replay_downgrade, dead_letter_replay_upgrade

revision: str = "377be7c7b915"
down_revision: str | None = "a11bc01bede8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dead_letter_replay_upgrade()


def downgrade() -> None:
    dead_letter_replay_downgrade()
