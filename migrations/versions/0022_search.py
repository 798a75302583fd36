"""Search: full-text indexes kept current by the database itself, and case-insensitive
identifier look-ups.

PostgreSQL: a stored generated ``search_document`` tsvector column on each searchable
table, under a GIN index: the database computes it in the statement of every write,
whatever wrote it (the ORM, ``insert_one``, a bulk COPY), so it is never stale. SQLite:
one external-content FTS5 table per searchable text, kept current by triggers on the
source table. Both: a case-insensitive index on tracking numbers (``upper(tracking)``;
SQLite: ``COLLATE NOCASE``) for the exact-identifier jump to a shipment. The FTS5 tables
are filled from the existing rows, and adding the generated columns computes
them for every existing row (the backfill).

Revision ID: 0022
Revises: 0023
Create Date: 2026-12-02
"""

from alembic import op

revision = "0022"
down_revision = "0023"
branch_labels = None
depends_on = None

#: (FTS5 table, source table, indexed columns, condition for a row to be indexed, scope).
#: ``scope`` holds tokens of who may see the row -- ``o<organization id>``, and ``public`` or
#: ``internal`` for timeline entries -- so that a customer's search is the intersection of
#: the word's and the tenant's posting lists inside FTS5 (the SQL filters on the joined rows
#: stay, and decide). ``{p}`` is ``new``, ``old`` or the source table.
FTS_TABLES = (
    ("support_case_fts", "support_case", ("subject", "description"), None, "'o' || {p}.organization_id"),
    (
        "case_event_fts",
        "case_event",
        ("body",),
        "body != ''",
        "'o' || (SELECT organization_id FROM support_case WHERE id = {p}.case_id)"
        " || CASE WHEN {p}.public THEN ' public' ELSE ' internal' END",
    ),
    ("rma_fts", "rma", ("problem",), "problem != ''", "'o' || {p}.organization_id"),
)

#: (table, GIN index, tsvector expression) of a generated column ``search_document``: stored, so
#: matching and ranking read it instead of parsing the text again.
PG_DOCUMENTS = (
    (
        "support_case",
        "ix_support_case_search",
        "setweight(to_tsvector('english'::regconfig, coalesce(subject, '')), 'A')"
        " || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')",
    ),
    ("case_event", "ix_case_event_search", "to_tsvector('english'::regconfig, coalesce(body, ''))"),
    ("rma", "ix_rma_search", "to_tsvector('english'::regconfig, coalesce(problem, ''))"),
)

#: Carrier tracking numbers are stored as typed, and looked up in any case: (index, table, column).
#: (Case and RMA numbers and serials are stored upper case, under unique or plain indexes already.)
UPPER_INDEXES = (("ix_rma_shipment_tracking_upper", "rma_shipment", "tracking"),)


def _sqlite_fts_up() -> None:
    for fts, source, columns, condition, scope in FTS_TABLES:
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns) + ", " + scope.format(p="new")
        old = ", ".join(f"old.{c}" for c in columns) + ", " + scope.format(p="old")
        when_new = f" WHEN new.{condition}" if condition else ""
        when_old = f" WHEN old.{condition}" if condition else ""
        where = f" WHERE {condition}" if condition else ""
        # The content FTS5 reads columns back from (snippets): the source's rows with their scope.
        op.execute(
            f"CREATE VIEW {fts}_content AS SELECT id, {cols}, {scope.format(p=source)} AS scope FROM {source}{where}"
        )
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, scope, content='{fts}_content', content_rowid='id',"
            " tokenize='porter unicode61')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source}{when_new} BEGIN"
            f" INSERT INTO {fts}(rowid, {cols}, scope) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source}{when_old} BEGIN"
            f" INSERT INTO {fts}({fts}, rowid, {cols}, scope) VALUES ('delete', old.id, {old}); END"
        )
        watched = f"{cols}, organization_id" if "{p}.organization_id" in scope else cols
        op.execute(
            f"CREATE TRIGGER {fts}_au_old AFTER UPDATE OF {watched} ON {source}{when_old} BEGIN"
            f" INSERT INTO {fts}({fts}, rowid, {cols}, scope) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au_new AFTER UPDATE OF {watched} ON {source}{when_new} BEGIN"
            f" INSERT INTO {fts}(rowid, {cols}, scope) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}(rowid, {cols}, scope) SELECT id, {cols}, scope FROM {fts}_content")


def _sqlite_fts_down() -> None:
    for fts, *_rest in FTS_TABLES:
        for suffix in ("ai", "ad", "au_old", "au_new"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
        op.execute(f"DROP VIEW IF EXISTS {fts}_content")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table, index, expression in PG_DOCUMENTS:  # adding the column computes it for every row
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_document tsvector GENERATED ALWAYS AS ({expression}) STORED"
            )
            op.execute(f"CREATE INDEX {index} ON {table} USING gin (search_document)")
    else:
        _sqlite_fts_up()
    for index, table, column in UPPER_INDEXES:
        # SQLite: a case-insensitive collation (SQLAlchemy cannot reflect an index on an expression there).
        key = f"upper({column})" if dialect == "postgresql" else f"{column} COLLATE NOCASE"
        op.execute(f"CREATE INDEX {index} ON {table} ({key})")


def downgrade() -> None:
    for index, _table, _column in UPPER_INDEXES:
        op.execute(f"DROP INDEX {index}")
    if op.get_bind().dialect.name == "postgresql":
        for table, index, _expression in PG_DOCUMENTS:
            op.execute(f"DROP INDEX {index}")
            op.execute(f"ALTER TABLE {table} DROP COLUMN search_document")
    else:
        _sqlite_fts_down()
