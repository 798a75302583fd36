"""What an old checkout's rules made of each corpus row; run by ``train_safety_model --simulate``.

Usage: python safety_rules_then.py CHECKOUT CORPUS PART...; prints JSON: per part, per row, whether
the rules refused it and, per sentence, whether they read an action in it (negated, done to a part,
or not asked for), which is when the second opinion defers to them. The old rules cannot say so
themselves, so their own methods are wrapped here; this never runs against the installed app.
"""

from __future__ import annotations

import csv
import json
import sys

sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]

import safety_scanner  # noqa: E402

from casemgr.safety.sentence import _Sentence  # noqa: E402
from casemgr.safety.text import scan_reply  # noqa: E402
from casemgr.safety.text_normalise import normalise, split_sentences  # noqa: E402

read: set[str] = set()  # normalised sentences in which the rules read an action
plain_negated, plain_targets, plain_not_asked = _Sentence.negated, _Sentence.targets, _Sentence._not_an_instruction


def negated(self, *args):
    found = plain_negated(self, *args)
    if found:
        read.add(self.text)
    return found


def targets(self, *args, **kwargs):
    comps, action = plain_targets(self, *args, **kwargs)
    if comps and kwargs.get("as_instruction"):
        read.add(self.text)
    return comps, action


def not_asked(self, *args):
    found = plain_not_asked(self, *args)
    if found:
        read.add(self.text)
    return found


_Sentence.negated, _Sentence.targets, _Sentence._not_an_instruction = negated, targets, not_asked

scenarios, out = safety_scanner.load_scenarios(), {}
for part in sys.argv[3:]:
    with open(f"{sys.argv[2]}/{part}.csv", newline="", encoding="utf-8") as rows:
        out[part] = []
        for row in csv.DictReader(rows):
            read.clear()
            refused = bool(scan_reply(row["text"], *scenarios[row["scenario"]]))
            out[part].append([refused, [s for s in split_sentences(row["text"]) if normalise(s) in read]])
print(json.dumps(out))
