"""A serial is installed in one asset at a time: a partial unique index on the serials of
components not removed, so two concurrent installs or registrations cannot both win.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_WHERE = sa.text("state != 'removed'")


def upgrade() -> None:
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT serial FROM component WHERE state != 'removed' GROUP BY serial HAVING count(*) > 1 LIMIT 20"
            )
        )
        .scalars()
        .all()
    )
    if duplicates:
        raise RuntimeError(
            "These component serials are installed in more than one asset; mark all but one removed, then upgrade "
            "again: " + ", ".join(duplicates)
        )
    op.create_index(
        "uq_component_serial_installed",
        "component",
        ["serial"],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_component_serial_installed", table_name="component")
