"""Each timeline entry carries its case's organisation, and PostgreSQL's search indexes
key on the organisation beside the words: a customer's search reads its own matches
from one GIN index scan, not every tenant's (nor every entry of its own cases).

``case_event.organization_id`` is a copy of ``support_case.organization_id`` (a case
never changes organisation), set on every insert by the model; here it is backfilled.
No foreign key: the case's own column stays the authority, and SQLite can then add and
drop the column without rebuilding the table under its FTS5 views.
On PostgreSQL the GIN indexes become ``(organization_id, search_document)`` with the
``btree_gin`` extension (a trusted contrib extension: the database owner may create it);
where it cannot be created the single-column indexes stay and search stays correct,
only slower for customers. A multi-column GIN index serves conditions on any of its
columns, so vendor-wide searches use the same index.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
SEARCH_INDEXES = (
    ("support_case", "ix_support_case_search"),
    ("case_event", "ix_case_event_search"),
    ("rma", "ix_rma_search"),
)


def _btree_gin(bind) -> bool:
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
        return True
    except DBAPIError as exc:
        log.warning("btree_gin not available (%s): search indexes stay on the words alone", exc.orig)
        return False


def upgrade() -> None:
    op.add_column("case_event", sa.Column("organization_id", sa.Integer(), nullable=True))  # no table rebuild
    op.execute(
        "UPDATE case_event SET organization_id ="
        " (SELECT support_case.organization_id FROM support_case WHERE support_case.id = case_event.case_id)"
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _btree_gin(bind):
        for table, index in SEARCH_INDEXES:
            op.execute(f"DROP INDEX {index}")
            op.execute(f"CREATE INDEX {index} ON {table} USING gin (organization_id, search_document)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, index in SEARCH_INDEXES:
            op.execute(f"DROP INDEX {index}")
            op.execute(f"CREATE INDEX {index} ON {table} USING gin (search_document)")
    op.execute("ALTER TABLE case_event DROP COLUMN organization_id")  # SQLite 3.35+: no rebuild, the FTS5 views stay
