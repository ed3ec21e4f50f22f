"""rate buckets shared by the gateway replicas

The rate limits, the failed-credential budget and the login budget hold for the whole gateway
fleet (issue 13, part 4): their token buckets live here, one row per key. UNLOGGED on
PostgreSQL (no WAL; a crash empties the table, which only refills the buckets).

Revision ID: 4c2d9e7a1f30
Revises: 8f3a1c5e2b7d
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "4c2d9e7a1f30"
down_revision: str | None = "8f3a1c5e2b7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "rate_buckets",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
