"""References to a case's components in a reply: serials, slots, kinds, lists and pronouns.

The "which part" leg of the scanner (see ``casemgr.safety.text``): ``_Vocabulary`` finds the
mentions of one case's components, ``_phrases`` joins them into phrases and resolves pronouns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from casemgr.safety.part_words import (
    _AGENT,
    _ALL_KIND_WORDS,
    _ANY_KIND,
    _COMPOUND,
    _EVENT_AFTER,
    _GENERIC_SLOTS,
    _LOCATION,
    _MODS,
    _OTHER_ADJ,
    _PLURAL_PRONOUNS,
    _POSITION_WORDS,
    _PRONOUN,
    _SIZE,
    _TELEGRAPHIC,
    _UNHEALTHY_ADJ,
    _UNHEALTHY_AFTER,
    _UNHEALTHY_NOUN,
    KIND_FAMILIES,
    _words,
)
from casemgr.safety.rules import ComponentFacts
from casemgr.safety.statements import _UNWANTED
from casemgr.safety.text_normalise import normalise

# "the drive with serial ending 1234abc": the serial named by its last characters
_SERIAL_ENDING = (
    r"\b(?:serial(?: number)?|sn|s/n|one|module|unit|drive|disk|card|supply|fan|part)\s+(?:that\s+|which\s+)?"
    r"(?:ending|ends)\s+(?:(?:in|with)\s+)?[-#]?\s?"
)


def _suffixes(serial: str) -> str:
    """The serial's endings of four characters or more, longest first."""
    plain = re.sub(r"\W|_", "", serial.lower())
    return "|".join(re.escape(plain[i:]) for i in range(len(plain) - 4 + 1) if plain[i:])


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


