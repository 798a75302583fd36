"""What can be searched, behind one interface: each source builds the SQL of its own kind,
scoped by tenant and role in its WHERE clause, on PostgreSQL (tsvector, GIN, ts_rank)
or SQLite (FTS5, bm25).

The core's sources are here (cases, timeline entries, assets and their components); an
area adds its own to ``registry.search_sources`` (``rma.search``: RMA numbers, carrier
tracking numbers, the RMA's problem text). The service (:mod:`casemgr.search.service`)
unions the text sources' statements, ranks them and pages through them.

A text source's statement selects these labelled columns: ``kind``, ``key`` (the number
or serial the result is known by), ``title``, ``score`` (higher is better), ``sid`` (the
row's id, for a stable order and the link) and ``excerpt`` (PostgreSQL: the text to
highlight, which the service hands to ts_headline for the rows of the page only; SQLite:
FTS5's snippet(), which only the matching query itself can compute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Float, Select, TableClause, bindparam, cast, column, func, literal_column
from sqlalchemy import select as sa_select
from sqlalchemy import table as sa_table
from sqlalchemy.orm import Session

from casemgr.assets.models import Asset, Component, Part, Product
from casemgr.assets.serials import serial_key
from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseEvent
from casemgr.organizations.models import Site
from casemgr.search.text import MARK_END, MARK_START, Query, case_number, identifier, is_a_number, plain_snippet

#: The text search configuration of every tsvector (the migration's document functions).
PG_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")


@dataclass(frozen=True)
class Hit:
    """One result as every edge shows it."""

    kind: str
    key: str
    title: str
    snippet: Markup
    url: str


@dataclass(frozen=True)
class TextSearch:
    """What a text source is given to build its statement."""

    actor: User
    query: Query
    dialect: str
    #: Each source ranks at most this many matches (the first it finds): the cost of a
    #: query follows this bound, not the size of the table.
    candidates: int

    @property
    def tsquery(self) -> ColumnElement[Any]:
        return func.websearch_to_tsquery(PG_CONFIG, bindparam("search_q", self.query.text))

    #: The partners of an account manager (their ``scope`` tokens in the FTS5 tables).
    assigned_orgs: tuple[int, ...] = ()
    #: SQLite: the FTS5 tables where every word of the query is rare enough for bm25 (its
    #: weights count each word's rows over the whole table: see ``service.rankable_tables``);
    #: elsewhere a page lists the newest matches first.
    fts5_ranked: frozenset[str] = frozenset()

    @property
    def fts5_match(self) -> ColumnElement[Any]:
        """The words alone (the snippets of rows already found and scoped)."""
        return bindparam("search_match", self.query.fts5_match)

    def fts5_scoped_match(self, columns: str) -> ColumnElement[Any]:
        """The words in ``columns``, and -- for a customer or an account manager -- the
        organisation (and visibility) tokens of the table's ``scope`` column (migration
        0022): FTS5 intersects the posting lists, so a small tenant's search reads its
        own matches, not everybody's. The SQL filters on the joined rows still decide (and
        alone say public or not: the ``public`` token's list holds most rows of the table, and
        intersecting it cost more than the rows it removed)."""
        expr = f"{{{columns}}} : ({self.query.fts5_match})"
        scope = policy.scope_of(self.actor)
        orgs = (self.actor.organization_id,) if scope == "own" else self.assigned_orgs if scope == "assigned" else ()
        if scope in ("own", "assigned"):
            expr += " AND scope : (" + (" OR ".join(f'"o{org}"' for org in orgs) or '"o0"') + ")"
        return bindparam("search_scoped_match", expr, unique=True)  # one per source, each its own value


class TextSource(Protocol):
    kind: str
    #: Its FTS5 table on SQLite, whose snippet() the service asks for the rows of the page.
    fts5: str

    def statement(self, search: TextSearch) -> Select[Any] | None:
        """The matches the actor may see (None: this actor can see none of this kind)."""

    def url(self, key: str, sid: int) -> str: ...


class IdentifierSource(Protocol):
    kind: str

    def find(self, session: Session, actor: User, query: Query) -> list[Hit]:
        """The objects the query names exactly (a number, a serial) that the actor may see."""


def constant(value: str, name: str) -> ColumnElement[Any]:
    """A constant column of code-given text (a kind): a literal, so UNION ALL needs no casts."""
    if not value.isidentifier():
        raise ValueError(f"not a constant name: {value!r}")
    return literal_column(f"'{value}'").label(name)


def fts5_table(name: str) -> TableClause:
    return sa_table(name, column("rowid"))


def fts5_score(search: TextSearch, name: str, weights: tuple[float, ...] = ()) -> ColumnElement[Any]:
    """The bm25 rank of a row of the FTS5 table ``name`` in its MATCH query (lower is
    better there, so the score is its negation), when the query's words are rare enough
    there; else 0 for every row (the page then lists the newest matches first)."""
    if name not in search.fts5_ranked:
        return cast(literal_column("0.0"), Float).label("score")
    fts: ColumnElement[Any] = literal_column(name)
    return cast(-func.bm25(fts, *weights), Float).label("score")


def fts5_snippet(name: str) -> ColumnElement[Any]:
    """FTS5's snippet() of the best column, matched words between the marks."""
    return func.snippet(literal_column(name), -1, MARK_START, MARK_END, "…", 16)  # matched on the words only


