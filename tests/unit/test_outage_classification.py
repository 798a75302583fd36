"""Which errors mean "the database cannot answer now" (503, retry) and which are bugs (500)."""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError

from casemgr.outage import database_unavailable


def _raised_during(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception:
            raise outer  # noqa: B904 - the implicit context is what is tested
    except Exception as error:
        return error


def test_a_refused_connection_is_an_outage():
    error = OperationalError("connect", {}, psycopg.OperationalError("Connection refused"))
    answer = database_unavailable(error)
    assert answer is not None and answer[0] == "5"


def test_a_connection_the_server_dropped_asks_for_an_immediate_retry():
    error = OperationalError("select", {}, psycopg.OperationalError("server closed"), connection_invalidated=True)
    answer = database_unavailable(error)
    assert answer is not None and answer[0] == "1" and "send the request again" in answer[1]


def test_a_closed_connection_and_the_drivers_own_errors_are_outages_too():
    assert database_unavailable(InterfaceError("select", {}, psycopg.InterfaceError("the connection is closed")))
    assert database_unavailable(psycopg.OperationalError("the database system is starting up"))


def test_a_session_reused_after_an_outage_is_an_outage():
    error = _raised_during(PendingRollbackError("rolled back"), OperationalError("insert", {}, Exception("gone")))
    assert database_unavailable(error) is not None


def test_a_bug_stays_a_bug():
    assert database_unavailable(ValueError("bad")) is None
    assert database_unavailable(PendingRollbackError("rolled back after a duplicate key")) is None
    assert database_unavailable(None) is None
