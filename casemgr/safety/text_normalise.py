"""Normalisation and sentence splitting for the reply scanner.

Separate from the matching because it only rewrites text: lower case, one spelling per word
("re-seat", "resaet" -> "reseat"; "PSU two" -> "psu 2"), and one sentence or clause per excerpt.
"""

from __future__ import annotations

import re

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u201c": '"', "\u201d": '"'})
_DASH = "-\u2010\u2011\u2012\u2013\u2014"


# Chat spellings and the typos support replies are full of, as whole words.
_SPELLINGS = {
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "pleas": "please",
    "teh": "the",
    "hte": "the",
    "thx": "thanks",
    "clr": "clear",
    "cuz": "because",
    "coz": "because",
    "b4": "before",
    "dont": "don't",
    "didnt": "didn't",
    "faild": "failed",
    "faulted": "faulty",
    "fauly": "faulty",
    "defect": "defective",
    "disc": "disk",
    "resaet": "reseat",
    "reaseat": "reseat",
    "resat": "reseat",
    "reseet": "reseat",
    "reseated": "reseated",
    "resit": "reseat",
    "reinsret": "reinsert",
    "reisnert": "reinsert",
    "renisert": "reinsert",
    "reinsetr": "reinsert",
    "reinstal": "reinstall",
    "replg": "replug",
    "reconect": "reconnect",
    "reconnet": "reconnect",
    "cant": "can't",
    "wont": "won't",
    "shouldnt": "shouldn't",
    "isnt": "isn't",
    "doesnt": "doesn't",
    "wouldnt": "wouldn't",
    "couldnt": "couldn't",
    "mustnt": "mustn't",
    "arent": "aren't",
    "havent": "haven't",
}
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
}
_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6"}
# "PSU two", "fan number two", "slot #2": a number word after a word that names a position
_NUMBERED = re.compile(
    r"\b(psu|fan|bay|slot|drive|disk|supply|unit|module|position|card|dimm|controller"
    r"|number|no\.|#)\s+(" + "|".join(_NUMBER_WORDS) + r")\b(?!\s+(?:more|of|at|by|last|time|or|another|way))"
)
# "the second supply" is the supply in position 2
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+(psu|fan|drive|disk|supply|power supply|bay|slot)\b")
# "the reinstall of X", "a reseat of X", "do the insertion again": a noun for the action is the action
_NOMINAL = (
    ("reinsertion", "reinserting"),
    ("reinstallation", "reinstalling"),
    ("reconnection", "reconnecting"),
    ("reactivation", "reactivating"),
    ("reinstatement", "reinstating"),
    ("insertion again", "reinserting"),
    ("installation again", "reinstalling"),
    ("in and out", "reseat"),
)


# "bays 4 and 5", "psus 1 & 2": each position named in full, as "bay 4 and bay 5"
_PLURAL_POSITIONS = re.compile(r"\b(bay|slot|fan|psu|disk|drive|dimm)s\s+(\d+)\s*(and|or|&|,)\s*(\d+)\b")


def normalise(text: str) -> str:
    text = re.sub(r"`[^`\n]*`", lambda m: re.sub(r"\.{2,}|\u2026", " ", m[0]), text)  # `storcli ... set good`
    text = text.lower().translate(_QUOTES)
    text = re.sub(rf"(?<=\w)[{_DASH}_](?=\w)", " ", text)  # re-insert -> re insert
    text = re.sub(r"(?<![\w-])--?(?:s|slot|bay)\s+(?=\d+\b)", "slot ", text)  # "-s 4", "--bay 4": a slot option
    text = re.sub(r"(?<![\w-])--?(?=[a-z])", "", text)  # command-line options: "--state online" -> "state online"
    text = re.sub(rf"\s[{_DASH}]+\s", " , ", text)  # a spaced dash separates clauses
    text = re.sub(r"[\w']+", lambda m: _SPELLINGS.get(m[0], m[0]), text)
    text = re.sub(r"(?<![\w'])'([^'\n]{1,40})'(?![\w'])", r"\1", text).replace('"', " ")  # set it to 'good'
    text = re.sub(r"\bun (?=(?:quarantin|fail|block|mark|flag|hid|exclud)\w*)", "un", text)  # un-quarantine
    text = re.sub(
        r"\bre (?=(?:seat|insert|plug|connect|attach|install|enabl|activat|add|join|mount|introduc|hom|fit"
        r"|instat|rack|slot|us|integrat|sync|introduc|enter|admit|assign|trust|energi[sz]|power)\w*)",
        "re",
        text,
    )  # "re seat" (from "re-seat") is "reseat"
    for noun, verb in _NOMINAL:
        text = re.sub(rf"\b{noun}\b", verb, text)
    text = re.sub(r"\b(?:slot|position)\s+(bay|slot)\b", r"\1", text)  # "slot bay 4"
    text = re.sub(r"/c\d+(?:/e\d+)?/s(\d+)\b", r" bay \1 ", text)  # storcli /c0/e252/s4: the drive in bay 4
    text = _NUMBERED.sub(lambda m: f"{m[1]} {_NUMBER_WORDS[m[2]]}", text)
    text = _ORDINAL.sub(lambda m: f"{m[2]} {_ORDINALS[m[1]]}", text)
    text = _PLURAL_POSITIONS.sub(lambda m: f"{m[1]} {m[2]} {m[3]} {m[1]} {m[4]}", text)  # bays 4 and 5
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences, clauses ending in ";" and lines (bullets), each scanned on its own; a full stop
    inside a `command` on one line does not end it ("`storcli ... set good`")."""
    parts, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        if "\n" not in end[0] and text.count("`", start, end.start()) % 2:
            continue
        parts.append(text[start : end.start()])
        start = end.end()
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


# a full stop ends a sentence, but not in "no. 2" or "e.g."
_SENTENCE_END = re.compile(
    r"(?<![Nn]r\.)(?<!e\.g\.)(?<!i\.e\.)(?<![MmDd]r\.)(?<![Mm]s\.)(?<!vs\.)"
    r"(?:(?<=[.!?;])|(?<=[.!?;]['\"\u2019\u201d)]))(?!(?<=[Nn]o\.)\s+[#\d])\s+|\n+"
)


_QUOTED = re.compile(r"\"([^\"\n]{3,200})\"|(?<![\w'])'([^'\n]{3,160})'(?![\w'])")


def quoted_ranges(raw: str, normalised: str) -> list[tuple[int, int]]:
    """Where the text quoted in ``raw`` ("the KB says 'reseat the drive'") lies in ``normalised``,
    which has lost its quotes: a quoted instruction is cited, not necessarily given."""
    ranges = []
    for m in _QUOTED.finditer(raw.translate(_QUOTES)):
        inner = normalise(m[1] or m[2]).rstrip(" .!?,;:")
        if inner and (at := normalised.find(inner)) >= 0:
            ranges.append((at, at + len(inner)))
    return ranges
