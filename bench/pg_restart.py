"""PostgreSQL restarted and stopped under load: how every request was answered.

Run:  .venv/bin/python bench/pg_restart.py [--server gunicorn|waitress|both] [--clients 6] [--answers 200]

Starts a private PostgreSQL cluster (never the shared one on 5432), runs ``casemgr init``
on it, starts the server, sends pages and API reads and writes from --clients threads,
and meanwhile restarts the cluster (fast, then immediate), stops it (connection refused)
and starts it again, --answers answers apart. Prints the counts (requests, 2xx, 3xx, 4xx,
503 with Retry-After, other 5xx), the acknowledged writes missing afterwards, and the
requests that failed once the cluster was back. Exit 1 on any other 5xx or lost write.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from tests.faults.cluster import PrivateCluster, postgres_bin  # noqa: E402
from tests.faults.scenario import restart_under_load  # noqa: E402
from tests.faults.servers import Home, gunicorn, initialise, waitress  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=("gunicorn", "waitress", "both"), default="both")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--answers", type=int, default=200, help="answers between two steps of the fault sequence")
    args = parser.parse_args()
    bin_dir = postgres_bin()
    if bin_dir is None:
        print("No PostgreSQL server binaries under /usr/lib/postgresql.")
        return 2
    failures = 0
    for name in ("gunicorn", "waitress") if args.server == "both" else (args.server,):
        cluster = PrivateCluster(bin_dir)
        instance = Path(tempfile.mkdtemp(prefix="casemgr-bench-"))
        try:
            cluster.start()
            home = initialise(Home(cluster.createdb("casemgr"), instance))
            server = (gunicorn if name == "gunicorn" else waitress)(home)
            try:
                outcome = restart_under_load(
                    cluster, home, server, clients=args.clients, answers=args.answers, log=lambda s: print("  " + s)
                )
            finally:
                server.stop()
            print(f"{name}: {outcome.tally.summary()}")
            print(
                f"  acknowledged writes: {len(outcome.tally.acknowledged)}, missing afterwards: {len(outcome.missing)}"
            )
            print(f"  failed after the cluster was back: {len(outcome.after)}")
            for line in outcome.tally.bad[:10] + outcome.after[:5]:
                print("   ", line)
            failed = bool(outcome.tally.counts["5xx other"] or outcome.missing or outcome.after)
            if failed:
                kept = Path(tempfile.gettempdir()) / f"pg_restart_{name}.log"
                shutil.copy(server.log, kept)
                print(f"  the server's log is kept in {kept}")
            failures += failed
        finally:
            cluster.destroy()
            shutil.rmtree(instance, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
