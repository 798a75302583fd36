"""Monitoring alerts: one case per alert fingerprint.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["support_case.id"], name=op.f("fk_alert_link_case_id_support_case")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_alert_link_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_link")),
        sa.UniqueConstraint("organization_id", "fingerprint", name=op.f("uq_alert_link_organization_id_fingerprint")),
    )
    with op.batch_alter_table("alert_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_link_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_link_case_id"))

    op.drop_table("alert_link")