_REMOVED_WORDS = re.compile(r"\b(?:removed|pulled|old|original|previous|ejected|kicked out|took out|taken out)\b")
_QUARANTINED_WORDS = re.compile(r"\bquarantined\b")


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
                    rf"|\b(?:(?:the|that|this|your|its|a)\s+)?{_UNHEALTHY_ADJ}\s+{_SIZE}"  # "the failed 3.84tb"
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
            (
                "kind",
                re.compile(
                    rf"^[\W_]*{_MODS}(?P<noun>{noun})\b(?!{_COMPOUND})(?=\s+(?:is|was|has|had|keeps|went|got"
                    r"|(?!(?:need|feed|seed|speed|bleed|embed)\b)\w+ed)\b)"
                ),
            ),  # "> nvram card quarantined after ecc errors": a status line drops the article too
        )
        self.by_component = []
        bare: dict[str, int] = {}  # "unfail 4", "the one in 4": a slot number alone, when one part has it
        for comp in components:
            number = normalise(comp.slot).split(" ")[-1]
            if number.isdigit():
                bare[number] = bare.get(number, 0) + 1
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
                    ("serial", rf"{_SERIAL_ENDING}(?:{_suffixes(comp.serial)})\b", len(comp.serial) > 4),
                    ("slot", rf"\b{_words(*prefixes)}\s*(?:#|no\.?|number)?\s*{re.escape(slot_id)}\b", slot_id),
                    ("slot", rf"{_BARE_SLOT_BEFORE}{re.escape(slot_id)}\b{_BARE_SLOT_AFTER}", bare.get(slot_id) == 1),
                )
                if usable
            ]  # a blank serial or slot must not match everywhere

    def _by_size(self, size: str) -> frozenset[int]:
        size = size.replace(" ", "")
        return frozenset(
            i for i, c in enumerate(self.components) if size in normalise(c.part_description).replace(" ", "")
        )

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

    def _in_the_state_named(self, words: str, comps: frozenset[int]) -> frozenset[int]:
        """ "the removed drive" is the one removed, "the failed drive" the one failed in its bay, when the
        case has both (a part replaced under an earlier RMA): the refusal then names the part meant."""
        if _REMOVED_WORDS.search(words):
            wanted = {"removed"}
        elif _QUARANTINED_WORDS.search(words):
            wanted = {"quarantined", "failed"}
        else:
            wanted = {"failed", "quarantined"}
        return frozenset(i for i in comps if self.components[i].state in wanted) or comps

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
                comps = frozenset() if type_ in ("other", "pronoun") else self._by_noun(type_, noun)
                if size := m.groupdict().get("size"):  # "the failed 16gb": the unhealthy parts of that size
                    sized = self._by_size(size)
                    comps = (comps & sized) or comps
                if type_ == "unhealthy":
                    comps = self._in_the_state_named(sent[m.start() : end], comps)
                found.append(
                    _Ref(
                        m.start(),
                        end,
                        type_,
                        comps,
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
    r"|blanking plate|cover plate|plate|grommets?|feet|rubber feet|that held"
    r"|bezel|handle|screws?|rails?|label|sticker)\s+(?:from|of|for|in|out of)\s+(?:the\s+)?$"
)
_ATTACH_GAP = re.compile(  # "the drive in bay 5", "the 1100w supply in bay psu 2"
    r"\s*[(,]?\s*(?:(?:in|at|from|on|inside|of|with)\s+)?(?:(?:bay|slot|position)\s+)?"
)
# "the drive in bay 7" when bay 7 is not on the case: some other drive, not the failed one
_UNKNOWN_QUALIFIER = re.compile(
    r"\s*[(,]?\s*(?:(?:in|at|from|on|inside|of)\s+(?:drive\s+|disk\s+)?(?:bay|slot)"
    r"|(?:with\s+)?(?:serial(?: number)?|sn|s/n))\s*:?\s*(?:#|no\.?|number)?\s*\w+"
)
_PLACED = re.compile(r"\b(?:bay|slot|psu|fan|port)\s*\d")
# "after the controller flagged it": an object pronoun does not mean the subject of its own verb
_SUBJECT_VERB = re.compile(
    r"\s+(?:(?:has|had|have|just|then|also|already|later)\s+)*(?:\w+ed|ejects|rejects|reports|flags|marks|detects"
    r"|sees|shows|lists|drops|kicks|took|threw|saw|knocked|kicked)\s+"
)
# a slot number without its word: after "the one in", "from", or right after an action verb
_BARE_SLOT_BEFORE = (
    r"(?:(?<=\bone in )|(?<=\bthe one from )|(?<=\bunfail )|(?<=\breseat )|(?<=\breinsert )|(?<=\bre-seat )"
    r"|(?<=\bre-insert )|(?<=\breadd )|(?<=\bre-add ))"
)
_BARE_SLOT_AFTER = (  # then a boundary or a link word, never a noun or unit ("4 screws", "4 minutes")
    r"(?=\s*(?:[,.;:!?)]|$)|\s+(?:and|then|in|into|back|again|now|please|pls|plz|for|from|so|to|if|when|once|first"
    r"|or|with|until|asap|today|tonight|too|also|as)\b)"
)
_SLOT_OF = re.compile(r"'s\s+(?:\w+\s+)?(?:slot|bay|socket|position|port|cage|riser)s?\b")  # "in bay 5's slot"
_ACCESSORY_AFTER = re.compile(
    r"'s\s+(?:(?:power|data|sas|sata|ac|dc|ribbon)\s+)?(?:cords?|cables?|leads?|connectors?|plugs?|batter(?:y|ies)|bezel"
    r"|tray|carrier|caddy|latch|handle|bracket|cover)\b"
    r"|\s+(?:entry|record|row|line|field|label|sticker)\b"  # "the bay 4 entry on the asset spreadsheet"
    r"|\s+(?:carrier|caddy|tray|sled|bracket|grommets?)(?=\s+(?:from|off)\b)"  # "the drive carrier from zk1234abc"
)
_REPLACEMENT_FOR = re.compile(r"\s+(?:for|of)\s+")  # "the replacement [for] bay 4"
_REPLACEMENT_AFTER = re.compile(r"'s\s+(?:replacement|new (?:one|unit|part|card|drive|disk|fan|supply|module))\b")
_AWAITED = re.compile(
    r"\b(?:until|till|til|before|pending|awaiting|(?:waiting|wait) (?:for|on)|in the meantime before"
    r"|(?:before|until) (?:we|you|they|i|our \w+) (?:can |will |\w+ to )?(?:dispatch|ship|send|order|raise|book|arrange"
    r"|approve|authori[sz]e|commit to|request|get)\w*(?: you| out)?(?: (?:a|an|the|any))?)\s+$"
)  # "before we dispatch a replacement, please remove it": "it" is not the replacement
# "the replacement will show up as psu 2": the slot names where the new part is, not a part to act on
_SHOWN_AS = re.compile(
    r"\b(?:show(?:s|ed|ing)? up|appear(?:s|ed|ing)?|comes? up|came up|register(?:s|ed)?|enumerates?"
    r"|(?:be|is|are|gets?) (?:detected|listed|seen|reported|identified|recogni[sz]ed)) as\s+$"
)
#: between an unnamed "it" and the phrase that names it: "put it back: i'm talking about the psu in slot 2"
_CLARIFIED_BY = re.compile(
    r"[^,;:.!?()]*[,:;]\s*(?:(?:i'm|i am) (?:talking about|referring to|speaking of)\s+|(?:i mean|i meant|meaning"
    r"|that is|namely|specifically)\s*,?\s*)?"
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
            and not _SLOT_OF.match(sent, mentions[i + 1].end)  # "the card in [controller b]'s slot": a place
            and not (head.type == "kind" and _PLACED.search(sent, head.start, head.end))  # "the bay 4 drive in bay 5"
        ):
            i += 1  # "the drive in bay 5" is the bay 5 drive; "the failed drive in bay 4" is that one failed
            # drive when they agree, and both when they do not (the safe side)
            if qualified or head.type != "kind":
                comps = (comps & mentions[i].comps) or (comps | mentions[i].comps)
            else:
                comps = mentions[i].comps
            qualified, end = True, mentions[i].end
        if head.type == "other" and qualified:
            filled |= comps  # "if the new drive in bay 4 comes up as foreign, ... s4 set good": the new one
        if head.type == "serial":
            comps |= head.comps  # "ps9911rt in slot 1 with psu 1 removed": a serial always names its part
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
            head.type == "kind"
            and not qualified
            and _UNKNOWN_QUALIFIER.match(sent, end)
            and not _PLACED.search(sent, head.start, end)  # "reinstall the bay 4 drive in bay 6": where it goes
        ):
            comps = last if head.type == "pronoun" else frozenset()
        if head.type != "pronoun" and _EMPTY.search(sent, max(0, head.start - 12), head.start):
            comps = frozenset()  # "fit blanks on empty slots": no part there
        if head.type in ("slot", "serial", "unhealthy") and _ACCESSORY_OF.search(
            sent, max(0, head.start - 40), head.start
        ):
            comps = frozenset()  # "the drive tray from bay 4 can be reused": the tray, not the drive
        if head.type == "slot" and not qualified and comps and comps <= filled:
            comps = frozenset()  # "after the replacement is seated in bay 4: ... bay 4 set good": the new part
        location = (head.location and not qualified) or bool(_SLOT_OF.match(sent, end))  # "in fan 2's slot"
        location = location or (
            head.type == "slot" and bool(_SHOWN_AS.search(sent, max(0, head.start - 40), head.start))
        )
        if head.type in ("serial", "slot", "unhealthy", "kind") and (
            (phrases and phrases[-1].type == "other" and _REPLACEMENT_FOR.fullmatch(sent, phrases[-1].end, head.start))
            or _REPLACEMENT_AFTER.match(sent, end)
        ):
            location = True  # "the replacement for zk1234abc", "psu 2's replacement": the part replaced, not acted on
        if location and head.type == "slot" and phrases and phrases[-1].type == "other":
            filled |= comps
        # "do we need a new one?": an indefinite in a question introduces nothing "it" can point at
        weak = head.type == "other" and sent.startswith(("a ", "an "), head.start) and sent.rstrip().endswith("?")
        # "don't ship a new one yet, just reseat it": a part not to be had is no antecedent either
        weak = weak or (head.type == "other" and bool(_UNWANTED.search(sent, max(0, head.start - 40), head.start)))
        # "keep using it until the new one arrives, just reseat it": a part still awaited is no antecedent
        weak = weak or (head.type == "other" and bool(_AWAITED.search(sent, max(0, head.start - 40), head.start)))
        orphan = (
            head.type == "pronoun"
            and not topic
            and not any(not p.location and not p.weak and not p.orphan for p in phrases)
        )  # "take it out and put it back": the second "it" means no more than the first
        type_ = head.type
        if type_ != "pronoun" and (accessory := _ACCESSORY_AFTER.match(sent, end)):
            type_, comps, end = "other", frozenset(), accessory.end()  # "psu 2's cord": the cord, which "it" may mean
        phrases.append(_Ref(head.start, end, type_, comps, location, weak=weak, orphan=orphan))
        if not phrases[-1].location and not weak and comps != last:
            before_last, last = last, comps
        i += 1
    return phrases
