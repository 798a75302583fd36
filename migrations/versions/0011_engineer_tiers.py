"""Support engineers work a tier (L1-L3): a case moved to L2 pages the L2 engineers,
not every engineer.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=2), nullable=True))
        batch_op.create_check_constraint(op.f("ck_user_tier"), "tier IS NULL OR tier IN ('L1', 'L2', 'L3')")


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_tier"), type_="check")
        batch_op.drop_column("tier")
