"""Shared fixtures: the same tests run on SQLite and on PostgreSQL.

PostgreSQL runs when ``CASEMGR_TEST_POSTGRES_URL`` names a server (for
example ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); the tests
then use a database of their own on it (``casemgr_pytest_<pid>``, dropped at the end). Without it those tests
skip with that reason. ``CASEMGR_REQUIRE_ALL=1`` (set by ``.ci/run``) turns
every such skip into a failure, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casemgr import create_app
from casemgr.clock import FixedClock
from casemgr.db import make_engine
from casemgr.migrate import upgrade
from casemgr.registry import registry_of
from migrations.metadata import target_metadata

PG_ENV = "CASEMGR_TEST_POSTGRES_URL"
REQUIRE_ALL = os.environ.get("CASEMGR_REQUIRE_ALL") == "1"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (CASEMGR_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


#: One database per test run, so that runs side by side never disturb each other.
PG_DATABASE = f"casemgr_pytest_{os.getpid()}"


def _admin_engine():
    url = make_url(os.environ[PG_ENV].replace("postgresql://", "postgresql+psycopg://", 1))
    return url, create_engine(url, isolation_level="AUTOCOMMIT")


def _postgres_url() -> str | None:
    if not os.environ.get(PG_ENV):
        return None
    url, admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    admin.dispose()
    return url.set(database=PG_DATABASE).render_as_string(hide_password=False)


def _drop_postgres() -> None:
    _url, admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """Each database built once per run, by the migrations (never create_all)."""
    urls: dict[str, str | None] = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"}
    try:
        urls["postgresql"] = _postgres_url()
    except Exception as exc:  # a configured but unreachable server is an error worth seeing
        pytest.exit(f"{PG_ENV} is set but the server cannot be used: {exc}", returncode=3)
    for url in urls.values():
        if url:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
    yield urls
    if urls.get("postgresql"):
        _drop_postgres()


def _empty_tables(url: str) -> None:
    engine = make_engine(url)
    tables = [t.name for t in reversed(target_metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
    engine.dispose()


def commits(request) -> bool:
    """Whether the test runs in the committing mode (``@pytest.mark.commits``)."""
    return request.node.get_closest_marker("commits") is not None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, database_urls) -> Iterator[str]:
    """The database of this run of the test (each runs on both).

    By default a test runs inside one transaction rolled back at its end (see ``app``):
    the tables are empty when it starts and stay so. A ``@pytest.mark.commits`` test
    really commits: it starts on emptied tables, and empties them again when done so
    that the tests after it start clean.
    """
    url = database_urls.get(request.param)
    if url is None:
        skip_or_fail(
            f"PostgreSQL not configured: set {PG_ENV}=postgresql+psycopg://USER@HOST:5432/DB to run this test on it"
        )
    if commits(request):
        _empty_tables(url)
        yield url
        _empty_tables(url)
    else:
        yield url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def _app_config(db_url: str, clock: FixedClock, instance: Path) -> dict:
    return {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": db_url,
        "SECRET_KEY": "test-only-" + "x" * 20,
        "CLOCK": clock,
        "RATELIMIT_ENABLED": False,
        "TESTING": True,
    }


class SharedApp:
    """One app per database for the whole run, and the engine of the connections the tests
    roll back (on SQLite one whose transactions SQLAlchemy emits, as SAVEPOINTs need)."""

    def __init__(self, db_url: str, instance: Path) -> None:
        self.app = create_app(_app_config(db_url, FixedClock(T0), instance))
        self.config = dict(self.app.config)
        self.engine = make_engine(db_url, sqlite_immediate=True)

    def dispose(self) -> None:
        registry_of(self.app).db.dispose()
        self.engine.dispose()


class SharedApps:
    """The run's apps, one per database, each built on first use."""

    def __init__(self, tmp_path_factory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.apps: dict[str, SharedApp] = {}

    def get(self, name: str, url: str) -> SharedApp:
        if name not in self.apps:
            self.apps[name] = SharedApp(url, self.tmp_path_factory.mktemp(f"app-{name}"))
        return self.apps[name]

    def dispose(self) -> None:
        """Close every pooled connection (new ones are opened on demand): after a committing
        test, which may have done anything to other connections (terminated them, say)."""
        for shared in self.apps.values():
            shared.dispose()


@pytest.fixture(scope="session")
def shared_apps(tmp_path_factory) -> Iterator[SharedApps]:
    apps = SharedApps(tmp_path_factory)
    yield apps
    apps.dispose()


@pytest.fixture
def app(request, db_url, clock, tmp_path, shared_apps):
    """The app of the test, on ``db_url``, with ``clock`` as its clock.

    Committing tests (``@pytest.mark.commits``) get an app of their own, as a real process
    has. The others share one app per database for the whole run: each test gets the
    app's configuration back as it was built (with its own attachment and mail folders
    under ``tmp_path``) and its own clock, and runs inside one transaction on one
    connection, rolled back at its end. Every session of the app joins that transaction
    through a SAVEPOINT (``Database.sessions_joined``), so a service's or a request's commit
    only releases its savepoint. One connection serves one thread: a test with threads,
    several connections, or commits other connections must see, is marked ``commits``.
    """
    if commits(request):
        app = create_app(_app_config(db_url, clock, tmp_path / "instance"))
        yield app
        registry_of(app).db.dispose()
        shared_apps.dispose()
        return
    shared = shared_apps.get(request.node.callspec.params["db_url"], db_url)
    app = shared.app
    app.config.clear()
    app.config.update(shared.config)
    instance = tmp_path / "instance"
    app.config.update(CLOCK=clock, ATTACHMENT_DIR=str(instance / "attachments"), MAILDIR=str(instance / "mail"))
    registry = registry_of(app)
    registry.clock = clock
    with shared.engine.connect() as connection:
        transaction = connection.begin()
        try:
            with registry.db.sessions_joined(connection):
                yield app
        finally:
            transaction.rollback()


@pytest.fixture
def session(app):
    from casemgr.db import new_session

    # No app context stays pushed: each test-client request must get its own ``g``.
    s = new_session(app)
    yield s
    s.close()


@pytest.fixture
def world(app, session, clock):
    from tests.factories import build_world

    return build_world(session, clock.now())


class WebClient:
    """A test client that logs in and adds the CSRF token to every form post."""

    CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def login(self, email: str, password: str = "correct horse battery"):
        page = self.client.get("/login")
        self.token = self.CSRF.search(page.get_data(as_text=True)).group(1)
        response = self.client.post("/login", data={"email": email, "password": password, "csrf_token": self.token})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        self.token = self.CSRF.search(self.client.get("/cases/").get_data(as_text=True)).group(1)
        return self

    def get(self, url: str, **kw):
        """Buffer and close the response so file downloads release their handle."""
        response = self.client.get(url, **kw)
        response.get_data()
        response.close()
        return response

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf and self.token:
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def web(app):
    """``web(email)`` returns a logged-in client; each call is a separate browser."""

    def make(email: str | None = None) -> WebClient:
        client = WebClient(app.test_client())
        return client.login(email) if email else client

    return make


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
