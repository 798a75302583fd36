"""Component serials: how they are checked when typed, and the key they are compared by.

"SSD-0000-0204", "ssd 0000 0204", "SSD/00000204", "ＳＳＤ00000204" (full-width) and
"SSD0000\u200b0204" (with a zero-width space) are one serial: what the safety guard
quarantined under one spelling it must recognise under every other, and one part must not
be installed in two assets under two spellings. So every component row (and every
quarantine-list row) carries ``serial_key``, the serial compatibility-normalised (NFKC), in
upper case, without separators or invisible characters, and every install check, lookup and
uniqueness rule compares keys. The serial itself is kept as it was typed, for people.

A serial typed with a letter or digit outside A-Z and 0-9 (a Cyrillic "С" that looks like a
Latin "C" on the label) is refused where it is typed (:func:`checked_serial`): its key would
differ from the real serial's, and nothing should look like a quarantined part without
being recognised as one.
"""

from __future__ import annotations

import re
import unicodedata

from casemgr.errors import InvalidInput

MAX_LENGTH = 64  # the columns' length
_PLAIN = re.compile(r"[0-9A-Z]")


def _ignored(char: str) -> bool:
    """Separators and invisible characters: punctuation, spaces, control and format characters."""
    return unicodedata.category(char)[0] in "PZC"


def serial_key(serial: str) -> str:
    """What serials are compared by: "ssd-0000-0204" -> "SSD00000204". Never raises."""
    return "".join(c for c in unicodedata.normalize("NFKC", serial or "").upper() if not _ignored(c))


def checked_serial(raw: str) -> str:
    """The serial as typed, tidied (NFKC, upper case, no invisible characters), for storing.

    Raises :class:`InvalidInput` when it has no letter or digit, a letter or digit outside
    A-Z and 0-9, a symbol, or more than ``MAX_LENGTH`` characters."""
    text = "".join(
        c for c in unicodedata.normalize("NFKC", raw or "").upper() if unicodedata.category(c) not in ("Cf", "Cc")
    ).strip()
    odd = next((c for c in text if not _PLAIN.fullmatch(c) and not _ignored(c)), None)
    if odd is not None:
        raise InvalidInput(
            f"Serial {text!r} has the character {odd!r}: serials use the letters A-Z, digits and separators."
        )
    if not serial_key(text):
        raise InvalidInput("A serial number needs at least one letter or digit.")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"A serial number can be at most {MAX_LENGTH} characters.")
    return text
