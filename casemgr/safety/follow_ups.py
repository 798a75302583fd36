"""What the next words do to an action read before them: answer it, invite it or repeat it.

"You asked whether to reseat it. Yes, go ahead", "did you try reseating it? If not, please do",
"you reseated it on Monday. Please do it once more", and the flat "No." that the sentence after
it explains. Patterns only; ``casemgr.safety.text`` applies them across sentences.
"""

from __future__ import annotations

import re

# "You asked whether to reseat it. Yes, go ahead": the answer makes the question an instruction
_AFFIRM = re.compile(
    r"[\s\"'\u2014,:-]*(?:(?:(?:our|my|the) )?answer(?: is| was)?\s*[:,-]?\s*|us\s*:\s*|a\s*:\s*)?"
    r"(?:yes|yeah|yep|yup|sure|ok|okay|correct|absolutely|of course|certainly|go ahead|please do"
    r"|that's fine|that is fine|that's ok|please go ahead|fine|by all means"
    r"|(?:tell|let) (?:him|her|them|the \w+) (?:yes|it's fine|that's fine|to go ahead)"
    r"|(?:it|you|they|that|he|she) (?:can|may|could)(?=\s*[.!;]|\s*,(?!\s*but\b)|\s+(?:go ahead|yes|now)\b))\b"
)  # "you asked whether it can go back in. it can, go ahead"
# "did you try reseating it? if not, that would be my first move": the question about the past invites it
_IF_NOT_DO = re.compile(
    r"\W*(?:if not|if you haven't|if you have not|if not yet|if nobody has|if no one has|if it hasn't been)\b"
    r"(?![^.!?]*\b(?:don't|do not|never|no need|leave|wait|hold off|not to)\b)"
    r"[^.!?]*\b(?:please|go ahead|do (?:so|it|that)|try|give it|first (?:move|step|thing)|worth|i'd|i would|we'd"
    r"|recommend|suggest|should|now|today)\b"
)
# "you asked if you could reseat it: yes, please": the answer in the same sentence
_AFFIRM_INLINE = re.compile(
    r"[:\u2014]\s*(?:yes|yeah|yep|sure|of course|certainly|absolutely|go ahead|please do|by all means)\b"
)

# "No." / "I'm afraid not." as a whole sentence: the answer to a question, explained by the next one
_REFUSAL_ANSWER = re.compile(
    r"(?:\W*(?:no|nope|no way|unfortunately not|unfortunately,? no|i'm afraid not|afraid not|definitely not"
    r"|absolutely not|certainly not|sorry,? no|please don't|please do not|best not|better not|sorry))+\W*"
)  # "no, please don't."

# "please do it once more", "repeat that": the last action named, asked again
_REDO = re.compile(
    r"\b(?:do|repeat|try)\s+(?:it|that|this|so|the same)\s+(?:again|once more|one more time|another time)\b"
    r"|\brepeat (?:it|that|the (?:reseat|reinsert\w*|procedure|step))\b"
    r"|\b(?:feel free to|go ahead and|(?:you're|you are) welcome to|you (?:can|could|may|might want to)|please|do)"
    r"\s+(?:try|do|repeat|attempt)\s+(?:it|that|this|the same)\b"
    r"|\bgive (?:that|this|it) a (?:try|go|shot|whirl)\b"
    r"|\b(?:do|repeat|try) the same(?= (?:for|with|to|on)\b)"  # "if so, do the same for fan 2"
)  # "some sites have had luck reseating it. feel free to try that (with psu 2)": the action described, invited
_REDO_WITH = re.compile(r"\s+(?:with|on|for|to)\s+")
