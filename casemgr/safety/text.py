"""Free-text reply scanner: find instructions that put a failed part back in service.

An instruction is refused when three things meet in one sentence:

1. **which part**: a reference to a component of the case, by serial (any spacing or
   dashes), slot ("bay 4", "PSU two", "slot 1"), description ("the failed 3.84tb ssd",
   "the supply that failed", "the drive you pulled"), a list ("both fans", "all fans
   except fan 2") or a pronoun ("it", "that one in bay 4", "this unit") resolved to
   the last part named, across clauses and sentences;
2. **an action that puts it back in service**, physically (reseat, reinsert, reconnect,
   reinstall, push / click / snap it back, try it in another slot) or logically (force or
   bring online, mark good, unfail, clear the fault or failed flag, re-add to the array,
   rebuild onto it, use it as a spare, power it back on, return it to service), in any
   inflection and the usual misspellings, and as a management command ("zpool online tank
   <serial>", "--state online") or a setting ("set PSU2: Enabled");
3. **a request or suggestion to do it**: not negated ("do not", "we will not ask you
   to"), not narration or a question about the past ("you reseated it yesterday", "why
   did the tech reseat it?"), not a reported question ("they asked whether to reseat
   it"), not a harm statement ("reinserting it would put the data at risk") and not a
   dissuasion ("I know it's tempting to reseat it, but please don't").

Actions on healthy parts, the replacement, cables, or on packaging ("put it back in its
box") are not flagged; ``evaluate`` then decides per rule and component state. Pure:
no I/O, no model, nothing downloaded. Measured by ``bench/safety_scanner.py``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from casemgr.safety.rules import DEFAULT_RULES, ActionKind, AssetFacts, ComponentFacts, Decision, SafetyRule, evaluate


@dataclass(frozen=True)
class Finding:
    decision: Decision
    component: ComponentFacts
    excerpt: str
    action: ActionKind


def _words(*alternatives: str) -> str:  # literal words, longest first: "power supply unit" before "power supply"
    return "(?:" + "|".join(re.escape(a) for a in sorted(alternatives, key=len, reverse=True)) + ")"


# ---- normalisation and sentences ---------------------------------------------------

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
        r"|instat|rack|slot|us|integrat|sync|introduc|enter|admit|assign|trust)\w*)",
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
    """Sentences, clauses ending in ";" and lines (bullets), each scanned on its own."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


# a full stop ends a sentence, but not in "no. 2" or "e.g."
_SENTENCE_END = re.compile(
    r"(?<![Nn]r\.)(?<!e\.g\.)(?<!i\.e\.)(?<![MmDd]r\.)(?<![Mm]s\.)(?<!vs\.)"
    r"(?:(?<=[.!?;])|(?<=[.!?;]['\"\u2019\u201d)]))(?!(?<=[Nn]o\.)\s+[#\d])\s+|\n+"
)


# ---- references to components ---------------------------------------------------------

KIND_FAMILIES = (  # words that name the same kind of part
    ("drive", "disk", "disc", "ssd", "hdd", "nvme", "hard drive", "hard disk", "spindle", "flash drive"),
    ("fan", "fan module", "fan unit", "blower"),
    ("psu", "power supply", "power supply unit", "power unit", "supply", "supplies", "power supplies"),
    ("nvram", "nvram card", "nvram module", "card"),
    ("dimm", "memory module", "memory stick", "ram stick"),
    ("controller", "raid controller", "storage controller", "hba", "raid card"),
)
# "the fan control utility", "the psu firmware": a kind word modifying another noun
_COMPOUND = (
    r"\s+(?:control\s+)?(?:utility|software|tool|firmware|driver|daemon|service|curve|speed|settings?|policy"
    r"|profile|table|board|header|cables?|cords?|connector|config\w*|logs?|leds?|lights?|status|page|menu|tab"
    r"|screen|report|wall|tray|latch|cage|backplane|threshold|alarm|alert|event|sensor|redundancy|reboot|restart"
    r"|upgrade|update|failover|takeover|giveback|reset|shelf|shelves|enclosure|work|job|task|procedure|bug|glitch|quirk)s?\b"
)
_EVENT_AFTER = re.compile(r"\s+(?:reboot|restart|upgrade|update|failover|takeover|giveback|reset|firmware)s?\b")
_ALL_KIND_WORDS = frozenset(w for fam in KIND_FAMILIES for w in fam)
_GENERIC_SLOTS = ("bay", "slot", "drive bay", "drive slot", "disk slot")
_POSITION_WORDS = ("slot", "position", "bay", "socket", "cage", "number", "no.", "#")  # "the amber one in slot 2"
_ANY_KIND = ("one", "unit", "part", "component", "device", "module")
_UNHEALTHY_ADJ = _words(
    "failed",
    "failing",
    "faulty",
    "faulted",
    "bad",
    "dead",
    "broken",
    "defective",
    "current",
    "existing",
    "pulled out",
    "quarantined",
    "removed",
    "pulled",
    "old",
    "original",
    "previous",
    "offline",
    "flaky",
    "amber",
    "affected",
    "problem",
    "problematic",
    "offending",
    "unhealthy",
    "damaged",
    "malfunctioning",
    "errored",
    "erroring",
    "degraded",
    "fried",
    "busted",
    "flagged",
    "stopped",
    "dropped",
)
_OTHER_ADJ = _words("new", "replacement", "spare", "good", "healthy", "working", "fresh", "incoming", "rma")
_STOP = _words(
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "into",
    "on",
    "at",
    "from",
    "for",
    "and",
    "or",
    "it",
    "its",
    "that",
    "this",
    "with",
    "back",
    "out",
    "online",
    "is",
    "are",
    "except",
    "but",
    "apart",
    "excluding",
    "besides",
    "than",
    "not",
    "save",
    "so",
    "then",
    "if",
    "as",
    "by",
    "you",
    "we",
    "please",
)
_MODS = rf"(?:(?!(?:{_STOP}|{_UNHEALTHY_ADJ}|{_OTHER_ADJ})\b)[\w.]+\s+){{0,3}}"  # "the 3.84tb nvme ssd"
_PRONOUN = re.compile(
    r"\b(?:both(?: of them)?|them all|all of them|it|its|them|they"
    r"|(?:that|this|the same)\s+(?:one|unit|part|component|device|module)"
    r"|the\s+(?:component|module)(?!\s+(?:in|at|from|on|of)\b))\b"
)  # "recommended action: reseat the component": the part just named
_PLURAL_PRONOUNS = ("both", "both of them", "them all", "all of them")  # the last two parts named, together
# "the supply that failed", "the drive you pulled": a relative clause makes a kind mention unhealthy
_UNHEALTHY_AFTER = re.compile(
    r"\s+(?:(?:that|which|who)\s+)?(?:(?:has|had|have|was|is|just|already|been)\s+)*"
    r"(?:failed|died|faulted|broke|is faulty|is dead|is bad|dropped out|went offline"
    r"|stopped|logged (?:the |those )?(?:ecc )?errors|threw (?:the )?errors|(?:flashing|blinking"
    r"|showing|lit|glowing) (?:amber|red|orange)"
    r"|(?:you|we|they|the customer|the tech|the engineer|i)\s+(?:just\s+|already\s+)?"
    r"(?:pulled|removed|took out|discussed|talked about|mentioned|replaced|quarantined)"
    r"|was (?:pulled|removed|quarantined)|in question|from earlier|from before"
    r"|with the (?:amber|red|fault|orange) (?:led|light))\b"
)
# "the culprit", "the original": nouns that name the failed part by its role
_UNHEALTHY_NOUN = re.compile(r"\b(?:the|that|this)\s+(?:culprit|offender|original|troublemaker|casualty|dud|lemon)\b")
# "into bay 4", "once the new card is in slot 1": where a part goes, not a part
_LOCATION = re.compile(
    r"\b(?:into|onto|to|back in|is in|are in|sits in|goes in|is seated in|in place in|home in"
    r"|it in|them in|one in|(?:is|are|was|were|be|been|gets?|got)\s+(?:\w+ly\s+)?\w+(?:ed|ted)\s+(?:in|into))"
    r"\s+(?:the\s+)?$"
)
_TELEGRAPHIC = "|".join(
    rf"(?<=\b{verb} )"
    for verb in ("reseat", "reinsert", "replug", "reconnect", "reinstall", "reenable", "unfail", "readd", "refit")
)
_AGENT = re.compile(r"\b(?:by|via|through|than)\s+$")  # "ejected by the controller": not what "it" means next


@dataclass(frozen=True)
class _Ref:  # a mention; then a phrase (head mention + qualifying serial/slot), pronouns resolved
    start: int
    end: int
    type: str  # other | unhealthy | all | serial | slot | kind | pronoun
    comps: frozenset[int]
    location: bool = False
    family: frozenset[int] = frozenset()  # every part of the kind named ("that supply": any psu)
    weak: bool = False  # names no particular part a later "it" could mean ("do we need a new one?")
    orphan: bool = False  # a pronoun with nothing named before it in the text


def _family(word: str) -> tuple[str, ...]:
    return next((fam for fam in KIND_FAMILIES if word in fam), (word,))


