"""Component and quarantine-list serials get a comparison key (``casemgr.assets.serials``).

Until now serials were compared as typed (stripped, upper case), so "SSD-0000-0204" and
"SSD00000204" were two serials: the install checks let a quarantined part back in under the
other spelling, and one part could be installed in two assets. ``serial_key`` is the serial
compatibility-normalised (NFKC), upper case, without separators or invisible characters;
it is backfilled here, and "a serial is installed in one asset at a time" now holds for keys.

The key rule is copied here, not imported, so this migration keeps meaning what it meant
when it was written. Two components installed now whose serials share a key stop the
upgrade with their names, as 0014 did for equal serials.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_WHERE = sa.text("state != 'removed'")


def _key(serial: str) -> str:
    normalised = unicodedata.normalize("NFKC", serial or "").upper()
    return "".join(c for c in normalised if unicodedata.category(c)[0] not in "PZC")


def _backfill(table_name: str, id_column: str) -> None:
    bind = op.get_bind()
    table = sa.table(table_name, sa.column(id_column), sa.column("serial", sa.String), sa.column("serial_key"))
    rows = bind.execute(sa.select(table.c[id_column], table.c.serial)).all()
    for row_id, serial in rows:
        bind.execute(table.update().where(table.c[id_column] == row_id).values(serial_key=_key(serial)))


def upgrade() -> None:
    for table_name in ("component", "quarantined_serial"):
        op.add_column(table_name, sa.Column("serial_key", sa.String(64), nullable=False, server_default=""))
    _backfill("component", "id")
    _backfill("quarantined_serial", "serial")
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT serial_key FROM component WHERE state != 'removed' GROUP BY serial_key HAVING count(*) > 1"
                " LIMIT 20"
            )
        )
        .scalars()
        .all()
    )
    if duplicates:
        raise RuntimeError(
            "These component serials are installed in more than one asset under different spellings; mark all but"
            " one removed, then upgrade again: " + ", ".join(duplicates)
        )
    op.drop_index("uq_component_serial_installed", table_name="component")
    op.create_index(
        "uq_component_serial_installed",
        "component",
        ["serial_key"],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )
    op.create_index("ix_component_serial_key", "component", ["serial_key"])
    op.create_index("ix_quarantined_serial_serial_key", "quarantined_serial", ["serial_key"])


def downgrade() -> None:
    op.drop_index("ix_quarantined_serial_serial_key", table_name="quarantined_serial")
    op.drop_index("ix_component_serial_key", table_name="component")
    op.drop_index("uq_component_serial_installed", table_name="component")
    op.create_index(
        "uq_component_serial_installed",
        "component",
        ["serial"],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )
    for table_name in ("quarantined_serial", "component"):
        op.execute(f"ALTER TABLE {table_name} DROP COLUMN serial_key")  # SQLite 3.35+: no rebuild
