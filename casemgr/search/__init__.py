"""Search over cases, timeline entries, assets and RMAs (issue 19).

``text``: the pure rules (queries, identifiers, safe snippets, cursors); ``sources``: what
is searched and how each kind is scoped, behind one interface; ``service``: the search and
the identifier jump; ``views``: the /search page (the API is ``casemgr.api.search``).
The indexes are the database's own (migration 0022): PostgreSQL GIN indexes on tsvector
expressions, SQLite FTS5 external-content tables kept current by triggers.
"""
