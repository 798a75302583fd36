"""Outbound mail that is real mail, and an outbox that never loses it: each e-mail keeps
its Message-ID and the one it answers, a sender's lease (claimed_by, claimed_until), and
who discarded it; there is no terminal 'failed' any more (those rows are pending again).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE notification SET status = 'pending' WHERE status = 'failed'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("in_reply_to", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("discarded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_discarded_by_id_user"), "user", ["discarded_by_id"], ["id"]
        )
        batch_op.create_index("uq_notification_message_id", ["message_id"], unique=True)
        batch_op.drop_constraint(op.f("ck_notification_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_status"), "status IN ('pending', 'sent', 'discarded')")


def downgrade() -> None:
    op.execute("UPDATE notification SET status = 'failed' WHERE status = 'discarded'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notification_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notification_status"), "status IN ('pending', 'sent', 'failed')")
        batch_op.drop_index("uq_notification_message_id")
        batch_op.drop_constraint(batch_op.f("fk_notification_discarded_by_id_user"), type_="foreignkey")
        batch_op.drop_column("discarded_by_id")
        batch_op.drop_column("discarded_at")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("in_reply_to")
        batch_op.drop_column("message_id")
