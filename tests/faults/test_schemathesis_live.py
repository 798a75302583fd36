"""schemathesis with every check (tests/faults/fuzz.py lists the two left out, and why)
against gunicorn (2 workers) on a fresh PostgreSQL database, with an admin's token and a
customer admin's side by side: no 5xx, no check failure. Bounded (fuzzing phase, few
examples, a time budget); bench/schemathesis_run.py is the long run with every phase."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.pg import drop_database, fresh_database
from tests.conftest import PG_ENV, skip_or_fail
from tests.faults.fuzz import STATUS, fuzz_server, run_schemathesis
from tests.faults.servers import Home, initialise

pytestmark = pytest.mark.commits


@pytest.fixture
def fuzz_home(instance):
    if not os.environ.get(PG_ENV):
        skip_or_fail(f"PostgreSQL not configured: set {PG_ENV} to fuzz the API on it")
    name = f"casemgr_fuzz_test_{os.getpid()}"
    try:
        yield initialise(Home(fresh_database(name), instance))
    finally:
        drop_database(name)


def test_schemathesis_finds_no_5xx_and_no_check_failure_as_admin_or_customer(fuzz_home):
    server = fuzz_server(fuzz_home)
    try:
        roles = (("admin", fuzz_home.admin_token), ("customer_admin", fuzz_home.customer_token))
        with ThreadPoolExecutor(len(roles)) as pool:
            runs = list(
                pool.map(
                    lambda role: run_schemathesis(server, role[1], role[0], 3, max_time=50, phases="fuzzing"), roles
                )
            )
    finally:
        server.stop()
    assert server.access_log is not None
    log = server.access_log.read_text()
    statuses = [m.group(1) for line in log.splitlines() if (m := STATUS.search(line))]
    assert len(statuses) > 100, "the fuzzer reached the API"
    assert [s for s in statuses if s.startswith("5")] == []
    for run in runs:
        assert run.exit_code == 0, f"{run.role}:\n" + re.sub(r"\n\s*\n", "\n", run.output)[-5000:]