#: SQLite: snippets are made for the page's rows only (``service``).
NO_EXCERPT: ColumnElement[Any] = literal_column("''").label("excerpt")


def pg_document(table: str) -> ColumnElement[Any]:
    """The stored tsvector (migration 0022) of the table's row: the GIN index's column."""
    return literal_column(f"{table}.search_document")


def fts5_matches(name: str, match: ColumnElement[Any]) -> ColumnElement[bool]:
    return literal_column(name).op("MATCH")(match)


def pg_matches(document: ColumnElement[Any], search: TextSearch) -> ColumnElement[bool]:
    return document.op("@@")(search.tsquery)


def pg_tenant_key(search: TextSearch, column: Any) -> list[ColumnElement[bool]]:
    """The actor's organisations as plain values on ``column``, a key of the table's GIN index
    beside the words (migration 0026): a tenant's search is then one index scan that reads
    its own matches only. Vendor-wide actors: nothing. The policy's own filter, in the same
    WHERE clause, stays what decides."""
    scope = policy.scope_of(search.actor)
    if scope == "own":
        return [column == search.actor.organization_id]
    if scope == "assigned":
        return [column.in_(search.assigned_orgs)]
    return []


def pg_score(document: ColumnElement[Any], search: TextSearch) -> ColumnElement[Any]:
    return cast(func.ts_rank(document, search.tsquery), Float).label("score")


def can_see_any_case(actor: User) -> bool:
    return policy.scope_of(actor) != "none"  # field engineers reach cases through RMAs only


class CaseText:
    """Case subjects and descriptions."""

    kind = "case"
    fts5 = "support_case_fts"

    def statement(self, search: TextSearch) -> Select[Any] | None:
        if not can_see_any_case(search.actor):
            return None
        head = (constant("case", "kind"), Case.number.label("key"), Case.subject.label("title"))
        scope = policy.org_filter(search.actor, Case.organization_id)
        if search.dialect == "postgresql":
            document = pg_document("support_case")
            return sa_select(
                *head, pg_score(document, search), Case.id.label("sid"), Case.description.label("excerpt")
            ).where(pg_matches(document, search), *pg_tenant_key(search, Case.organization_id), scope)
        fts = fts5_table("support_case_fts")
        return (
            sa_select(*head, fts5_score(search, "support_case_fts", (4.0, 1.0)), Case.id.label("sid"), NO_EXCERPT)
            .select_from(fts.join(Case, Case.id == fts.c.rowid))
            .where(fts5_matches("support_case_fts", search.fts5_scoped_match("subject description")), scope)
        )

    def url(self, key: str, sid: int) -> str:
        return url_for("cases.show_case", number=key)


