"""Who hears what: case watchers, per-user notification preferences and the daily digest,
the kind of each notification, and the commitments the customer was told were missed.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_HELD = sa.text("held_for_digest AND digested_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "case_watcher",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_case_watcher_case_id_support_case")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_case_watcher_user_id_user")),
        sa.ForeignKeyConstraint(["added_by_id"], ["user.id"], name=op.f("fk_case_watcher_added_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_watcher")),
        sa.UniqueConstraint("case_id", "user_id", name=op.f("uq_case_watcher_case_id_user_id")),
    )
    op.create_index(op.f("ix_case_watcher_user_id"), "case_watcher", ["user_id"], unique=False)
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode IN ('immediate', 'digest', 'in_app')", name=op.f("ck_notification_preference_mode")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_preference_user_id_user")),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_preference")),
    )
    op.create_table(
        "notification_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notification_digest_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_digest")),
        sa.UniqueConstraint("user_id", "day", name=op.f("uq_notification_digest_user_id_day")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("held_for_digest", sa.Boolean(), server_default=sa.text("false"), nullable=False))
        batch_op.add_column(sa.Column("digested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_notification_held", ["user_id"], unique=False, sqlite_where=_HELD, postgresql_where=_HELD
        )
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_column("missed_at")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_held")
        batch_op.drop_column("digested_at")
        batch_op.drop_column("held_for_digest")
        batch_op.drop_column("kind")
    op.drop_table("notification_digest")
    op.drop_table("notification_preference")
    op.drop_index(op.f("ix_case_watcher_user_id"), table_name="case_watcher")
    op.drop_table("case_watcher")
