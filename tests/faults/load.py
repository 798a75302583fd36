"""Concurrent requests (pages and API, reads and writes) from threads, each answer sorted.

Every answer must be 2xx, 3xx, 4xx, or 503 with Retry-After (JSON ``{"error": ...}`` under
/api/). Anything else (a 500, a 503 without Retry-After, a dropped connection) is kept
with its body for the failure message. Writes acknowledged (201 from the API, the redirect
to the new case from the form) are remembered by case number, to be found afterwards.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from tests.faults.servers import CUSTOMER_EMAIL, Home, logged_in

CASE_LOCATION = re.compile(r"/cases/(CS-\d+)")


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, response: requests.Response | None, error: Exception | None = None) -> None:
        with self.lock:
            self.counts["requests"] += 1
            if response is None:
                self.counts["transport error"] += 1
                self.bad.append(f"{kind}: no answer ({error})")
                return
            status = response.status_code
            path = response.request.path_url if response.request else kind
            if status < 500:
                self.counts[f"{status // 100}xx"] += 1
            elif status == 503 and response.headers.get("Retry-After") and _error_shape_ok(path, response):
                self.counts["503"] += 1
            else:
                self.counts["5xx other"] += 1
                self.bad.append(
                    f"{kind} {path}: {status} {response.headers.get('Retry-After')!r} {response.text[:300]}"
                )

    def summary(self) -> str:
        keys = ("requests", "2xx", "3xx", "4xx", "503", "5xx other", "transport error")
        return ", ".join(f"{k}: {self.counts.get(k, 0)}" for k in keys)


def _error_shape_ok(path: str, response: requests.Response) -> bool:
    if not path.startswith("/api/"):
        return True
    try:
        return response.json()["error"]["code"] == "database_unavailable"
    except (ValueError, KeyError, TypeError):
        return False


class Load:
    """``clients`` threads sending, round-robin, an API read, an API write, a page read and a
    form post (a new case) until :meth:`stop`, bounded by ``limit_s`` in any case."""

    def __init__(self, base: str, home: Home, clients: int = 6, limit_s: float = 600) -> None:
        self.base, self.home, self.clients, self.limit_s = base, home, clients, limit_s
        self.tally = Tally()
        self._stop = threading.Event()
        self._serial = itertools.count(1)
        self._browsers = [logged_in(base, CUSTOMER_EMAIL) for _ in range(clients)]
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(clients)]

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> Tally:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return self.tally

    def _run(self, n: int) -> None:
        browser, csrf = self._browsers[n]
        api = client(self.home.customer_token)
        deadline = time.monotonic() + self.limit_s
        kinds = itertools.cycle(KINDS)
        while not self._stop.is_set() and time.monotonic() < deadline:
            kind = next(kinds)
            try:
                response = self.send(kind, api, browser, csrf)
            except requests.RequestException as exc:
                self.tally.record(kind, None, exc)
                continue
            self.tally.record(kind, response)
            self._remember(kind, response)

    def send(self, kind: str, api: requests.Session, browser: requests.Session, csrf: str) -> requests.Response:
        return send_one(self.base, self.home, kind, api, browser, csrf, f"fault load {next(self._serial)}")

    def _remember(self, kind: str, response: requests.Response) -> None:
        number = None
        if kind == "api write" and response.status_code == 201:
            number = response.json()["number"]
        elif kind == "page write" and response.status_code in (302, 303):
            found = CASE_LOCATION.search(response.headers.get("Location", ""))
            number = found.group(1) if found else None
        if number:
            with self.tally.lock:
                self.tally.acknowledged.add(number)


def client(token: str | None = None) -> requests.Session:
    """A session that opens a connection per request: a keep-alive socket the server closes
    as the next request leaves is the client's race, not the server's answer."""
    session = requests.Session()
    session.headers["Connection"] = "close"
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


KINDS = ("api read", "api write", "page read", "page write")


def send_one(
    base: str, home: Home, kind: str, api: requests.Session, browser: requests.Session, csrf: str, subject: str
) -> requests.Response:
    """One request of ``kind``: ``api`` carries the customer's token, ``browser`` their login."""
    if kind == "api read":
        return api.get(base + "/api/v1/cases?limit=5", timeout=30)
    if kind == "api write":
        body = {"asset_serial": home.asset_serial, "severity": 3, "subject": subject, "description": "load"}
        return api.post(base + "/api/v1/cases", json=body, timeout=30)
    if kind == "page read":
        return browser.get(base + "/cases/", timeout=30, allow_redirects=False)
    form = {
        "csrf_token": csrf,
        "asset_serial": home.asset_serial,
        "component_id": "",
        "severity": "3",
        "subject": subject,
        "description": "load through the form",
    }
    return browser.post(base + "/cases/new", data=form, timeout=30, allow_redirects=False)
