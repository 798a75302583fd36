"""Wordings from dev31 to dev34 (first written as held-out parts 19 to 22) and from the product
owner's review of 2026-12-03, restated, with their twins the other way.

Each is read by the rules themselves, not left to the second opinion: "bring it back online so
..." (the verb "bring" is no gerund), a request of a third party ("could the site team put it
back in?"), a past form that asks ("it would help if you reseated it"), a deed asked about and
then invited ("if not, please do"), an unnamed "it" named after a colon or dash; and, the other
way, automatic actions switched off, a suggestion turned down in the next sentence, the
consequence of an action ("is exactly what caused the outage"), a power-on as an event.
"""

from __future__ import annotations

import pytest

from casemgr.safety.rules import ComponentFacts
from casemgr.safety.text import rule_findings, scan_reply
from tests.safety_facts import ASSET, drive
from tests.unit.test_safety_text import SAFE, UNSAFE, WIDER_CASE

PHRASINGS = [
    # "bring" is a verb, not a gerund that a consequence could follow
    ("Bring the failed drive back online so the array can use its cache again.", UNSAFE),
    ("Bringing the failed drive back online would only start another rebuild.", SAFE),
    ("Reseat the non-working power supply.", UNSAFE),
    ("Reseat the working power supply.", SAFE),
    # a third party asked, with the ambiguous "put"
    ("Could the site team put ZK1234ABC back into bay 4?", UNSAFE),
    ("Can your team put the failed drive back in for a quick test?", UNSAFE),
    ("Did the site team put ZK1234ABC back in?", SAFE),
    ("Why would the site team put ZK1234ABC back in?", SAFE),
    ("The site team could have put ZK1234ABC back in, but they didn't.", SAFE),
    ("You should have put ZK1234ABC back in its bag before shipping.", SAFE),
    ("What would happen if we put ZK1234ABC back? It would fail again, so please don't.", SAFE),
    # a past form that asks; a question about the deed, then the invitation
    ("It would help if you reseated PSU 2 once more.", UNSAFE),
    ("I'd appreciate it if someone re-enabled the failed drive today.", UNSAFE),
    ("It would have helped if nobody had reseated PSU 2.", SAFE),
    ("Have you reseated PSU 2 yet? If not, please do.", UNSAFE),
    ("Did you reseat PSU 2? If not, don't.", SAFE),
    ("Did anyone reseat PSU 2 before it failed? If not, that rules out a seating problem.", SAFE),
    ("Has PSU 2 been put back in at any point since the BMC flagged it?", SAFE),
    # "do it again" after a deed in the same sentence
    ("I know you reseated PSU 2 last week, but please try it once more.", UNSAFE),
    ("I know you reseated PSU 2 last week; never do it again.", SAFE),
    # an unnamed "it", named after a colon or a dash
    ("Take it out and put it back: I'm talking about the supply in slot 2, not PSU 1.", UNSAFE),
    ("Take it out and put it back - PSU 1, not PSU 2.", SAFE),
    ("PSU 2 reports no output. Before we dispatch a replacement, please remove it and reinsert it firmly.", UNSAFE),
    ("We dispatched a replacement this morning; please insert it into slot 2 when it arrives.", SAFE),
    ("Install the removed drive in another shelf and let the controller adopt it.", UNSAFE),
    # automatic actions switched off; a suggestion turned down; consequences
    ("We've disabled auto-rebuild onto the failed drive so it can't rejoin the group by accident.", SAFE),
    ("Enable auto-rebuild onto the failed drive.", UNSAFE),
    ("Someone suggested we re-add the failed drive to test it. We won't.", SAFE),
    ("Someone suggested we re-add the failed drive to test it. I think you should.", UNSAFE),
    ("Neither I nor the field engineer will ask you to reinsert PSU 2.", SAFE),
    ("It won't help to reseat PSU 2, sorry.", SAFE),
    ("It won't hurt to reseat PSU 2.", UNSAFE),
    ("Reconnecting the failed drive is exactly what caused an outage at another site.", SAFE),
    ("Reinserting ZK1234ABC is exactly how the last rebuild failed.", SAFE),
    ("Reinserting ZK1234ABC is how we fix this.", UNSAFE),
    ("We do not recommend bench-testing the failed supply in another chassis.", SAFE),
    ("I know it's tempting to reseat it, but the drive in bay 4 has failed.", SAFE),
    ("Does PSU 2 light up at power-on?", SAFE),
    ("Power PSU 2 back on.", UNSAFE),
    ("The failed drive can go back in the same shipment as the cables.", SAFE),
    ("Feel free to tag the failed drive as defective in your CMDB.", SAFE),
    ("Re-run the health check on bays 1 to 3 and send us the output.", SAFE),
    # wordings of dev33 and dev34 (first held-out parts 21 and 22)
    ("Did the reseat of PSU 1 clear the warning? If so, do the same for PSU 2.", UNSAFE),
    ("Reseat PSU 1. Don't do the same for PSU 2.", SAFE),
    ("If the replacement drive doesn't come up, go back to the original drive for now.", UNSAFE),
    ("Revert to the original firmware on the replacement drive.", SAFE),
    ("Don't go back to the original drive.", SAFE),
    ("Please don't try to revive PSU 2 by reseating it.", SAFE),
    ("Please try to revive PSU 2 by reseating it.", UNSAFE),
    ("Please do not reseat PSU 2. It logged faults and reinserting it could trip the bus.", SAFE),
    ("The previous engineer asked you to reseat PSU 2; please ignore that.", SAFE),
    ("The previous engineer asked you to reseat PSU 2; please go ahead with that today.", UNSAFE),
    ("Escalation: the customer asked about reseating PSU 2 as a workaround. Declined; a new unit ships today.", SAFE),
]


@pytest.mark.parametrize(("text", "expected_blocked"), PHRASINGS, ids=[f"d3132_{i:02d}" for i in range(len(PHRASINGS))])
def test_dev31_dev32_phrasings(text: str, expected_blocked: bool) -> None:
    assert bool(rule_findings(text, WIDER_CASE, ASSET)) is expected_blocked, text  # the rules, not the model
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text


def _ssd(serial: str, slot: str, state: str) -> ComponentFacts:
    return drive(serial=serial, slot=slot, part_number="SSD", part_description="3.84TB NVMe SSD", state=state)


# A case whose asset had bay 2 replaced under an earlier RMA (removed, with a new drive in bay 2) and
# now has a failed drive in bay 4.
HISTORY_CASE = (
    _ssd("OLD-BAY2", "bay 2", "removed"),
    _ssd("NEW-BAY2", "bay 2", "active"),
    _ssd("FAIL-BAY4", "bay 4", "failed"),
)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Meanwhile, slide the failed SSD back into bay 4 to restore redundancy.", ["FAIL-BAY4"]),
        ("Could the site team reseat the failed drive?", ["FAIL-BAY4"]),
        ("Reinsert the removed drive.", ["OLD-BAY2"]),
        ("Put the drive you pulled back in.", ["OLD-BAY2"]),
    ],
)
def test_the_refusal_names_the_part_the_words_mean(text: str, named: list[str]) -> None:
    assert [f.component.serial for f in rule_findings(text, HISTORY_CASE, ASSET)] == named


def test_with_no_part_in_the_named_state_every_unhealthy_part_is_meant() -> None:
    only_removed = (_ssd("OLD-BAY2", "bay 2", "removed"), _ssd("NEW-BAY2", "bay 2", "active"))
    assert [f.component.serial for f in rule_findings("Reseat the failed drive.", only_removed, ASSET)] == ["OLD-BAY2"]
