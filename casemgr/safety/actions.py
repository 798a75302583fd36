"""The verb patterns of the scanner: which action each phrase is, and the clause boundaries.

The "action" leg of the scanner (see ``casemgr.safety.text``): ``_VERBS`` maps a match to an
``ActionKind``; the boundary patterns end an action's object and a negation's reach.
"""

from __future__ import annotations

import re

from casemgr.safety.rules import ActionKind
from casemgr.safety.verb_forms import (
    _A,
    _CLEAR,
    _CLI_VERB,
    _ELSEWHERE,
    _ENABLE,
    _FAULT,
    _GOOD,
    _HOLD_ON,
    _MARK,
    _OBJ,
    _OBJ_APPOS,
    _OBJ_LIST,
    _OBJ_LONG,
    _OBJ_PLACED,
    _ONLINE,
    _OTHER_MACHINE,
    _OUT_AND_IN,
    _PAREN,
    _PLACE,
    _POWER,
    _REBUILD,
    _REINSERT,
    _RESEAT,
    _REVIVE,
    _SERVICE,
    _SPARE,
    _SWAP_END,
    _forms,
)

# "the raid 6 set", "its original mirror": a redundancy group a member goes back into
_POWER_NOUN = (  # "power" as a noun's modifier: "the power cord on psu 2"
    r"(?:cords?|cables?|leads?|supply|supplies|buttons?|brick|adapters?|polic(?:y|ies)|budget|states?|rails?"
    r"|feeds?|strips?|draw|distribution|sockets?|outlets?|connectors?|led)\b"
)
_MEMBERSHIP = r"(?:the|its|their|your|our)\s+(?:[\w-]+\s+){0,3}?(?:set|group|array|pool|volume|vdev|aggregate|mirror)"

# (pattern, action, checks packaging, needs an explicit reference to an unhealthy part)
#: "swaps it on thursday", "put it on the call": "on" a day or an occasion is not a place
_ON_A_DAY = (
    r"\s+(?:(?:this|next|the|our|your)\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|arrival|site|schedule"
    r"|time|the (?:visit|call|day)|monday\w*|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b)"
)

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
    (  # "power it back on", not "the power cord on psu 2" (power as a noun's modifier)
        re.compile(rf"\b(?P<v>{_POWER})(?!(?<=power)\s+{_POWER_NOUN}){_OBJ}\s+(?:back\s+)?(?:on|up)(?:\s+again)?\b"),
        _A.FORCE_ONLINE,
        False,
        False,
    ),
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
            rf"\b(?P<v>{_forms('want', 'need', 'get', 'have')}|'d like|would like)"
            # not "have you put it back in?"
            r"(?!\s+(?:you|they|we|i|he|she|anyone|anybody|someone|somebody)\s+(?!to\b)\w)"
            r"(?!\s+(?:put|set|got|been|\w+ed)\s)"  # "should have put it back in": a perfect, not "have it back in"
            rf"{_OBJ}\s+back\s+(?:in|into|online|up)\s*"
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
    # "if the new card doesn't train, go back to the original card": the old part, in service again
    (
        re.compile(
            rf"\b(?P<v>{_forms('go', 'switch', 'fall', 'change', 'swap', 'move')}\s+back|{_forms('revert')})\s+to\b"
        ),
        _A.REINSERT_COMPONENT,
        False,
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
    # "make sure zk1234abc is back in the raid set by friday": a state to bring about
    (
        re.compile(
            r"\b(?P<v>(?:make sure|ensure|see to it)(?: that)?)\s+(?:(?!(?:not|never|isn't|aren't)\b)[\w'-]+\s+){1,4}?"
            r"(?:is|are|gets|get)\s+back\s+(?:in(?!\s+(?:its|the|a|an|their|his|her|your|our)\b)|online|up|in service"
            r"|into service|in production|in (?:its|the) (?:bay|slot|chassis|server|enclosure)"
            r"|in the (?:array|pool|group|raid group|raid set|set|aggregate))\b"
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
            r"|second|spare|free|empty|unused|open|vacant|adjacent|neighbouring|neighboring|next)\s+(?:[\w-]+\s+){0,2}?"
            r"(?:chassis|server"
            r"|filer|node|machine|host|shelf|enclosure|slot|bay|array|system|controller|box|head|unit|position|socket)"
            r"|\s+to\s+(?:(?:the\s+)?(?:slot|bay|position|socket|fan|psu|nvram slot)\s*(?:#|no\.?|number)?\s*\d+\b))"
        ),
        _A.INSTALL_COMPONENT,
        False,
        True,
    ),
    # "move the failed drive to the returns shelf": handled for its return, which ``targets`` sets aside
    (
        re.compile(
            rf"\b(?P<v>{_forms('move', 'take', 'bring', 'carry', 'walk')}){_OBJ_PLACED}(?=\s+(?:back\s+)?to\s+"
            r"(?:the\s+)?(?:returns?|rma|quarantine|defective|failed[ -]parts?|dead[ -]parts?)\s+"
            r"(?:shelf|area|bin|cage|pile|box|desk|cart|locker|dock|room|table)\b)"
        ),
        _A.INSTALL_COMPONENT,
        True,
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
        re.compile(
            rf"\b(?P<v>{_ELSEWHERE}){_OBJ_PLACED}(?=\s+(?:in|into|inside|onto)\b|\s+on\b(?!{_ON_A_DAY})"
            r"|\s+there\b|\s+elsewhere\b)"
        ),
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
    # "force fan 2 on at full speed": forced to run
    (re.compile(rf"\b(?P<v>{_forms('force')}){_OBJ}\s+(?:back\s+)?(?:on|up)\b"), _A.FORCE_ONLINE, False, False),
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
            rf"\b(?P<v>{_forms('return', 'restore', 'put', 'bring', 'place', 'get', 'add', 'readd', 'reintroduce')}"
            rf"|{_forms('force')})"
            rf"{_OBJ}{_PAREN}\s+(?:back\s+)?(?:in|into|to|onto)\s+(?:{_SERVICE}|{_MEMBERSHIP})\b"
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
    "before",
    "while",
    "tonight",
    "today",
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
