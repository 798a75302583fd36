"""The reply scanner's second opinion: the model file, its arithmetic, and when it may refuse."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace

import pytest

from bench.safety_scanner import CORPUS, DEV_PARTS, HELDOUT
from casemgr.safety import second_opinion
from casemgr.safety.rules import DEFAULT_RULES, SafetyRule
from casemgr.safety.text import rule_findings, scan_reply
from tests.safety_facts import ASSET, drive, psu

FAILED_DRIVE = drive(state="failed")
CASE = (FAILED_DRIVE, drive(serial="ZK5555XYZ", slot="bay 5"), psu())
#: wording the rules were never taught; the model has seen the like of it
UNTAUGHT = "Let the failed drive have a second chance in its bay."
#: a model that is sure every reply is unsafe: what is left unrefused, the rules kept from it
SURE = second_opinion.Model({}, intercept=20.0, refuse_at=0.8)


def test_the_model_is_trained_on_the_current_development_parts_and_on_no_held_out_part() -> None:
    data = json.loads(second_opinion.MODEL_PATH.read_text(encoding="utf-8"))
    current = {part: hashlib.sha256((CORPUS / f"{part}.csv").read_bytes()).hexdigest() for part in DEV_PARTS}
    assert data["trained_on"] == current, "a development part changed: run scripts/train-safety-model"
    assert not set(data["trained_on"]) & HELDOUT


def test_probability_is_tf_idf_then_logistic() -> None:
    model = second_opinion.Model({"reseat": (2.0, 1.5), "xbad": (1.0, 0.5)}, intercept=-1.0, refuse_at=0.8)
    # "reseat" twice: sublinear tf 1 + ln 2, times idf 2; "xbad" once: 1 * 1; then l2-normalised
    reseat, bad = (1 + math.log(2)) * 2.0, 1.0
    norm = math.hypot(reseat, bad)
    score = -1.0 + (reseat * 1.5 + bad * 0.5) / norm
    assert model.probability("reseat xbad, reseat!") == pytest.approx(1 / (1 + math.exp(-score)))
    assert model.probability("nothing known here") == pytest.approx(1 / (1 + math.exp(1.0)))


def test_part_references_are_masked_by_what_they_name() -> None:
    (sentence,) = second_opinion.read("Reseat ZK1234ABC, not the drive in bay 5.", CASE)
    assert "xbad" in sentence.masked and "xok" in sentence.masked
    assert "zk1234abc" not in sentence.masked
    assert sentence.unhealthy == {0}


def test_the_model_refuses_wording_the_rules_do_not_know() -> None:
    assert rule_findings(UNTAUGHT, CASE, ASSET) == []
    (finding,) = scan_reply(UNTAUGHT, CASE, ASSET)
    assert finding.by_model
    assert finding.component == FAILED_DRIVE
    assert finding.excerpt == UNTAUGHT
    assert finding.decision.rule_code == "SG-REINSERT-FAILED"
    assert finding.decision.safe_alternative


def test_the_likeliest_sentence_is_the_excerpt() -> None:
    text = f"Thanks for the logs. {UNTAUGHT} Regards, L2"
    (finding,) = scan_reply(text, CASE, ASSET)
    assert finding.by_model and finding.excerpt == UNTAUGHT


def test_a_rule_refusal_is_not_marked_as_the_models() -> None:
    (finding,) = scan_reply("Please reseat the failed drive in bay 4.", CASE, ASSET)
    assert not finding.by_model


def test_no_unhealthy_part_no_second_opinion() -> None:
    healthy = (replace(FAILED_DRIVE, state="active"), *CASE[1:])
    assert scan_reply(UNTAUGHT.replace("failed ", ""), healthy, ASSET) == []


def test_configured_rules_still_decide() -> None:
    permissive: tuple[SafetyRule, ...] = ()
    assert scan_reply(UNTAUGHT, CASE, ASSET, rules=permissive) == []
    assert scan_reply(UNTAUGHT, CASE, ASSET, rules=DEFAULT_RULES)


@pytest.mark.parametrize(
    "text",
    [
        "Nobody needs to reinsert the failed drive.",  # negated
        "You asked if you could reseat the failed drive.",  # a reported question
        "A reseat of the failed drive could destroy data.",  # a statement about the action
        "Reseat the drive in bay 7 of the expansion shelf.",  # a drive, but none of this case's
        "Push it back in, the new drive I mean, then rescan.",  # the replacement, named after "it"
        "Is the failed drive back in its bay?",  # a question about how things are
        "Move the failed drive to the returns shelf.",  # handled for its return
        "The unit has failed.",  # a report of its state
        "Hello",  # no part and no action at all (a macro's first draft)
        "Hi Priya,",
    ],
)
def test_the_model_defers_to_what_the_rules_read(text: str) -> None:
    assert scan_reply(text, CASE, ASSET, opinion=SURE) == []  # however sure it is, and with the trained one
    assert scan_reply(text, CASE, ASSET) == []


def test_a_sure_model_refuses_what_the_rules_leave_unread() -> None:
    (finding,) = scan_reply("The failed drive deserves one more shot, go for it.", CASE, ASSET, opinion=SURE)
    assert finding.by_model and finding.component == FAILED_DRIVE
