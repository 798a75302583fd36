"""Asset import jobs record when their thread last showed it was alive, so a job cut off by
a server stop is seen as failed instead of running for ever.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "asset_import_job", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True)
    )  # no table rebuild


def downgrade() -> None:
    with op.batch_alter_table("asset_import_job") as batch:
        batch.drop_column("heartbeat_at")