class _Vocabulary:
    """Reference patterns built for the components on one case."""

    _PRIORITY = {"other": 0, "unhealthy": 1, "all": 2, "serial": 3, "slot": 4, "kind": 5, "pronoun": 6, "one": 7}

    def __init__(self, components: Sequence[ComponentFacts]):
        self.components = components
        noun = _words(*(_ALL_KIND_WORDS | {c.kind_word.lower() for c in components if c.kind_word.strip()})) + "s?"
        any_noun = rf"(?P<noun>{noun}|{_words(*_ANY_KIND)})\b"
        self.patterns = (
            (
                "unhealthy",
                re.compile(
                    rf"\b(?:(?:the|that|this|your|its|a)\s+)?{_UNHEALTHY_ADJ}\s+{_MODS}{any_noun}"
                    rf"|{_UNHEALTHY_NOUN.pattern}"
                ),
            ),
            (
                "all",
                re.compile(
                    rf"\b(?:both|all|each|every|the two)\s+(?:(?:of\s+)?the\s+)?{_MODS}(?P<noun>{noun})\b"
                    rf"(?!{_COMPOUND})"
                ),
            ),
            (
                "kind",
                re.compile(
                    rf"\b(?:the|that|this)\s+{_MODS}(?P<noun>{noun})\b(?!\s*(?:bay|slot|#|\d|number|no\.)|{_COMPOUND}"
                    rf"|\s+[a-h]\b(?!'))"
                ),
            ),  # "the controller a reboot" names controller a
            (
                "other",
                re.compile(
                    rf"(?<!as )\b(?:(?:the|a|an|your|this|that)\s+)?{_OTHER_ADJ}\s+{_MODS}{any_noun}"
                    rf"|(?<!as )\b(?:the|a|an|your)\s+(?:replacement|spare|new)\b"
                ),
            ),  # "as a spare": a role
            ("pronoun", _PRONOUN),
            ("one", re.compile(rf"\b(?:the|that) {_MODS}(?P<noun>one|unit|part|module|component|device)\b")),
            (
                "kind",
                re.compile(
                    rf"(?:(?<=\bof )|(?<=\bon )|(?<=\bfor ))(?P<noun>{noun})\b(?!\s*(?:bay|slot|#|\d)|{_COMPOUND})"
                ),
            ),
            (
                "kind",
                re.compile(
                    rf"(?:{_TELEGRAPHIC})(?P<noun>{noun})(?=\s*(?:[.,;:!?)]|$)|\s+(?:and|then|if|in|into|again|back"
                    r"|now|first|once|to|when|until)\b)"
                ),
            ),  # "reseat power supply.": terse guidance drops the article
        )
        self.by_component = []
        for index, comp in enumerate(components):
            serial = r"\s?".join(re.escape(ch) for ch in re.sub(r"\W|_", "", comp.serial.lower()))  # zk-1234 = zk1234
            *prefix, slot_id = normalise(comp.slot).split(" ")
            prefixes = set(_family(comp.kind_word.lower())) | ({" ".join(prefix)} if prefix else set())
            if not prefix or " ".join(prefix) in _GENERIC_SLOTS:
                prefixes.update(_GENERIC_SLOTS)
            prefixes.update(_POSITION_WORDS)  # "slot 1" names "NVRAM slot 1" and "PSU 1" too
            if prefix:
                prefixes.add(prefix[-1])
            self.by_component += [
                (type_, index, re.compile(pattern))
                for type_, pattern, usable in (
                    ("serial", rf"\b(?:(?:serial(?: number)?|sn|s/n)\s*:?\s*#?\s*)?{serial}\b", serial),
                    ("slot", rf"\b{_words(*prefixes)}\s*(?:#|no\.?|number)?\s*{re.escape(slot_id)}\b", slot_id),
                )
                if usable
            ]  # a blank serial or slot must not match everywhere

    def _by_noun(self, type_: str, noun: str | None) -> frozenset[int]:
        noun = noun[:-1] if noun and noun.endswith("s") and noun[:-1] in _ALL_KIND_WORDS else noun
        family = None if noun is None or noun in _ANY_KIND else _family(noun)
        candidates = [i for i, c in enumerate(self.components) if family is None or c.kind_word.lower() in family]
        unhealthy = frozenset(i for i in candidates if self.components[i].unsafe)
        if type_ == "all":
            return frozenset(candidates)
        if type_ == "unhealthy" or unhealthy:  # "the drive": the unhealthy drive(s), else the only drive
            return unhealthy
        return frozenset(candidates) if len(candidates) == 1 else frozenset()

    @staticmethod
    def _qualified_inside(found: list[_Ref]) -> list[_Ref]:
        """ "the bay 3 ssd": a kind mention with a slot or serial inside it is that part."""
        inner = [m for m in found if m.type in ("serial", "slot")]
        out = []
        for m in found:
            if m.type == "kind":
                named = frozenset().union(*(q.comps for q in inner if m.start <= q.start and q.end <= m.end))
                if named:
                    m = _Ref(m.start, m.end, m.type, (named & m.family) or named, m.location, m.family)
            out.append(m)
        return out

    def mentions(self, sent: str) -> list[_Ref]:
        found = []
        for pattern_type, pattern in self.patterns:
            for m in pattern.finditer(sent):
                type_, end = pattern_type, m.end()
                if type_ in ("kind", "one") and (after := _UNHEALTHY_AFTER.match(sent, end)):
                    type_, end = "unhealthy", after.end()  # "the 1100w supply that failed", "the one you took out"
                if type_ == "one":
                    continue  # "the one" alone names nothing
                noun = m.groupdict().get("noun")
                found.append(
                    _Ref(
                        m.start(),
                        end,
                        type_,
                        frozenset() if type_ in ("other", "pronoun") else self._by_noun(type_, noun),
                        type_ == "kind" and bool(_AGENT.search(sent, max(0, m.start() - 10), m.start())),
                        family=self._by_noun("all", noun) if type_ == "kind" else frozenset(),
                    )
                )
        found += [
            _Ref(
                m.start(),
                m.end(),
                type_,
                frozenset({index}),
                type_ == "slot"
                and bool(
                    _LOCATION.search(sent, max(0, m.start() - 32), m.start()) or _EVENT_AFTER.match(sent, m.end())
                ),
            )  # "the controller a reboot"
            for type_, index, pattern in self.by_component
            for m in pattern.finditer(sent)
        ]
        found.sort(key=lambda m: (m.start, m.start - m.end, self._PRIORITY[m.type]))
        found = self._qualified_inside(found)
        kept: list[_Ref] = []
        for ref in found:  # the longest mention wins an overlap; the same slot text on two parts keeps both
            if kept and ref.start < kept[-1].end:
                if (ref.start, ref.end, ref.type) == (kept[-1].start, kept[-1].end, kept[-1].type):
                    kept[-1] = _Ref(ref.start, ref.end, ref.type, kept[-1].comps | ref.comps, kept[-1].location)
                continue
            kept.append(ref)
        return kept


_EMPTY = re.compile(r"\b(?:empty|vacant|unused|unpopulated|free)\s+$")
_ACCESSORY_OF = re.compile(
    r"\b(?:tray|trays|caddy|caddies|carrier|carriers|sled|sleds|bracket|brackets|blank|blanks|blanking panel|filler"
    r"|bezel|handle|screws?|rails?|label|sticker)\s+(?:from|of|for|in|out of)\s+(?:the\s+)?$"
)
_ATTACH_GAP = re.compile(r"\s*[(,]?\s*(?:(?:in|at|from|on|inside|of|with)\s+)?")  # "the drive in bay 5"
# "the drive in bay 7" when bay 7 is not on the case: some other drive, not the failed one
_UNKNOWN_QUALIFIER = re.compile(
    r"\s*[(,]?\s*(?:(?:in|at|from|on|inside|of)\s+(?:drive\s+|disk\s+)?(?:bay|slot)"
    r"|(?:with\s+)?(?:serial(?: number)?|sn|s/n))\s*:?\s*(?:#|no\.?|number)?\s*\w+"
)
# "after the controller flagged it": an object pronoun does not mean the subject of its own verb
_SUBJECT_VERB = re.compile(
    r"\s+(?:(?:has|had|have|just|then|also|already|later)\s+)*(?:\w+ed|ejects|rejects|reports|flags|marks|detects"
    r"|sees|shows|lists|drops|kicks|took|threw|saw|knocked|kicked)\s+"
)
_COORD_GAP = re.compile(r"\s*(?:,|and|or|&|plus|as well as)?\s*(?:then\s+|also\s+)?")  # "X and (then) Y"


def _phrases(sent: str, mentions: list[_Ref], previous: frozenset[int], topic: bool = True) -> list[_Ref]:
    """Group a head mention with the serial/slot that qualifies it; resolve pronouns."""
    phrases: list[_Ref] = []
    i, last = 0, previous  # last: what "it" means here
    before_last: frozenset[int] = frozenset()
    filled: frozenset[int] = frozenset()  # slots a new part was put in: "once the replacement is in bay 4"
    while i < len(mentions):
        head, comps, end, qualified = mentions[i], mentions[i].comps, mentions[i].end, False
        while (
            i + 1 < len(mentions)
            and mentions[i + 1].type in ("serial", "slot")
            and _ATTACH_GAP.fullmatch(sent[end : mentions[i + 1].start])
        ):
            i += 1  # "the drive in bay 5" is the bay 5 drive; "the failed drive in bay 4" is that one failed
            # drive when they agree, and both when they do not (the safe side)
            if qualified or head.type != "kind":
                comps = (comps & mentions[i].comps) or (comps | mentions[i].comps)
            else:
                comps = mentions[i].comps
            qualified, end = True, mentions[i].end
        if head.type == "pronoun" and qualified and sent[head.start : head.end] not in ("it", "its", "them", "they"):
            pass  # "that one in bay 4" is the bay 4 part
        elif (
            head.type == "kind"
            and not qualified
            and sent.startswith(("that ", "this "), head.start)
            and last
            and last <= head.family
        ):
            comps = last  # "check PSU 1 ... that supply sits proud": the supply just named
        elif head.type == "pronoun" and sent[head.start : head.end] in _PLURAL_PRONOUNS:
            comps = last | before_last  # "the nvram card and the bay 2 drive: put both back"
        elif (
            head.type == "pronoun"
            and sent[head.start : head.end] in ("it", "them")
            and phrases
            and not phrases[-1].location
            and phrases[-1].comps == last
            and _SUBJECT_VERB.fullmatch(sent, phrases[-1].end, head.start)
        ):
            comps = before_last  # "the ssd was pulled after the controller flagged it": it is the ssd
        elif head.type in ("pronoun", "other") or (
            head.type == "kind" and not qualified and _UNKNOWN_QUALIFIER.match(sent, end)
        ):
            comps = last if head.type == "pronoun" else frozenset()
        if head.type != "pronoun" and _EMPTY.search(sent, max(0, head.start - 12), head.start):
            comps = frozenset()  # "fit blanks on empty slots": no part there
        if head.type == "slot" and _ACCESSORY_OF.search(sent, max(0, head.start - 40), head.start):
            comps = frozenset()  # "the drive tray from bay 4 can be reused": the tray, not the drive
        if head.type == "slot" and not qualified and comps and comps <= filled:
            comps = frozenset()  # "after the replacement is seated in bay 4: ... bay 4 set good": the new part
        location = head.location and not qualified
        if location and head.type == "slot" and phrases and phrases[-1].type == "other":
            filled |= comps
        # "do we need a new one?": an indefinite in a question introduces nothing "it" can point at
        weak = head.type == "other" and sent.startswith(("a ", "an "), head.start) and sent.rstrip().endswith("?")
        orphan = head.type == "pronoun" and not topic and not any(not p.location and not p.weak for p in phrases)
        phrases.append(_Ref(head.start, end, head.type, comps, location, weak=weak, orphan=orphan))
        if not phrases[-1].location and not weak and comps != last:
            before_last, last = last, comps
        i += 1
    return phrases


# ---- action phrases -----------------------------------------------------------------

