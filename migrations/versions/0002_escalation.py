"""SLA clocks on cases, commitments, the notification outbox and escalation ladders.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_ladder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("severity BETWEEN 1 AND 4", name=op.f("ck_escalation_ladder_severity")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["support_plan.id"], name=op.f("fk_escalation_ladder_plan_id_support_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_ladder")),
        sa.UniqueConstraint("plan_id", "severity", name=op.f("uq_escalation_ladder_plan_id_severity")),
    )
    op.create_table(
        "escalation_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ladder_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("condition", sa.String(length=32), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=True),
        sa.Column("offset_percent", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("repeat_minutes", sa.Integer(), nullable=True),
        sa.CheckConstraint("action IN ('notify', 'move_tier', 'raise_level')", name=op.f("ck_escalation_step_action")),
        sa.CheckConstraint(
            "condition IN ('not_acknowledged', 'no_update', 'not_resolved', 'commitment_missed', 'customer_request')",
            name=op.f("ck_escalation_step_condition"),
        ),
        sa.CheckConstraint(
            "(offset_minutes IS NULL) <> (offset_percent IS NULL)", name=op.f("ck_escalation_step_one_offset")
        ),
        sa.ForeignKeyConstraint(
            ["ladder_id"], ["escalation_ladder.id"], name=op.f("fk_escalation_step_ladder_id_escalation_ladder")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_step")),
    )
    with op.batch_alter_table("escalation_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_step_ladder_id"), ["ladder_id"], unique=False)

    op.create_table(
        "commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'kept', 'missed', 'withdrawn')", name=op.f("ck_commitment_status")),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_commitment_case_id_support_case")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_commitment_created_by_id_user")),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_commitment_owner_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment")),
    )
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commitment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "escalation_firing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["support_case.id"], name=op.f("fk_escalation_firing_case_id_support_case")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["escalation_step.id"], name=op.f("fk_escalation_firing_step_id_escalation_step")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_firing")),
        sa.UniqueConstraint(
            "case_id", "step_id", "episode", "cycle", name=op.f("uq_escalation_firing_case_id_step_id_episode_cycle")
        ),
    )
    op.create_table(
        "escalation_schedule",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["support_case.id"], name=op.f("fk_escalation_schedule_case_id_support_case")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_escalation_schedule")),
    )
    with op.batch_alter_table("escalation_schedule", schema=None) as batch_op:
        batch_op.create_index(
            "ix_escalation_schedule_due",
            ["next_check_at"],
            unique=False,
            postgresql_where=sa.text("next_check_at IS NOT NULL"),
            sqlite_where=sa.text("next_check_at IS NOT NULL"),
        )

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('in_app', 'email')", name=op.f("ck_notification_channel")),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_notification_status")),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_notification_case_id_support_case")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_notification_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_notification_user_created", ["user_id", "created_at"], unique=False)

    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("first_response_breached", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("next_update_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_vendor_update_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_update_breaches", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolution_breached", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("sla_paused_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_case", schema=None) as batch_op:
        batch_op.drop_column("sla_paused_at")
        batch_op.drop_column("resolution_breached")
        batch_op.drop_column("resolution_due_at")
        batch_op.drop_column("next_update_breaches")
        batch_op.drop_column("last_vendor_update_at")
        batch_op.drop_column("next_update_due_at")
        batch_op.drop_column("first_response_breached")
        batch_op.drop_column("first_response_at")
        batch_op.drop_column("first_response_due_at")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_created")
        batch_op.drop_index(
            "ix_notification_due",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_notification_case_id"))

    op.drop_table("notification")
    with op.batch_alter_table("escalation_schedule", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_escalation_schedule_due",
            postgresql_where=sa.text("next_check_at IS NOT NULL"),
            sqlite_where=sa.text("next_check_at IS NOT NULL"),
        )

    op.drop_table("escalation_schedule")
    op.drop_table("escalation_firing")
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_case_id"))

    op.drop_table("commitment")
    with op.batch_alter_table("escalation_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_step_ladder_id"))

    op.drop_table("escalation_step")
    op.drop_table("escalation_ladder")
