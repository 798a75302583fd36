"""One sentence of a reply as the scanner reads it: phrases, boundaries, negation and targets.

Separate from ``scan_reply`` (``casemgr.safety.text``), which walks the sentences and keeps the
context between them; ``_Sentence`` answers, for one verb, whether it is asked for and on which parts.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from casemgr.safety.actions import (
    _BARE_OBJ,
    _COORD,
    _IMPLICIT_NEXT,
    _LINK_BREAK,
    _OR,
    _STRICT_HEADS,
    _STRONG,
    _SUBORD,
    _TRY,
)
from casemgr.safety.mood import not_an_instruction, wanted_done
from casemgr.safety.negation import (
    _CAUSATIVE,
    _CLAUSE_START,
    _DOUBLE_NEG,
    _EXCEPT,
    _FRONTED_NEG,
    _GAP_WORDS,
    _HARM,
    _NEG_CUE,
    _NEG_SUBJECT,
    _NEXT_TOKEN,
    _PASSIVE,
    _RISK,
    _THEN,
    _WHY,
)
from casemgr.safety.objects import (
    _ALERT_AFTER,
    _AS_SPARE,
    _BACK_INTO,
    _CABLE_AFTER,
    _CABLE_BEFORE,
    _CONTAINER,
    _ENCLOSURE,
    _ENDS_IN,
    _FOR_RETURN,
    _IN_IT,
    _IT,
    _PACKAGING,
    fitting_of_another,
)
from casemgr.safety.references import _CLARIFIED_BY, _COORD_GAP, _phrases, _Ref, _Vocabulary
from casemgr.safety.rules import ActionKind
from casemgr.safety.statements import (
    _ANSWER_THEN,
    _APPOS_END,
    _CLAUSE_LINK,
    _CONSEQUENCE_OF,
    _LIST_AFTER,
    _NEG_CAUSATIVE,
    _NO_REASON_GAP,
    _NOMINAL_DONE,
    _ONLY_UNTIL,
    _PAIRED_VERB,
    _PEOPLE_DO,
    _VENDOR_LAB,
)
from casemgr.safety.verb_forms import (
    _AT_EVENT,
    _AWAY,
    _CLI_START,
    _CLI_TOOL,
    _CLI_VERB,
    _MARK,
    _OTHER_MACHINE,
    _PAST,
    _PHYSICAL_BACK,
    _SETTING,
    _SWAP_END,
    _THERE,
    is_gerund,
)


class _Sentence:
    """One normalised sentence with its phrases and boundaries, looked up by bisection (no quadratic rescans)."""

    def __init__(
        self,
        text: str,
        vocab: _Vocabulary,
        previous: frozenset[int],
        following: str = "",
        topic: bool = True,
        refused: bool = False,
        preceding: str = "",
        first_naming: bool = False,
        named_next: frozenset[int] = frozenset(),
    ):
        self.text, self.previous, self.following = text, previous, following
        self.refused = refused  # the sentence before is a flat "no": what follows explains it
        self.preceding = preceding
        self.named_next = named_next  # what a short verbless next sentence names: "... it back in? bay 4."
        mentions = vocab.mentions(text)
        unhealthy = [i for i, c in enumerate(vocab.components) if c.unsafe]
        #: the case's one unhealthy part: what "put it back in" means when nothing was named before
        self.sole_unhealthy = frozenset(unhealthy) if len(unhealthy) == 1 and first_naming else frozenset()
        self.phrases = _phrases(text, mentions, previous, topic)
        self.starts = [p.start for p in self.phrases]
        self.anchors = [p for p in self.phrases if not p.location and not p.weak]  # what a later "it" can point at
        self.anchor_ends = [p.end for p in self.anchors]
        masked = list(text)  # mentions blanked out: "do not pull [the failed drive] out and" reads as filler
        for m in mentions:
            masked[m.start : m.end] = " " * (m.end - m.start)
        self.masked = "".join(masked)
        strong = [(m.start(), m.end()) for m in _STRONG.finditer(text)]
        self.strong_starts, self.strong_ends = [s for s, _ in strong], [e for _, e in strong]
        self.clause_cuts = sorted(self.strong_ends + [m.end() for m in re.finditer(",", text)])
        self.subord_starts = [m.start() for m in _SUBORD.finditer(text)]
        self.coords = [(m.start(), m.end()) for m in _COORD.finditer(text)]
        #: where the verbs start that ``targets`` read and set aside: narrated or hypothetical, a statement
        #: about the action, done to packaging, in the vendor's lab or to the replacement
        self.set_aside: set[int] = set()

    @staticmethod
    def last_at_or_before(values: list[int], pos: int) -> int:
        return values[bisect_right(values, pos) - 1] if bisect_right(values, pos) else 0

    def _first_at_or_after(self, values: list[int], pos: int) -> int:
        return values[bisect_left(values, pos)] if bisect_left(values, pos) < len(values) else len(self.text)

    def entity_before(self, pos: int) -> frozenset[int]:
        """What "it" means at pos: the last phrase before it, else the last one of the previous sentence."""
        i = bisect_right(self.anchor_ends, pos)
        return self.anchors[i - 1].comps if i else self.previous

    def negated(self, verb_start: int) -> bool:
        """A negation cue before the verb in the same clause, with only filler words in between."""
        start = max(self.last_at_or_before(self.strong_ends, verb_start), verb_start - 300)
        window = self.masked[start:verb_start]
        if _DOUBLE_NEG.search(window):
            return False  # "there's no reason not to reseat it"
        if _ONLY_UNTIL.match(self.masked, verb_start) and re.search(r"\b(?:never|don't|do not|dont)\b", window):
            return False  # "never reinsert the failed drive without first updating the firmware": a condition
        if _FRONTED_NEG.search(re.sub(r"\([^)]*\)", " ", self.masked[:verb_start])):
            return True  # "at no point (not even to test the latch) should the failed drive go back in"
        cues = [c for c in _NEG_CUE.finditer(self.masked, start) if c.end() <= verb_start]  # lookahead sees the verb
        for cue in reversed(cues):
            if _WHY.search(self.masked, start, cue.start()):
                continue
            if cue[0] == "not" and re.search(r"\b(?:if|or)\s+$", self.masked[start : cue.start()]):
                continue  # "if not, reseat it", "whether or not": an elliptical condition negates no verb
            if _ANSWER_THEN.match(self.masked, cue.end(), verb_start):
                continue  # "we don't - please reinsert it": an answer, then a new clause
            gap = re.sub(
                r"^\s*,(?:[^,]*,)?", " ", self.masked[cue.end() : verb_start]
            )  # "do not, under any circumstances, reseat"
            gap = re.sub(rf"\b{_CLI_TOOL}\b[\w./ ]*$", " ", gap)  # "do not attempt storcli /c0 set good"
            words = re.findall(r"[\w']+", gap)
            if (
                "," not in gap
                and _NEG_SUBJECT.search(self.masked, start, cue.end())
                and len(words) <= 8  # "neither I nor the field engineer will ask you to reinsert it"
                and not _CLAUSE_LINK.intersection(words)  # "nobody will mind if you reseat it"
            ):
                return True  # "nobody in the night shift reinserts it": the subject's own words
            if "," not in gap and _NEG_CAUSATIVE.fullmatch(gap) and not _CLAUSE_LINK.intersection(words):
                return True  # "don't let the night shift reinsert it"
            if (
                ("," not in gap and all(w in _GAP_WORDS or w.isdigit() for w in words))
                or _PAIRED_VERB.fullmatch(gap)
                or _NO_REASON_GAP.fullmatch(gap)
            ):
                return True
        return False

    def negation_carries(self, negated_start: int, verb_start: int) -> bool:
        """A negation reaches the later verbs of an "or" list: "do not use it as a spare or move it",
        "nobody should reinsert, re-plug or test it" (neither action is asked for)."""
        link = self.text[negated_start:verb_start]
        if _STRONG.search(link) or _LINK_BREAK.search(link):
            return False
        if _OR.search(link) or re.fullmatch(r"\w+\s+and\s+", link):
            return True  # "do not wipe and reuse the pulled ssd": one object
        if re.fullmatch(r"[\w'-]+(?:\s+[\w'-]+){0,6}?\s+by\s+", link):
            return True  # "don't try to revive psu 2 by reseating it": the means of what is not to be done
        tail = self.text[verb_start : self._first_at_or_after(self.strong_starts, verb_start)]
        return "," in link and bool(_OR.search(tail[:60]))  # the middle of "A, B or C"

    def object_end(self, start: int, shared: bool = True) -> int:
        """End of an action's object: a boundary, or "and/or/then" unless a noun phrase follows it.

        ``shared``: a bare verb shares the object of the next one ("reseat or replace X")."""
        limit = min(
            self._first_at_or_after(self.strong_starts, start), self._first_at_or_after(self.subord_starts, start)
        )
        for i in range(bisect_left(self.coords, (start, 0)), bisect_left(self.coords, (limit, 0))):
            c_start, c_end = self.coords[i]
            if shared and not self.text[start:c_start].strip():
                continue  # "reseat or replace the failed drive": the verbs share the object
            then = _THEN.match(self.text, c_end)
            assert then is not None  # _THEN matches the empty string too
            nxt = then.end()
            i = bisect_left(self.starts, nxt)
            if i == len(self.starts) or self.starts[i] != nxt:
                return c_start
        return limit

    def phrase_ends_at(self, pos: int) -> bool:
        """A part is named right before ``pos`` (its subject)."""
        i = bisect_right(self.anchor_ends, pos) - 1
        return i >= 0 and not self.text[self.anchors[i].end : pos].strip()

    def targets(
        self, match: re.Match, action: ActionKind, packaging: bool, strict: bool, as_instruction: bool = False
    ) -> tuple[frozenset[int], ActionKind]:
        """Components the action applies to, and the action (reseat_cable for cables); empty when not applicable.

        ``as_instruction``: whatever the mood, what the action acts on: for a question the next
        sentence answers "yes" to, and for the deed a later "do it again" repeats."""
        sent, v_start, v_end, word = self.text, match.start(), match.end(), match["v"]
        if (i := bisect_left(self.starts, v_start)) < len(self.starts) and self.starts[i] == v_start:
            return frozenset(), action  # "slot 1 stays in place", "power supply 2": the verb is a noun naming a part
        if match.re is _CLI_VERB and (
            not _CLI_START.search(sent, 0, v_start)
            or any(p.type == "other" for p in self.phrases[i : bisect_left(self.starts, self.object_end(v_end))])
        ):
            return frozenset(), action  # "the storage team will add ...": prose; "... on the new drive": not the part
        if word.startswith("power") and _AT_EVENT.search(sent, max(0, v_start - 16), v_start):
            self.set_aside.add(v_start)
            return frozenset(), action  # "does it spin at power-on?": an event, not an instruction
        if word[0] in ":=" and not _SETTING.search(sent, 0, v_start):
            self.set_aside.add(v_start)
            return frozenset(), action  # "psu2: enabled" in a status listing sets nothing
        lead = sent[max(self.last_at_or_before(self.clause_cuts, v_start), v_start - 300) : v_start]
        past = bool(_PAST.search(word)) and word[0] not in ":="  # "psu2: enabled" is a setting, not narration
        passive = (past or word in ("put", "set")) and bool(_PASSIVE.search(lead))  # "the drive should be reseated"
        wanted = wanted_done(self, v_start) if past or word in ("put", "set") else None
        j = bisect_left(self.starts, match.end("v"))
        if wanted is not None and wanted.type == "pronoun" and j < len(self.phrases) and self.phrases[j].start < v_end:
            wanted = None  # "have them put psu 2 back in": "them" are people, the verb has its own object
        if not as_instruction and not_an_instruction(self, match, lead, word, past, passive, wanted):
            self.set_aside.add(v_start)
            return frozenset(), action
        if _VENDOR_LAB.match(sent, v_end):
            self.set_aside.add(v_start)
            return frozenset(), action  # "we will test it in our lab": failure analysis, not service
        if (
            packaging
            and (box := _PACKAGING.match(sent, v_end))
            and not _ENCLOSURE.search(box[0])
            and not _AS_SPARE.match(sent, box.end())
            and not _OTHER_MACHINE.search(box[0])  # "into the identical box next to it" is a machine
        ):
            self.set_aside.add(v_start)
            return frozenset(), action  # "put the failed drive back in its box"
        if (
            packaging
            and (in_it := _IN_IT.match(sent, v_end) or (_ENDS_IN.search(match[0]) and _IT.match(sent, v_end)))
            and (_CONTAINER.search(self.preceding) or _FOR_RETURN.match(sent, in_it.end()))
        ):
            self.set_aside.add(v_start)
            return frozenset(), action  # "... the packaging? the failed supply goes back in it"
        objects: list[_Ref] = []  # the first phrase after the verb, and those joined to it by "and/or"
        for i in range(
            bisect_left(self.starts, v_start),
            bisect_left(self.starts, self.object_end(v_end, match.end() == match.end("v"))),
        ):
            p = self.phrases[i]
            if objects and not _COORD_GAP.fullmatch(sent, objects[-1].end, p.start):
                break
            objects += [] if p.location else [p]
        if passive and objects and re.search(r"\b(?:and|or|then)\b", sent[v_end : objects[0].start]):
            objects = []  # "the supply should be reinserted and its cord reconnected": the subject is the part
        named = bool(objects)
        if strict:  # named between verb and particle: "put the failed drive in", not "put in a request for ..."
            away = _AWAY.match(sent, v_end) or (_THERE.match(sent, v_end) and _OTHER_MACHINE.search(sent, 0, v_start))
            heads = _STRICT_HEADS + (("kind",) if _TRY.fullmatch(word) or away else ())
            objects = [p for p in objects if p.type in heads and p.start < v_end]
        if wanted is not None:
            objects, named = [wanted], True
        if not objects:  # "let it rejoin the array", "have your tech reseat PSU 2"
            i = bisect_left(self.starts, v_start) - 1
            if (
                i >= 0
                and not self.phrases[i].location
                and re.fullmatch(r"\s*(?:to\s+)?", sent[self.phrases[i].end : v_start])
                and _CAUSATIVE.search(sent, max(0, self.phrases[i].start - 12), self.phrases[i].start)
                and not (self.phrases[i].type == "pronoun" and _PEOPLE_DO.match(sent, v_end))
            ):
                objects = [self.phrases[i]]
                named = True
        if not objects and (
            word.startswith(("out", "start", "begin", "kick", "trigger", "add hotspare", "set jbod", ":", "="))
            or re.match(rf"{_MARK}\s*$", word)
        ):
            i = bisect_left(self.starts, v_start) - 1  # "psu2 out/in", "storcli /c0/e252/s4 set good"
            if (
                i >= 0
                and not self.phrases[i].location
                and re.fullmatch(r"[\s:,-]*", sent[self.phrases[i].end : v_start])
            ):
                objects, named = [self.phrases[i]], True
        if match.re.pattern.endswith(_SWAP_END) and sum(len(p.comps) for p in objects) < 2:
            self.set_aside.add(v_start)
            return frozenset(), action  # "swap the failed fan" alone is the replacement
        comps = frozenset().union(*(p.comps for p in objects))
        if objects and not comps and all(p.orphan for p in objects):
            i = bisect_left(self.starts, objects[-1].end)  # "slide it back into bay 4": what was in bay 4
            if (
                i < len(self.phrases)
                and self.phrases[i].location
                and self.phrases[i].type == "slot"
                and _BACK_INTO.fullmatch(sent, objects[-1].end, self.phrases[i].start)
            ):
                comps = self.phrases[i].comps
            elif (
                action is not ActionKind.RESEAT_CABLE
                and all(
                    p.location or (p.type not in ("other", "pronoun") and p.comps <= self.sole_unhealthy)
                    for p in self.phrases[i:]
                )
                and (action in _PHYSICAL_BACK or any(p.comps for p in self.phrases[i:]))
                and not sent.rstrip().endswith("?")
            ):  # "honestly? i'd just stick it back in.", "unfail it in the bmc, ... > fan 2": the one failed part
                comps = self.sole_unhealthy
        if len(objects) == 1 and objects[0].type == "pronoun" and self.phrases[-1].start > objects[0].end:
            appos = self.phrases[-1]  # "press that one back in, the amber one in slot 2": named at the end
            if re.fullmatch(r"[^,;:.!?()]*,\s*", sent[objects[0].end : appos.start]) and re.fullmatch(
                r"\s*[.!?]*\s*", sent[appos.end :]
            ):
                comps = appos.comps
                if not comps and not appos.orphan:
                    self.set_aside.add(v_start)  # "press it back in, the new one": not a part of this case
            elif not comps and objects[0].orphan:  # "slide it back in, the one you pulled, it's loose": mid-sentence
                k = bisect_left(self.starts, objects[0].end)
                while k < len(self.phrases) and (
                    self.phrases[k].location
                    or (
                        self.phrases[k].type == "slot"
                        and re.search(r"\b(?:in|into|to)\s+$", sent[: self.phrases[k].start])
                    )
                ):
                    k += 1  # "try it again in bay 4, the ssd you pulled": past the position
                named_after = self.phrases[k] if k < len(self.phrases) else None
                if (
                    named_after is not None
                    and named_after.type != "pronoun"
                    and not named_after.location
                    and _CLARIFIED_BY.fullmatch(sent, objects[0].end, named_after.start)
                    and _APPOS_END.match(sent, named_after.end)
                ):
                    comps = named_after.comps
                    if not comps and not named_after.orphan:
                        self.set_aside.add(v_start)  # "push it back in, the new drive i mean, then rescan"
        if (
            objects
            and all(p.type == "pronoun" for p in objects)
            and (colon := _LIST_AFTER.match(sent, objects[-1].end))
        ):
            k, end, listed = bisect_left(self.starts, colon.end()), colon.end(), frozenset[int]()
            while k < len(self.phrases) and _COORD_GAP.fullmatch(sent, end, self.phrases[k].start):
                if not self.phrases[k].location:  # "reinsert both: the new drive in bay 2 and the old one"
                    listed, end = listed | self.phrases[k].comps, self.phrases[k].end
                k += 1
            comps = listed if end > colon.end() else comps
        if len(objects) == 1 and objects[0].orphan and not comps:
            comps = self.named_next  # "could you push it back in? the failed one in bay 4, i mean."
        if objects and (exc := _EXCEPT.match(sent, objects[-1].end)):  # "all fans except fan 2"
            for p in self.phrases[bisect_left(self.starts, exc.end()) :]:
                if p.start > exc.end() + 40:
                    break
                comps -= p.comps
        if objects:
            head = objects[0]
            gerund = is_gerund(word) or re.search(
                r"\b(?:a|an|the|another)\s+(?:(?:earlier|previous|last|first|second|latest|recent|quick)\s+)?$", lead
            )
            colon = re.match(r"\s*:", sent[head.end :])  # "reseating the failed drive: not recommended"
            rest_end = head.end + 200 if colon else self._first_at_or_after(self.strong_starts, head.end)
            rest = sent[head.end : min(rest_end, head.end + 200)]
            if (
                gerund
                and (_CLAUSE_START.fullmatch(lead) or re.search(r"\b(?:and|but|so|because|since|as)\s+$", lead))
                and (
                    _HARM.match(rest)
                    or _RISK.search(rest)
                    or _RISK.search(sent, v_end, head.start)  # "reseating a psu with a dead output won't bring it back"
                    or self.refused
                    or _CONSEQUENCE_OF.match(rest)
                    or _NOMINAL_DONE.match(rest)
                )
            ):
                self.set_aside.add(v_start)
                return frozenset(), action  # "reseating the failed drive will not help"
            if fitting_of_another(sent, head.end, (p.start for p in self.phrases if p.type == "other")):
                self.set_aside.add(v_start)
                return frozenset(), action  # "the drive caddy of the replacement"
            if _ALERT_AFTER.match(rest):
                self.set_aside.add(v_start)
                return frozenset(), action  # "acknowledge the drive-failure alert"
            if action is not ActionKind.FORCE_ONLINE and (
                _CABLE_BEFORE.search(sent, max(v_end, head.start - 80), head.start) or _CABLE_AFTER.match(rest)
            ):
                action = ActionKind.RESEAT_CABLE
        elif (
            is_gerund(word)
            and not named
            and _CLAUSE_START.fullmatch(lead)
            and _RISK.search(sent, v_end, self._first_at_or_after(self.strong_starts, v_end))
        ):
            self.set_aside.add(v_start)
            return frozenset(), action  # "reseating a psu with a dead output stage won't bring it back"
        elif not named and not strict:  # no object named: "please reseat and check", "X should be reseated"
            obj = (match.groupdict().get("obj") or "").split()
            next_token = _NEXT_TOKEN.match(sent, v_end)
            assert next_token is not None  # _NEXT_TOKEN matches the empty string too
            nxt = next_token[1] or ""
            implicit = nxt in _IMPLICIT_NEXT or not nxt.isalnum() or nxt.endswith("ly")  # "a reseat honestly"
            if passive or (all(w in _BARE_OBJ for w in obj) and implicit):
                comps = self.entity_before(v_start)
        if passive or ((word in ("go", "goes", "going") or word.endswith(" be")) and not objects):
            comps |= self.entity_before(v_start)  # "fan 2 needs to go back into its bay", "psu 2 must be back in"
        if (
            word.startswith(("power", "turn", "switch"))
            and re.fullmatch(r"\w+\s+(?:up|on)", match[0])
            and self.phrase_ends_at(v_start)
        ):
            self.set_aside.add(v_start)
            return frozenset(), action  # "even if it powers up": the part is the subject, nobody acts
        if (
            word.startswith(("swap", "exchang"))
            and objects
            and (swap := re.match(r"\s+(?:out\s+)?(?:with|for)\s+", sent[objects[-1].end :]))
        ):
            partner = bisect_left(self.starts, objects[-1].end + swap.end())
            if partner == len(self.phrases) or self.phrases[partner].type == "other":
                self.set_aside.add(v_start)
                return frozenset(), action  # "swap the failed drive with the replacement" is the replacement
        if word.startswith("install") and action is not ActionKind.RESEAT_CABLE:
            action = ActionKind.INSTALL_COMPONENT
        if objects and not comps and not any(p.orphan for p in objects):
            self.set_aside.add(v_start)  # "reseat the drive in bay 7 of the shelf": known, and not of this case
        return comps, action
