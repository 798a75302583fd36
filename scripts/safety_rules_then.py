"""What an old checkout's rules made of each corpus row; run by ``train_safety_model --simulate``.

Usage: python safety_rules_then.py CHECKOUT CORPUS PART...; prints JSON: per part, per row, whether
the rules refused it and, per sentence, whether they read an action in it (negated, done to a part,
or not asked for), which is when the second opinion defers to them. Rules since the second
opinion came report it themselves (``_read_by_rules``); for older ones their own methods are
wrapped here. This never runs against the installed app.
"""

from __future__ import annotations

import csv
import json
import sys

sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]

import safety_scanner  # noqa: E402

import casemgr.safety.text as rules_text  # noqa: E402
from casemgr.safety.sentence import _Sentence  # noqa: E402
from casemgr.safety.text_normalise import normalise, split_sentences  # noqa: E402


def rules_reading(text: str, components, asset) -> tuple[bool, list[str]]:
    """Whether the rules refused ``text``, and the sentences in which they read an action."""
    sentences = split_sentences(text)
    if hasattr(rules_text, "_read_by_rules"):  # rules that say so themselves (and may have a model)
        findings, declined = rules_text._read_by_rules(text, tuple(components), asset, rules_text.DEFAULT_RULES)
        return bool(findings), [sentences[n] for n in sorted(declined)]
    read.clear()
    refused = bool(rules_text.scan_reply(text, components, asset))
    return refused, [s for s in sentences if normalise(s) in read]


read: set[str] = set()  # older rules: normalised sentences in which they read an action
plain_negated, plain_targets = _Sentence.negated, _Sentence.targets
plain_not_asked = getattr(_Sentence, "_not_an_instruction", None)


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


if plain_not_asked is not None:
    _Sentence.negated, _Sentence.targets, _Sentence._not_an_instruction = negated, targets, not_asked

scenarios, out = safety_scanner.load_scenarios(), {}
for part in sys.argv[3:]:
    with open(f"{sys.argv[2]}/{part}.csv", newline="", encoding="utf-8") as rows:
        out[part] = []
        for row in csv.DictReader(rows):
            out[part].append(list(rules_reading(row["text"], *scenarios[row["scenario"]])))
print(json.dumps(out))
