"""New, empty PostgreSQL databases on the shared test server, dropped afterwards: for the tests
that back up one database and restore it into another."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ENV, skip_or_fail


@contextmanager
def empty_databases(*stems: str, purpose: str) -> Iterator[list[str]]:
    """One new database per stem (``STEM_<pid>``), as URLs; only they are created and dropped."""
    if not os.environ.get(PG_ENV):
        skip_or_fail(f"PostgreSQL not configured: set {PG_ENV} to {purpose}")
    server = make_url(os.environ[PG_ENV].replace("postgresql://", "postgresql+psycopg://", 1))
    names = [f"{stem}_{os.getpid()}" for stem in stems]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield [server.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


_empty_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """A database nothing has touched: no tables, no migrations (PostgreSQL: a new one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with empty_databases(f"casemgr_pytest_empty_{next(_empty_databases)}", purpose="run this test") as (url,):
        yield url
