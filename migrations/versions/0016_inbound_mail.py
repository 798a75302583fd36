"""Inbound mail: each received message recorded once (its Message-ID or hash unique),
with its sender and acknowledgement, for exactly-once filing and auto-reply damping.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=True),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_inbound_message_case_id_support_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint("message_key", name=op.f("uq_inbound_message_message_key")),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_message_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_inbound_message_sender_received", ["sender", "received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_message_sender_received")
        batch_op.drop_index(batch_op.f("ix_inbound_message_case_id"))

    op.drop_table("inbound_message")
