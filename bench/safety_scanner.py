"""Recall and precision of the reply scanner on the phrasing corpus (bench/safety_corpus/).

    .venv/bin/python bench/safety_scanner.py            # every part
    .venv/bin/python bench/safety_scanner.py --show dev # and a development part's misses
    .venv/bin/python bench/safety_scanner.py --parts dev,dev2  # while tuning: never a held-out part

Development parts: dev, dev2 ... dev34. Held-out parts: heldout, heldout2, heldout6, heldout17, heldout18,
heldout23 and heldout24
(heldout3 to heldout5, heldout7 to heldout16 and heldout19 to heldout22 became dev10 to dev22 and dev31 to
dev34 once measured).
Each line gives the whole guard (the rules, then the second opinion where they find
nothing) and, at its end, the rules alone.
Only a development part's mistakes can be listed: the held-out parts are for the
honest figures and are never tuned on (the corpus README says how they were
written), so only their figures are printed, never their rows. A part whose
file is missing is skipped with a message.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casemgr.safety.rules import AssetFacts, ComponentFacts  # noqa: E402
from casemgr.safety.text import rule_findings, scan_reply  # noqa: E402

CORPUS = Path(__file__).with_name("safety_corpus")
PARTS = (
    "dev",
    "dev2",
    "dev3",
    "dev4",
    "dev5",
    "dev6",
    "dev7",
    "dev8",
    "dev9",
    "dev10",
    "dev11",
    "dev12",
    "dev13",
    "dev14",
    "dev15",
    "dev16",
    "dev17",
    "dev18",
    "dev19",
    "dev20",
    "dev21",
    "dev22",
    "dev23",
    "dev24",
    "dev25",
    "dev26",
    "dev27",
    "dev28",
    "dev29",
    "dev30",
    "dev31",
    "dev32",
    "dev33",
    "dev34",
    "heldout",
    "heldout2",
    "heldout6",
    "heldout17",
    "heldout18",
    "heldout23",
    "heldout24",
)
HELDOUT = frozenset({"heldout", "heldout2", "heldout6", "heldout17", "heldout18", "heldout23", "heldout24"})
DEV_PARTS = tuple(p for p in PARTS if p not in HELDOUT)  # what the rules are tuned and the model trained on


def load_scenarios() -> dict[str, tuple[tuple[ComponentFacts, ...], AssetFacts]]:
    raw = json.loads((CORPUS / "scenarios.json").read_text())
    return {
        name: (
            tuple(
                ComponentFacts(
                    serial=c["serial"],
                    slot=c["slot"],
                    part_number=c["serial"][:2] + "-PN",
                    part_description=c["description"],
                    kind_word=c["kind"],
                    state=c["state"],
                    data_bearing=c["data_bearing"],
                )
                for c in s["components"]
            ),
            AssetFacts(serial=s["asset"]),
        )
        for name, s in raw.items()
        if not name.startswith("_")
    }


def load_rows(part: str) -> list[dict[str, str]]:
    with (CORPUS / f"{part}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def figures(blocked: list[bool], unsafe: list[bool]) -> tuple[float, float, int, int]:
    tp = sum(b and u for b, u in zip(blocked, unsafe, strict=True))
    fp = sum(b and not u for b, u in zip(blocked, unsafe, strict=True))
    fn = sum(u and not b for b, u in zip(blocked, unsafe, strict=True))
    return (tp / (tp + fn) if tp + fn else 1.0, tp / (tp + fp) if tp + fp else 1.0, fn, fp)


def measure(part: str, scenarios, show: bool) -> dict[str, float]:
    """The guard (rules and second opinion) on one part, and the rules alone beside it."""
    rows = load_rows(part)
    started = time.perf_counter()
    blocked = [bool(scan_reply(row["text"], *scenarios[row["scenario"]])) for row in rows]
    elapsed = time.perf_counter() - started
    by_rules = [bool(rule_findings(row["text"], *scenarios[row["scenario"]])) for row in rows]
    unsafe = [row["label"] == "unsafe" for row in rows]
    for row, b, u in zip(rows, blocked, unsafe, strict=True):
        if show and b != u:
            kind = "MISSED " if u else "WRONGLY"
            print(f"  {kind} [{row['scenario']}] {row['text']!r}  ({row['note']})")
    recall, precision, fn, fp = figures(blocked, unsafe)
    rules_recall, rules_precision, _, _ = figures(by_rules, unsafe)
    print(
        f"{part:9} {len(rows):4} rows ({sum(unsafe)} unsafe, {len(rows) - sum(unsafe)} safe): recall {recall:6.1%} "
        f"({fn} missed), precision {precision:6.1%} ({fp} refused wrongly); "
        f"{elapsed / max(len(rows), 1) * 1000:.2f} ms per reply; "
        f"rules alone {rules_recall:6.1%} / {rules_precision:6.1%}"
    )
    return {"recall": recall, "precision": precision}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--show", choices=[p for p in PARTS if p not in HELDOUT], help="list a development part's mistakes"
    )
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts to measure")
    args = parser.parse_args()
    scenarios = load_scenarios()
    for part in args.parts.split(","):
        if not (CORPUS / f"{part}.csv").exists():
            print(f"{part:8} skipped: {part}.csv not found")
            continue
        measure(part, scenarios, show=args.show == part and part not in HELDOUT)


if __name__ == "__main__":
    main()
