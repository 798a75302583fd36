"""schemathesis with every check against gunicorn on PostgreSQL: the long run.

Run:  .venv/bin/python bench/schemathesis_run.py [--examples 200] [--max-time 600] [--seed 1]

A fresh database on the shared server (127.0.0.1:5432), ``casemgr init``, a partner with a
customer admin, gunicorn (2 workers); then schemathesis once with the admin's token and once
with the customer's. Prints, per role, the requests sent and how many got a 5xx (from
gunicorn's access log), and schemathesis's verdict. tests/faults/test_schemathesis_live.py
is the bounded version.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from bench.pg import drop_database, fresh_database  # noqa: E402
from tests.faults.fuzz import fuzz_server, run_schemathesis  # noqa: E402
from tests.faults.servers import Home, initialise  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="schemathesis -n (per operation and phase)")
    parser.add_argument("--max-time", type=int, default=600, help="time budget per role, seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    name = f"casemgr_fuzz_{os.getpid()}"
    instance = Path(tempfile.mkdtemp(prefix="casemgr-fuzz-"))
    failed = 0
    try:
        home = initialise(Home(fresh_database(name), instance))
        server = fuzz_server(home)
        try:
            for role, token in (("admin", home.admin_token), ("customer_admin", home.customer_token)):
                run = run_schemathesis(server, token, role, args.examples, args.seed, args.max_time)
                print(f"{role}: {run.requests} requests, {run.server_errors} 5xx, schemathesis exit {run.exit_code}")
                print("  statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(run.statuses.items())))
                if run.exit_code:
                    print(run.output[-6000:])
                failed += bool(run.exit_code or run.server_errors)
        finally:
            server.stop()
    finally:
        drop_database(name)
        shutil.rmtree(instance, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
