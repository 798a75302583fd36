"""Case creation through POST /api/v1/cases under gunicorn, against a bare floor.

Run:  .venv/bin/python bench/api_bench.py [--db sqlite|postgresql|both] [--requests 2000] [--clients 8]
          [--warmup 200] [--rounds 3]

For each database it starts gunicorn (2 workers) twice on 127.0.0.1 -- once with
Casemgr (`casemgr:create_app()` on the demo data, a customer admin's token) and
once with bench/floor_app.py, a Flask + SQLAlchemy endpoint that inserts one row
-- and sends the same load from the same generator: N requests from C
keep-alive clients, bounded in time, in --rounds rounds where the servers take
turns (the order rotated each round), so that a slow spell of a shared machine
falls on each of them alike; the figures cover all rounds, and the ratio of each
round is printed too. Each server first answers one request (its
workers have booted: gunicorn accepts connections before that) and a warm-up of
--warmup requests, unmeasured, so that the figures are steady-state throughput,
not process start-up. It prints requests per second, p50/p95/p99
latency, and the ratio Casemgr/floor (targets: 25% or more on PostgreSQL; on
SQLite 290 req/s or more, three times django-helpdesk's 96 req/s measured with
the same gunicorn settings and clients). Case creation
includes the SLA targets, the timeline event, the escalation schedule and the
acknowledgement notification. A third server (bench/lean_case_app.py, unless
--no-lean) sends Casemgr's statements written by hand in a bare view: the cost of
the database work alone. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory

from bench.pg import fresh_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SHORT = {"same SQL by hand (reference)": "by hand"}  # round lines name the servers briefly
TIME_LIMIT = 120  # seconds per run, so the benchmark always ends
PEER_RPS = 96  # django-helpdesk opening tickets on SQLite, gunicorn -w 2, 8 clients (the peer to stay 3x ahead of)


def start_gunicorn(target: str, env: dict, port: int, threads: int) -> subprocess.Popen:
    """Two workers; with ``threads`` > 1 the gthread worker class (the same for both servers).

    Returns once a worker has answered: the master accepts connections before its
    workers have imported and built the app, and that boot time is not throughput.
    """
    workers = ["--threads", str(threads)] if threads > 1 else []
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", "2", *workers, "-b", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            probe.request("GET", "/")
            probe.getresponse().read()
            probe.close()
            return proc
        except OSError:
            time.sleep(0.1)  # waiting for a server process to listen, not for time in the app
    proc.kill()
    raise RuntimeError(f"gunicorn did not start on port {port}")


def load(port: int, token: str, requests: int, clients: int, serials: list[str]) -> tuple[float, list[float], int]:
    deadline = time.monotonic() + TIME_LIMIT
    per_client = requests // clients

    def client(index: int) -> tuple[list[float], int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies, errors = [], 0
        for n in range(per_client):
            if time.monotonic() > deadline:
                break
            body = json.dumps(
                {
                    "asset_serial": serials[(index * per_client + n) % len(serials)],
                    "severity": 3,
                    "subject": f"bench {index}-{n}",
                    "description": "Benchmark load",
                }
            )
            start = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/cases",
                body=body,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - start)
            errors += response.status != 201
        conn.close()
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - started
    latencies = [x for lat, _ in results for x in lat]
    return elapsed, latencies, sum(e for _, e in results)


def describe(label: str, elapsed: float, latencies: list[float], errors: int) -> dict:
    q = statistics.quantiles(latencies, n=100)
    row = {
        "run": label,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
    }
    print(
        f"{label:<28} {row['requests']:>6} req  {row['errors']:>4} errors  {row['rps']:>8.1f} req/s  "
        f"p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms  p99 {row['p99_ms']:>7.1f} ms",
        flush=True,
    )
    return row


def run(db: str, requests: int, clients: int, threads: int, lean: bool, warmup: int, rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"casemgr-bench-{db}-"))
    try:
        url = f"sqlite:///{workdir / 'casemgr.sqlite3'}" if db == "sqlite" else fresh_database("casemgr_bench_api")
        floor_url = (
            f"sqlite:///{workdir / 'floor.sqlite3'}" if db == "sqlite" else fresh_database("casemgr_bench_floor")
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CASEMGR_INSTANCE": str(workdir / "instance"),
            "CASEMGR_LOGIN_RATE_LIMIT": "1000 per second",
            "CASEMGR_API_RATE_LIMIT": "100000 per second",  # one token drives the whole load
        }
        casemgr = str(VENV_BIN / "casemgr")
        demo = subprocess.run([casemgr, "demo"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        assert "customer_admin" in demo.stdout
        token = subprocess.run(
            [casemgr, "token", "create", "--user", "ana.admin@northwind.example.com"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            serials = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT serial FROM asset JOIN organization o ON o.id = asset.organization_id "
                        "WHERE o.name = 'Northwind Logistics'"
                    )
                )
            ]
        engine.dispose()
        setting = "gunicorn -w 2" + (f" --threads {threads}" if threads > 1 else " (sync workers)")
        print(
            f"\n== {db}: {rounds} x {requests} requests per server, {clients} clients, {setting}, after "
            f"{warmup} warm-up requests ==",
            flush=True,
        )
        servers = [
            ("floor (bare insert)", "bench.floor_app:app", {**os.environ, "DATABASE_URL": floor_url}, 18181),
            ("casemgr POST /api/v1/cases", "casemgr:create_app()", env, 18182),
        ]
        if lean:
            servers.append(("same SQL by hand (reference)", "bench.lean_case_app:app", env, 18183))
        running = []
        try:
            for _label, target, run_env, port in servers:
                running.append(start_gunicorn(target, run_env, port, threads))
                if warmup:  # every worker booted and past its first requests, for each server alike
                    load(port, token, warmup, clients, serials)
            measured = {label: [0.0, [], 0] for label, *_ in servers}
            per_round = []
            for round_no in range(rounds):
                # Each round runs every server in turn, the order rotated: a slow spell of a
                # shared machine then falls on each of them, not on whichever ran at the time.
                turn = round_no % len(servers)
                rps = {}
                for label, _target, _env, port in servers[turn:] + servers[:turn]:
                    elapsed, latencies, errors = load(port, token, requests, clients, serials)
                    total = measured[label]
                    total[0] += elapsed
                    total[1] += latencies
                    total[2] += errors
                    rps[label] = len(latencies) / elapsed
                per_round.append(rps[servers[1][0]] / rps[servers[0][0]])
                if rounds > 1:
                    names = [
                        f"{SHORT.get(label, label.split(' ')[0])} {value:.0f} req/s" for label, value in rps.items()
                    ]
                    print(f"  round {round_no + 1}: {', '.join(names)}; casemgr/floor {per_round[-1]:.0%}", flush=True)
        finally:
            for server in running:
                server.terminate()
                server.wait(timeout=30)
        rows = [describe(label, *measured[label]) for label, *_ in servers]
        spread = f" (rounds: {', '.join(f'{r:.0%}' for r in per_round)})" if rounds > 1 else ""
        if db == "postgresql":
            target = "target >= 25%"
        else:
            target = f"casemgr at {rows[1]['rps'] / PEER_RPS:.1f}x django-helpdesk's {PEER_RPS} req/s, target >= 3x"
        print(f"ratio casemgr/floor throughput: {rows[1]['rps'] / rows[0]['rps']:.0%}{spread} ({target})", flush=True)
        if lean:
            print(
                f"ratio same-SQL-by-hand/floor: {rows[2]['rps'] / rows[0]['rps']:.0%} (the database work alone; "
                "the rest of the gap is the application's own code)",
                flush=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--warmup",
        type=int,
        default=200,
        help="requests each server answers, unmeasured, before the measured ones (0: none)",
    )
    parser.add_argument(
        "--no-lean",
        action="store_true",
        help="skip the reference server sending the same SQL by hand (bench/lean_case_app.py)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measured rounds of --requests per server, the servers taking turns (figures: all rounds)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (gthread), for both servers; 1 = sync workers",
    )
    args = parser.parse_args()
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(db, args.requests, args.clients, args.threads, not args.no_lean, args.warmup, args.rounds)


if __name__ == "__main__":
    main()
