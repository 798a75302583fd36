"""Whether an action found in a sentence is asked for, or narrated, reported, hypothetical
or talked out of: the "request" leg of the scanner, read around one verb of a
:class:`casemgr.safety.sentence._Sentence` with the cues of ``negation`` and ``statements``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import TYPE_CHECKING

from casemgr.safety.dissuasion import _DISSUADE, _DISSUADE_NEXT, _DONT_AT_END, _TEMPTING
from casemgr.safety.negation import (
    _CONSEQUENCE,
    _DID,
    _DOUBLE_NEG,
    _HYPOTHETICAL,
    _MODAL,
    _NARRATOR,
    _NEG_CUE,
    _NONE_EXISTS,
    _OWN_QUESTION,
    _PAST_QUESTION,
    _REFUSAL_AFTER,
    _REPORTED,
    _REPORTED_DEED,
    _RISK,
    _TRIED,
    _WANT_DONE,
)
from casemgr.safety.references import _Ref
from casemgr.safety.statements import (
    _ACTION_NOUN,
    _BY_ACCIDENT,
    _BY_MACHINE,
    _CONCESSIVE,
    _CONCESSIVE_CLAUSE,
    _CONSIDERED,
    _CONTROL_NAME,
    _CORRECTED,
    _DROPPED,
    _EVER,
    _FUTURE,
    _GERUND_WOULD,
    _HAS_ANYONE_TRIED,
    _HAVE_YOU,
    _IF_ACTOR,
    _IF_DONE,
    _IF_SUBJECT,
    _IGNORED_STEP,
    _LAB_DOES,
    _LET_ME_KNOW,
    _MACHINE_WILL,
    _MODAL_CONSEQUENCE,
    _NARRATED,
    _NEG_ANSWER,
    _NOMINAL_DONE,
    _NOT_FIXED_BY,
    _NOT_TO_DO_LEAD,
    _NOTHING_REQUIRES,
    _OTHERS_WISH,
    _PAST_TIME,
    _PERFECT,
    _POLITE_ASK,
    _POSSESSOR,
    _PROCESS,
    _PROCESS_AFTER,
    _PROPOSAL,
    _QUOTED_QUESTION,
    _QUOTED_WORDS,
    _RATHER_YOU,
    _RECORD_SHOWS,
    _REFUSE_INLINE,
    _RELAYED,
    _RHETORICAL,
    _RISKED,
    _SUBJECT_OF,
    _SUGGESTED_BEFORE,
    _SUGGESTED_BY_OTHERS,
    _THANKS,
    _THEN_ASKED,
    _THEN_CONSEQUENCE,
    _TURNED_DOWN,
    _WAS_IDEA,
    _WHAT_WAS_DONE,
    _WHEN_DONE,
    _WISHED_AWAY,
    _WITHDRAWN,
    _WITNESSED,
    _WOULD_IT_HELP,
    _YOU_LEAD,
)
from casemgr.safety.verb_forms import is_gerund

#: "what if you reseated it", "what if fan 2 were reseated": the past tense of a suggestion
_WHAT_IF = re.compile(r"\bwhat if\b[^,;:.!?]*$")

if TYPE_CHECKING:
    from casemgr.safety.sentence import _Sentence


_MODAL_FIRST = re.compile(
    r"\b(?:could|can|would|will|should|shall|may|might|must)\s+"
    r"(?:(?!(?:have|had|not|never|if|when|that|happen)\b)[\w'-]+\s+){1,4}$"
)  # "could the site team put it back in?": a modal before the subject, so "put" is not a past tense


def not_an_instruction(
    sentence: _Sentence, match: re.Match, lead: str, word: str, past: bool, passive: bool, wanted: _Ref | None
) -> bool:
    """The action is narrated, reported, hypothetical or talked out of, not asked for."""
    sent, v_start, v_end = sentence.text, match.start(), match.end()
    if _LET_ME_KNOW.search(sent, 0, v_start):
        return False  # "let me know when you've reseated the dead supply": the deed is asked for
    did = _DID.search(lead) and not re.search(r"\byet\b", sent[v_end : v_end + 80])  # "did you try it yet?"
    asked_in_past_form = bool(
        _WHAT_IF.search(lead) or _RATHER_YOU.search(sent, 0, v_start) or _WOULD_IT_HELP.search(sent, 0, v_start)
    )
    if asked_in_past_form:
        past = did = False  # "what if you reseated it and let the controller retry?": a past form, a suggestion
    if (
        (past or word in ("put", "set"))
        and not _WHAT_IF.search(lead)
        and re.search(r"\b(?:was|were|been)\s+(?:\w+ly\s+)?$", lead)
    ):
        return True  # "the removed drive was put back in on saturday", "has fan 2 been put back in since?"
    if word in ("put", "set") and _YOU_LEAD.search(lead) and _PAST_TIME.match(sent, v_end):
        return True  # "any reason you put it back in yesterday?"
    if _WHAT_WAS_DONE.match(sent) or (
        (past or word in ("put", "set")) and _WHEN_DONE.search(lead) and _THEN_ASKED.match(sent, v_end)
    ):
        return True  # "which did you do first: reseat the cord or the supply?", "when you put it back, did it ...?"
    if _HAS_ANYONE_TRIED.match(sent, 0, v_start) and sent.rstrip().endswith("?") and _EVER.search(sent, v_end):
        return True  # "has anyone tried reseating fan 2 since monday?"
    if _CONTROL_NAME.match(sent, v_end) and re.search(r"\b(?:a|an|the)\s+['\"]?$", lead):
        return True  # "if you see a 'force online' option for bay 4, do not click it"
    if (
        (past or word in ("put", "set"))
        and _HAVE_YOU.match(sent, 0, v_start)
        and sent.rstrip().endswith("?")
        and _EVER.search(sent, v_end)
    ):
        return True  # "have you put the failed drive back in at any point since tuesday?"
    if _GERUND_WOULD.match(sent, 0, v_start) or _WITNESSED.search(lead):
        return True  # "using it as a spare would put a bad disk back in the pool", "we've seen customers reinsert"
    if (
        _PROCESS.fullmatch(word)
        and re.search(r"\b(?:the|a|an|this|that|its|any|another|on|during|upon)\s+$", lead)
        and not _PROCESS_AFTER.match(sent, v_end)
    ):
        return True  # "it can make the rebuild fail": the process, not a request for it
    if word.endswith("s") and re.search(r"\b(?:two|three|four|several|many|multiple|repeated|\d+)\s+$", lead):
        return True  # "that's two reseats on fan 2 now": counted, so done
    if _LAB_DOES.search(sent, 0, v_start):
        return True  # "our lab will reinstall it in a test filer", "who told you to reinsert it?"
    if _WISHED_AWAY.search(lead):
        return True  # "the last thing we want is that drive back in", "we might have suggested reseating it"
    if _NOTHING_REQUIRES.search(sent, 0, v_start) or (_IF_ACTOR.search(lead) and _BY_ACCIDENT.match(sent, v_end)):
        return True  # "nothing in this plan involves reinserting it", "if you reinsert it by mistake, ..."
    if re.match(r"^\W*why not\b", sent) and re.match(r"\W*because\b", sentence.following):
        return True  # "why not reseat it? because ecc errors that persist after a reseat point to ..."
    if _NOT_TO_DO_LEAD.match(sent, 0, v_start) or _RECORD_SHOWS.search(lead) or _NOT_FIXED_BY.search(lead):
        return True  # "three things not to do: ...", "the log has fan 2 re-enabled", "doesn't go away with a reseat"
    if _IGNORED_STEP.search(sent, 0, v_start):
        return True  # "ignore step 2 of the earlier script (reseat fan 2)"
    if _MACHINE_WILL.search(lead) or (passive and _BY_MACHINE.match(sent, v_end)):
        return True  # "the bmc may try to re-enable fan 2 automatically", "... can be accepted back by the controller"
    tried = _TRIED.search(lead)  # "the customer tried putting it back in"
    if wanted is None and (
        (past and not passive)
        or did
        or tried
        or (
            word in ("put", "set")
            and _NARRATOR.search(lead)
            and not asked_in_past_form
            and not (_MODAL_FIRST.search(lead) and not re.search(r"\bwhy\b", lead))  # "could the site team put it
        )  # back in?" asks, as "could you" does
        or (word in ("put", "set") and re.search(r"\b(?:have|has|had|'ve)\s+(?:\w+ly\s+)?$", lead))
    ):
        return True  # narration: "the customer reseated it", "they put it back yesterday"
    if (is_gerund(word) or past) and _REPORTED_DEED.search(sent, 0, v_start) and not passive:
        return True  # "you told us you had another go, fitting it back in"
    if (_NONE_EXISTS.search(lead) and not _DOUBLE_NEG.search(lead)) or (
        _HYPOTHETICAL.search(lead) and (_RISK.search(sent, v_end) or _RISK.search(sentence.following))
    ):
        return True  # "there is no setting that can re-enable it", "if you were to ..., it could"
    if _IF_DONE.search(lead) or (_IF_SUBJECT.search(lead) and _PERFECT.match(match[0])):
        return True  # "if you have already put it back in, pull it out again": taken as done
    if (
        _REPORTED.search(lead)
        and not _POLITE_ASK.search(lead)
        and not (
            (relayed := _RELAYED.search(lead))
            and relayed["who"] != "you"
            and not (_REFUSAL_AFTER.search(sent, v_end) or _REFUSAL_AFTER.search(sentence.following))
        )
    ):
        return True  # "the customer asked whether to reseat it" (not "l3 asked if you could reseat it")
    if _QUOTED_QUESTION.search(sent, 0, v_start):
        return True  # 'the customer asked: "can we just reseat it?"'
    if _RHETORICAL.search(sent, 0, v_start) or _CONCESSIVE.search(lead) or _CONCESSIVE_CLAUSE.search(sent, 0, v_start):
        return True  # "why would we reseat it?", "even if it comes back after a reseat"
    if (_IF_ACTOR.search(lead) and _THEN_CONSEQUENCE.match(sent, v_end)) or _RISKED.search(lead):
        return True  # "if you put it back in, the bmc may throttle the cpus", "it risks a rebuild onto it"
    if (_QUOTED_WORDS.search(lead) and (_CORRECTED.search(sent, v_end) or _CORRECTED.search(sentence.following))) or (
        re.search(r":\s*$", sent[:v_start]) and _CORRECTED.search(sent, v_end)
    ):
        return True  # "i wrote 'reseat bay 4' but i meant the cable"
    if _POSSESSOR.search(lead) and not _MODAL.search(sent, v_end):
        return True  # "your reseat of bay 4 last night is in the log"
    if (sent.rstrip().endswith("?") and _NEG_ANSWER.match(sentence.following)) or _REFUSE_INLINE.search(sent, v_end):
        return True  # "reseat psu 2? no, it's dead", "re 'can we reseat it': no"
    if sentence.refused and (
        is_gerund(word) or ((passive or past) and re.search(r"\b(?:when|if|once|whenever|after)\b", lead))
    ):
        return True  # "> can we put it back? / no, please don't. / it can fault the bus when it's reinserted."
    if _THANKS.search(lead) and not (_FUTURE.search(lead) or _FUTURE.search(sent, v_end)):
        return True  # "thanks for reseating bay 4 yesterday"
    if re.search(r"\b(?:a|an|the|this|that|another|one)\s+$", lead) and _NOMINAL_DONE.match(sent, v_end):
        return True  # "a reseat was attempted by the on-site team at 09:40"
    if _ACTION_NOUN.match(sent, match.end("v")) and not re.search(r"\b(?:the|a|an|this|that)\s+$", lead):
        return True  # "reseat count on bay 4: 3" (not "reseat the procedure ...")
    if _PROPOSAL.search(lead) and (_RISK.search(sent, v_end) or _TURNED_DOWN.search(sent, v_end)):
        return True  # "your proposal to reseat psu 2 is declined"
    if (_CONSIDERED.search(lead) or _WAS_IDEA.match(sent, v_end)) and (
        _DROPPED.search(sent, v_end) or _DROPPED.match(sentence.following) or _RISK.search(sentence.following)
    ):
        return True  # "we considered reseating it but L3 vetoed it"
    if (
        not past
        and (subject := _SUBJECT_OF.match(sent, v_end))
        and (subject[0].strip() or _MODAL_CONSEQUENCE.match(sent, v_end))
    ):
        return True  # "reseat won't change anything", "reinserting would only trigger another fault"
    if _CONSEQUENCE.search(lead):
        return True  # "reinserting it could put it back in the group", "it lets the controller use it again"
    q_start = sentence.last_at_or_before(sentence.strong_ends, v_start)
    if (
        sent.rstrip().endswith("?")
        and _PAST_QUESTION.match(sent, q_start)
        and not re.search(r"\byet\b", sent[v_end:])
        and not _MODAL.search(sent, q_start, v_start)
    ):
        return True  # "did the power event come first, or the reseat of psu 2?"
    if _SUGGESTED_BEFORE.search(lead) and (
        _WITHDRAWN.search(sent, v_end)
        or _WITHDRAWN.search(sentence.following)
        or _REFUSAL_AFTER.search(sentence.following)
    ):
        return True  # "the reseller suggested refitting it. we've asked them not to"
    if (_SUGGESTED_BY_OTHERS.search(sent, 0, v_start) or _OTHERS_WISH.search(lead)) and (
        _REFUSAL_AFTER.search(sent, v_end) or _REFUSAL_AFTER.search(sentence.following)
    ):
        return True  # "if anyone suggests putting it back in, say no"
    return bool(
        _DONT_AT_END.search(sent, v_end)
        or (
            (_DISSUADE.search(sent, v_end) or _DISSUADE_NEXT.match(sentence.following))
            and (_TEMPTING.search(lead) or _TEMPTING.search(sent, v_end))
        )
    )  # "tempting ..., but please don't"


def asks(sentence: _Sentence, match: re.Match) -> bool:
    """The action is the customer's question, reported or quoted ("you asked whether to reseat it")."""
    start = match.start()
    lead = sentence.text[max(sentence.last_at_or_before(sentence.clause_cuts, start), start - 300) : start]
    before = sentence.text[:start]
    return any(p.search(lead) for p in (_REPORTED, _OWN_QUESTION)) or any(
        p.search(before) for p in (_OWN_QUESTION, _QUOTED_QUESTION)
    )


def wanted_done(sentence: _Sentence, v_start: int) -> _Ref | None:
    """The part right before a participle that someone wants done: "wants the failed fan reseated"."""
    i = bisect_left(sentence.starts, v_start) - 1
    if i < 0 or sentence.phrases[i].location:
        return None
    phrase = sentence.phrases[i]
    if not re.fullmatch(r"\s*(?:to be\s+|to get\s+)?", sentence.text[phrase.end : v_start]):
        return None
    want = _WANT_DONE.search(sentence.text, max(0, phrase.start - 16), phrase.start)
    if want and want[0].startswith(
        "with"
    ):  # "never run it with psu 2 reseated", "it booted with ...": negated or narrated
        clause = sentence.last_at_or_before(sentence.strong_ends, phrase.start)
        if _NEG_CUE.search(sentence.masked, clause, want.start()) or _NARRATED.search(
            sentence.masked, clause, want.start()
        ):
            return None
    return phrase if want else None
