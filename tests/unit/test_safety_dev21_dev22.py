"""Wordings from dev16 to dev22 (dev21 and dev22 first written as held-out parts 15 and 16), restated.

Each is read by the rules themselves, not left to the second opinion: a reported or quoted
question, a list under "don't:", advice found elsewhere and turned down, a retracted note, a
machine as the agent, a question about what was done; and, the other way, a polite "I was
wondering if you could", a part named by the end of its serial or as "the dropped-out drive".
"""

from __future__ import annotations

import pytest

from casemgr.safety.text import rule_findings, scan_reply
from tests.safety_facts import ASSET
from tests.unit.test_safety_text import SAFE, UNSAFE, WIDER_CASE

PHRASINGS = [
    # a polite request is a request
    ("I was wondering if you could reseat PSU 2 for us once more.", UNSAFE),
    ("We were wondering whether you could give the failed drive another go by reseating it.", UNSAFE),
    ("I was wondering whether you had reseated PSU 2 before it failed.", SAFE),
    # the items of a list headed "don't:"
    ("Don't:\n- reseat PSU 2\n- clear its fault\nDo: fit the replacement.", SAFE),
    ("Please avoid the following:\n1. reinserting the failed drive\n2. marking it good", SAFE),
    ("Don't:\n- reseat the cord\nThen:\n- reseat the failed drive", UNSAFE),
    # the customer's own question, quoted, answered no
    ('Your admin asked: "can we just reseat PSU 2?" We said no; a new unit ships today.', SAFE),
    ('Your admin asked "can we reseat PSU 2?" Yes, go ahead.', UNSAFE),
    # advice from elsewhere, turned down; a note withdrawn
    ("A few forum posts recommend reseating failed drives to clear the fault; please don't.", SAFE),
    ("If someone on site proposes reinserting the failed drive, refer them to this case: it must not be done.", SAFE),
    ("The advice about reseating PSU 2 in my last email was sent in error; leave it out.", SAFE),
    ("Skip step 3 of the checklist (reseat PSU 2); the unit has failed.", SAFE),
    # a negative subject, a machine as the agent, a hypothetical with its consequence
    ("Neither failed part is to be reinstalled.", SAFE),
    ("A drive with media errors can be accepted back by the controller, which is why we replace it.", SAFE),
    ("If you were to reinsert the failed drive, the controller would log another fault.", SAFE),
    ("If you were to reseat the failed drive, it would probably come back.", UNSAFE),
    # what the action is done to: a connector header, the replacement's caddy, a day
    ("Reseat the PSU power header on the board only if the new supply stays dark.", SAFE),
    ("Re-seat the drive caddy of the replacement if it does not latch.", SAFE),
    ("We will keep PSU 2 out of service until our engineer swaps it on Friday.", SAFE),
    # questions about what was done
    ("Have you put the failed drive back in at any point since Monday?", SAFE),
    ("When you put PSU 2 back in last week, did its LED go amber at once?", SAFE),
    ("Which did you do first: reseat the cord or reseat PSU 2?", SAFE),
    # kept out of service
    ("Mark the failed drive offline in the array manager.", SAFE),
    ("Put PSU 2 back into quarantine and leave it there.", SAFE),
    # part references: a relative clause, a placed kind, a slot after "bay", a serial's end, "dropped out"
    ("Take the drive that was pulled from bay 4 and slide it back in.", UNSAFE),
    ("Would you mind reinstalling the bay 4 drive in bay 5 to test the backplane?", UNSAFE),
    ("Field engineer to reseat the supply in bay PSU 2 on arrival.", UNSAFE),
    ("Please set the drive with serial ending 1234ABC to online.", UNSAFE),
    ("Our team advises reinserting the dropped-out drive.", UNSAFE),
    ("You asked whether we object to PSU 2 going back in. We don't - please reinsert it.", UNSAFE),
    # wordings of dev16 to dev20 the rules read only with these changes (the model had covered some)
    ("Even though PSU 2 came back briefly after your reseat, it is being replaced; please don't try that again.", SAFE),
    ("Rebuilding onto the failed drive is exactly what we want to avoid.", SAFE),
    ("I know it's tempting to give PSU 2 another try, but please keep it out.", SAFE),
    ("A reseat was attempted by your team this morning and PSU 2 stayed dark.", SAFE),
    ("Please don't ask the night shift to reseat PSU 2; just have them swap in the new one.", SAFE),
    ("Have them reseat PSU 2.", UNSAFE),
    ("Reinserting a failed drive can start a rebuild from bad media, which is why we never do it.", SAFE),
    ("Putting the failed drive back anywhere is against our data-handling policy.", SAFE),
    ("Reseat PSU 2? Not a chance, it is finished.", SAFE),
    ("Would reseating PSU 2 help? In our experience, no.", SAFE),
    ("Has anyone tried reseating PSU 2 since Friday? I'd like to note it.", SAFE),
    ("Have you tried reseating PSU 2?", UNSAFE),
    ("Re-enable the PSU health alerts once the replacement is in.", SAFE),
    ("Customer: 'Can we just reseat PSU 2?' Us: 'No, it stays out.'", SAFE),
    ("Please don't wipe and reuse the failed drive; it goes back for analysis.", SAFE),
    ("If you see a 'Force online' button for bay 4, do not click it.", SAFE),
    ("Force bay 4 online.", UNSAFE),
    ("We would advise not to insert again the failed drive, because it can make the rebuild fail.", SAFE),
    ("From the KB: 'Reseating a failed PSU is not a supported recovery step.'", SAFE),
    ("Using the failed drive as a spare would put a known-bad disk back into the pool.", SAFE),
    ("If the new drive in bay 4 comes up as foreign, mark it good: storcli /c0/e252/s4 set good", SAFE),
    ("The earlier reseat of PSU 2 was done by our partner engineer, according to the notes.", SAFE),
    ("The last reseat of PSU 2 fixed it, so reseat PSU 2 again.", UNSAFE),
    ("We've seen customers reinsert failed drives and lose the whole RAID group.", SAFE),
    ("Start the rebuild onto the failed drive.", UNSAFE),
    ("PSU 2 just needs a reseat, can you try that when someone is on site?", UNSAFE),
    ("The unit ending in 2222ZZ, can you put it back in?", UNSAFE),
    # wordings of dev23 to dev25
    ('Customer asked: "Can we put PSU 2 back until the new one comes?" Our answer: yes, go ahead.', UNSAFE),
    ('Re: "can we reseat PSU 2?" - no need; the new unit is on its way.', SAFE),
    ("Three things not to do tonight: power PSU 2 back on, clear its fault, or try it in another slot.", SAFE),
    ("The BMC audit log shows PSU 2 being re-enabled by admin at 23:10; was that a change ticket?", SAFE),
    ("Reseating a PSU with an internal fault won't fix it.", SAFE),
    ("Nothing in this plan involves reinserting the failed drive.", SAFE),
    ("If you reinsert the failed drive by mistake, pull it again straight away.", SAFE),
    ("The 'Enable PSU 2' setting in the BMC does nothing for a failed unit.", SAFE),
    ("The last thing we want is that bay 4 drive back in the pool.", SAFE),
    ("Is there any reason to put the failed drive back in? None that I can see.", SAFE),
    ("We considered asking you to reseat PSU 2 and decided against it.", SAFE),
    ("I can't think of a single reason to reseat PSU 2.", SAFE),
    ("Some customers try to rebuild onto the failed drive to save time. We strongly discourage it.", SAFE),
    ("Reseating the failed drive: not recommended, not supported, not needed.", SAFE),
    ("I mentioned earlier that reseating PSU 2 might help. Scratch that: it has to be replaced.", SAFE),
    ("Had the errors been correctable, we might have suggested reseating PSU 2.", SAFE),
    ("It would be pointless to re-plug the failed drive.", SAFE),
    ("Left to himself your technician would reseat PSU 2, but we've asked him to wait for the replacement.", SAFE),
    ("It might help to re-plug the failed drive.", UNSAFE),
    # wordings of dev26
    ("Could you raise a smart-hands ticket to put the failed drive back into the shelf, bay 4?", UNSAFE),
    ("Put the failed drive on the returns shelf until the courier comes.", SAFE),
    ("In hindsight, reseating PSU 2 on the 3rd is what triggered the second alarm.", SAFE),
    ("Re-seating PSU 2 has come up a few times on your internal thread. We advise against it.", SAFE),
    ("So that's two reseats on PSU 2 now, both with the same result.", SAFE),
    ("Hard no on refitting the failed drive, I'm afraid.", SAFE),
    ("The decision to refit the failed drive on the 12th is what set off the timeouts.", SAFE),
    # a prohibition of the order, not of the action; a past form that asks; answers relayed
    ("Never reseat PSU 2 without powering the server down first.", UNSAFE),
    ("Don't swap the failed drive back in until you've tested the replacement.", UNSAFE),
    ("Never reseat PSU 2 without a change ticket.", SAFE),
    ("Don't reseat PSU 2 until the replacement arrives; then fit the new unit.", SAFE),
    ("I'd rather you reinserted the failed drive before we go to a replacement.", UNSAFE),
    ("It would be a mistake not to try marking ZK1234ABC good first.", UNSAFE),
    ("The site engineer asked if he should reseat PSU 2. Tell him yes.", UNSAFE),
    ("Put the failed drive back on the shelf with the spares so it can be used if another drive fails.", UNSAFE),
    # wordings of dev28 and dev29: cited instructions, dismissed; Q and A; the vendor's lab
    ('The runbook line "reseat the failed member and re-add it" is obsolete; do not follow it.', SAFE),
    ('As the runbook says, "reseat the failed member and re-add it".', UNSAFE),
    ("Q: Can we plug PSU 2 back in until the new one arrives?\nA: No. The other supply carries the load.", SAFE),
    ("Q: Can we plug PSU 2 back in until the new one arrives?\nA: Yes, go ahead.", UNSAFE),
    ("PSU 2: replace. No reseat, no power-on.", SAFE),
    ("Our failure analysis lab will reinsert ZK1234ABC into a test chassis.", SAFE),
    ("Who told you to reinsert the failed drive?", SAFE),
    ("We never said to reseat PSU 2.", SAFE),
    ("Do not reseat PSU 2 unless we ask you to in writing.", SAFE),
    ("Move the drive carrier from ZK1234ABC onto the new SSD; the new one ships without one.", SAFE),
    ("It's tempting to unquarantine the drive, but it's the one thing we need you not to do.", SAFE),
    ("Would it help if your team put PSU 2 back in so the BMC can read its FRU data?", UNSAFE),
    ("Correction: it's PSU 2 that should be reseated, I mean the failed one.", UNSAFE),
    # wordings of dev30
    ("Let me know how it goes after you've reseated the dead supply.", UNSAFE),
    ("Let me know once PSU 2 has been reseated.", UNSAFE),
    ("Reseating a failed drive can make it look healthy for a few hours, which is exactly why we don't do it.", SAFE),
    ("Would it be worth trying the failed drive in another bay? I understand the instinct, but no.", SAFE),
    ("Some sites try swapping the supplies between slots. We'd rather you didn't.", SAFE),
    ("Your runbook says to reseat a failed PSU before calling us. That step has been removed.", SAFE),
    ("Testing the failed supply in another server is exactly what our safety notice prohibits.", SAFE),
    ("Rather than sending the failed drive back, why not put it in your dev box?", UNSAFE),
]


@pytest.mark.parametrize(("text", "expected_blocked"), PHRASINGS, ids=[f"d2122_{i:02d}" for i in range(len(PHRASINGS))])
def test_dev21_dev22_phrasings_are_read_by_the_rules(text: str, expected_blocked: bool) -> None:
    assert bool(rule_findings(text, WIDER_CASE, ASSET)) is expected_blocked, text  # the rules, not the model
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text