_W = r"[\w#'/.]+"  # one word, never across punctuation
_OBJ = rf"(?P<obj>(?:\s+(?!(?:and|or|then|but)\b){_W}){{0,8}}?)"  # up to eight words between verb and particle
# "put it aside with a sticker on it" puts nothing anywhere
_PAREN = r"(?:\s*\([^()]{0,80}\))?"  # "return the drive (the one in bay 4) to the group"
_OBJ_PLACED = rf"(?P<obj>(?:\s+(?!(?:and|or|then|but|aside|away|down|apart|with)\b){_W}){{0,8}}?)"
_OBJ_LONG = (
    rf"(?P<obj>(?:\s+(?!(?:and|or|then|but)\b){_W}){{0,11}}?)"  # "make the drive that used to be in bay 2 active"
)
_OBJ_APPOS = (
    rf"(?P<obj>(?:\s*,?\s+(?!(?:and|or|then|but)\b){_W}){{0,8}}?,?)"  # "use the pulled ssd, zk0099rm, as a spare"
)
_OBJ_LIST = rf"(?P<obj>(?:\s+(?!(?:or|then|but)\b){_W}){{1,8}}?)"  # "swap fan 1 and fan 2 around"
_SWAP_END = r"(?=\s*(?:,|\.|;|\?|$|\s+(?:to|so|and see|and check|and verify|for a test|and watch)\b))"
_IRREGULAR = {
    "put": ("put", "puts", "putting"),
    "set": ("set", "sets", "setting"),
    "bring": ("bring", "brings", "bringing", "brought"),
    "stick": ("stick", "sticks", "sticking", "stuck"),
    "slide": ("slide", "slides", "sliding", "slid"),
    "take": ("take", "takes", "taking", "took", "taken"),
    "rejoin": ("rejoin", "rejoins", "rejoining", "rejoined"),
}
_DOUBLING = {
    "plug",
    "replug",
    "pop",
    "snap",
    "swap",
    "slot",
    "clip",
    "fit",
    "refit",
    "reslot",
}  # plug -> plugging, plugged


def _forms(*lemmas: str) -> str:
    """Every inflection of each verb, as one alternation: "reseat|reseats|reseated|reseating"."""
    forms: set[str] = set()
    for lemma in lemmas:
        if lemma in _IRREGULAR:
            forms.update(_IRREGULAR[lemma])
            continue
        stem = lemma + lemma[-1] if lemma in _DOUBLING else lemma
        forms.update({lemma, lemma + ("es" if lemma.endswith(("sh", "ch", "ss", "x")) else "s")})
        forms.update({lemma + "d", lemma[:-1] + "ing"} if lemma.endswith("e") else {stem + "ed", stem + "ing"})
    return _words(*forms)


