"""Overdue RMA returns are reminded by the escalation ladder: every default ladder
gets a daily ``return_overdue`` step, and the RMA's own reminder counters go.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STEP_NAME = "Defective part not returned: remind the field engineer and account team"


def upgrade() -> None:
    conn = op.get_bind()
    ladders = conn.execute(
        sa.text(
            "SELECT l.id, COALESCE(MAX(s.position), 0) FROM escalation_ladder l "
            "LEFT JOIN escalation_step s ON s.ladder_id = l.id WHERE l.plan_id IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM escalation_step r WHERE r.ladder_id = l.id AND r.condition = 'return_overdue') "
            "GROUP BY l.id"
        )
    ).all()
    for ladder_id, last_position in ladders:
        conn.execute(
            sa.text(
                "INSERT INTO escalation_step (ladder_id, position, name, condition, offset_minutes, offset_percent, "
                "action, target, repeat_minutes, version) VALUES (:ladder, :position, :name, 'return_overdue', 0, "
                "NULL, 'notify', 'return_team', 1440, 1)"
            ),
            {"ladder": ladder_id, "position": last_position + 1, "name": STEP_NAME},
        )
    with op.batch_alter_table("rma", schema=None) as batch_op:
        batch_op.drop_column("return_reminders")
        batch_op.drop_column("return_reminded_at")


def downgrade() -> None:
    with op.batch_alter_table("rma", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("return_reminders", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "DELETE FROM escalation_step WHERE condition = 'return_overdue' AND id NOT IN "
        "(SELECT step_id FROM escalation_firing)"
    )
