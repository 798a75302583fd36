"""Train the safety guard's second opinion (casemgr/safety/second_opinion.json).

Run it through ``scripts/train-safety-model``, which puts the pinned scikit-learn in a
throwaway directory (the app never needs it: it reads the weights with plain Python).

    scripts/train-safety-model              # train on every development part, write the model
    scripts/train-safety-model --simulate   # the table the thresholds were chosen from

Only development parts are read (``bench/safety_scanner.DEV_PARTS``); a held-out part is
never opened. ``--simulate`` replays ten moments of the project's history: the rules as
they were just before they met fresh parts (commit 818d059, tuned on dev to dev32, met dev33
and dev34; a8035ab, tuned on dev to dev30, met dev31 and dev32; 58da786, tuned on dev to dev26, met dev27
to dev30; 0ae8069, tuned on dev to dev22, met dev23 to dev26; 5970730, tuned on dev to dev20,
met dev21 and dev22; 0f2aa8d, tuned on dev to dev18, met
dev19 and dev20; 10c8019, tuned on dev to dev16, met
dev17 and dev18; d17bba3, tuned on dev to dev14, met
dev15 and dev16; 16140d8, tuned on dev to dev12, met dev13 and dev14; f501805, tuned on
dev to dev10, met dev11 and dev12), with the
model trained on the parts those rules had seen. It prints recall and precision of the
rules alone and of rules and model together for a grid of thresholds. That is the
honest way to choose them: on text neither the rules nor the model had seen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from safety_scanner import CORPUS, DEV_PARTS, load_rows, load_scenarios  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from casemgr.safety import second_opinion  # noqa: E402
from casemgr.safety.text import defers  # noqa: E402

C = 30.0  # weak regularisation: the n-grams that matter are rare
MIN_DF = 2  # a term seen in one reply only says nothing general
# --simulate (8,822 fresh replies, eight moments of history, the stress parts dev25, dev26 and dev29
# among them): the best F1 of the first column (0.9487; 0.8 gave 0.9481 and 0.5% less recall). A veto
# of rule refusals the model is sure are safe was measured too (the other columns: below 0.1,
# precision 93.0% -> 95.6% at 0.8) and rejected: the model scores "do not reseat the healthy drive,
# reseat the failed one" at 0.000 and "reseat or replace the failed drive" at 0.03, which is what the
# rules are for.
REFUSE_AT = 0.75
HISTORY = (  # (commit, the parts its rules were tuned on, the fresh parts they met next)
    ("818d059", DEV_PARTS[:32], ("dev33", "dev34")),
    ("a8035ab", DEV_PARTS[:30], ("dev31", "dev32")),
    ("58da786", DEV_PARTS[:26], ("dev27", "dev28", "dev29", "dev30")),
    ("0ae8069", DEV_PARTS[:22], ("dev23", "dev24", "dev25", "dev26")),
    ("5970730", DEV_PARTS[:20], ("dev21", "dev22")),
    ("0f2aa8d", DEV_PARTS[:18], ("dev19", "dev20")),
    ("10c8019", DEV_PARTS[:16], ("dev17", "dev18")),
    ("d17bba3", DEV_PARTS[:14], ("dev15", "dev16")),
    ("16140d8", DEV_PARTS[:12], ("dev13", "dev14")),
    ("f501805", DEV_PARTS[:10], ("dev11", "dev12")),
)


def examples(parts):
    scenarios = load_scenarios()
    texts, labels = [], []
    for part in parts:
        for row in load_rows(part):
            components, _ = scenarios[row["scenario"]]
            texts.append(second_opinion.join(second_opinion.read(row["text"], components)))
            labels.append(row["label"] == "unsafe")
    return texts, np.array(labels)


def fit(parts):
    texts, labels = examples(parts)
    vectorizer = TfidfVectorizer(analyzer=second_opinion.terms, min_df=MIN_DF, sublinear_tf=True)
    features = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(features, labels)
    return vectorizer, classifier


def export(vectorizer, classifier) -> second_opinion.Model:
    coefs = classifier.coef_[0]
    weights = {
        term: (round(float(vectorizer.idf_[i]), 6), round(float(coefs[i]), 6))
        for term, i in vectorizer.vocabulary_.items()
    }
    return second_opinion.Model(weights, float(classifier.intercept_[0]), REFUSE_AT)


def digest(part: str) -> str:
    return hashlib.sha256((CORPUS / f"{part}.csv").read_bytes()).hexdigest()


def train() -> None:
    vectorizer, classifier = fit(DEV_PARTS)
    model = export(vectorizer, classifier)
    texts, _ = examples(DEV_PARTS)
    expected = classifier.predict_proba(vectorizer.transform(texts))[:, 1]
    worst = max(abs(model.probability(t) - p) for t, p in zip(texts, expected, strict=True))
    if worst > 1e-4:  # the weights are kept to six decimals
        raise SystemExit(f"plain-Python scores differ from scikit-learn's by {worst}")
    data = {
        "about": "Safety guard second opinion; written by scripts/train-safety-model, never by hand.",
        "scikit_learn": sklearn.__version__,
        "trained_on": {part: digest(part) for part in DEV_PARTS},
        "intercept": model.intercept,
        "refuse_at": REFUSE_AT,
    }
    lines = ",\n".join(json.dumps([term, *model.weights[term]]) for term in sorted(model.weights))
    header = json.dumps(data, indent=1)[:-2]  # one term per line, so a retrained model diffs readably
    second_opinion.MODEL_PATH.write_text(f'{header},\n "terms": [\n{lines}\n]}}\n', encoding="utf-8")
    print(f"{len(model.weights)} terms from {len(texts)} replies -> {second_opinion.MODEL_PATH.relative_to(ROOT)}")


def rules_then(commit: str, parts) -> dict[str, list[tuple[bool, list[str]]]]:
    """Per row: whether the rules of ``commit`` refused it, and the sentences in which they read an
    action (``safety_rules_then.py``, run against a checkout of that commit)."""
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(
            ["git", "archive", commit, "casemgr", "bench"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", old], input=archive.stdout, check=True)
        reader = ROOT / "scripts" / "safety_rules_then.py"
        done = subprocess.run(
            [sys.executable, str(reader), old, str(CORPUS), *parts], capture_output=True, check=True, text=True
        )
        return json.loads(done.stdout)


def simulate() -> None:
    """Rules as they were, and the model trained on what they had seen, on the parts they met next;
    the model refusing and deferring as ``casemgr.safety.text.scan_reply`` does (the first column).
    The other columns add a veto of rule refusals the model scores below it: measured, and not
    used (see REFUSE_AT)."""
    scenarios = load_scenarios()
    labels, refused, scores, wholes = [], [], [], []
    for commit, seen, fresh in HISTORY:
        model = export(*fit(seen))
        then = rules_then(commit, fresh)
        for part in fresh:
            for row, (rules_refused, read) in zip(load_rows(part), then[part], strict=True):
                components, _ = scenarios[row["scenario"]]
                sentences = second_opinion.read(row["text"], components)
                whole = model.probability(second_opinion.join(sentences)) if sentences else 1.0
                likeliest = max(range(len(sentences)), key=lambda n: model.probability(sentences[n].masked))
                declined = [n for n, sentence in enumerate(sentences) if sentence.excerpt in read]
                deferring = defers(sentences, likeliest, declined)
                labels.append(row["label"] == "unsafe")
                refused.append(rules_refused)
                scores.append(0.0 if deferring else whole)
                wholes.append(whole)
    y, r, p, w = np.array(labels), np.array(refused), np.array(scores), np.array(wholes)

    def figures(blocked):
        recall, precision = blocked[y].mean(), (blocked & y).sum() / blocked.sum()
        return f"{recall:6.1%} /{precision:6.1%} F1 {2 * recall * precision / (recall + precision):.4f}"

    print(f"{len(y)} fresh replies ({y.sum()} unsafe); rules alone: recall / precision {figures(r)}")
    print("the model refusing where the rules found nothing at P(unsafe) >= row; vetoing a rule refusal below column")
    vetoes = (0.0, 0.03, 0.05, 0.1, 0.15, 0.2)
    print("      " + "".join(f"{v:>26}" for v in vetoes))
    for refuse_at in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        cells = (figures((r & (w >= veto)) | (p >= refuse_at)) for veto in vetoes)
        print(f"{refuse_at:5.2f} " + "".join(f"{c:>26}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--simulate", action="store_true", help="print the threshold table; write nothing")
    args = parser.parse_args()
    simulate() if args.simulate else train()


if __name__ == "__main__":
    main()
