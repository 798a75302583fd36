"""Ladder and step versions (processes cache ladders and notice edits), and the
``return_overdue`` condition (RMA return reminders go through the ladder).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_CONDITIONS = "('not_acknowledged', 'no_update', 'not_resolved', 'commitment_missed', 'customer_request')"
NEW_CONDITIONS = (
    "('not_acknowledged', 'no_update', 'not_resolved', 'commitment_missed', 'customer_request', 'return_overdue')"
)


def upgrade() -> None:
    with op.batch_alter_table("escalation_ladder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("escalation_step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.drop_constraint(op.f("ck_escalation_step_condition"), type_="check")
        batch_op.create_check_constraint(op.f("ck_escalation_step_condition"), f"condition IN {NEW_CONDITIONS}")


def downgrade() -> None:
    op.execute("DELETE FROM escalation_step WHERE condition = 'return_overdue'")
    with op.batch_alter_table("escalation_step", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_escalation_step_condition"), type_="check")
        batch_op.create_check_constraint(op.f("ck_escalation_step_condition"), f"condition IN {OLD_CONDITIONS}")
        batch_op.drop_column("version")
    with op.batch_alter_table("escalation_ladder", schema=None) as batch_op:
        batch_op.drop_column("version")
