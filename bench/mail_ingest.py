"""Benchmark: inbound mail throughput, messages filed per second, 1,000 messages with attachments.

Command (from the repository root)::

    .venv/bin/python bench/mail_ingest.py --db both --messages 1000

Per database (SQLite: a file in a temp dir; PostgreSQL: its own database
``casemgr_bench_mail`` on 127.0.0.1:5432, dropped and re-created): fresh schema
(Alembic) and the test world (tests/factories.py), then ``--messages`` real
RFC 5322 messages, each with a 20 KB base64 log attachment, filed one by one
through :func:`casemgr.channels.mail.ingest` with a session each, as ``casemgr
mail ingest`` does (the process start of the CLI is not counted). The mix:

* 10 % new cases from an authenticated customer (DMARC pass from the trusted MTA) naming its asset;
* 60 % replies to those cases sent to their signed reply address;
* 20 % replies naming a case only by the subject tag (filed unverified, the queue told);
* 10 % from unknown senders (triage cases, acknowledgements damped per sender).

Every message stores its attachment and its original .eml. Prints messages/s and
the median and 95th percentile per message. Then (``--large-mb``, default 45 and 148: messages of about
60 and 200 MB) one reply per size with an attachment of that many MB (base64, a 64 MB
limit: the first is kept, the second left out), read from a file:
Python's peak allocation (tracemalloc) and the growth of the peak RSS while it is filed.
A benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from sqlalchemy import func, select  # noqa: E402

from bench.pg import drop_database, fresh_database  # noqa: E402
from casemgr import create_app  # noqa: E402
from casemgr.cases.attachments import LocalAttachmentStore  # noqa: E402
from casemgr.cases.models import Attachment, Case  # noqa: E402
from casemgr.channels import mail_ids  # noqa: E402
from casemgr.channels.mail import ingest  # noqa: E402
from casemgr.channels.mail_routing import MailSettings  # noqa: E402
from casemgr.clock import FixedClock  # noqa: E402
from casemgr.db import new_session  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.registry import registry_of  # noqa: E402
from tests.factories import build_world  # noqa: E402

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PG_DB = "casemgr_bench_mail"
SECRET = "bench-secret-" + "x" * 20
REPLY_TO = "support@casemgr.example.com"
TRUSTED = "mx.casemgr.example.com"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def message(i: int, kind: str, case_number: str | None, attachment: bytes) -> bytes:
    secret = mail_ids.mail_secret(SECRET)
    headers = [f"Message-ID: <bench-{i}@acme.example.com>", "MIME-Version: 1.0"]
    if kind == "new":
        headers += [
            f"Authentication-Results: {TRUSTED}; dmarc=pass header.from=acme.example.com",
            "From: Ana Admin <admin@acme.example.com>",
            f"To: {REPLY_TO}",
            f"Subject: Severity 3: ACME-001 controller warning {i}",
        ]
        text = f"The controller of ACME-001 logged warning {i}. Log attached."
    elif kind == "reply":
        headers += [
            "From: Ana Admin <admin@acme.example.com>",
            f"To: {mail_ids.reply_address(secret, REPLY_TO, case_number or '')}",
            "Subject: Re: your case",
        ]
        text = f"Update {i}: the warning came back.\n\nOn Mon, Support wrote:\n> Please send the log\n"
    elif kind == "subject":
        headers += ["From: user@acme.example.com", f"To: {REPLY_TO}", f"Subject: Re: [{case_number}] update"]
        text = f"More detail {i}."
    else:
        headers += [f"From: someone{i % 20}@unknown{i % 20}.example.org", f"To: {REPLY_TO}", f"Subject: help {i}"]
        text = f"Our array is down ({i})."
    body = (
        (
            'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
            + text.replace("\n", "\r\n")
            + f'\r\n--B\r\nContent-Type: text/plain; name="ctrl-{i}.log"\r\n'
            f'Content-Disposition: attachment; filename="ctrl-{i}.log"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + base64.encodebytes(attachment)
        + b"--B--\r\n"
    )
    return "\r\n".join(headers).encode() + b"\r\n" + body


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def large_message(app, store, settings, clock, case_number: str, megabytes: int, path: Path) -> None:
    """One reply with a ``megabytes`` MB attachment, written to a file a piece at a time, then filed."""
    secret = mail_ids.mail_secret(SECRET)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        out.write(
            f"From: Ana Admin <admin@acme.example.com>\r\nTo: {mail_ids.reply_address(secret, REPLY_TO, case_number)}"
            f"\r\nSubject: Re: dump\r\nMessage-ID: <large-{megabytes}@acme.example.com>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nthe dump\r\n'
            '--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="dump.bin"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        )
        left = megabytes * 1024 * 1024
        while left:
            piece = os.urandom(min(57 * 16 * 1024, left))
            digest.update(piece)
            out.write(base64.encodebytes(piece).replace(b"\n", b"\r\n"))
            left -= len(piece)
        out.write(b"--B--\r\n")
    clock.advance(timedelta(seconds=2))
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # the peak RSS counts from here
    rss_before = _peak_rss()
    tracemalloc.start()
    t0 = time.perf_counter()
    with new_session(app, write=True) as session, path.open("rb") as source:
        outcome = ingest(session, source, store, clock.now(), settings)
    elapsed = time.perf_counter() - t0
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = path.stat().st_size
    print(
        f"{'':<10} {size / 1e6:.0f} MB message ({megabytes} MB attachment): {outcome.action} {outcome.detail!r}"
        f" in {elapsed:.1f} s (under tracemalloc); Python peak {peak / 1e6:.1f} MB,"
        f" peak RSS grew {(_peak_rss() - rss_before) / 1e6:.1f} MB"
    )
    path.unlink()


def run(kind: str, n: int, tmp: Path, large_mb: list[int]) -> None:
    url = f"sqlite:///{tmp / 'bench-mail.sqlite3'}" if kind == "sqlite" else fresh_database(PG_DB)
    clock = FixedClock(NOW)
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp / f"instance-{kind}"),
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "CLOCK": clock,
            "MAIL_REPLY_TO": REPLY_TO,
            "MAIL_TRUSTED_AUTHSERV": (TRUSTED,),
            "MAIL_DEAD_LETTER_DIR": str(tmp / f"dead-{kind}"),
        }
    )
    db = registry_of(app).db
    upgrade(db.engine)
    with new_session(app) as session:
        build_world(session, NOW)
    store = LocalAttachmentStore(tmp / f"files-{kind}", 25 * 1024 * 1024)
    settings = MailSettings.from_config(app.config)
    plan = ["new"] * (n // 10) + ["reply"] * (n * 6 // 10) + ["subject"] * (n * 2 // 10)
    plan += ["unknown"] * (n - len(plan))
    rest = plan[n // 10 :]
    random.Random(16).shuffle(rest)  # the same mix every run
    order = plan[: n // 10] + rest  # the cases first, then replies and strangers interleaved
    numbers: list[str] = []
    timings: list[float] = []
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for i, what in enumerate(order):
        number = numbers[i % len(numbers)] if numbers else None
        raw = message(i, what, number, os.urandom(15 * 1024))  # 20 KB once base64-encoded
        clock.advance(timedelta(seconds=2))
        t0 = time.perf_counter()
        with new_session(app, write=True) as session:
            outcome = ingest(session, raw, store, clock.now(), settings)
        timings.append(time.perf_counter() - t0)
        outcomes[outcome.action] = outcomes.get(outcome.action, 0) + 1
        if what == "new" and outcome.case_number:
            numbers.append(outcome.case_number)
    elapsed = time.perf_counter() - started
    with new_session(app) as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        files = session.scalar(select(func.count()).select_from(Attachment))
    timings.sort()
    print(
        f"{kind:<10} {n} messages in {elapsed:.1f} s: {n / elapsed:.0f} messages/s filed;"
        f" per message median {statistics.median(timings) * 1000:.1f} ms,"
        f" p95 {timings[int(len(timings) * 0.95)] * 1000:.1f} ms; {cases} cases, {files} files stored;"
        f" outcomes {dict(sorted(outcomes.items()))}"
    )
    for megabytes in large_mb:
        large_message(
            app, store.with_limit(64 * 1024 * 1024), settings, clock, numbers[0], megabytes, tmp / f"large-{kind}.eml"
        )
    db.dispose()
    if kind == "postgresql":
        drop_database(PG_DB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--large-mb",
        type=int,
        nargs="*",
        default=[45, 148],
        help="attachment sizes (MB) to measure: messages of about 60 and 200 MB",
    )
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            log(f"filing {args.messages} messages on {kind} ...")
            run(kind, args.messages, Path(tmp), args.large_mb)


if __name__ == "__main__":
    main()