# The actions that put a part back in service, physically or logically. Each is a verb
# (any inflection) and what must follow it; the part it acts on is found by ``targets``.
_RESEAT = _forms("reseat")
_REINSERT = _forms(
    "reinsert",
    "replug",
    "reconnect",
    "reattach",
    "remount",
    "reinstall",
    "reintroduce",
    "reuse",
    "redeploy",
    "reslot",
    "rehome",
    "refit",
    "reinstate",
    "reintegrate",
    "reenter",
    "readmit",
)
_REVIVE = _forms(
    "reenable",
    "reactivate",
    "readd",
    "rejoin",
    "unfail",
    "unquarantine",
    "revive",
    "resurrect",
    "reimport",
    "recommission",
    "reonline",
    "rehabilitate",
    "whitelist",
    "allowlist",
    "unblock",
    "unblacklist",
    "unexclude",
    "retrust",
    "reassign",
    "unmark",
    "unflag",
)
_PLACE = _forms(
    "put",
    "plug",
    "push",
    "slide",
    "pop",
    "stick",
    "insert",
    "seat",
    "install",
    "swap",
    "place",
    "click",
    "snap",
    "press",
    "fit",
    "slot",
    "mount",
    "add",
    "connect",
    "attach",
    "hook",
    "move",
    "import",
    "shove",
    "jam",
    "stuff",
    "ease",
    "nudge",
    "wedge",
    "work",
    "enable",
    "activate",
    "bring",
    "return",
    "set",
    "clip",
    "load",
)
_ELSEWHERE = _forms(
    "put",
    "plug",
    "push",
    "slide",
    "insert",
    "install",
    "place",
    "fit",
    "slot",
    "mount",
    "move",
    "try",
    "test",
    "transfer",
    "relocate",
    "swap",
    "use",
    "shove",
    "stick",
    "pop",
    "jam",
)
_ONLINE = _forms("force", "mark", "bring", "set", "put", "get", "switch", "flip", "take", "turn", "make")
_MARK = _forms(
    "mark",
    "set",
    "flag",
    "tag",
    "configure",
    "declare",
    "treat",
    "label",
    "reset",
    "toggle",
    "switch",
    "flip",
    "turn",
    "move",
)
_CLEAR = _forms(
    "clear",
    "reset",
    "remove",
    "acknowledge",
    "dismiss",
    "delete",
    "wipe",
    "lift",
    "drop",
    "override",
    "release",
    "cancel",
    "undo",
)
_POWER = _forms("power", "turn", "switch")
_SPARE = _forms(
    "use",
    "configure",
    "assign",
    "make",
    "add",
    "designate",
    "keep",
    "mark",
    "set",
    "bring",
    "return",
    "give",
    "repurpose",
    "turn",
)
_HOLD_ON = r"(?:hang|hangs|hanging|hung|hold|holds|holding|held)\s+on\s*to"  # "hang on to it"
_ENABLE = _forms("enable", "activate")
_REBUILD = _forms("rebuild", "resync", "resilver", "mirror", "copyback")
_GOOD = _words(
    "good",
    "healthy",
    "ok",
    "okay",
    "optimal",
    "online",
    "working",
    "enabled",
    "active",
    "fine",
    "normal",
    "unconfigured good",
    "operational",
    "in service",
    "passed",
)
_FAULT = _words(
    "fault",
    "faults",
    "fault flag",
    "fault state",
    "fault status",
    "failed flag",
    "failed state",
    "failed status",
    "failed bit",
    "failed mark",
    "failure flag",
    "failure state",
    "failure status",
    "error",
    "errors",
    "error state",
    "error flag",
    "foreign state",
    "foreign config",
    "foreign configuration",
    "foreign flag",
    "quarantine",
    "quarantine flag",
    "quarantine status",
    "quarantine state",
    "predictive failure",
    "failure",
    "offline state",
    "fail state",
    "fail flag",
    "failed marking",
    "failed label",
    "removed status",
    "removed state",
    "removed flag",
    "removed marking",
    "quarantined status",
    "quarantined state",
    "quarantined flag",
    "failed designation",
    "fault status",
)
_SERVICE = _words(
    "service",
    "production",
    "use",
    "operation",
    "the array",
    "the pool",
    "the raid group",
    "the raid set",
    "the group",
    "the aggregate",
    "the raid",
    "the volume",
    "the vdev",
    "the chassis",
    "the system",
    "the cage",
    "the config",
    "the configuration",
    "rotation",
    "play",
    "action",
    "active status",
    "active state",
    "online status",
    "an active state",
    "active",
    "online",
    "normal operation",
    "normal service",
    "normal use",
    "operation",
    "duty",
)
_PAST = re.compile(r"(?:ed|brought|slid|stuck|took|taken)$")  # narration unless passive ("should be reseated")
_A = ActionKind
_PHYSICAL_BACK = frozenset({_A.REINSERT_COMPONENT, _A.RESEAT_COMPONENT})
_OUT_AND_IN = _forms(
    "pull", "take", "slide", "pop", "remove", "unplug", "eject", "jiggle", "wiggle", "yank", "ease", "work"
)
# "zpool online tank <device>", "storage aggregate add-disks -disks <serial>": a management command
# that brings the device it names (after the verb) back; only at the start of a command (see targets)
_CLI_TOOL = (
    r"(?:sudo\s+)?(?:zpool|zfs|mdadm|lvm|vgextend|btrfs|storcli\d*|perccli\d*|megacli\d*|ssacli|hpssacli|arcconf"
    r"|esxcli|racadm|ipmitool|omconfig|sas\d*ircu|storage|disk|aggr|vol|raid|\w+ctl|\w+cli\d*|\w+adm)"
)
_CLI_VERB = re.compile(
    rf"\b(?P<v>{_CLI_TOOL}(?:\s+(?!(?:will|would|should|can|could|to|the|team|is|are|was|please|you|we)\b)[\w./]+)"
    r"{0,6}?\s+(?:online|clear|add(?: disks?| devices?| drives?)?|assign|attach|enable|activate|import|unfail"
    r"|readd|rejoin))\b"
)
_CLI_START = re.compile(
    r"(?:^|&&|\|\||[;:$#>']|\b(?:run|type|enter|execute|issue|use|try|with|using|via)"
    r"(?:\s+the(?:\s+\w+)?\s+command)?)\s*$"
)
# "set redundancy: enabled and psu2: enabled" sets psu2; "once you set up the new psu, it reads psu2: online" does not
_SETTING = re.compile(
    r"\b(?:set|sets|setting|configure|change|switch|toggle|flip|turn)\b(?!\s+up\b)"
    r"(?:(?!\b(?:reads?|shows?|displays?|reports?|says?|should|will|must|appears?|lists?)\b)[^.!?])*$"
)
# "install the card in another filer", "fit it in a lab machine": not where the new part goes
_OTHER_MACHINE = re.compile(
    r"\b(?:other|another|different|second|spare|test|lab|identical|neighbouring|neighboring|sister)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:chassis|servers?|filers?|nodes?|machines?|hosts?|box|boxes|systems?|units?|arrays?)\b"
    r"|\banother\s+[a-z]+\s?\d+\b"
)  # "another flr 3300": a model number
_AWAY = re.compile(
    rf"(?:\s+{_W}){{0,8}}?\s+(?:in|into|inside|on|onto|to)\s+(?:[\w']+\s+){{0,3}}?"
    rf"{_OTHER_MACHINE.pattern}"
)
_THERE = re.compile(rf"(?:\s+{_W}){{0,8}}?\s+(?:there|elsewhere)\b")
# (pattern, action, checks packaging, needs an explicit reference to an unhealthy part)
_VERBS: tuple[tuple[re.Pattern[str], ActionKind, bool, bool], ...] = (
    (re.compile(rf"\b(?P<v>{_RESEAT})\b"), _A.RESEAT_COMPONENT, False, False),
    (re.compile(rf"\b(?P<v>{_REINSERT})\b"), _A.REINSERT_COMPONENT, False, False),
    (re.compile(rf"\b(?P<v>{_REVIVE})\b"), _A.FORCE_ONLINE, False, False),
    # "psu2 out/in", "fan 2 out, 10 s, back in": the part named right before
    (
        re.compile(
            r"\b(?P<v>out\s*/\s*(?:back\s+)?in|out\s+and\s+(?:back\s+)?in|out\s*,[^.;]{0,24}?,\s*(?:back\s+)?in)\b"
            r"(?!\s+(?:the\s+|its\s+|a\s+|an\s+|their\s+)?(?:[\w'-]+\s+){0,2}?(?:box|bag|packaging|carton|sleeve"
            r"|pouch|mailer|crate|shipper|envelope|container)\b)"  # "make sure it is out and in its bag"
        ),
        _A.REINSERT_COMPONENT,
        False,
        False,
    ),
    # "start a rebuild", "add hotsparedrive" after a cli address
    (
        re.compile(
            r"\b(?P<v>(?:start|begin|kick off|trigger)\s+(?:a\s+|the\s+)?rebuild|add\s+hotsparedrive|add\s+hotspare"
            r"|set\s+jbod)\b"
        ),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
    # "swap the two power supplies", "swap fan 1 and fan 2 to verify": two parts change places
    (
        re.compile(rf"\b(?P<v>{_forms('swap', 'exchange', 'switch', 'interchange')}){_OBJ_LIST}" + _SWAP_END),
        _A.REINSERT_COMPONENT,
        False,
        False,
    ),
    # "pull it out and push it back in", "slide it out and back in"
    (
        re.compile(
            rf"\b(?P<v>{_OUT_AND_IN}){_OBJ}\s+out"
            rf"\s+(?:and|then|&)\s+(?:then\s+)?(?:back\s+in|in\s+again)\b"
        ),
        _A.REINSERT_COMPONENT,
        False,
        False,
    ),
    (re.compile(rf"\b(?P<v>{_POWER}){_OBJ}\s+(?:back\s+)?(?:on|up)(?:\s+again)?\b"), _A.FORCE_ONLINE, False, False),
    (re.compile(rf"\b(?P<v>{_POWER}\s+(?:up|on))\b"), _A.FORCE_ONLINE, False, False),  # "power up the failed supply"
    (
        re.compile(
            rf"\b(?P<v>{_forms('power', 'turn', 'switch', 'flip', 'cycle', 'toggle')}){_OBJ}"
            r"\s+off\s+and\s+(?:back\s+)?on\b"
        ),
        _A.FORCE_ONLINE,
        False,
        False,
    ),  # "flip it off and on again"
    # "give the busted fan another shot in its slot", "give it a second life as a spare"
    (
        re.compile(
            rf"\b(?P<v>{_forms('give')}){_OBJ}\s+(?:(?:another|a second|one more|a new|a fresh)\s+(?:shot|go|try"
            r"|chance|life|spin|run|push|nudge|shove|reseat|seat|whirl|attempt|outing)"
            r"|an?\s+(?:(?:firm|quick|gentle|good|proper|careful|hard|fresh|full)\s+)?(?:reseat|push|shove|nudge))\b"
        ),
        _A.REINSERT_COMPONENT,
        False,
        False,
    ),
    # "we'd like the quarantined card back in play"
    (
        re.compile(
            rf"\b(?P<v>{_forms('want', 'need', 'get', 'have')}|'d like|would like){_OBJ}"
            r"\s+back\s+(?:in|into|online|up)\s*"
            r"(?:play|service|action|production|use|the array|the pool|the group|the raid group|the aggregate|bay"
            r"|slot|the chassis|the server|the system|the enclosure|the shelf|its (?:bay|slot|place)|place|position"
            r"|\b)"
        ),
        _A.FORCE_ONLINE,
        True,
        False,
    ),
    (
        re.compile(rf"\b(?P<v>{_PLACE}){_OBJ}\s+(?:back|again|once more|one more time|home)\b"),
        _A.REINSERT_COMPONENT,
        True,
        False,
    ),
    # "drop it back into its slot" (but "drop it back at the depot" returns it)
    (
        re.compile(rf"\b(?P<v>{_forms('drop', 'lower')}){_OBJ}\s+back\s+(?:in|into|onto)\b"),
        _A.REINSERT_COMPONENT,
        True,
        False,
    ),
    # "let the array use it again", "trust the card again"
    (
        re.compile(
            rf"\b(?P<v>{_forms('use', 'trust', 'accept', 'adopt')})\b(?! to\b){_OBJ}\s+(?:again|once more|back)\b"
        ),
        _A.FORCE_ONLINE,
        True,
        False,
    ),
    # "get the failed ssd running again", "let's get fan 2 spinning"
    (
        re.compile(
            rf"\b(?P<v>{_forms('get', 'have', 'make', 'bring')}){_OBJ_LONG}"
            r"\s+(?:up and running|running|working|spinning"
            r"|going|functional|operational|serving|active)\b"
        ),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
    # "psu 2 has to be back in by friday": the part is the subject
    (
        re.compile(
            r"\b(?P<v>(?:has|have|needs?|got) to be|must be|should be)\s+back\s+(?:in|online|up|in service"
            r"|in the (?:array|pool|group|raid group|aggregate|chassis))\b"
        ),
        _A.FORCE_ONLINE,
        True,
        False,
    ),
    # "fan 2 needs to go back into its bay": the part is the subject
    (
        re.compile(r"\b(?P<v>go|goes|going|slides?|clicks?|pops?)\s+back(?=\s+(?:in|into)\b)"),
        _A.REINSERT_COMPONENT,
        True,
        False,
    ),
    # "remove it from the ignore list", "take ZK1234ABC off the exclusion list"
    (
        re.compile(
            rf"\b(?P<v>{_forms('remove', 'take', 'delete', 'drop', 'lift')}){_OBJ}\s+(?:from|off|out of)\s+(?:the\s+)?"
            r"(?:exclusion|ignore|ignored|block|black|deny|denied|quarantine|failed|fault|excluded|bad)"
            r"(?:\s+(?:disk|drive|device|parts?))?\s+(?:list|table|set)\b"
        ),
        _A.CLEAR_FAULT,
        False,
        False,
    ),
    # "move the quarantined card to the other filer"
    (
        re.compile(
            rf"\b(?P<v>{_ELSEWHERE}){_OBJ_PLACED}(?=\s+to\s+(?:(?:the|a|an|any|some)\s+)?(?:other|another|different"
            r"|second|spare|free|empty|unused|open|vacant|adjacent|neighbouring|neighboring|next)\s+(?:chassis|server"
            r"|filer|node|machine|host|shelf|enclosure|slot|bay|array|system|controller|box|head|unit|position|socket)"
            r"|\s+to\s+(?:slot|bay|position|socket)\s*(?:#|no\.?|number)?\s*\d+\b)"
        ),
        _A.INSTALL_COMPONENT,
        False,
        True,
    ),
    # "run the old ssd in your test box": the failed part put to work in another machine
    (
        re.compile(
            rf"\b(?P<v>{_forms('run', 'operate', 'use', 'keep')}){_OBJ_PLACED}"
            rf"(?=\s+(?:in|inside)\s+(?:[\w']+\s+){{0,3}}?(?:{_OTHER_MACHINE.pattern}))"
        ),
        _A.INSTALL_COMPONENT,
        True,
        True,
    ),
    # "swap fan 2 with fan 1" (not "swap the failed drive with the replacement": see targets)
    (re.compile(rf"\b(?P<v>{_forms('swap', 'exchange')}){_OBJ}(?=\s+with\b)"), _A.REINSERT_COMPONENT, False, False),
    (
        re.compile(
            rf"\b(?P<v>{_forms('swap', 'switch', 'exchange', 'trade')}){_OBJ_LIST}\s+(?:around|over|places"
            r"|positions|slots|bays)\b"
        ),
        _A.REINSERT_COMPONENT,
        False,
        False,
    ),
    # "insert the failed drive into bay 5", "try the dead psu in another server": only explicit references
    # count ("insert the drive" is usually the new one)
    (
        re.compile(rf"\b(?P<v>{_ELSEWHERE}){_OBJ_PLACED}(?=\s+(?:in|into|inside|on|onto)\b|\s+there\b|\s+elsewhere\b)"),
        _A.INSTALL_COMPONENT,
        True,
        True,
    ),
    (
        re.compile(
            rf"\b(?P<v>{_ONLINE}){_OBJ}\s+(?:back\s+)?(?:to\s+)?(?:online|on line|on-line|into service|in service"
            r"|active|an? active state|active state|enabled|good)\b"
        ),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
    (re.compile(rf"\b(?P<v>{_forms('bring')}){_OBJ}\s+(?:back\s+)?up\b"), _A.FORCE_ONLINE, False, False),
    (re.compile(rf"\b(?P<v>{_forms('get')}){_OBJ}\s+back\s+(?:in|into|online)\b"), _A.REINSERT_COMPONENT, True, False),
    (re.compile(rf"\b(?P<v>{_MARK}){_OBJ}\s+(?:as|to|back to)?\s*(?:an?\s+)?{_GOOD}\b"), _A.FORCE_ONLINE, False, False),
    (re.compile(rf"\b(?P<v>{_CLEAR}){_OBJ}\s+(?:from|of|out of)?\s*{_FAULT}\b"), _A.CLEAR_FAULT, False, False),
    (
        re.compile(rf"\b(?P<v>{_forms('take', 'get', 'bring', 'let')}){_OBJ}\s+out\s+of\s+quarantine\b"),
        _A.CLEAR_FAULT,
        False,
        False,
    ),
    (
        re.compile(
            rf"\b(?P<v>{_forms('return', 'restore', 'put', 'bring', 'place', 'get', 'add', 'readd', 'reintroduce')})"
            rf"{_OBJ}{_PAREN}\s+(?:back\s+)?(?:in|into|to|onto)\s+{_SERVICE}\b"
        ),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
    (
        re.compile(rf"\b(?P<v>{_SPARE}|{_HOLD_ON}){_OBJ_APPOS}\s+as\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){{0,3}}?spare\b"),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
    # "hang on to the failed fan rather than returning it": kept for use
    (
        re.compile(
            rf"\b(?P<v>{_forms('keep', 'retain')}|{_HOLD_ON}){_OBJ_APPOS}\s+(?:rather than|instead of)\s+"
            r"(?:returning|sending|shipping|binning|scrapping|disposing|recycling|posting)\b"
        ),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
    (
        re.compile(
            rf"\b(?P<v>{_REBUILD})(?:\s+(?:the\s+)?(?:\w+\s+)?(?:array|raid|data|group|mirror|volume|pool))?"
            r"(?=\s+(?:onto|on to|to|on|into|targeting|targetting|using)\b)"
        ),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
    (re.compile(rf"\b(?P<v>{_ENABLE})\b"), _A.FORCE_ONLINE, False, False),
    (_CLI_VERB, _A.FORCE_ONLINE, False, False),
    # "set redundancy: enabled and psu2: enabled": a setting whose key is the part (see targets)
    (re.compile(r"(?P<v>[:=]\s*(?:enabled?|online|on|active|good|healthy|yes|true))\b"), _A.FORCE_ONLINE, False, False),
)
_STRICT_HEADS = ("unhealthy", "all", "serial", "pronoun", "slot")
_TRY = re.compile(_forms("try", "test", "move", "transfer", "relocate", "swap", "use"))  # "try the nvram card in ..."
_BARE_OBJ = {"the", "its", "any", "all", "back", "in", "out"}  # "put back", "clear the fault": no object named
_IMPLICIT_NEXT = {
    "",
    "and",
    "then",
    "again",
    "now",
    "once",
    "if",
    "when",
    "to",
    "so",
    "until",
    "firmly",
    "gently",
    "carefully",
    "please",
    "first",
    "or",
    "into",
    "in",
    "back",
    "from",
    "via",
    "using",
    "through",
}

# Boundaries. Strong ones end the reach of a negation; commas and subordinators
# end the object of an action; "and/or/then" end it unless a noun phrase follows.
_STRONG = re.compile(
    r"[;:.!?](?=\s|$)|[()\[\]]|\b(?:but|however|instead(?! of)|otherwise|except|although|though"
    r"|whereas|rather(?! than)|unless)\b"
)
_OR = re.compile(r"\b(?:or|nor)\b")
_LINK_BREAK = re.compile(r"\b(?:and|then|so|before|after|until|while|once|if|when|because|since|as soon)\b")
_SUBORD = re.compile(r",|\b(?:so|before|after|until|while|once|if|when|because|since|as)\b")
_COORD = re.compile(r"\b(?:and|or|then)\b")

# ---- negation, narration, harm statements ----------------------------------------------

_NEG_CUE = re.compile(
    r"\b(?:not|never|dont|cannot|nor|nothing|nobody|no one|none|no way|no longer|avoid\w*|refrain\w*"
    r"|against|without|instead of|rather than|(?:better|safer|preferable|wiser|smarter) than"
    r"|no need|no point|no reason|under no circumstances|in no case|at no point|unsafe|dangerous"
    r"|risky|bad idea|at no stage|at no time|on no account|under no condition|resist\w*"
    r"|no(?= (?:more |further )?(?:re\w+|\w+ing|retry|reseat|reinsert|reinstall)\b)|\w+n't)\b"
)
# "there's no reason not to", "it can't hurt to": two negations make a suggestion
_DOUBLE_NEG = re.compile(
    r"\b(?:no reason (?:why )?(?:you )?(?:not to|can't|shouldn't)|no harm in|nothing (?:wrong|stopping you)"
    r" (?:with|from)|(?:can't|won't|wouldn't|doesn't|does not|would not|will not|cannot) hurt"
    r"|not a bad idea|don't hesitate to|do not hesitate to|don't forget to|do not forget to"
    r"|never hurts to|why not)\b"
)
# Words that may sit between a negation and the action it negates: "do not (try to)
# reseat", "we do not recommend reseating", "never remove and reinsert". Anything
# else ("don't forget to reseat", "if that doesn't work reseat") ends the negation.
_GAP_WORDS = frozenset(
    [
        "you",
        "we",
        "i",
        "they",
        "anyone",
        "one",
        "should",
        "would",
        "could",
        "to",
        "try",
        "trying",
        "attempt",
        "attempting",
        "need",
        "needs",
        "have",
        "has",
        "attempted",
        "ever",
        "even",
        "please",
        "be",
        "tempted",
        "go",
        "ahead",
        "simply",
        "just",
        "physically",
        "manually",
        "yourself",
        "also",
        "again",
        "strongly",
        "really",
        "recommend",
        "recommended",
        "recommending",
        "advise",
        "advised",
        "suggest",
        "suggested",
        "want",
        "need",
        "advisable",
        "wise",
        "make",
        "perform",
        "for",
        "needed",
        "necessary",
        "required",
        "safe",
        "a",
        "an",
        "good",
        "idea",
        "is",
        "it's",
        "it",
        "its",
        "them",
        "reason",
        "point",
        "in",
        "the",
        "supported",
        "allowed",
        "permitted",
        "and",
        "or",
        "nor",
        "then",
        "remove",
        "removing",
        "pull",
        "pulling",
        "take",
        "taking",
        "out",
        "unplug",
        "unplugging",
        "eject",
        "ejecting",
        "from",
        "think",
        "thinking",
        "about",
        "of",
        "that",
        "do",
        "does",
        "under",
        "any",
        "circumstances",
        "personally",
        "at",
        "all",
        "this",
        "time",
        "now",
        "yet",
        "here",
        "kindly",
        "bother",
        "worth",
        "re",
        "seat",
        "reseat",
        "reseating",
        "insert",
        "reinsert",
        "reinserting",
        "inserting",
        "plug",
        "replug",
        "replugging",
        "plugging",
        "put",
        "putting",
        "push",
        "pushing",
        "back",
        "force",
        "forcing",
        "mark",
        "marking",
        "bring",
        "bringing",
        "online",
        "clear",
        "clearing",
        "fault",
        "case",
        "there",
        "ask",
        "asking",
        "asked",
        "tell",
        "telling",
        "told",
        "instruct",
        "instructing",
        "reseated",
        "reinserted",
        "plugged",
        "pushed",
        "forced",
        "marked",
        "brought",
        "powered",
        "cleared",
        "slid",
        "put",
        "seated",
        "reconnected",
        "reinstalled",
        "added",
        "enabled",
        "returned",
        "require",
        "requiring",
        "expect",
        "expecting",
        "will",
        "going",
        "gonna",
        "ever",
        "suggesting",
        "advising",
        "request",
        "requesting",
        "has",
        "have",
        "been",
        "our",
        "side",
        "end",
        "part",
        "us",
        "temptation",
        "urge",
        "more",
        "further",
        "on",
        "had",
        "being",
        "get",
        "got",
        "run",
        "running",
        "type",
        "typing",
        "execute",
        "executing",
        "issue",
        "issuing",
        "command",
        "set",
        "setting",
    ]
)
_WHY = re.compile(r"\bwhy\s+$")  # "why not reseat it?", "why don't you reseat it?" are suggestions
# "put" reads as past after a subject: "the customer put it back yesterday"
_WHO = (
    r"customer|client|user|admin|administrator|engineer|technician|tech|team|operator|someone|somebody|colleague"
    r"|he|she|they|we|i"
)  # who can have done it
_TRIED = re.compile(
    rf"(?<!have )(?<!did )(?<!had )\b(?:{_WHO}|you)\s+(?:already\s+|also\s+|then\s+)?(?:tried|attempted"
    r"|kept|started|began|went ahead and)\s+(?:to\s+)?$"
    r"|^\W*(?:already\s+|also\s+)?(?:tried|attempted)\s+(?:to\s+)?$"  # a note without its subject: "tried reseating it"
)
_NARRATOR = re.compile(
    rf"\b(?:{_WHO}|you'd|you've|they'd|they've|we'd|we've|i've|he'd"
    r"|she'd)\s+(?:(?:already|also|then|just|accidentally|apparently|mistakenly|had|has|have|simply"
    r"|once|twice|both)\s+)*$|\bi'd\s+(?:(?:also|then|simply|once|twice|both)\s+)*(?:already|just|accidentally"
    r"|apparently|mistakenly)\s+(?:(?:already|also|then|just|simply)\s+)*$"
    r"|\b(?:said|mentioned|told us|wrote|reported|explained|confirmed|say|says)\s+(?:that\s+)?"
    r"(?:you|they|he|she|someone|the \w+)\s+(?:(?:already|also|then|just|had|have)\s+)*$"
)
_DID = re.compile(
    r"\b(?:did|didn't|had|hadn't|was|were)\s+(?:(?!(?:to|be|work|help|fix|change|succeed)\b)[\w'-]+\s+)"
    r"{1,8}?(?:already\s+|ever\s+)?$"
    r"|\bwho\s+$"
)  # "why did the on-site tech reseat it", "who reseated it?"
# "the customer asked whether to reseat it": a reported question, not an instruction
_REPORTED = re.compile(
    r"\b(?:ask|asks|asked|asking|wonder|wonders|wondered|wondering|want(?:s|ed)? to know"
    r"|question(?:s|ed)?|enquired|inquired)\s+(?:\w+\s+){0,2}?(?:if|whether)\b"
    rf"|\b(?:{_WHO}|cust|site|they|customers?)\s+(?:(?:had|has|have|also|then|just|already)\s+)?(?:asked|wanted"
    r"|requested|offered|proposed|planned|intended|hoped|wished|insisted on|was keen|were keen)\s+(?:to\s+)?$"
    r"|\b(?:ask|asks|asked|asking|request|requests|requested|sought|seeks|wants?|wanted)\s+(?:\w+\s+){0,2}?"
    r"(?:permission|approval|authori[sz]ation|sign-off|the go-ahead|the ok|the okay|an exception)\s+to\s+$"
    r"|\b(?:question|questions|query|queries|request|requests)\s+(?:about|regarding|re|on|concerning)\s+$"
)
# "I know it's tempting to reseat it, but please don't": the reply talks the customer out of it
_TEMPTING = re.compile(
    r"\btempt\w*|\byou (?:may|might) (?:think|want|be tempted)|\bi (?:know|understand|appreciate|reali[sz]e|get|see)\b"
    r"|\byou(?:'d| would) (?:like|love|prefer|rather)\b|\byou (?:want|wish|hope|plan|intend|mean)\w* to\b"
)
# the next sentence talks them out of it: "... tempting to lift the quarantine. Please don't: ..."
_DISSUADE_NEXT = re.compile(r"\s*(?:but\s+)?(?:please\s+)?(?:don't|do not|never|resist|refrain|no,)\b")
# "if you were to reinsert it, the controller could ...": a hypothetical whose outcome is a harm
_HYPOTHETICAL = re.compile(
    r"\bif\s+(?:someone|somebody|anyone|anybody)\s+(?:\w+\s+){0,3}?were\s+to\s+$"
    r"|\b(?:whoever|someone|somebody|anyone|they|he|she|the \w+)\s+(?:who\s+)?(?:told|suggested"
    r"|advised|asked|recommended|said)\s+(?:you\s+)?(?:to\s+)?$"
    r"|\b(?:if|were|should|suppose|imagine)\s+(?:you|anyone|someone|somebody|they|one|we"
    r"|the (?:customer|site|tech\w*|engineer|team))\s+(?:(?:were|was|ever|to|tried|try|attempt\w*"
    r"|decide\w*|wanted|want|simply|just)\s+)*$"
    r"|\bif\s+(?:anyone|someone|somebody|they|he|she|anybody)\b.*\b(?:suggest\w*|propos\w*"
    r"|recommend\w*|tell\w*|ask\w*|want\w*|tries|tried)\s+(?:you\s+)?(?:to\s+)?$"
)
_RISK = re.compile(
    r"\b(?:upset\w*|same as (?:reinstalling|reinserting|reseating|putting)|last thing"
    r"|one thing (?:we|you)(?:'d| would)? (?:want|should|need)\w* (?:to )?avoid"
    r"|off the table|out of the question|not an option|(?:was|is|were) (?:wrong|mistaken|incorrect)"
    r"|bad advice|only hides?|would (?:only )?hide|hides? (?:the|a) (?:real )?\w+|failing media"
    r"|(?<!low )(?<!no )(?<!minimal )(?<!little )risk(?!\s*free|less)\w*|danger\w*|unsafe|lose|loss|corrupt\w*"
    r"|damag\w*|destroy\w*|overheat\w*|trip\w*"
    r"|short\w*|fry|kill|crash\w*|brick\w*|replay\w*|back feed|backfeed|take \w+(?: \w+)? down"
    r"|stays? out|stop (?:them|him|her)|harm(?!less)\w*|hazard\w*|not supported|void\w*)\b"
)
# "there is no setting that can safely re-enable it"
# "Bays 1 and 5 look fine": a status line about healthy parts does not take the topic
_HEALTHY_STATUS = re.compile(
    r"\b(?:look(?:s)? (?:fine|good|ok|okay|normal|healthy)|(?:is|are) (?:fine|ok|okay|healthy"
    r"|behaving normally|operating normally)|report(?:s)? nothing|nothing (?:is )?(?:wrong|unusual)"
    r"|operating normally|behaving normally|in range|no errors|need(?:s)? (?:no )?attention"
    r"|none of the other|all (?:good|fine)|working (?:fine|normally)|shows? no)\b"
)
# "You asked whether to reseat it. Yes, go ahead": the answer makes the question an instruction
_AFFIRM = re.compile(
    r"\s*(?:yes|yeah|yep|yup|sure|ok|okay|correct|absolutely|of course|certainly|go ahead|please do"
    r"|that's fine|that is fine|that's ok|please go ahead|fine)\b"
)
_OWN_QUESTION = re.compile(r"\b(?:should|can|could|may|shall)\s+(?:i|we)\s+$|\bis it ok(?:ay)? (?:if i |to )?$")
# "at no point ... should the failed drive go back in": a fronted negative governs the clause
_FRONTED_NEG = re.compile(
    r"^\W*(?:at no (?:point|stage|time)|under no circumstances?|in no case|on no account|never"
    r"|not once|not ever|not even|nowhere)\b.*\b(?:should|must|may|can|could|will|would|is|are"
    r"|do|does|did|shall)\b"
)
# "you told us you had another go, fitting it back in": what the customer reported doing
_REPORTED_DEED = re.compile(
    r"\b(?:you|they|the customer|the site|your team|the night shift)\s+(?:told us|said|mentioned"
    r"|wrote|reported|explained|confirmed|described)\b"
)
# "please do it once more", "repeat that": the last action named, asked again
_REDO = re.compile(
    r"\b(?:do|repeat|try)\s+(?:it|that|this|so|the same)\s+(?:again|once more|one more time|another time)\b"
    r"|\brepeat (?:it|that|the (?:reseat|reinsert\w*|procedure|step))\b"
    r"|\b(?:feel free to|go ahead and|(?:you're|you are) welcome to|you (?:can|could|may|might want to)|please|do)"
    r"\s+(?:try|do|repeat|attempt)\s+(?:it|that|this|the same)\b"
    r"|\bgive (?:that|this|it) a (?:try|go|shot|whirl)\b"
)  # "some sites have had luck reseating it. feel free to try that (with psu 2)": the action described, invited
_REDO_WITH = re.compile(r"\s+(?:with|on|for)\s+")
# "reinserting it could put it back in the group", "it also lets the controller use the drive again": what
# something else would lead to, not something anyone is asked to do
_CONSEQUENCE = re.compile(
    r"(?:^|[,;]|\b(?:and|but|because|as|since))\s*(?:\w+ing|doing so|this|that|which)\b"
    r"(?:\s+(?!(?:you|we|they|i|someone|somebody|anyone|if|great|good|nice|best|better|helpful)\b)[\w']+){0,5}?\s+"
    r"(?:could|would|might|may|will|can)\s+(?:(?:also|easily|just|only|even|well)\s+)?$"
    r"|\b(?:it|this|that|which|doing so|\w+ing)\s+(?:(?:also|would|could|might|will|then|only)\s+)*(?:lets|allows"
    r"|causes|makes|forces|tells|invites|encourages|let|allow|cause|make|force|tell)\s+(?:the\s+|them\s+)?[\w-]+"
    r"\s+(?:to\s+)?(?:(?:try|attempt|start|begin)\s+(?:to\s+)?)?$"
)
# a question about what happened: "did ... come first, or the reseat?"
_PAST_QUESTION = re.compile(r"\s*(?:(?:and|so|but|then)\s+)?(?:did|didn't|was|wasn't|were|weren't|had|hadn't)\b")
_MODAL = re.compile(r"\b(?:should|could|can|would|will|shall|please|may|might|must)\b")
# "if anyone suggests putting it back in, ... say no": someone else's idea, turned down
_SUGGESTED_BY_OTHERS = re.compile(
    r"\bif\s+(?:anyone|anybody|someone|somebody|they|he|she|the \w+|a colleague)\b[^.;:!?]*?\b(?:suggests?"
    r"|proposes?|recommends?|asks?|wants?|offers?|tells? you|insists?)\b"
)
_REFUSAL_AFTER = re.compile(
    r"\b(?:say no|answer is no|tell them no|refuse|decline|push back|point them|don't let|do not let|stop them"
    r"|not allowed|please don't|please do not|the answer is no|no to)\b"
)
# "No." / "I'm afraid not." as a whole sentence: the answer to a question, explained by the next one
_REFUSAL_ANSWER = re.compile(
    r"\W*(?:no|nope|no way|unfortunately not|unfortunately,? no|i'm afraid not|afraid not|definitely not"
    r"|absolutely not|certainly not|sorry,? no|please don't|please do not|best not|better not)\W*"
)
_NONE_EXISTS = re.compile(r"\bthere(?: is|'s| are) no\b[^,;]*$")
# "our L2 wants the failed fan reseated", "arrange for the fan to be refitted": someone wants it done
_WANT_DONE = re.compile(
    r"\b(?:wants?|wanted|needs?|needed|like|likes|prefer\w*|get|have|has|arrange for|ask for"
    r"|require\w*)\s+$"
)
# "..., please don't.": the sentence ends by talking them out of it
_DONT_AT_END = re.compile(
    r"(?:,|;|:|\s-|\bso)\s*(?:so\s+)?(?:please\s+)?(?:don't|do not)(?:\s+do (?:it|that|so))?\s*[.!]*\s*$"
)
_DISSUADE = re.compile(
    r"\bbut\s+(?:please\s+)?(?:don't|do not|never|resist|leave (?:it|them|the \w+)"
    r"|avoid|refrain|hold off)\b"
)
# "let it rejoin the array", "have the tech reseat it": the part is named before the verb
_CAUSATIVE = re.compile(r"\b(?:let|lets|letting|have|has|get|allow|make)\s+$")
_EXCEPT = re.compile(r"\s*,?\s*(?:except(?: for)?|apart from|other than|but not|excluding|besides|save for|not)\s+")
_PASSIVE = re.compile(
    r"(?:\b(?:be|is|are|get|gets|getting|being)|'s)\s+(?:(?:properly|fully|firmly|correctly|then"
    r"|also|simply|just)\s+)?(?:(?:[\w-]+\s+)?[\w-]+ed\s+(?:and|or)\s+(?:then\s+)?)?$"
)  # "be power cycled and returned"
_CLAUSE_START = re.compile(
    r"\s*(?:(?:and|but|also|so|note that|remember that|just|simply|a|an|the|another|any)\s+"
    r"|\w+ing\s+(?:or|and|nor)\s+)*"
)  # "reseating or re-enabling it is off the table"
_HARM = re.compile(
    r"(?:[^\w']*[\w']+){0,6}?[^\w']*\b(?:won't|will not|wouldn't|would not|doesn't|does not"
    r"|didn't|did not|isn't|is not|can't|cannot|can not|never|is unsafe|is dangerous|is risky"
    r"|is a bad idea|is pointless|risks|(?:can|could|may|might|will|would) (?:\w+ )?(?:corrupt|destroy"
    r"|cause|damage|short|harm|break|lose|wipe|risk|void|put \w+(?: \w+)? at risk|make \w+ worse)"
    r"|causes|corrupts|voids|puts \w+(?: \w+)? at risk)\b"
)  # "reseating the failed drive will not help"
_PACKAGING = re.compile(
    r"\s+(?:in|into|inside|on)\s+(?:(?:the|its|a|an|their|original)\s+)?(?:[\w'-]+\s+){0,2}?"
    r"(?:box|bag|packaging|package|packing|carton|container|shipper|sleeve|shelf|envelope|clamshell|pouch|foam"
    r"|wrapper|tote|crate|return kit|shipping box|esd bag|anti static bag|antistatic bag|sleeve|mailer)\b"
)
# "find the original packaging? the failed supply goes back in it": "it" is the packaging
_CONTAINER = re.compile(
    r"\b(?:box|bag|packaging|package|packing|carton|container|shipper|envelope|clamshell|pouch|mailer|crate)\b"
)
_IN_IT = re.compile(r"(?:\s+back)?\s+(?:in|into|inside)\s+(?:it|them)\b")
_ENDS_IN, _IT = re.compile(r"\b(?:in|into|inside)\s*$"), re.compile(r"\s*(?:it|them)\b")  # "go back in| it"
_FOR_RETURN = re.compile(r"^[^.;!?]*\bfor (?:the |its |a )?(?:return|shipping|shipment|courier|rma|pickup)\b")
_ENCLOSURE = re.compile(r"\b(?:expansion|disk|drive|storage|jbod)\s+shelf\b")  # a shelf of drives is not a box
_CABLE = r"(?:cables?|cords?|connectors?|leads?|wires?)"
# "the cable on X", "X's power cord": the action is on a cable, not on the part
_CABLE_BEFORE = re.compile(
    rf"\b{_CABLE}(?:\s+(?:on|of|to|for|at|from|into|in|back|the|its|it|between|connecting"
    rf"|linking|behind))*\s*$"
)
_CABLE_AFTER = re.compile(rf"(?:'s)?(?:\s+(?!(?:and|then|or)\b)[\w']+){{0,3}}?\s+{_CABLE}\b")
_BACK_INTO = re.compile(r"\s+(?:(?:gently|firmly|carefully|straight|right)\s+)?back\s+(?:in|into)\s+(?:the\s+)?")
_THEN = re.compile(r"\s*(?:then\s+|also\s+)?")
_NEXT_TOKEN = re.compile(r"\s*([\w']+|[^\w\s])?")


class _Sentence:
    """One normalised sentence with its phrases and boundaries, looked up by bisection (no quadratic rescans)."""

    def __init__(
        self,
        text: str,
        vocab: _Vocabulary,
        previous: frozenset[int],
        following: str = "",
        topic: bool = True,
        refused: bool = False,
        preceding: str = "",
        first_naming: bool = False,
    ):
        self.text, self.previous, self.following = text, previous, following
        self.refused = refused  # the sentence before is a flat "no": what follows explains it
        self.preceding = preceding
        mentions = vocab.mentions(text)
        unhealthy = [i for i, c in enumerate(vocab.components) if c.unsafe]
        #: the case's one unhealthy part: what "put it back in" means when nothing was named before
        self.sole_unhealthy = frozenset(unhealthy) if len(unhealthy) == 1 and first_naming else frozenset()
        self.phrases = _phrases(text, mentions, previous, topic)
        self.starts = [p.start for p in self.phrases]
        self.anchors = [p for p in self.phrases if not p.location and not p.weak]  # what a later "it" can point at
        self.anchor_ends = [p.end for p in self.anchors]
        masked = list(text)  # mentions blanked out: "do not pull [the failed drive] out and" reads as filler
        for m in mentions:
            masked[m.start : m.end] = " " * (m.end - m.start)
        self.masked = "".join(masked)
        strong = [(m.start(), m.end()) for m in _STRONG.finditer(text)]
        self.strong_starts, self.strong_ends = [s for s, _ in strong], [e for _, e in strong]
        self.clause_cuts = sorted(self.strong_ends + [m.end() for m in re.finditer(",", text)])
        self.subord_starts = [m.start() for m in _SUBORD.finditer(text)]
        self.coords = [(m.start(), m.end()) for m in _COORD.finditer(text)]

    @staticmethod
    def _last_at_or_before(values: list[int], pos: int) -> int:
        return values[bisect_right(values, pos) - 1] if bisect_right(values, pos) else 0

    def _first_at_or_after(self, values: list[int], pos: int) -> int:
        return values[bisect_left(values, pos)] if bisect_left(values, pos) < len(values) else len(self.text)

    def entity_before(self, pos: int) -> frozenset[int]:
        """What "it" means at pos: the last phrase before it, else the last one of the previous sentence."""
        i = bisect_right(self.anchor_ends, pos)
        return self.anchors[i - 1].comps if i else self.previous

    def negated(self, verb_start: int) -> bool:
        """A negation cue before the verb in the same clause, with only filler words in between."""
        start = max(self._last_at_or_before(self.strong_ends, verb_start), verb_start - 300)
        window = self.masked[start:verb_start]
        if _DOUBLE_NEG.search(window):
            return False  # "there's no reason not to reseat it"
        if _FRONTED_NEG.search(re.sub(r"\([^)]*\)", " ", self.masked[:verb_start])):
            return True  # "at no point (not even to test the latch) should the failed drive go back in"
        cues = [c for c in _NEG_CUE.finditer(self.masked, start) if c.end() <= verb_start]  # lookahead sees the verb
        for cue in reversed(cues):
            if _WHY.search(self.masked, start, cue.start()):
                continue
            gap = re.sub(
                r"^\s*,(?:[^,]*,)?", " ", self.masked[cue.end() : verb_start]
            )  # "do not, under any circumstances, reseat"
            if "," not in gap and all(w in _GAP_WORDS or w.isdigit() for w in re.findall(r"[\w']+", gap)):
                return True
        return False

    def negation_carries(self, negated_start: int, verb_start: int) -> bool:
        """A negation reaches the later verbs of an "or" list: "do not use it as a spare or move it",
        "nobody should reinsert, re-plug or test it" (neither action is asked for)."""
        link = self.text[negated_start:verb_start]
        if _STRONG.search(link) or _LINK_BREAK.search(link):
            return False
        if _OR.search(link):
            return True
        tail = self.text[verb_start : self._first_at_or_after(self.strong_starts, verb_start)]
        return "," in link and bool(_OR.search(tail[:60]))  # the middle of "A, B or C"

    def object_end(self, start: int, shared: bool = True) -> int:
        """End of an action's object: a boundary, or "and/or/then" unless a noun phrase follows it.

        ``shared``: a bare verb shares the object of the next one ("reseat or replace X")."""
        limit = min(
            self._first_at_or_after(self.strong_starts, start), self._first_at_or_after(self.subord_starts, start)
        )
        for i in range(bisect_left(self.coords, (start, 0)), bisect_left(self.coords, (limit, 0))):
            c_start, c_end = self.coords[i]
            if shared and not self.text[start:c_start].strip():
                continue  # "reseat or replace the failed drive": the verbs share the object
            then = _THEN.match(self.text, c_end)
            assert then is not None  # _THEN matches the empty string too
            nxt = then.end()
            i = bisect_left(self.starts, nxt)
            if i == len(self.starts) or self.starts[i] != nxt:
                return c_start
        return limit

    def _wanted_done(self, v_start: int) -> _Ref | None:
        """The part right before a participle that someone wants done: "wants the failed fan reseated"."""
        i = bisect_left(self.starts, v_start) - 1
        if i < 0 or self.phrases[i].location:
            return None
        phrase = self.phrases[i]
        if not re.fullmatch(r"\s*(?:to be\s+|to get\s+)?", self.text[phrase.end : v_start]):
            return None
        return phrase if _WANT_DONE.search(self.text, max(0, phrase.start - 16), phrase.start) else None

    def phrase_ends_at(self, pos: int) -> bool:
        """A part is named right before ``pos`` (its subject)."""
        i = bisect_right(self.anchor_ends, pos) - 1
        return i >= 0 and not self.text[self.anchors[i].end : pos].strip()

    def asks(self, match: re.Match) -> bool:
        """The action is the customer's question, reported or quoted ("you asked whether to reseat it")."""
        lead = self.text[
            max(self._last_at_or_before(self.clause_cuts, match.start()), match.start() - 300) : match.start()
        ]
        return bool(
            _REPORTED.search(lead) or _OWN_QUESTION.search(lead) or _OWN_QUESTION.search(self.text, 0, match.start())
        )

    def _not_an_instruction(
        self, match: re.Match, lead: str, word: str, past: bool, passive: bool, wanted: _Ref | None
    ) -> bool:
        """The action is narrated, reported, hypothetical or talked out of, not asked for."""
        sent, v_start, v_end = self.text, match.start(), match.end()
        did = _DID.search(lead) and not re.search(r"\byet\b", sent[v_end : v_end + 80])  # "did you try it yet?"
        if (past or word in ("put", "set")) and re.search(
            r"\b(?:was|were|had been|has been|have been)\s+(?:\w+ly\s+)?$", lead
        ):
            return True  # "the removed drive was put back in on saturday"
        tried = _TRIED.search(lead)  # "the customer tried putting it back in"
        if wanted is None and (
            (past and not passive) or did or tried or (word in ("put", "set") and _NARRATOR.search(lead))
        ):
            return True  # narration: "the customer reseated it", "they put it back yesterday"
        if (word.endswith("ing") or past) and _REPORTED_DEED.search(sent, 0, v_start) and not passive:
            return True  # "you told us you had another go, fitting it back in"
        if (_NONE_EXISTS.search(lead) and not _DOUBLE_NEG.search(lead)) or (
            _HYPOTHETICAL.search(lead) and (_RISK.search(sent, v_end) or _RISK.search(self.following))
        ):
            return True  # "there is no setting that can re-enable it", "if you were to ..., it could"
        if _REPORTED.search(lead):
            return True  # "the customer asked whether to reseat it"
        if _CONSEQUENCE.search(lead):
            return True  # "reinserting it could put it back in the group", "it lets the controller use it again"
        q_start = self._last_at_or_before(self.strong_ends, v_start)
        if (
            sent.rstrip().endswith("?")
            and _PAST_QUESTION.match(sent, q_start)
            and not re.search(r"\byet\b", sent[v_end:])
            and not _MODAL.search(sent, q_start, v_start)
        ):
            return True  # "did the power event come first, or the reseat of psu 2?"
        if _SUGGESTED_BY_OTHERS.search(sent, 0, v_start) and (
            _REFUSAL_AFTER.search(sent, v_end) or _REFUSAL_AFTER.search(self.following)
        ):
            return True  # "if anyone suggests putting it back in, say no"
        return bool(
            _DONT_AT_END.search(sent, v_end)
            or (
                (_DISSUADE.search(sent, v_end) or _DISSUADE_NEXT.match(self.following))
                and (_TEMPTING.search(lead) or _TEMPTING.search(sent, v_end))
            )
        )  # "tempting ..., but please don't"

    def targets(
        self, match: re.Match, action: ActionKind, packaging: bool, strict: bool, as_instruction: bool = False
    ) -> tuple[frozenset[int], ActionKind]:
        """Components the action applies to, and the action (reseat_cable for cables); empty when not applicable.

        ``as_instruction``: whatever the mood, what the action acts on: for a question the next
        sentence answers "yes" to, and for the deed a later "do it again" repeats."""
        sent, v_start, v_end, word = self.text, match.start(), match.end(), match["v"]
        if (i := bisect_left(self.starts, v_start)) < len(self.starts) and self.starts[i] == v_start:
            return frozenset(), action  # "slot 1 stays in place", "power supply 2": the verb is a noun naming a part
        if match.re is _CLI_VERB and (
            not _CLI_START.search(sent, 0, v_start)
            or any(p.type == "other" for p in self.phrases[i : bisect_left(self.starts, self.object_end(v_end))])
        ):
            return frozenset(), action  # "the storage team will add ...": prose; "... on the new drive": not the part
        if word[0] in ":=" and not _SETTING.search(sent, 0, v_start):
            return frozenset(), action  # "psu2: enabled" in a status listing sets nothing
        lead = sent[max(self._last_at_or_before(self.clause_cuts, v_start), v_start - 300) : v_start]
        past = bool(_PAST.search(word)) and word[0] not in ":="  # "psu2: enabled" is a setting, not narration
        passive = (past or word in ("put", "set")) and bool(_PASSIVE.search(lead))  # "the drive should be reseated"
        wanted = self._wanted_done(v_start) if past or word in ("put", "set") else None
        j = bisect_left(self.starts, match.end("v"))
        if wanted is not None and wanted.type == "pronoun" and j < len(self.phrases) and self.phrases[j].start < v_end:
            wanted = None  # "have them put psu 2 back in": "them" are people, the verb has its own object
        if not as_instruction and self._not_an_instruction(match, lead, word, past, passive, wanted):
            return frozenset(), action
        if (
            packaging
            and (box := _PACKAGING.match(sent, v_end))
            and not _ENCLOSURE.search(box[0])
            and not _OTHER_MACHINE.search(box[0])  # "into the identical box next to it" is a machine
        ):
            return frozenset(), action  # "put the failed drive back in its box"
        if (
            packaging
            and (in_it := _IN_IT.match(sent, v_end) or (_ENDS_IN.search(match[0]) and _IT.match(sent, v_end)))
            and (_CONTAINER.search(self.preceding) or _FOR_RETURN.match(sent, in_it.end()))
        ):
            return frozenset(), action  # "... the packaging? the failed supply goes back in it"
        objects: list[_Ref] = []  # the first phrase after the verb, and those joined to it by "and/or"
        for i in range(
            bisect_left(self.starts, v_start),
            bisect_left(self.starts, self.object_end(v_end, match.end() == match.end("v"))),
        ):
            p = self.phrases[i]
            if objects and not _COORD_GAP.fullmatch(sent, objects[-1].end, p.start):
                break
            objects += [] if p.location else [p]
        if passive and objects and re.search(r"\b(?:and|or|then)\b", sent[v_end : objects[0].start]):
            objects = []  # "the supply should be reinserted and its cord reconnected": the subject is the part
        named = bool(objects)
        if strict:  # named between verb and particle: "put the failed drive in", not "put in a request for ..."
            away = _AWAY.match(sent, v_end) or (_THERE.match(sent, v_end) and _OTHER_MACHINE.search(sent, 0, v_start))
            heads = _STRICT_HEADS + (("kind",) if _TRY.fullmatch(word) or away else ())
            objects = [p for p in objects if p.type in heads and p.start < v_end]
        if wanted is not None:
            objects, named = [wanted], True
        if not objects:  # "let it rejoin the array", "have your tech reseat PSU 2"
            i = bisect_left(self.starts, v_start) - 1
            if (
                i >= 0
                and not self.phrases[i].location
                and re.fullmatch(r"\s*(?:to\s+)?", sent[self.phrases[i].end : v_start])
                and _CAUSATIVE.search(sent, max(0, self.phrases[i].start - 12), self.phrases[i].start)
            ):
                objects = [self.phrases[i]]
                named = True
        if not objects and (
            word.startswith(("out", "start", "begin", "kick", "trigger", "add hotspare", "set jbod", ":", "="))
            or re.match(rf"{_MARK}\s*$", word)
        ):
            i = bisect_left(self.starts, v_start) - 1  # "psu2 out/in", "storcli /c0/e252/s4 set good"
            if (
                i >= 0
                and not self.phrases[i].location
                and re.fullmatch(r"[\s:,-]*", sent[self.phrases[i].end : v_start])
            ):
                objects, named = [self.phrases[i]], True
        if match.re.pattern.endswith(_SWAP_END) and sum(len(p.comps) for p in objects) < 2:
            return frozenset(), action  # "swap the failed fan" alone is the replacement
        comps = frozenset().union(*(p.comps for p in objects))
        if objects and not comps and all(p.orphan for p in objects):
            i = bisect_left(self.starts, objects[-1].end)  # "slide it back into bay 4": what was in bay 4
            if (
                i < len(self.phrases)
                and self.phrases[i].location
                and self.phrases[i].type == "slot"
                and _BACK_INTO.fullmatch(sent, objects[-1].end, self.phrases[i].start)
            ):
                comps = self.phrases[i].comps
            elif action in _PHYSICAL_BACK and not self.phrases[i:] and not sent.rstrip().endswith("?"):
                comps = self.sole_unhealthy  # "honestly? i'd just stick it back in." on a failed-drive case
        if len(objects) == 1 and objects[0].type == "pronoun" and self.phrases[-1].start > objects[0].end:
            appos = self.phrases[-1]  # "press that one back in, the amber one in slot 2": named at the end
            if re.fullmatch(r"[^,;:.!?()]*,\s*", sent[objects[0].end : appos.start]) and re.fullmatch(
                r"\s*[.!?]*\s*", sent[appos.end :]
            ):
                comps = appos.comps
        if objects and (exc := _EXCEPT.match(sent, objects[-1].end)):  # "all fans except fan 2"
            for p in self.phrases[bisect_left(self.starts, exc.end()) :]:
                if p.start > exc.end() + 40:
                    break
                comps -= p.comps
        if objects:
            head = objects[0]
            gerund = word.endswith("ing") or re.search(r"\b(?:a|an|the|another)\s+$", lead)
            rest = sent[head.end : min(self._first_at_or_after(self.strong_starts, head.end), head.end + 200)]
            if gerund and _CLAUSE_START.fullmatch(lead) and (_HARM.match(rest) or _RISK.search(rest) or self.refused):
                return frozenset(), action  # "reseating the failed drive will not help"
            if action is not ActionKind.FORCE_ONLINE and (
                _CABLE_BEFORE.search(sent, max(v_end, head.start - 80), head.start) or _CABLE_AFTER.match(rest)
            ):
                action = ActionKind.RESEAT_CABLE
        elif not named and not strict:  # no object named: "please reseat and check", "X should be reseated"
            obj = (match.groupdict().get("obj") or "").split()
            next_token = _NEXT_TOKEN.match(sent, v_end)
            assert next_token is not None  # _NEXT_TOKEN matches the empty string too
            nxt = next_token[1] or ""
            if passive or (all(w in _BARE_OBJ for w in obj) and (nxt in _IMPLICIT_NEXT or not nxt.isalnum())):
                comps = self.entity_before(v_start)
        if passive or ((word in ("go", "goes", "going") or word.endswith(" be")) and not objects):
            comps |= self.entity_before(v_start)  # "fan 2 needs to go back into its bay", "psu 2 must be back in"
        if (
            word.startswith(("power", "turn", "switch"))
            and re.fullmatch(r"\w+\s+(?:up|on)", match[0])
            and self.phrase_ends_at(v_start)
        ):
            return frozenset(), action  # "even if it powers up": the part is the subject, nobody acts
        if (
            word.startswith(("swap", "exchang"))
            and objects
            and (swap := re.match(r"\s+with\s+", sent[objects[-1].end :]))
        ):
            partner = bisect_left(self.starts, objects[-1].end + swap.end())
            if partner == len(self.phrases) or self.phrases[partner].type == "other":
                return frozenset(), action  # "swap the failed drive with the replacement" is the replacement
        if word.startswith("install") and action is not ActionKind.RESEAT_CABLE:
            action = ActionKind.INSTALL_COMPONENT
        return comps, action


_Reading = tuple[re.Match[str], ActionKind, bool, bool]  # a verb's match, then as in _VERBS


def _verb_matches(sent: str) -> list[list[_Reading]]:
    """Action matches grouped by verb, longest reading first: "insert again the psu in ..." is
    read as "insert ... in" (elsewhere) and, if that names no part, as "insert again"."""
    found: list[_Reading] = [
        (m, action, packaging, strict) for pattern, action, packaging, strict in _VERBS for m in pattern.finditer(sent)
    ]
    found.sort(key=lambda f: (f[0].start(), f[0].start() - f[0].end()))  # stable: earlier pattern wins a tie
    groups: list[list[_Reading]] = []
    for f in found:
        if groups and f[0].start() == groups[-1][0][0].start():
            groups[-1].append(f)
        else:  # a verb inside a longer reading is read too: "need you to [get it back into] the chassis"
            groups.append([f])
    return groups


def scan_reply(
    text: str,
    components: Sequence[ComponentFacts],
    asset: AssetFacts | None = None,
    rules: Sequence[SafetyRule] = DEFAULT_RULES,
) -> list[Finding]:
    """Blocked instructions found in ``text``; an empty list means the text is safe."""
    components = tuple(components)
    if not components or not text.strip():
        return []
    vocab = _Vocabulary(components)
    findings: list[Finding] = []
    seen: set[tuple[int, str, ActionKind]] = set()
    previous: frozenset[int] = frozenset()
    topic = False  # whether anything has been named yet
    named_any = False  # whether any part was named, even in a status line about healthy parts
    excerpts = split_sentences(text)
    quoted_lines, pos = [], 0  # "> can we put it back in? Do we need a new one?": the customer's lines, quoted
    for excerpt in excerpts:
        start = text.find(excerpt, pos)
        line_start = text.rfind("\n", 0, start) + 1
        quoted_lines.append(text[line_start:].lstrip().startswith(">"))
        pos = start + len(excerpt)
    last_deed: tuple[ActionKind, frozenset[int]] | None = None  # the last action named, done or asked
    for number, excerpt in enumerate(excerpts):
        following = normalise(excerpts[number + 1]) if number + 1 < len(excerpts) else ""
        preceding = normalise(excerpts[number - 1]) if number else ""
        refused = bool(_REFUSAL_ANSWER.fullmatch(preceding)) if number else False
        sentence = _Sentence(
            normalise(excerpt), vocab, previous, following, topic, refused, preceding, first_naming=not named_any
        )
        named_any = named_any or bool(sentence.anchors)
        answered = bool(_AFFIRM.match(following))
        quoted = quoted_lines[number]
        for redo in _REDO.finditer(sentence.text):  # "you reseated bay 4 on monday. please do it once more"
            if last_deed is not None and not sentence.negated(redo.start()):
                redone = last_deed[1]
                if with_ := _REDO_WITH.match(sentence.text, redo.end()):  # "try that with psu 2": on that part
                    i = bisect_left(sentence.starts, with_.end())
                    if i < len(sentence.phrases) and sentence.starts[i] == with_.end():
                        redone = sentence.phrases[i].comps
                for index in sorted(redone):
                    decision = evaluate(last_deed[0], components[index], asset, rules)
                    key = (number, components[index].serial, last_deed[0])
                    if not decision.allowed and key not in seen:
                        seen.add(key)
                        findings.append(Finding(decision, components[index], excerpt, last_deed[0]))
        negated_at: list[int] = []
        for readings in _verb_matches(sentence.text):
            verb_start = readings[0][0].start()
            if sentence.negated(verb_start) or (negated_at and sentence.negation_carries(negated_at[-1], verb_start)):
                negated_at.append(verb_start)
                continue
            comps: frozenset[int] = frozenset()
            action = readings[0][1]
            for match, reading, packaging, strict in readings:
                deed, deed_action = sentence.targets(match, reading, packaging, strict, as_instruction=True)
                if deed:
                    last_deed = (deed_action, deed)
                comps, action = (
                    (frozenset(), reading) if quoted else sentence.targets(match, reading, packaging, strict)
                )
                if not comps and answered and (quoted or sentence.asks(match)):
                    comps, action = sentence.targets(match, reading, packaging, strict, as_instruction=True)
                if comps:
                    break
            for index in sorted(comps):
                decision = evaluate(action, components[index], asset, rules)
                key = (number, components[index].serial, action)
                if not decision.allowed and key not in seen:
                    seen.add(key)
                    findings.append(Finding(decision, components[index], excerpt, action))
        if sentence.anchors and not (
            _HEALTHY_STATUS.search(sentence.text)
            and not any(components[i].unsafe for a in sentence.anchors for i in a.comps)
        ):
            topic = topic or not all(a.orphan for a in sentence.anchors)
            previous = sentence.anchors[-1].comps  # a status line about healthy parts leaves the topic as it was
    return findings
