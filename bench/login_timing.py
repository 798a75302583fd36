"""How long a failed login takes for an unknown e-mail and for a known one (they must
match, so that the answer's timing does not tell which e-mails have accounts).

    .venv/bin/python bench/login_timing.py [--tries 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casemgr import create_app  # noqa: E402
from casemgr.auth.services import authenticate  # noqa: E402
from casemgr.db import new_session  # noqa: E402
from casemgr.first_run import initialise  # noqa: E402
from casemgr.migrate import upgrade  # noqa: E402
from casemgr.registry import registry_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"})
        upgrade(registry_of(app).db.engine)
        with new_session(app, write=True) as session:
            now = datetime.now(UTC)
            initialise(
                session, vendor_name="Bench", admin_email="known@bench.example", admin_password="x" * 12, now=now
            )
            figures = {}
            for label, email in (
                ("known e-mail, wrong password", "known@bench.example"),
                ("unknown e-mail", "nobody@bench.example"),
            ):
                times = []
                for _ in range(args.tries):
                    started = time.perf_counter()
                    assert authenticate(session, email, "not the password") is None
                    times.append((time.perf_counter() - started) * 1000)
                figures[label] = statistics.median(times)
                print(f"{label:<30} median {figures[label]:7.1f} ms over {args.tries} tries")
        registry_of(app).db.dispose()
    known, unknown = figures.values()
    print(f"unknown / known: {unknown / known:.2f} (1.00 means they cannot be told apart)")


if __name__ == "__main__":
    main()
