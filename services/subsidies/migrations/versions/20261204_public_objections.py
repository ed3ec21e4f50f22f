"""objections from the public: open until a clerk decides, a contact kept encrypted

An objection sent by the public during the notice (公示) is ``open`` until a clerk upholds or
dismisses it (who, when, why); objections recorded by clerks were upheld at once, which is
what every existing row is. A phone number left by the public is kept encrypted and masked;
``client_hash`` (a keyed hash of the sender's address, never the address) counts what one
address sends.

Revision ID: e4035e1ba717
Revises: d7ea66f7728f
Create Date: 2026-12-04 15:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "e4035e1ba717"
down_revision: str | None = "d7ea66f7728f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="upheld", nullable=False)
        )
        batch_op.add_column(sa.Column("contact_encrypted", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("contact_masked", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("client_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("resolved_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("resolution", sa.String(length=1000), nullable=True))
        batch_op.create_index(
            "ix_objections_client_hash_created_at", ["client_hash", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index("ix_objections_client_hash_created_at")
        for column in (
            "resolution",
            "resolved_at",
            "resolved_by",
            "client_hash",
            "contact_masked",
            "contact_encrypted",
            "status",
        ):
            batch_op.drop_column(column)
