"""CPU instructions per ``POST /api/v1/cases``, counted by valgrind (callgrind).

Run:  .venv/bin/python bench/instructions.py [--db sqlite|postgresql|both] [--requests 100] [--warmup 50]
      (needs Debian's ``valgrind``)

Throughput on a shared two-core machine moves by 20% between runs; the number
of instructions a request executes moves by well under 1%, so it is the figure
to compare changes by. The app is built as bench/profile_case_create.py builds
it (demo data, a customer admin's token), requests go through Flask's test
client, and only the measured requests are counted (``callgrind_control -i``),
in user space: the kernel's share of each database round trip is not in it.
Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

INNER = "CASEMGR_BENCH_UNDER_VALGRIND"


def measure(db: str, requests: int, warmup: int) -> None:
    """Inside valgrind: build, warm up, count the measured requests only."""
    from bench.pg import drop_database, fresh_database
    from bench.profile_case_create import build, post_cases
    from casemgr.registry import registry_of

    workdir = Path(tempfile.mkdtemp(prefix="casemgr-instr-"))
    url = f"sqlite:///{workdir / 'casemgr.sqlite3'}" if db == "sqlite" else fresh_database("casemgr_bench_instr")
    try:
        app, token, serials = build(url, workdir)
        client = app.test_client()
        post_cases(client, token, serials, warmup, 0)
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
        post_cases(client, token, serials, requests, warmup)
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
        registry_of(app).db.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if db != "sqlite":
            drop_database("casemgr_bench_instr")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()
    if os.environ.get(INNER):
        measure(args.db, args.requests, args.warmup)
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (Debian: apt install valgrind)")
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "callgrind.out"
            subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    "--instr-atstart=no",
                    f"--callgrind-out-file={out}",
                    sys.executable,
                    __file__,
                    "--db",
                    db,
                    "--requests",
                    str(args.requests),
                    "--warmup",
                    str(args.warmup),
                ],
                env={**os.environ, INNER: "1"},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
            if totals is None:
                sys.exit(f"callgrind wrote no totals to {out}")
            total = int(totals.group(1))
        print(
            f"{db:<11} {total / args.requests / 1e6:6.2f} M instructions per POST /api/v1/cases "
            f"({args.requests} requests after {args.warmup} warm-up)",
            flush=True,
        )


if __name__ == "__main__":
    main()
