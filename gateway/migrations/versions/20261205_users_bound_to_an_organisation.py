"""users bound to an organisation: partner and store logins

The HR person of a Haizhu partner and a store manager log in to the console (issue 10) with a
username and password made by an admin, acting for their organisation exactly as its API key
does: a ``partner`` or ``store`` user names its ``subject_id``; staff users do not.

Revision ID: 8f3a1c5e2b7d
Revises: bc5f82e81fff
Create Date: 2026-12-05 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8f3a1c5e2b7d"
down_revision: str | None = "bc5f82e81fff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "role IN ('partner', 'store', 'bureau_clerk', 'bureau_approver', 'auditor', 'admin')"
STAFF_ROLES = "role IN ('bureau_clerk', 'bureau_approver', 'auditor', 'admin')"
BINDING = "(role IN ('partner', 'store')) = (subject_id IS NOT NULL)"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_subject_id"), ["subject_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("ck_users_staff_role"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_users_role"), ROLES)
        batch_op.create_check_constraint(batch_op.f("ck_users_subject_binding"), BINDING)


def downgrade() -> None:
    # Partner and store users cannot be kept by the older schema: they are removed.
    op.execute("DELETE FROM users WHERE subject_id IS NOT NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_subject_binding"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_users_staff_role"), STAFF_ROLES)
        batch_op.drop_index(batch_op.f("ix_users_subject_id"))
        batch_op.drop_column("subject_id")
