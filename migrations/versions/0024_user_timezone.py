"""One time zone per person: the zone a user chose in Settings (NULL: the browser's, else
their site's).

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("user", sa.Column("timezone", sa.String(length=64), nullable=True))  # no table rebuild


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("timezone")
