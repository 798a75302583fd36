"""What an action is done to when it is not the part: packaging, containers, cables.

Patterns only, used by ``casemgr.safety.sentence`` ("put it back in its bag", "reseat the
power cord on PSU 1", "the failed supply goes back in it" with the box just named).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PACKAGING = re.compile(
    r"\s+(?:in|into|inside|on|to)\s+(?:(?:the|its|a|an|their|original)\s+)?(?:[\w'-]+\s+){0,2}?"
    r"(?:box|bag|packaging|package|packing|carton|container|shipper|sleeve|shelf|envelope|clamshell|pouch|foam"
    r"|wrapper|tote|crate|return kit|shipping box|esd bag|anti static bag|antistatic bag|sleeve|mailer"
    r"|quarantine|quarantined state"  # "put it back into quarantine": out of service again
    r"|manifest|returns list|rma list|paperwork|tracker|bin|returns bin|returns cage"
    r"|shipment|consignment|parcel|courier)\b"  # "the ssd can go back in the same shipment"
)
# "find the original packaging? the failed supply goes back in it": "it" is the packaging
_CONTAINER = re.compile(
    r"\b(?:box|bag|packaging|package|packing|carton|container|shipper|envelope|clamshell|pouch|mailer|crate)\b"
)
_IN_IT = re.compile(r"(?:\s+back)?\s+(?:in|into|inside)\s+(?:it|them)\b")
_ENDS_IN, _IT = re.compile(r"\b(?:in|into|inside)\s*$"), re.compile(r"\s*(?:it|them)\b")  # "go back in| it"
_FOR_RETURN = re.compile(r"^[^.;!?]*\bfor (?:the |its |a )?(?:return|shipping|shipment|courier|rma|pickup)\b")
# "back into the shelf as a spare": the shelf is the machine, the part goes back to work
_AS_SPARE = re.compile(
    r"\s*,?\s*(?:as|for)\s+(?:an?\s+|the\s+)?(?:(?:hot|cold|global)[ -]?)?spare\b|\s+with the spares\b"
    r"|[^.;]*\bso (?:it|they) can be (?:used|reused)\b"
)
# a shelf of drives is not a box, nor is the shelf a drive goes "into" (but "on the returns shelf" is a shelf)
_ENCLOSURE = re.compile(
    r"\b(?:expansion|disk|drive|storage|jbod)\s+shelf\b"
    r"|\b(?:in|into|inside)\s+(?:the|its|that)\s+(?:(?!returns|rma|spares?|storage)\w+\s+)?shelf\b"
    r"|\b(?:in|into|inside)\s+(?:another|a different|a second|an empty|a free)\s+"
    r"(?:(?!returns|rma|spares?|storage)\w+\s+)?shelf\b|\b(?:in|into|inside)\s+shelf\s+\d+\b"
)  # "install it in another shelf", "into shelf 2": a disk shelf, where a drive runs
_CABLE = r"(?:cables?|cords?|connectors?|leads?|wires?|harness(?:es)?)"
# "the cable on X", "X's power cord": the action is on a cable, not on the part
_CABLE_BEFORE = re.compile(
    rf"\b{_CABLE}(?:\s+(?:on|of|to|for|at|from|into|in|back|the|its|it|between|connecting"
    rf"|linking|behind))*\s*$"
)
# "acknowledge the drive-failure alert", "clear the fan 2 alarm": the alert, not the part
_ALERT_AFTER = re.compile(
    r"(?:-|\s+)(?:(?:failure|fault|rpm|zone|health|status|speed|temperature|email|e-mail|sms|snmp)\s+){0,2}"
    r"(?:alerts?|alarms?|notifications?|warnings?|pages?)\b"
)
# "psu 2's power cord", "the fan 2 cable"; not "reseat psu 2 with the cord unplugged": there the part moves
_CABLE_AFTER = re.compile(
    rf"(?:'s)?(?:\s+(?!(?:and|then|or|with|without|while|after|before|using|once)\b)[\w']+){{0,3}}?\s+{_CABLE}\b"
    r"|\s+(?:power\s+|pwm\s+)?headers?\b"  # "the fan power header" (not "reconnect the fan to its header")
)
_BACK_INTO = re.compile(r"\s+(?:(?:gently|firmly|carefully|straight|right)\s+)?back\s+(?:in|into)\s+(?:the\s+)?")
# "re-seat the drive caddy of the replacement": a fitting of another part, named after it
_FITTING_OF = re.compile(
    r"\s+(?:caddy|carrier|tray|sled|bracket|latch|handle|bezel|cover|lever|clip|screws?|rails?|frame|blank)"
    r"\s+(?:of|on|from|for)\s+"
)


def fitting_of_another(sent: str, end: int, other_starts: Iterable[int]) -> bool:
    """Whether what is named up to ``end`` is a fitting of a part not of the case, named right after
    it ("the drive caddy of the replacement"); ``other_starts``: where such parts are named."""
    fitting = _FITTING_OF.match(sent, end)
    return fitting is not None and fitting.end() in set(other_starts)
