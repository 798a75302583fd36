"""The restart-under-load scenario, shared by the test and ``bench/pg_restart.py``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import create_engine, select

from tests.faults.cluster import PrivateCluster
from tests.faults.load import KINDS, Load, Tally, client, send_one
from tests.faults.servers import CUSTOMER_EMAIL, Home, Server, logged_in


@dataclass
class Outcome:
    tally: Tally
    missing: set[str]  # acknowledged case numbers not in the database afterwards
    after: list[str]  # requests that failed once the cluster was back


def wait_for_answers(load: Load, answers: int, limit_s: float = 60) -> None:
    """Until the load has had ``answers`` more answers (not a time: a count, bounded)."""
    target = load.tally.counts["requests"] + answers
    deadline = time.monotonic() + limit_s
    done = threading.Event()
    while load.tally.counts["requests"] < target and time.monotonic() < deadline:
        done.wait(0.05)  # polling a counter other threads raise


def restart_under_load(
    cluster: PrivateCluster,
    home: Home,
    server: Server,
    *,
    clients: int = 6,
    answers: int = 60,
    log: Callable[[str], None] = lambda _line: None,
) -> Outcome:
    """Load, then a fast restart, an immediate restart (a crash), and a stop with a spell of
    refused connections before the start, with ``answers`` answers between each step."""
    load = Load(server.base, home, clients=clients).start()
    wait_for_answers(load, answers)
    for step, act in (
        ("restart -m fast", lambda: cluster.restart("fast")),
        ("restart -m immediate", lambda: cluster.restart("immediate")),
        ("stop -m fast (down: connection refused)", lambda: cluster.stop("fast")),
        ("start", cluster.start),
    ):
        log(f"{step} at {load.tally.summary()}")
        act()
        wait_for_answers(load, answers)
    wait_for_answers(load, answers)
    tally = load.stop()
    log(f"done: {tally.summary()}")
    return Outcome(tally, missing_cases(home.url, tally.acknowledged), requests_after(server.base, home))


def missing_cases(url: str, numbers: set[str]) -> set[str]:
    from casemgr.cases.models import Case

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = set(conn.scalars(select(Case.number).where(Case.number.in_(numbers))))
    finally:
        engine.dispose()
    return numbers - found


def requests_after(base: str, home: Home) -> list[str]:
    """Each kind of request once the cluster is back: all must succeed (no restart of the server)."""
    browser, csrf = logged_in(base, CUSTOMER_EMAIL)
    api = client(home.customer_token)
    failed = []
    for n, kind in enumerate(KINDS * 2):
        response = send_one(base, home, kind, api, browser, csrf, f"after the outage {n}")
        if response.status_code >= 400:
            failed.append(f"{kind}: {response.status_code} {response.text[:200]}")
    return failed