class TimelineText:
    """Comments and other timeline entries with a body; internal ones for vendor staff only."""

    kind = "comment"
    fts5 = "case_event_fts"

    def statement(self, search: TextSearch) -> Select[Any] | None:
        if not can_see_any_case(search.actor):
            return None
        head = (constant("comment", "kind"), Case.number.label("key"), Case.subject.label("title"))
        scope = [policy.org_filter(search.actor, Case.organization_id)]
        public_only = not policy.can_see_internal(search.actor)
        if public_only:
            scope.append(CaseEvent.public.is_(True))
        if search.dialect == "postgresql":
            document = pg_document("case_event")
            own = pg_tenant_key(search, CaseEvent.organization_id)  # the entry's copy of the case's
            return (
                sa_select(*head, pg_score(document, search), CaseEvent.id.label("sid"), CaseEvent.body.label("excerpt"))
                .join(Case, Case.id == CaseEvent.case_id)
                .where(pg_matches(document, search), *own, *scope)
            )
        fts = fts5_table("case_event_fts")
        return (
            sa_select(*head, fts5_score(search, "case_event_fts"), CaseEvent.id.label("sid"), NO_EXCERPT)
            .select_from(fts.join(CaseEvent, CaseEvent.id == fts.c.rowid).join(Case, Case.id == CaseEvent.case_id))
            .where(fts5_matches("case_event_fts", search.fts5_scoped_match("body")), *scope)
        )

    def url(self, key: str, sid: int) -> str:
        return url_for("cases.show_case", number=key) + f"#event-{sid}"  # the timeline entry


class CaseNumbers:
    """``CS-000123`` typed in any case, with or without the dash or the zeros."""

    kind = "case"

    def find(self, session: Session, actor: User, query: Query) -> list[Hit]:
        number = case_number(query.text)
        if number is None:
            return []
        case = session.scalar(sa_select(Case).where(Case.number == number, policy.case_filter(actor)))
        if case is None:
            return []
        return [
            Hit("case", case.number, case.subject, escape(plain_snippet(case.description)), CaseText().url(number, 0))
        ]


class SerialNumbers:
    """Asset serials and the serials of the components in them (current or removed)."""

    kind = "asset"

    def find(self, session: Session, actor: User, query: Query) -> list[Hit]:
        serial = identifier(query.text)
        if serial is None or is_a_number(query):
            return []
        scope = policy.org_filter(actor, Asset.organization_id)
        hits: list[Hit] = []
        asset = session.execute(
            sa_select(Asset.serial, Product.model, Site.name)
            .join(Product, Product.id == Asset.product_id)
            .join(Site, Site.id == Asset.site_id)
            .where(Asset.serial == serial, scope)
        ).first()
        if asset is not None:
            hits.append(self._hit(asset.serial, f"{asset.model} at {asset.name}", "Asset"))
        rows = session.execute(
            sa_select(Component.serial, Component.slot, Component.state, Part.description, Asset.serial.label("asset"))
            .join(Asset, Asset.id == Component.asset_id)
            .join(Part, Part.id == Component.part_id)
            .where(Component.serial_key == serial_key(serial), scope)  # "ssd-0000-0204" finds SSD00000204
            .order_by(Component.id.desc())
            .limit(10)
        ).all()
        for row in rows:
            where = "removed from" if row.state == "removed" else f"{row.slot} of"
            hits.append(self._hit(row.asset, f"{row.description} {row.serial}", where))
        return hits

    @staticmethod
    def _hit(asset_serial: str, title: str, where: str) -> Hit:
        snippet = escape(f"{where} {asset_serial}")
        return Hit("asset", asset_serial, title, snippet, url_for("assets.show_asset", serial=asset_serial))


def core_text_sources() -> list[TextSource]:
    return [CaseText(), TimelineText()]


def core_identifier_sources() -> list[IdentifierSource]:
    return [CaseNumbers(), SerialNumbers()]
