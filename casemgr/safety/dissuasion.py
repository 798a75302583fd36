"""Cues that a reply talks the reader out of an action it names: "I know it's tempting to
reseat it, but please don't", "..., please don't.", "we must advise against it".

Part of the "request" leg of the scanner, beside ``negation`` and ``statements``; applied by
``casemgr.safety.mood``.
"""

from __future__ import annotations

import re

# "I know it's tempting to reseat it, but please don't": the reply talks the customer out of it
_TEMPTING = re.compile(
    r"\btempt\w*|\bleft to (?:himself|herself|themselves|yourself|their own devices)|\binstinct\w*"
    r"|\byou (?:may|might) (?:think|want|be tempted)|\bi (?:know|understand|appreciate|reali[sz]e|get|see)\b"
    r"|\byou(?:'d| would) (?:like|love|prefer|rather)\b|\byou (?:want|wish|hope|plan|intend|mean)\w* to\b"
)
# the next sentence talks them out of it: "... tempting to lift the quarantine. Please don't: ..."
# "we must advise against it", "i'd recommend against that": the speaker talks them out of it
_ADVISE_AGAINST = (
    r"(?:we|i)(?:'d|'ll| would| will| must| have to| need to| can only| really| strongly)*\s+(?:advise|recommend"
    r"|argue|caution|counsel|warn)\s+against"
)
_DISSUADE_NEXT = re.compile(
    rf"\s*(?:but\s+)?(?:please\s+)?(?:don't|do not|never|resist|refrain|no,|{_ADVISE_AGAINST})\b"
)
# "..., please don't.": the sentence ends by talking them out of it
_DONT_AT_END = re.compile(
    r"(?:,|;|:|\s-|\bso)\s*(?:so\s+)?(?:please\s+)?(?:don't|do not)(?:\s+do (?:it|that|so))?\s*[.!]*\s*$"
)
_DISSUADE = re.compile(
    rf"(?:\bbut|\bhowever|\bthough|,)\s+(?:please\s+)?(?:don't|do not|never|resist|leave (?:it|them|the \w+)"
    r"|keep (?:it|them|the \w+) (?:out|offline|pulled|unplugged|quarantined)"
    rf"|{_ADVISE_AGAINST}"
    r"|avoid|refrain|hold off|(?:it|they|(?:the|a|an) (?:[\w-]+ ){0,3}[\w-]+) (?:stays?|remains?"
    r"|(?:must|has to|needs to|should) stay|(?:has|have) (?:really |actually )?(?:failed|died)"
    r"|(?:is|are) (?:really |actually )?(?:failed|faulty|dead|broken))"
    r"|(?:it's|that's|it is|that is) the one thing"
    r"|wait for|(?:we've|we have|i've|i have|we|i) (?:asked|told) (?:him|her|them|you|the \w+) (?:to wait|not to"
    r"|to leave|to hold off)"
    r"|(?:we|i)(?:'d| would) (?:rather|prefer) (?:you|that you|they)? ?(?:wait|didn't|did not|not|leave)"
    r"|(?:we|i) (?:can't|cannot|can not|won't|will not|don't|do not) (?:recommend|advise|support|approve|allow))\b"
)  # "i know you'd like to reseat it, but it stays out" (or "has failed"), "tempting as it is to reseat it, leave it"
