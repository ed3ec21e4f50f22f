"""dead letters keep the raw message body

A poison message may hold any bytes; PostgreSQL text refuses NUL and invalid UTF-8, so such a
message could not be dead-lettered (issue 8). The body is now kept byte for byte.

Revision ID: a85352b392ea
Revises: 4b9b72a4fa42
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a85352b392ea"
down_revision: str | None = "4b9b72a4fa42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "dead_letters",
            "payload",
            type_=sa.LargeBinary(),
            existing_type=sa.Text(),
            existing_nullable=False,
            postgresql_using="convert_to(payload, 'UTF8')",
        )
        return
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column(
            "payload", type_=sa.LargeBinary(), existing_type=sa.Text(), existing_nullable=False
        )
    op.execute("UPDATE dead_letters SET payload = CAST(payload AS BLOB)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "dead_letters",
            "payload",
            type_=sa.Text(),
            existing_type=sa.LargeBinary(),
            existing_nullable=False,
            postgresql_using="encode(payload, 'escape')",  # NUL and invalid bytes as \ooo
        )
        return
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column(
            "payload", type_=sa.Text(), existing_type=sa.LargeBinary(), existing_nullable=False
        )
    op.execute("UPDATE dead_letters SET payload = CAST(payload AS TEXT)")
