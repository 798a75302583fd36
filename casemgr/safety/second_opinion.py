"""A second opinion on a reply: a linear model of the phrasing corpus, read beside the rules.

The rules (``casemgr.safety.text``) understand an instruction clause by clause, but every
fresh set of phrasings has shown wordings they were never taught. This model has seen all
the development parts of ``bench/safety_corpus`` at once, as word n-grams of the reply with
each part reference replaced by what it is ("xbad": an unhealthy part of this case, "xok":
a healthy one, "xpronoun", ...), so it generalises over wording the rules have no entry for.

``scan_reply`` asks it only about replies the rules let through that concern an unhealthy
part, and refuses those it is confident are unsafe (``refuse_at``, chosen on the rules as
they were before they met parts they had not seen: ``scripts/train-safety-model
--simulate``), unless the rules read that sentence's action themselves (``text``). It never
overrules the rules either way: a bag of n-grams cannot tell "do not reseat the healthy
drive, reseat the failed one" from its opposite, nor "nobody needs to reinsert the failed
drive" from a request.

Offline and pure: the weights are a JSON file shipped with the code
(``second_opinion.json``), trained by ``scripts/train-safety-model`` on the development
parts only; no library is needed to read them.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from casemgr.safety.references import _Vocabulary
from casemgr.safety.rules import ComponentFacts
from casemgr.safety.text_normalise import normalise, split_sentences

MODEL_PATH = Path(__file__).with_name("second_opinion.json")
#: Words, numbers, contractions ("don't") and the question mark, which separates a question
#: about the past from a request.
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|\?")
NGRAM_MAX = 3
SENTENCE_BREAK = "xsent"
MENTION = re.compile(r"\bx[a-z]+\b")  # a mask token: what read() puts in place of a part or pronoun


@dataclass(frozen=True)
class MaskedSentence:
    excerpt: str  # as written
    masked: str  # normalised, each part reference replaced by what it names
    unhealthy: frozenset[int]  # the unhealthy parts it names, by index in the case's components


def read(text: str, components: Sequence[ComponentFacts]) -> list[MaskedSentence]:
    """Each sentence normalised, with every reference to a part replaced by what it names."""
    vocab = _Vocabulary(tuple(components))
    masked = []
    for raw in split_sentences(text):
        sentence = normalise(raw)
        pieces, pos, unhealthy = [], 0, frozenset[int]()
        for mention in sorted(vocab.mentions(sentence), key=lambda m: (m.start, -m.end)):
            if mention.start < pos:
                continue  # inside a longer mention already replaced
            if mention.type in ("pronoun", "other"):
                token = "x" + mention.type
            elif bad := frozenset(i for i in mention.comps if components[i].unsafe):
                token, unhealthy = "xbad", unhealthy | bad
            elif mention.comps:
                token = "xok"
            else:
                token = "x" + mention.type
            pieces += [sentence[pos : mention.start], f" {token} "]
            pos = mention.end
        pieces.append(sentence[pos:])
        masked.append(MaskedSentence(raw, "".join(pieces), unhealthy))
    return masked


def terms(masked_text: str) -> list[str]:
    """Word 1- to 3-grams: what the model weighs (the trainer uses this very function)."""
    tokens = TOKEN.findall(masked_text.lower())
    return [" ".join(tokens[i : i + n]) for n in range(1, NGRAM_MAX + 1) for i in range(len(tokens) - n + 1)]


@dataclass(frozen=True)
class Model:
    weights: dict[str, tuple[float, float]]  # term -> (idf, coefficient)
    intercept: float
    refuse_at: float

    def probability(self, masked_text: str) -> float:
        """P(unsafe), computed as scikit-learn's TfidfVectorizer(sublinear_tf) + LogisticRegression do."""
        counts = Counter(t for t in terms(masked_text) if t in self.weights)
        if not counts:
            return 1 / (1 + math.exp(-self.intercept))
        weighted = [((1 + math.log(n)) * self.weights[t][0], self.weights[t][1]) for t, n in counts.items()]
        norm = math.sqrt(sum(w * w for w, _ in weighted))
        score = self.intercept + sum(w * coef for w, coef in weighted) / norm
        return 1 / (1 + math.exp(-score))


@cache
def model() -> Model:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return Model(
        weights={term: (idf, coef) for term, idf, coef in data["terms"]},
        intercept=data["intercept"],
        refuse_at=data["refuse_at"],
    )


def mentions(sentence: MaskedSentence) -> set[str]:
    """The mask tokens of the parts and pronouns the sentence names ("xbad", "xpronoun", ...)."""
    return set(MENTION.findall(sentence.masked))


def only_pronouns(sentence: MaskedSentence) -> bool:
    """The sentence names a part only by a pronoun ("just watch for it")."""
    return mentions(sentence) == {"xpronoun"}


def join(sentences: Sequence[MaskedSentence]) -> str:
    """The reply as the model reads it."""
    return f" {SENTENCE_BREAK} ".join(s.masked for s in sentences)
