"""Organisations count their active webhook endpoints, so that a case event costs
the webhook listener no query for the many organisations without one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_endpoints", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE organization SET webhook_endpoints = (SELECT count(*) FROM webhook_endpoint e "
        "WHERE e.organization_id = organization.id AND e.disabled_at IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("webhook_endpoints")
