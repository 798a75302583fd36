"""PostgreSQL restarted (fast, immediate) and stopped under load: every answer is 2xx, 3xx,
4xx or 503 with Retry-After, never a 500; once it is back the same server process answers
again; and no write acknowledged with 2xx/302 is lost."""

from __future__ import annotations

import pytest

from tests.faults.scenario import restart_under_load
from tests.faults.servers import gunicorn, waitress

pytestmark = pytest.mark.commits


@pytest.mark.parametrize("start_server", [gunicorn, waitress], ids=["gunicorn-2-workers", "waitress-embedded"])
def test_a_database_restart_under_load_answers_503_with_retry_after_and_loses_no_write(cluster, home, start_server):
    server = start_server(home)
    try:
        outcome = restart_under_load(cluster, home, server, clients=6, answers=40)
    finally:
        server.stop()
    tally = outcome.tally
    assert tally.bad == [], tally.summary()
    assert tally.counts["503"] > 0, "the outage was met (otherwise the test proves nothing)"
    assert tally.counts["2xx"] > 0 and tally.counts["3xx"] > 0
    assert tally.acknowledged and outcome.missing == set()
    assert outcome.after == []
