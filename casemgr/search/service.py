"""Search: one function for the page, the API and the benchmark, and the identifier jump.

Results are the objects the query names exactly (a case or RMA number, a serial, a
tracking number) first, then the full-text matches of every text source, ranked
together (ts_rank on PostgreSQL, bm25 on SQLite) and paged with an opaque cursor.
Each source ranks at most ``candidates`` matches, so a word found in a million
timeline entries costs what a few hundred cost. Read-only: no transaction to own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, text, union_all
from sqlalchemy.orm import Session

from casemgr.auth import policy
from casemgr.auth.models import User
from casemgr.registry import registry_for
from casemgr.search.sources import (
    PG_CONFIG,
    Hit,
    IdentifierSource,
    TextSearch,
    TextSource,
    constant,
    core_identifier_sources,
    core_text_sources,
    fts5_matches,
    fts5_snippet,
    fts5_table,
)
from casemgr.search.text import (
    MARK_END,
    MARK_START,
    PG_GT,
    PG_LT,
    Query,
    decode_cursor,
    encode_cursor,
    highlighted,
)

PAGE_SIZE = 20
CANDIDATES = 200
#: SQLite: a word in this many rows of a table is too common there for bm25 (``rankable_tables``).
RANKED_MAX_ROWS = 5_000
_HEADLINE_OPTIONS = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12"


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    next: str | None


def text_sources(session: Session) -> list[TextSource]:
    registry = registry_for(session)
    return core_text_sources() + (list(registry.search_text_sources) if registry else [])


def identifier_sources(session: Session) -> list[IdentifierSource]:
    registry = registry_for(session)
    return core_identifier_sources() + (list(registry.search_identifier_sources) if registry else [])


def exact_hits(session: Session, actor: User, query: Query) -> list[Hit]:
    """What the query names exactly, among what ``actor`` may see."""
    hits: list[Hit] = []
    for source in identifier_sources(session):
        if query.kind in (None, source.kind):
            hits.extend(source.find(session, actor, query))
    return hits


def jump_target(session: Session, actor: User, query: Query) -> str | None:
    """The page to go straight to: the query names exactly one object the actor may see."""
    hits = exact_hits(session, actor, query)
    urls = {hit.url for hit in hits}
    return urls.pop() if len(urls) == 1 else None


def search(
    session: Session,
    actor: User,
    query: Query,
    cursor: str | None = None,
    *,
    limit: int = PAGE_SIZE,
    candidates: int = CANDIDATES,
) -> Page:
    offset = decode_cursor(query, cursor)
    exact = exact_hits(session, actor, query)
    hits = exact[offset : offset + limit]
    text_offset = max(offset - len(exact), 0)
    wanted = limit - len(hits)
    rows = _text_hits(session, actor, query, text_offset, wanted + 1, candidates)
    more = len(rows) > wanted
    hits.extend(rows[:wanted])
    return Page(hits, encode_cursor(query, offset + limit) if more else None)


def _text_hits(session: Session, actor: User, query: Query, offset: int, limit: int, candidates: int) -> list[Hit]:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and not query.words:
        return []
    assigned: tuple[int, ...] = ()
    if policy.scope_of(actor) == "assigned":
        assigned = tuple(session.scalars(policy.assigned_org_ids(actor)))
    sources = {s.kind + type(s).__name__: s for s in text_sources(session) if query.kind in (None, s.kind)}
    ranked_tables = (
        rankable_tables(session, query, {s.fts5 for s in sources.values()}) if dialect == "sqlite" else frozenset()
    )
    ctx = TextSearch(actor, query, dialect, candidates, assigned, ranked_tables)
    if dialect == "postgresql":
        # A plan per query: how selective the words and the tenant are decides between the GIN
        # index and the tenant's own rows; a generic plan (psycopg prepares repeated statements)
        # would pick one for every word. No parallel workers: starting them costs more than
        # the few hundred rows a page reads. SET LOCAL ends with the request's transaction.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    by_name: dict[str, TextSource] = {}
    parts = []
    for name, source in sources.items():
        stmt = source.statement(ctx)
        if stmt is None:
            continue
        by_name[name] = source
        bounded = stmt.add_columns(constant(name, "source")).limit(candidates).subquery()
        parts.append(select(*bounded.c))
    if not parts:
        return []
    ranked = union_all(*parts).subquery("ranked")
    page = (
        select(ranked)
        .order_by(ranked.c.score.desc(), ranked.c.kind, ranked.c.sid.desc())
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    excerpt: Any = page.c.excerpt
    if dialect == "postgresql":  # headlines for the page's rows only
        visible = func.translate(page.c.excerpt, "<>", PG_LT + PG_GT)
        excerpt = func.ts_headline(PG_CONFIG, visible, ctx.tsquery, _HEADLINE_OPTIONS)
    stmt = select(page.c.kind, page.c.key, page.c.title, page.c.sid, page.c.source, excerpt.label("snippet")).order_by(
        page.c.score.desc(), page.c.kind, page.c.sid.desc()
    )
    found = session.execute(stmt).all()
    snippets: dict[tuple[str, int], str] = {}
    if dialect == "sqlite":
        for name in {row.source for row in found}:
            sids = [row.sid for row in found if row.source == name]
            snippets.update(((name, sid), text) for sid, text in _fts5_snippets(session, by_name[name].fts5, ctx, sids))
    return [
        Hit(
            row.kind,
            row.key,
            row.title,
            highlighted(snippets.get((row.source, row.sid), row.snippet)),
            by_name[row.source].url(row.key, row.sid),
        )
        for row in found
    ]


def rankable_tables(session: Session, query: Query, tables: set[str], bound: int | None = None) -> frozenset[str]:
    """The FTS5 tables in which every word of the query is in fewer than ``bound`` rows
    (default ``RANKED_MAX_ROWS``). bm25 weighs a word by counting the rows that hold it, over
    the whole table: for a word in millions of rows that count alone took 300 ms. Each probe
    stops at the bound."""
    bound = bound or RANKED_MAX_ROWS
    ranked = set()
    for name in sorted(tables):
        table = fts5_table(name)
        for word in query.words:
            probe = select(table.c.rowid).where(fts5_matches(name, bindparam("probe_word", f'"{word}"')))
            rows = session.scalar(select(func.count()).select_from(probe.limit(bound).subquery()))
            if (rows or 0) >= bound:
                break
        else:
            ranked.add(name)
    return frozenset(ranked)


def _fts5_snippets(session: Session, fts5: str, ctx: TextSearch, sids: list[int]) -> list[Any]:
    """(rowid, snippet) of the page's rows: FTS5 makes snippets in a MATCH query only."""
    table = fts5_table(fts5)
    stmt = (
        select(table.c.rowid, fts5_snippet(fts5))
        .select_from(table)
        .where(fts5_matches(fts5, ctx.fts5_match), table.c.rowid.in_(sids))
    )
    return list(session.execute(stmt).all())
