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
   it"), not a harm statement ("reinserting it would put the data at risk"), not a
   dissuasion ("I know it's tempting to reseat it, but please don't"), not a prohibition
   ("stop reseating it", "don't let the night shift reinsert it"), not an option weighed
   and dropped ("we considered reseating it but L3 vetoed it"), not a statement whose
   subject is the action ("a reseat won't fix it", "if you put it back, the BMC will
   throttle") and not a question answered no ("Reseat it? No, it's dead").

Actions on healthy parts, the replacement, cables, or on packaging ("put it back in its
box") are not flagged; ``evaluate`` then decides per rule and component state. Pure:
no I/O, no model, nothing downloaded. Measured by ``bench/safety_scanner.py``.

The parts live in their own modules: ``text_normalise`` (spellings, sentences),
``part_words`` and ``references`` (which part), ``verb_forms`` and ``actions`` (which
action), ``negation``, ``statements``, ``dissuasion`` and ``objects`` (the cues that an action is not
asked for, or is done to packaging or a cable), ``mood`` (whether it is asked for) and
``sentence`` (the three, read around one verb); this module walks a reply's sentences
and keeps what carries between them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from casemgr.safety import second_opinion
from casemgr.safety.actions import _VERBS
from casemgr.safety.follow_ups import _AFFIRM, _AFFIRM_INLINE, _IF_NOT_DO, _REDO, _REDO_WITH, _REFUSAL_ANSWER
from casemgr.safety.mood import asks
from casemgr.safety.negation import _HEALTHY_STATUS
from casemgr.safety.references import _Vocabulary
from casemgr.safety.rules import DEFAULT_RULES, ActionKind, AssetFacts, ComponentFacts, Decision, SafetyRule, evaluate
from casemgr.safety.sentence import _Sentence
from casemgr.safety.statements import _DISMISSED, _KEPT_OUT, _LIST_ITEM, _LIST_NUMBER, _NEG_HEADER, only_diagnostics
from casemgr.safety.text_normalise import normalise, quoted_ranges, split_sentences


@dataclass(frozen=True)
class Finding:
    decision: Decision
    component: ComponentFacts
    excerpt: str
    action: ActionKind
    by_model: bool = False  # found by the second opinion, not by the rules


_Reading = tuple[re.Match[str], ActionKind, bool, bool]  # a verb's match, then as in _VERBS
#: "is it back in?", "did the tech put it back?": a question about how things are or were asks
#: nobody to act, whatever the n-grams say; "could you put it back?" is not one of these
STATE_QUESTION = re.compile(r"^\W*(?:is|are|was|were|has|had|did)\b.*\?\W*$")
#: "the unit has failed.", "psu 2 is dead.": a report of a part's state (read on the masked sentence)
STATE_REPORT = re.compile(
    r"^\W*(?:(?:the|this|that|your|our|its)\s+)?(?:x\w+\s+)+(?:(?:has|had|have|is|was|were|are)\s+)?"
    r"(?:(?:now|definitely|really|clearly|already)\s+)?(?:failed|dead|faulty|bad|broken|degraded|quarantined|removed"
    r"|offline|gone)\b(?:\s+(?:again|completely|for good|hard|permanently))?\s*[.!]*\s*$"
    r"|^\W*(?:x[a-z]+\W*)+$"  # "the unit that failed.": a part named, nothing said of it
)


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
    opinion: second_opinion.Model | None = None,
) -> list[Finding]:
    """Blocked instructions found in ``text``; an empty list means the text is safe.

    What the rules find; if they find nothing, what the second opinion refuses (``opinion``: the
    trained model of ``second_opinion`` unless another is given).
    """
    components = tuple(components)
    if not components or not text.strip():
        return []
    findings, declined = _read_by_rules(text, components, asset, rules)
    if findings or not any(c.unsafe for c in components):
        return findings  # the model knows only replies about putting an unhealthy part back
    return _second_opinion(text, components, asset, rules, declined, opinion or second_opinion.model())


def _second_opinion(
    text: str,
    components: tuple[ComponentFacts, ...],
    asset: AssetFacts | None,
    rules: Sequence[SafetyRule],
    declined: frozenset[int],
    model: second_opinion.Model,
) -> list[Finding]:
    """Refusals of a reply the rules let through, when the model is confident it is unsafe: on the
    unhealthy parts it names (all of the case's, if it names none), shown with its likeliest sentence.

    Not when the rules read that very sentence's action and found it not asked for ("nobody needs
    to reinsert the failed drive", "you asked if you could reseat PSU 2", "push it back in, the new
    drive I mean"): a bag of n-grams weighs "reinsert the failed drive" the same in all of them,
    while the rules see what a negation, a past tense or an apposition governs. The model is there
    for the wording or the part reference the rules do not know; it never overrules their reading,
    nor refuses a question about how things are ("is it back in?").
    ``scripts/train-safety-model --simulate`` measures what this costs on fresh text."""
    sentences = second_opinion.read(text, components)
    if not sentences or model.probability(second_opinion.join(sentences)) < model.refuse_at:
        return []
    likeliest = max(range(len(sentences)), key=lambda n: model.probability(sentences[n].masked))
    if defers(sentences, likeliest, declined):
        return []
    named = sentences[likeliest].unhealthy or frozenset().union(*(s.unhealthy for s in sentences))
    meant = sorted(named) or [i for i, c in enumerate(components) if c.unsafe]
    action = ActionKind.REINSERT_COMPONENT
    decisions = [(components[i], evaluate(action, components[i], asset, rules)) for i in meant]
    excerpt = sentences[likeliest].excerpt
    return [Finding(d, c, excerpt, action, by_model=True) for c, d in decisions if not d.allowed]


def defers(sentences: Sequence[second_opinion.MaskedSentence], likeliest: int, declined: Collection[int]) -> bool:
    """Whether the model's likeliest sentence is one the rules have read: its action found not asked
    for, a question or a report about how things are, or only a pronoun for what the sentence before
    it, read and found not asked for, was about ("the firmware may power psu 2 back on; just watch
    for it"); or whether the reply is a word or two that name no part and no action ("Hello")."""
    sentence = sentences[likeliest]
    return (
        _says_nothing(sentences)
        or likeliest in declined
        or bool(STATE_QUESTION.match(normalise(sentence.excerpt)))
        or bool(STATE_REPORT.match(sentence.masked))
        or (likeliest - 1 in declined and second_opinion.only_pronouns(sentence))
    )


def _says_nothing(sentences: Sequence[second_opinion.MaskedSentence]) -> bool:
    """A greeting: one or two words, no part, no action (a reply in another language
    names neither, yet says something, so length counts too)."""
    if sum(len(s.masked.split()) for s in sentences) >= 3:
        return False
    return not any(second_opinion.mentions(s) or _verb_matches(normalise(s.excerpt)) for s in sentences)


def rule_findings(
    text: str,
    components: tuple[ComponentFacts, ...],
    asset: AssetFacts | None = None,
    rules: Sequence[SafetyRule] = DEFAULT_RULES,
) -> list[Finding]:
    """What the rules alone refuse."""
    return _read_by_rules(text, components, asset, rules)[0]


def _read_by_rules(
    text: str,
    components: tuple[ComponentFacts, ...],
    asset: AssetFacts | None,
    rules: Sequence[SafetyRule],
) -> tuple[list[Finding], frozenset[int]]:
    """The rules' refusals, and the sentences (by number) in which they read an action and found it
    not asked for: negated, or read with what it acts on but narrated, questioned, weighed, done to
    a healthy part, ..."""
    vocab = _Vocabulary(components)
    findings: list[Finding] = []
    declined: set[int] = set()  # sentences whose action the rules read as not asked for
    after_healthy_status = False  # the sentence before reported healthy parts ("psu 1 is fine.")
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
    not_to_do = False  # under a "don't:" header, in its list
    for number, excerpt in enumerate(excerpts):
        following = normalise(excerpts[number + 1]) if number + 1 < len(excerpts) else ""
        preceding = normalise(excerpts[number - 1]) if number else ""
        refused = bool(_REFUSAL_ANSWER.fullmatch(preceding)) if number else False
        named_next: frozenset[int] = frozenset()
        if (
            following
            and (len(following.split()) <= 8 or re.match(r"\W*(?:i mean|i meant|meaning|that is)\b", following))
            and not any(p.search(following) for p, *_ in _VERBS)
        ):
            fragment = _Sentence(following, vocab, frozenset(), topic=True)  # "the nvram one, slot 1."
            named_next = fragment.anchors[0].comps if fragment.anchors else frozenset()
        sentence = _Sentence(
            normalise(excerpt),
            vocab,
            previous,
            following,
            topic,
            refused,
            preceding,
            first_naming=not named_any,
            named_next=named_next,
        )
        named_any = named_any or bool(sentence.anchors)
        answered = bool(_AFFIRM.match(following))
        # "did you try reseating it? if not, please do": a question about the deed, then the invitation
        invited = sentence.text.rstrip().endswith("?") and bool(_IF_NOT_DO.match(following))
        quoted = quoted_lines[number]
        deed_before = last_deed  # what a "do it again" here repeats, unless this sentence names a deed first
        deeds_here: list[tuple[int, ActionKind, frozenset[int]]] = []
        negated_at: list[int] = []  # where this sentence's negated actions start
        understood = False  # whether the rules read an action here: what it acts on, or that it is not asked
        verbs = _verb_matches(sentence.text)
        listed = bool(_LIST_ITEM.match(sentence.text)) or bool(number and _LIST_NUMBER.match(preceding))
        not_to_do = (not_to_do and (listed or bool(_LIST_NUMBER.match(sentence.text)))) or (
            not verbs and bool(_NEG_HEADER.match(sentence.text))
        )
        cited = quoted_ranges(excerpt, sentence.text)
        outside = list(sentence.text)  # the sentence with what it quotes blanked out
        for a, b in cited:
            outside[a:b] = " " * (b - a)
        dismissed = bool(cited) and bool(_DISMISSED.search("".join(outside)) or _DISMISSED.search(following))
        for readings in verbs:
            verb_start = readings[0][0].start()
            if dismissed and any(a <= verb_start < b for a, b in cited):
                negated_at.append(verb_start)  # "the line 'reseat the failed member' is obsolete": cited, then dropped
                continue
            if (
                not_to_do
                or sentence.negated(verb_start)
                or (negated_at and sentence.negation_carries(negated_at[-1], verb_start))
            ):
                negated_at.append(verb_start)
                continue
            comps: frozenset[int] = frozenset()
            action = readings[0][1]
            for match, reading, packaging, strict in readings:
                deed, deed_action = sentence.targets(match, reading, packaging, strict, as_instruction=True)
                if deed:
                    last_deed = (deed_action, deed)
                    deeds_here.append((verb_start, deed_action, deed))
                    understood = True
                comps, action = (
                    (frozenset(), reading) if quoted else sentence.targets(match, reading, packaging, strict)
                )
                if (
                    not comps
                    and (answered or _AFFIRM_INLINE.search(sentence.text, match.end()))
                    and (quoted or asks(sentence, match))
                ) or (not comps and invited and not quoted):
                    comps, action = sentence.targets(match, reading, packaging, strict, as_instruction=True)
                if comps:
                    break
            understood = understood or verb_start in sentence.set_aside
            for index in sorted(comps):
                decision = evaluate(action, components[index], asset, rules)
                key = (number, components[index].serial, action)
                if not decision.allowed and key not in seen:
                    seen.add(key)
                    findings.append(Finding(decision, components[index], excerpt, action))
        for redo in _REDO.finditer(sentence.text):  # "you reseated bay 4 on monday. please do it once more"
            earlier = [
                (a, c) for at, a, c in deeds_here if at < redo.start()
            ]  # "i know you reseated it, but try it once more"
            repeated = earlier[-1] if earlier else deed_before
            if repeated is not None and not sentence.negated(redo.start()):
                redone = repeated[1]
                if with_ := _REDO_WITH.match(sentence.text, redo.end()):  # "try that with psu 2": on that part
                    i = bisect_left(sentence.starts, with_.end())
                    if i < len(sentence.phrases) and sentence.starts[i] == with_.end():
                        redone = sentence.phrases[i].comps
                for index in sorted(redone):
                    decision = evaluate(repeated[0], components[index], asset, rules)
                    key = (number, components[index].serial, repeated[0])
                    if not decision.allowed and key not in seen:
                        seen.add(key)
                        findings.append(Finding(decision, components[index], excerpt, repeated[0]))
        understood = understood or bool(_KEPT_OUT.search(sentence.text))  # "mark it offline": out of service
        understood = understood or (not verbs and only_diagnostics(sentence.text))  # "re-run the health check"
        healthy_status = bool(
            sentence.anchors
            and _HEALTHY_STATUS.search(sentence.text)
            and not any(components[i].unsafe for a in sentence.anchors for i in a.comps)
        )
        if sentence.anchors and not healthy_status:
            topic = topic or not all(a.orphan for a in sentence.anchors)
            previous = sentence.anchors[-1].comps  # a status line about healthy parts leaves the topic as it was
        if after_healthy_status and not negated_at and all(a.orphan for a in sentence.anchors):
            understood = understood or bool(verbs)  # "psu 1 is fine. push it back in."
        if negated_at or understood:
            declined.add(number)
        after_healthy_status = healthy_status
    return findings, frozenset(declined)
