"""Recall and precision of the reply scanner on the phrasing corpus (bench/safety_corpus/).

    .venv/bin/python bench/safety_scanner.py            # every part
    .venv/bin/python bench/safety_scanner.py --show dev # and a development part's misses
    .venv/bin/python bench/safety_scanner.py --parts dev,dev2  # while tuning: never a held-out part

Development parts: dev, dev2 ... dev14. Held-out parts: heldout, heldout2 and heldout6
(heldout3, heldout4, heldout5, heldout7 and heldout8 became dev10 to dev14 once measured).
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
from casemgr.safety.text import scan_reply  # noqa: E402

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
    "heldout",
    "heldout2",
    "heldout6",
)
HELDOUT = frozenset({"heldout", "heldout2", "heldout6"})


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


def measure(part: str, scenarios, show: bool) -> dict[str, float]:
    rows = load_rows(part)
    tp = fp = fn = tn = 0
    started = time.perf_counter()
    for row in rows:
        components, asset = scenarios[row["scenario"]]
        blocked = bool(scan_reply(row["text"], components, asset))
        unsafe = row["label"] == "unsafe"
        tp += blocked and unsafe
        fp += blocked and not unsafe
        fn += unsafe and not blocked
        tn += not unsafe and not blocked
        if show and blocked != unsafe:
            kind = "MISSED " if unsafe else "WRONGLY"
            print(f"  {kind} [{row['scenario']}] {row['text']!r}  ({row['note']})")
    elapsed = time.perf_counter() - started
    recall = tp / (tp + fn) if tp + fn else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(
        f"{part:8} {len(rows):4} rows ({tp + fn} unsafe, {tn + fp} safe): recall {recall:6.1%} "
        f"({fn} missed), precision {precision:6.1%} ({fp} refused wrongly); "
        f"{elapsed / max(len(rows), 1) * 1000:.2f} ms per reply"
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
