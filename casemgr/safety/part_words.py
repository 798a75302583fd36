"""The words a reply names parts with: kinds and their families, sizes, the adjectives of an
unhealthy part and of a new one, positions, pronouns and the words that stop a part's name.

Vocabulary only, for ``casemgr.safety.references`` (which part a reply means) and
``casemgr.safety.verb_forms``.
"""

from __future__ import annotations

import re


def _words(*alternatives: str) -> str:  # literal words, longest first: "power supply unit" before "power supply"
    return "(?:" + "|".join(re.escape(a) for a in sorted(alternatives, key=len, reverse=True)) + ")"


KIND_FAMILIES = (  # words that name the same kind of part
    ("drive", "disk", "disc", "ssd", "hdd", "nvme", "hard drive", "hard disk", "spindle", "flash drive"),
    ("fan", "fan module", "fan unit", "blower"),
    ("psu", "power supply", "power supply unit", "power unit", "supply", "supplies", "power supplies"),
    ("nvram", "nvram card", "nvram module", "card"),
    ("dimm", "memory module", "memory stick", "ram stick"),
    ("controller", "raid controller", "storage controller", "hba", "raid card"),
)
# a capacity or rating standing for the part: "the failed 3.84tb"
_SIZE = r"(?P<size>\d+(?:\.\d+)?\s?(?:tb|gb|mb|w|kw))\b"
# "the fan control utility", "the psu firmware": a kind word modifying another noun
_COMPOUND = (  # not "the card works after a reseat": a verb
    r"\s+(?!works\b)(?:control\s+)?(?:utility|software|tool|firmware|driver|daemon|service|curve|speed|settings?|policy"
    r"|profile|table|board|header|cables?|cords?|connector|config\w*|logs?|leds?|lights?|status|page|menu|tab"
    r"|screen|report|wall|tray|latch|cage|backplane|threshold|alarm|alert|event|sensor|redundancy|reboot|restart"
    r"|upgrade|update|failover|takeover|giveback|reset|shelf|shelves|enclosure|work|job|task|procedure|bug|glitch|quirk"
    r"|batter(?:y|ies)|bezel|bracket)s?\b"
)
_EVENT_AFTER = re.compile(
    r"\s+(?:reboot|restart|upgrade|update|failover|takeover|giveback|reset|firmware|swap|replacement|change)s?\b"
)  # "after the psu swap": an event, not the part
_ALL_KIND_WORDS = frozenset(w for fam in KIND_FAMILIES for w in fam)
_GENERIC_SLOTS = ("bay", "slot", "drive bay", "drive slot", "disk slot")
_POSITION_WORDS = ("slot", "position", "bay", "socket", "cage", "number", "no.", "#")  # "the amber one in slot 2"
_ANY_KIND = ("one", "unit", "part", "component", "device", "module", "member")
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
    "dropped out",
    "kicked out",
    "ejected",
    "dying",
    "non working",  # before "working", a healthy part's word
    "nonworking",
    "not working",
    "inoperative",
    "inoperable",
    "unresponsive",
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
    r"|(?:the|your) (?:controller|array|system|bmc|raid|filer|os|host) (?:just\s+|already\s+)?(?:kicked out|ejected"
    r"|dropped|failed|rejected|marked bad|flagged|offlined|evicted)"
    r"|with the (?:amber|red|fault|orange) (?:led|light))\b"
)
# "the culprit", "the original": nouns that name the failed part by its role
_UNHEALTHY_NOUN = re.compile(
    r"\b(?:the|that|this)\s+(?:culprit|offender|original|troublemaker|casualty|dud|lemon)\b"
    r"(?!\s+(?:firmware|fw|bios|settings?|config\w*|image|version|values?|packaging|packing|box|carton|ticket|case|plan"
    r"|order|rma|shipment|label|bag|caddy|tray|bracket|cables?|cords?|quote|email|message|request)\b)"
)  # "the original firmware" is firmware
# "into bay 4", "once the new card is in slot 1": where a part goes, not a part ("object to psu 2" is one)
_LOCATION = re.compile(
    r"\b(?:(?:is|are|sits|was|were)\s+(?:now|already|safely|securely|fully)\s+in|into|onto"
    r"|(?<!\bobject )(?<!\bobjection )(?<!\bagree )(?<!\breply )(?<!\bdue )(?<!\brelated )to"
    r"|back in|is in|are in|sits in|goes in|is seated in|in place in|home in"
    r"|it in|them in|(?<!\bthe )(?<!\bthat )(?<!\bthis )one in"  # "the new one in bay 4", not "the one in bay 4"
    r"|(?:is|are|was|were|be|been|gets?|got)\s+(?:\w+ly\s+)?\w+(?:ed|ted)\s+(?:in|into))"
    r"\s+(?:the\s+)?$"
)
_TELEGRAPHIC = "|".join(
    rf"(?<=\b{verb} )"
    for verb in ("reseat", "reinsert", "replug", "reconnect", "reinstall", "reenable", "unfail", "readd", "refit")
)
_AGENT = re.compile(r"\b(?:by|via|through|than)\s+$")  # "ejected by the controller": not what "it" means next
