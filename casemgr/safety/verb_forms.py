"""Word forms of the actions that put a part back in service, as regex alternatives.

Every inflection and common misspelling of "reseat", "reinsert", "mark good"... built once by
``_forms``; ``casemgr.safety.actions`` assembles them into the verb patterns.
"""

from __future__ import annotations

import re

from casemgr.safety.part_words import _words
from casemgr.safety.rules import ActionKind

_W = r"(?:[\w#'/.]+|\([\w#'/. -]{1,40}\))"  # one word, never across punctuation, or "(zk1234abc)"
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
    "keep": ("keep", "keeps", "keeping", "kept"),
    "give": ("give", "gives", "giving", "gave", "given"),
    "make": ("make", "makes", "making", "made"),
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


def is_gerund(verb: str) -> bool:
    """ "reseating", "bringing": a gerund or participle, but never the verb "bring" itself."""
    return verb.endswith("ing") and verb.split()[0] not in ("bring", "brings")


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
    "rerack",
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
    "reenergise",
    "reenergize",
    "repower",
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
    "reuse",
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
# narration unless passive ("should be reseated", "could be kept as a spare"); "need" is no past tense
_PAST = re.compile(r"(?:(?<!\bne)(?<!\bfe)(?<!\bse)(?<!\bspe)ed|brought|slid|stuck|took|taken|kept|held|gave|given)$")
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
    r"|readd|rejoin|(?:state|set)\s+(?:healthy|good|optimal|active)))\b"
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
    r"\b(?:other|another|different|second|spare|test|lab|identical|neighbouring|neighboring|sister|dev|staging)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:chassis|servers?|filers?|nodes?|machines?|hosts?|box|boxes|systems?|units?|arrays?)\b"
    r"|\banother\s+[a-z]+\s?\d+\b"
)  # "another flr 3300": a model number
_AWAY = re.compile(
    rf"(?:\s+{_W}){{0,8}}?\s+(?:in|into|inside|on|onto|to)\s+(?:[\w']+\s+){{0,3}}?"
    rf"{_OTHER_MACHINE.pattern}"
)
_THERE = re.compile(rf"(?:\s+{_W}){{0,8}}?\s+(?:there|elsewhere)\b")
# "does it spin at power-on?": a power verb after a preposition is the event, not an instruction
_AT_EVENT = re.compile(r"\b(?:at|on|after|during|upon|before|since|until|till|every|each)\s+$")
