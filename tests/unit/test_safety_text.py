"""Free-text reply scanner: a labelled table of reply snippets, plus precision/recall over it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from casemgr.safety.rules import ActionKind, AssetFacts, ComponentFacts
from casemgr.safety.text import Finding, rule_findings, scan_reply
from casemgr.safety.text_normalise import normalise, split_sentences
from tests.safety_facts import ASSET, drive, psu

FAILED_DRIVE = drive(state="failed")
HEALTHY_DRIVE = drive(serial="ZK5555XYZ", slot="bay 5")
HEALTHY_PSU = psu()
CASE_COMPONENTS = (FAILED_DRIVE, HEALTHY_DRIVE, HEALTHY_PSU)

UNSAFE, SAFE = True, False

# (reply text, expected_blocked). Context sentences are part of the text.
TABLE = [
    # --- unsafe: varied wording, casing, hyphens, references --------------------------
    ("Please reseat the failed drive and check whether the rebuild starts.", UNSAFE),
    ("Could you re-insert the failed drive?", UNSAFE),
    ("Try pulling and pushing back the failed drive to see if it rebuilds.", UNSAFE),
    ("The drive in bay 4 dropped out of the array. Can you plug it back in?", UNSAFE),
    ("please RESEAT drive 4.", UNSAFE),
    ("Re seat the disk in bay 4 and let us know.", UNSAFE),
    ("Kindly reinsert zk1234abc into its slot.", UNSAFE),
    ("The SSD in bay 4 shows as failed. Pull it out and push it back in.", UNSAFE),
    ("Put the failed disk back and wait for the rebuild.", UNSAFE),
    ("We saw that ZK1234ABC failed last night. Put it back in and watch the LEDs.", UNSAFE),
    ("Replug the failed SSD.", UNSAFE),
    ("Re-plug the drive in slot 4.", UNSAFE),
    ("Force the failed drive online from the controller CLI.", UNSAFE),
    ("Bay 4 reports a failed drive. Please force it online.", UNSAFE),
    ("Mark the drive in bay 4 online again.", UNSAFE),
    ("Bring the failed disk back online via the management UI.", UNSAFE),
    ("Clear the fault on the failed drive and rescan the bus.", UNSAFE),
    ("Run the CLI command to clear fault on bay 4.", UNSAFE),
    ("Have you tried reseating the failed drive?", UNSAFE),
    ("It might help to remove and re-insert the failed drive.", UNSAFE),
    ("Don't forget to reseat the failed drive before the call.", UNSAFE),
    ("If that does not work, re-insert drive 4.", UNSAFE),
    ("If that does not work re-insert drive 4.", UNSAFE),
    ("Why not reseat the failed SSD first?", UNSAFE),
    ("I'd recommend that you reseat the drive.", UNSAFE),
    ("The SSD in bay 4 looks dead. Could you pull it and push it back in?", UNSAFE),
    ("The failed drive is the one on the left. Please reseat that one.", UNSAFE),
    ("Once the new drive arrives, reseat the failed drive first.", UNSAFE),
    ("The failed drive should be reseated before we ship anything.", UNSAFE),
    ("Re-Insert The Failed Drive In Bay 4 Please.", UNSAFE),
    ("Reseat the healthy drive in bay 5 and then the failed one.", UNSAFE),
    ("Pull drive 4 out and slide it back in.", UNSAFE),
    ("Reseating the failed drive usually kicks off a rebuild, so give it a try.", UNSAFE),
    ("Please take drive ZK1234ABC out and put it back in.", UNSAFE),
    ("Please don't replace the drive yet; just reseat it.", UNSAFE),
    ("Do not open an RMA yet, but please re\u2011seat the failed drive.", UNSAFE),
    ("The customer said bay 4 is amber. Ask them to reinsert it.", UNSAFE),
    ("Set drive 4 back online.", UNSAFE),
    ("Put sn ZK1234ABC back into bay 4.", UNSAFE),
    ("Reseat or replace the failed drive.", UNSAFE),
    ("Hi team,\n- collect the logs\n- then reseat the failed NVMe drive", UNSAFE),
    ("Do not reseat the healthy drive, reseat the failed one.", UNSAFE),
    ("Put the failed drive in bay 5 and see whether the array picks it up.", UNSAFE),
    ("Remove the failed drive from bay 4 and install it in bay 5.", UNSAFE),
    ("Please re-seat ZK-1234-ABC.", UNSAFE),
    ("Reseat both drives.", UNSAFE),
    ("Pop the failed drive back in.", UNSAFE),
    ("It can't hurt to reseat the failed drive.", UNSAFE),
    ("Why don't you reseat bay 4?", UNSAFE),
    ("Make sure the failed drive is reseated properly.", UNSAFE),
    ("Don't worry and just reseat the failed drive.", UNSAFE),
    # --- safe: negations -------------------------------------------------------------
    ("Do not reinsert the failed drive; open an RMA instead.", SAFE),
    ("The drive in bay 4 has failed. Please don't reseat it.", SAFE),
    ("Never put the failed disk back in the chassis.", SAFE),
    ("You should not re-seat the failed SSD.", SAFE),
    ("Avoid reseating the failed drive, as it can corrupt the array.", SAFE),
    ("Do NOT, under any circumstances, reinsert the failed drive.", SAFE),
    ("We do not recommend reseating the failed drive; a replacement ships under your plan.", SAFE),
    ("Instead of reseating the failed drive, please open an RMA.", SAFE),
    ("It is not safe to force the failed drive online.", SAFE),
    ("Please do not clear the fault on bay 4.", SAFE),
    ("Don\u2019t try to bring the failed disk back online.", SAFE),
    ("There is no need to put the failed drive back; the replacement ships today.", SAFE),
    ("Please refrain from re-plugging the failed drive.", SAFE),
    ("Under no circumstances should you reseat ZK1234ABC.", SAFE),
    ("Rather than reinserting the failed drive, swap in the replacement.", SAFE),
    ("Do not remove and re-insert the failed drive to test it.", SAFE),
    ("The SSD in bay 4 has failed. Please don't pull it out and push it back in.", SAFE),
    ("Please never force drive 4 online.", SAFE),
    ("We never re-seat failed drives; the replacement ships under your plan.", SAFE),
    ("You must not plug the failed SSD back in.", SAFE),
    ("I wouldn't reseat the failed drive.", SAFE),
    ("Reseating a failed drive will not make it rebuild.", SAFE),
    ("Reseating the failed drive is not supported and can destroy data.", SAFE),
    ("Never, ever reseat the failed drive.", SAFE),
    ("We advise against reseating the failed drive.", SAFE),
    ("A reseat of the failed drive won't help.", SAFE),
    # --- safe: the replacement part ----------------------------------------------------
    ("Insert the new drive from the RMA into bay 4.", SAFE),
    ("Install the replacement in bay 4.", SAFE),
    ("Seat the new drive firmly until the latch clicks.", SAFE),
    ("Once the replacement arrives, reseat it in bay 4.", SAFE),
    ("Reseat the replacement drive and confirm the rebuild starts.", SAFE),
    ("Re-insert the new SSD into slot 4 and wait for the rebuild.", SAFE),
    ("Insert the new drive from the RMA into bay 4. Then reseat it if the LED stays amber.", SAFE),
    ("Please mark the replacement drive online once the rebuild completes.", SAFE),
    ("Please put the failed drive back in its antistatic bag and ship it to us.", SAFE),
    ("After removing the failed drive, put it in the return box.", SAFE),
    ("Pull the failed drive and insert the replacement in its place.", SAFE),
    ("Insert the drive from the RMA shipment into bay 4.", SAFE),
    # --- safe: healthy components, other parts, no instruction ------------------------
    ("Reseat the drive in bay 5 if its LED blinks.", SAFE),
    ("Please reseat PSU 1 and check the power cord.", SAFE),
    ("Reseat ZK5555XYZ to clear the warning.", SAFE),
    ("The drive in bay 5 is healthy, so you can reseat it if needed.", SAFE),
    ("Reseat the power cable on PSU 1.", SAFE),
    ("Please reseat the failed PSU.", SAFE),
    ("Please collect logs from the failed drive and open an RMA.", SAFE),
    ("The failed drive in bay 4 is covered by your plan; we ship a replacement today.", SAFE),
    ("Put in an RMA request for the failed drive.", SAFE),
    # --- safe: the part referred to is not an unhealthy one on this case ----------------
    ("Please reseat the failed controller.", SAFE),
    ("Reseat the drive in bay 7 of the expansion shelf.", SAFE),
    # --- safe: narration ----------------------------------------------------------------
    ("The customer reseated the drive yesterday and it failed again.", SAFE),
    ("Yesterday the customer put the failed drive back, which triggered the alert.", SAFE),
    ("The failed drive was reinserted by the customer before the case was opened.", SAFE),
]


Case = tuple[tuple[ComponentFacts, ...], AssetFacts]


@pytest.fixture
def case() -> Case:
    """An asset with a failed drive in bay 4, a healthy drive in bay 5 and a healthy PSU."""
    return CASE_COMPONENTS, ASSET


def _blocked(text: str, case: Case) -> bool:
    return bool(scan_reply(text, *case))


@pytest.mark.parametrize(("text", "expected_blocked"), TABLE, ids=[f"{i:03d}" for i in range(len(TABLE))])
def test_scan_reply_table(text: str, expected_blocked: bool, case: Case) -> None:
    assert _blocked(text, case) is expected_blocked, text


def test_table_precision_and_recall(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = [(_blocked(text, case), expected) for text, expected in TABLE]
    true_pos = sum(got and expected for got, expected in outcomes)
    false_pos = sum(got and not expected for got, expected in outcomes)
    false_neg = sum(expected and not got for got, expected in outcomes)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    unsafe_rows = sum(expected for _, expected in TABLE)
    with capsys.disabled():
        print(
            f"\nsafety text scanner: {len(TABLE)} rows ({unsafe_rows} unsafe / {len(TABLE) - unsafe_rows} safe), "
            f"precision={precision:.3f} recall={recall:.3f}"
        )
    assert len(TABLE) >= 50
    assert precision == 1.0
    assert recall == 1.0


def test_no_unhealthy_component_on_the_case_means_nothing_is_flagged() -> None:
    healthy = replace(FAILED_DRIVE, state="active")
    for text, _ in TABLE:
        assert scan_reply(text, (healthy, HEALTHY_DRIVE, HEALTHY_PSU), ASSET) == [], text
    assert scan_reply("Please reseat the failed drive.", (), ASSET) == []


def test_finding_carries_excerpt_reason_and_safe_alternative(case: Case) -> None:
    text = "Thanks for the logs. The drive in bay 4 dropped out. Could you re-seat it? We will check again."
    [finding] = scan_reply(text, *case)
    assert isinstance(finding, Finding)
    assert finding.excerpt == "Could you re-seat it?"
    assert finding.component == FAILED_DRIVE
    assert finding.action is ActionKind.RESEAT_COMPONENT
    assert not finding.decision.allowed
    assert finding.decision.rule_code == "SG-REINSERT-FAILED"
    assert "ZK1234ABC" in finding.decision.reason and "bay 4" in finding.decision.reason
    assert "failed" in finding.decision.reason
    assert "RMA" in finding.decision.safe_alternative


def test_force_online_finding_uses_the_force_online_rule() -> None:
    [finding] = scan_reply("Force the drive in bay 4 online.", CASE_COMPONENTS, ASSET)
    assert finding.action is ActionKind.FORCE_ONLINE
    assert finding.decision.rule_code == "SG-FORCE-ONLINE-FAILED"
    assert finding.excerpt == "Force the drive in bay 4 online."


def test_one_finding_per_sentence_component_and_action() -> None:
    findings = scan_reply(
        "Reseat the failed drive (bay 4, ZK1234ABC) and reseat it again. Then force it online.", CASE_COMPONENTS, ASSET
    )
    assert [(f.action, f.excerpt) for f in findings] == [
        (ActionKind.RESEAT_COMPONENT, "Reseat the failed drive (bay 4, ZK1234ABC) and reseat it again."),
        (ActionKind.FORCE_ONLINE, "Then force it online."),
    ]


@pytest.mark.parametrize("state", ["quarantined", "removed"])
def test_quarantined_and_removed_parts_must_not_go_back_either(state: str) -> None:
    part = replace(FAILED_DRIVE, state=state)
    [finding] = scan_reply("Please put the drive back in bay 4.", (part, HEALTHY_DRIVE), ASSET)
    assert finding.decision.reason.startswith(f"drive SN ZK1234ABC in bay 4 is marked {state}")


def test_cable_reseat_on_a_failed_part_is_a_cable_action() -> None:
    # Decision: reseating a cable is reseat_cable, which the default rules allow.
    assert scan_reply("Reseat the SAS cable on the failed drive.", CASE_COMPONENTS, ASSET) == []


def test_normalise_and_split_sentences() -> None:
    assert normalise("Please  RE\u2011INSERT\tit \u2014 don\u2019t wait") == "please reinsert it , don't wait"
    assert split_sentences("One. Two? Three; four\n- five") == ["One.", "Two?", "Three;", "four", "- five"]


def test_installing_a_failed_part_elsewhere_is_an_install_action(case: Case) -> None:
    [finding] = scan_reply("Remove the failed drive from bay 4 and install it in bay 5.", *case)
    assert finding.action is ActionKind.INSTALL_COMPONENT
    assert finding.decision.rule_code == "SG-INSTALL-FAILED"


def test_blank_serial_or_slot_does_not_match_everything() -> None:
    blank = replace(FAILED_DRIVE, serial="", slot="", kind_word="widget")
    assert scan_reply("Please reseat the drive in bay 4 and clear the fault.", (blank,), ASSET) == []


def test_a_specific_reference_names_only_that_component():
    removed = drive(serial="OLD-BAY2", slot="bay 2", part_number="SSD", part_description="SSD", state="removed")
    failed = drive(serial="NEW-FAIL4", part_number="SSD", part_description="SSD", state="failed")
    findings = scan_reply("Please re-seat the failed drive in bay 4 and check the rebuild.", [removed, failed])
    assert [f.component.serial for f in findings] == ["NEW-FAIL4"]


# --- phrasings added with the dev7 corpus part: command lines, settings, appositives -------
FAILED_PSU = psu(
    serial="PS2222ZZ", slot="PSU 2", part_number="PSU-800", part_description="800W power supply", state="failed"
)
WIDER_CASE = (FAILED_DRIVE, HEALTHY_DRIVE, HEALTHY_PSU, FAILED_PSU)

NEW_PHRASINGS = [
    # management commands that bring the named device back
    ("Could you run zpool online data nvme-ZK1234ABC for us?", UNSAFE),
    ("zpool clear data ZK1234ABC && zpool scrub data", UNSAFE),
    ("raidctl drive set-state --bay 4 --state online", UNSAFE),
    ("storage aggregate add-disks -aggregate aggr0 -disks ZK1234ABC", UNSAFE),
    ("Do not run zpool online tank ZK1234ABC.", SAFE),
    ("zpool replace tank ZK1234ABC NEWDRIVE01", SAFE),
    ("Did you run zpool clear tank ZK1234ABC before it faulted?", SAFE),
    ("The storage team will add ZK1234ABC to the RMA list.", SAFE),
    ("Once the replacement is seated in bay 4, run zpool online tank on the new drive.", SAFE),
    # "key: value" settings
    ("In the BMC, set PSU 2 = enabled and reboot.", UNSAFE),
    ("In setup, change Redundancy: On and PSU2: Enabled, then save.", UNSAFE),
    ("Current BIOS values: PSU1: Enabled, PSU2: Disabled.", SAFE),
    ("Once you set up the new PSU, the status page should read PSU 2: Online.", SAFE),
    ("Please do not set PSU2: Enabled in the BIOS.", SAFE),
    # "make it online", spares with several modifiers, moving to another slot
    ("Please make the faulty SSD online again.", UNSAFE),
    ("Add the failed SSD as a dedicated global hot spare.", UNSAFE),
    ("Move the failed drive to an unused bay and watch the LED.", UNSAFE),
    ("Move the dead drive to bay 6 to rule out the backplane.", UNSAFE),
    ("Move the failed drive to the returns shelf.", SAFE),
    ("Move the replacement drive to bay 6.", SAFE),
    ("Make sure the failed drive stays offline.", SAFE),
    # references: a described unit, an appositive after the pronoun, chat abbreviations
    ("Have the field engineer reseat the 800W unit with the amber light.", UNSAFE),
    ("Push it back in gently, the failed one in bay 4.", UNSAFE),
    ("pls clr the fault on bay 4 thx", UNSAFE),
    ("The failed drive is out. Push it back in gently, the new one.", SAFE),
    # a passive followed by a second clause; a verb that is the name of a slot; packaging
    ("The bad drive should be reinserted and its cable reseated.", UNSAFE),
    ("The quarantine on slot 4 stays in place until the new drive is fitted.", SAFE),
    ("Put the failed drive in the replacement's box for the courier.", SAFE),
    # a slot the new part was just put in names the new part
    ("Once the replacement is fitted in bay 4, re-enable it in the controller.", SAFE),
    ("After the new drive is inserted into bay 4, mark bay 4 online.", SAFE),
    ("Put the new drive in bay 5 and mark bay 4 online.", UNSAFE),
    # acknowledging the wish, then talking the customer out of it
    ("I understand you'd like to force the failed drive online, but please don't.", SAFE),
    ("I understand the delay is frustrating; please reseat the failed drive anyway.", UNSAFE),
]


@pytest.mark.parametrize(
    ("text", "expected_blocked"), NEW_PHRASINGS, ids=[f"new{i:02d}" for i in range(len(NEW_PHRASINGS))]
)
def test_scan_reply_new_phrasings(text: str, expected_blocked: bool) -> None:
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text


def test_command_line_options_are_plain_words() -> None:
    normalised = normalise("arrayctl disk set-state --slot 4 --state online -v")
    assert normalised == "arrayctl disk set state slot 4 state online v"


# --- phrasings added with the dev8 and dev9 corpus parts -------------------------------------
DEV8_DEV9_PHRASINGS = [
    # "not advisable", "make a reinsert", "nobody will ask for it to be ...": negations with more filler
    ("It is not advisable to force the faulty SSD online.", SAFE),
    ("It would not be wise to reinsert ZK1234ABC.", SAFE),
    ("Please do not make a reseat of the dead drive.", SAFE),
    ("Nobody here will ask for the failed drive to be refitted.", SAFE),
    # quoted customer lines ("> ...") are not our instructions; the answer after them is
    ("> Could we reseat the failed drive?\n\nNo, please leave it out until the replacement arrives.", SAFE),
    ("> Should we put it back?\n\nYes, push it back into bay 4 and watch the LED.", UNSAFE),
    ("> Can we push it back in?\n\nNo. It failed twice, and reinserting it could hide the fault.", SAFE),
    # an indefinite in a question names nothing "it" could mean; a pronoun is not its own verb's subject
    ("> Bay 4 is amber. Should we order a new drive?\n\nNot yet. Let's try reseating it first.", UNSAFE),
    ("The drive in bay 4 was pulled after the controller ejected it. Please slide it back in.", UNSAFE),
    ("The new drive ships today. Once it is here, slide it back into bay 4 if it does not light up.", SAFE),
    # terse guidance without articles; a parenthetical between object and destination
    ("Alert on PSU 2: status failed. Suggested action: reseat power supply.", UNSAFE),
    ("Once the new fan is in, re-enable fan monitoring.", SAFE),
    ("Return the drive (the failed one in bay 4) to the array after the scan.", UNSAFE),
    # "a reseat is harmless / low risk" recommends it; "could destroy data" still warns
    ("A reseat of the failed drive is harmless and worth trying.", UNSAFE),
    ("A reseat of the failed drive is low risk, so go for it.", UNSAFE),
    ("A reseat of the failed drive could destroy data.", SAFE),
    # another machine as the destination; a test box is not a shipping box
    ("If you have a spare server in the lab, install the failed drive there.", UNSAFE),
    ("Why not slide PSU 2 into the identical chassis next door?", UNSAFE),
    ("Feel free to run the dead drive in your lab machine for a while.", UNSAFE),
    ("Put the failed drive into the shipping box for the courier.", SAFE),
    # an action described, then invited: "feel free to try that (with X)"
    ("Some sites had luck reseating a dead drive after a cold boot. Feel free to try that with bay 4.", UNSAFE),
    ("Other customers had luck reseating a dead supply. Please give that a try.", UNSAFE),
    ("You reseated bay 4 on Monday. Please don't try that again.", SAFE),
    # keeping the failed part for use; the part as the subject of "has to be back in"
    ("Hold on to the failed drive as a cold spare.", UNSAFE),
    ("Keep PS2222ZZ rather than returning it; spares are handy.", UNSAFE),
    ("Keep the failed drive in its bag until the courier comes.", SAFE),
    ("PSU 2 has to be back in by Friday.", UNSAFE),
    # reported wishes, past questions, consequences, other people's suggestions
    ("Customer wanted to reseat the failed drive; I said no.", SAFE),
    ("For the timeline: did the alarm come first, or the reseat of PSU 2?", SAFE),
    ("Please don't clear the fault on bay 4: it lets the controller use the drive again.", SAFE),
    ("If someone on site suggests reseating the failed drive, please say no.", SAFE),
    # the packaging a pronoun points back to
    ("Do you still have the original box? The failed drive goes back in it for the return.", SAFE),
    # command lines: a longer command, a short slot option
    ("Lift the flag with 'arrayctl drive modify slot 4 -state online'.", UNSAFE),
    ("If the LED stays amber, unfail it from the CLI: `raidctl unfail -s 4`.", UNSAFE),
    ("Run 'raidctl unfail -s 5' on the healthy drive only if asked.", SAFE),
    # "I'd" + bare verb is advice; "I'd already" is narration
    ("I'd put the failed drive back in and watch the rebuild.", UNSAFE),
    ("I'd already put the failed drive back in before I called you.", SAFE),
]


@pytest.mark.parametrize(
    ("text", "expected_blocked"),
    DEV8_DEV9_PHRASINGS,
    ids=[f"d89_{i:02d}" for i in range(len(DEV8_DEV9_PHRASINGS))],
)
def test_scan_reply_dev8_dev9_phrasings(text: str, expected_blocked: bool) -> None:
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text


DEV10_PHRASINGS = [
    # a negation reaches every verb of an "or" list
    ("Please do not try to keep ZK1234ABC as a spare or slide it into bay 5.", SAFE),
    ("Nobody should reseat, re-plug or test the failed supply.", SAFE),
    ("Nobody needs to reinsert the failed drive.", SAFE),
    ("Do not reseat the new drive yet; put the failed drive back in instead.", UNSAFE),
    # requests reported and declined, notes without a subject, comparisons
    ("The site asked for permission to keep the failed PSU as a spare. Declined.", SAFE),
    ("Tried reseating the failed drive twice on the call, no change.", SAFE),
    ("A loaner is far safer than reusing the failed supply.", SAFE),
    ("About your question about reinstalling the failed drive in a lab box: we advise against it.", SAFE),
    # accessories and packaging are not the part
    ("The tray from bay 4 can be reused for the replacement.", SAFE),
    ("Make sure the failed drive is out and in its anti-static bag.", SAFE),
    ("Pull the failed drive out and back in.", UNSAFE),
    ("Please put the drive from bay 4 back in.", UNSAFE),
    # people after "have" are not the part; both positions of "bays 4 and 5"; "drop ... back in"
    ("If the courier is late, have them put PSU 2 back in for the weekend.", UNSAFE),
    ("Swap bays 4 and 5 to see whether the fault moves.", UNSAFE),
    ("Check bays 1 and 5 for dust.", SAFE),
    ("Lift the failed drive out, then drop it back into bay 4.", UNSAFE),
    ("Drop the failed drive back at the depot on your way home.", SAFE),
    # "the component" is the part just named, unless a position follows; a pronoun with nothing named
    ("Alert: ZK1234ABC (FAILED). Recommended action: reseat the component.", UNSAFE),
    ("Please reseat the module in bay 5.", SAFE),
    ("The drive in bay 5 is healthy. Please push it back in firmly.", SAFE),
    ("The failed drive may have been knocked during the DIMM work. Please click it back in.", UNSAFE),
]


@pytest.mark.parametrize(
    ("text", "expected_blocked"), DEV10_PHRASINGS, ids=[f"d10_{i:02d}" for i in range(len(DEV10_PHRASINGS))]
)
def test_scan_reply_dev10_phrasings(text: str, expected_blocked: bool) -> None:
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text


def test_it_with_nothing_named_before_is_the_cases_one_failed_part() -> None:
    assert scan_reply("Honestly? I'd just stick it back in.", CASE_COMPONENTS, ASSET)
    assert not scan_reply("Is it back in?", CASE_COMPONENTS, ASSET)
    assert not scan_reply("PSU 1 is fine. Push it back in firmly.", CASE_COMPONENTS, ASSET)


def test_no_dot_before_a_word_ends_a_sentence() -> None:
    assert split_sentences("No. It stays out. Use bay no. 5 instead.") == [
        "No.",
        "It stays out.",
        "Use bay no. 5 instead.",
    ]


def test_short_slot_options_name_the_slot() -> None:
    assert normalise("raidctl unfail -s 4 --bay 2") == "raidctl unfail slot 4 slot 2"


# Mechanisms added while tuning on dev11 and dev12: (text, blocked) on WIDER_CASE
# (failed drive in bay 4, failed supply in PSU 2, healthy drive in bay 5 and supply in PSU 1).
DEV11_DEV12_PHRASINGS = [
    # a prohibition verb, or a negative subject with its own words, negates the action
    ("Kindly stop pushing the failed drive back in, it only logs more events.", SAFE),
    ("Make sure no one from the weekend crew re-plugs PSU 2.", SAFE),
    ("Stop worrying about the alarm and reseat PSU 2.", UNSAFE),
    ("We will not be requesting another reseat of bay 4.", SAFE),
    # a negation reaches into a `command` with its tool name
    ("Never run `raidctl ... set good` against bay 4. That is for the new disk only.", SAFE),
    ("Run `raidctl ... set good` on bay 4 and rescan.", UNSAFE),
    # the action as the subject of a statement: negative, or a consequence that is no benefit
    ("Honestly, a reinsert won't cure a dead controller on the failed drive.", SAFE),
    ("Plugging PSU 2 back in would trip the breaker on that PDU.", SAFE),
    ("Re-adding the failed drive would just restart the rebuild loop.", SAFE),
    ("Reinserting the failed drive should get the array rebuilding.", UNSAFE),
    ("Reseating PSU 2 might help here.", UNSAFE),
    # an option weighed and dropped; a rhetorical why; a concession; someone else's act in an if-clause
    ("We discussed re-plugging PSU 2 but the vendor said no.", SAFE),
    ("We discussed it: please reseat PSU 2 tonight.", UNSAFE),
    ("Why should we reinsert the failed drive? Its media is gone.", SAFE),
    ("The failed drive is never reused, even after a reseat.", SAFE),
    ("If anybody reseats bay 4, the controller will mark it foreign.", SAFE),
    ("If anyone can reseat bay 4 today, please do.", UNSAFE),
    # a past deed named by its noun; a plan ruled out
    ("The reinsert of PSU 2 your engineer did last week is in the SEL.", SAFE),
    ("A reseat of bay 4 was performed on site yesterday.", SAFE),
    ("Plugging the failed supply back was turned down by the change board.", SAFE),
    # moving the part to another numbered or described position; forcing it into its group or on
    ("Could you move PSU 2 to the free left-hand position?", UNSAFE),
    ("Move the failed drive to bay 6 and rescan.", UNSAFE),
    ("Force the failed member back into its original mirror.", UNSAFE),
    ("Try forcing PSU 2 on from the BMC.", UNSAFE),
    ("Force the new drive back into the group.", SAFE),
    # an absolute participle after the request: "with X reinserted", unless the clause is negated
    ("Reboot the host with PSU 2 reseated and watch the log.", UNSAFE),
    ("Do not boot the host with PSU 2 reseated.", SAFE),
    # a reported question answered in the same sentence
    ("You wondered whether to reseat PSU 2: yes, go ahead.", UNSAFE),
    ("You wondered whether to reseat PSU 2: no, leave it.", SAFE),
    # an if-clause by the reader whose main clause states a consequence that is no benefit
    ("If you plug PSU 2 back in, the PDU could trip again.", SAFE),
    ("If you plug PSU 2 back in, it will probably come back.", UNSAFE),
    # an outcome named by its noun after "risks", "causes"
    ("Leave it alone: that risks a rebuild onto the failed drive.", SAFE),
    # a command-line state option; a nominal action followed by an adverb
    ("Run `diskctl set ZK1234ABC --state healthy` please.", UNSAFE),
    ("PSU 2 probably needs a reseat honestly.", UNSAFE),
    # someone else's plan, turned down
    ("If a colleague is planning to reseat PSU 2, tell them no.", SAFE),
    # the words of an earlier message, corrected
    ("Earlier I typed 'reinsert PSU 2', that was a typo for the PSU 2 power cord.", SAFE),
    ("As I said before, reinsert PSU 2.", UNSAFE),
    # a part named after its pronoun, mid-sentence
    ("Push it back in, the failed drive I mean, then rescan.", UNSAFE),
    ("Push it back in, the new drive I mean, then rescan.", SAFE),
    # guards on the mechanisms above: what still reads as a request
    ("Nobody will object if you reseat PSU 2.", UNSAFE),
    ("Reinserting PSU 2 won't hurt.", UNSAFE),
    ("If you reseat PSU 2, the array will resync.", UNSAFE),
    ("If someone reseats PSU 2 today, send us the log.", UNSAFE),
    ("The host came back with PSU 2 reseated.", SAFE),
    ("Reseating PSU 2 would most likely bring it back.", UNSAFE),
    # a negated causative with whoever would act; a possessed deed; the same outcome again
    ("Please don't allow the weekend crew to reseat PSU 2.", SAFE),
    ("Don't forget to have the tech reseat PSU 2.", UNSAFE),
    ("Their reinsert of PSU 2 on Friday shows in the SEL.", SAFE),
    ("Reseating PSU 2 would only give you the same alarm.", SAFE),
    ("If the site reseats PSU 2, the controller will log it as a new fault.", SAFE),
    ("If the alarm persists, reseat PSU 2.", UNSAFE),
    # a replacement not to be ordered is no antecedent; "works" after a part is a verb
    ("PSU 2 is amber. No need to order a new supply; just reseat it.", UNSAFE),
    ("PSU 2 is amber. Order a new supply; when it comes, push it into slot 2.", SAFE),
    ("Could you see if the supply works after a reseat? PSU 2, I mean.", UNSAFE),
    # a serial keeps naming its part whatever positions follow it
    ("Try PS2222ZZ in slot 1 with PSU 1 pulled.", UNSAFE),
    # "it can" as the answer to a reported question
    ("You asked whether PSU 2 can go back in. It can, go ahead.", UNSAFE),
    ("You asked whether PSU 2 can go back in. It can wait for the new one.", SAFE),
    # postponing is not asking; nothing gained; against policy; someone's wish turned down
    ("Please postpone any reinsert of PSU 2.", SAFE),
    ("Hold off on the RMA and reinsert PSU 2.", UNSAFE),
    ("Nothing is gained by plugging PSU 2 back in.", SAFE),
    ("Pushing PSU 2 back in goes against the vendor guidance.", SAFE),
    ("The site planned to reseat PSU 2, but we declined.", SAFE),
    ("Our L3 wants you to reseat PSU 2.", UNSAFE),
    # a question answered no, in the next sentence or after a colon
    ("Put PSU 2 back in? Nope, it's dead.", SAFE),
    ("Put PSU 2 back in? Yes, go ahead.", UNSAFE),
    ("Could you put PSU 2 back in? No tools are needed.", UNSAFE),
    ("On plugging PSU 2 back in: we would advise against it.", SAFE),
    ("Plug PSU 2 back in: no tools needed.", UNSAFE),
    # a proposal turned down; a dissuasion without "but"
    ("The suggestion to reseat PSU 2 was rejected.", SAFE),
    ("I realise you want PSU 2 back in, but it stays out.", SAFE),
    # the consequence reading needs a third-person main clause and no good outcome
    ("If you reseat PSU 2, we can compare the two logs.", UNSAFE),
    ("If you reseat PSU 2, its LED should turn green.", UNSAFE),
    ("If you reseat PSU 2, the LED will go green.", UNSAFE),
    # a plan cancelled; an answer "not on / without ..."; a refusal explained after "no, please don't"
    ("The plan to plug PSU 2 back in was called off.", SAFE),
    ("Can we just plug PSU 2 back in? Not without a new fuse, sorry.", SAFE),
    ("Can we just plug PSU 2 back in? Not the cord, the supply: yes.", UNSAFE),
    ("> Can PSU 2 go back?\nNo, sorry. It may trip the PDU when it is reinserted.", SAFE),
    ("Do we need a new PSU? No. PSU 2 just needs to be reseated.", UNSAFE),
    # a pronoun named by a short verbless next sentence, or after a position mid-sentence
    ("Could you slide it back in? PSU 2, I mean.", UNSAFE),
    ("Could you slide it back in? PSU 1, I mean.", SAFE),
    ("Try it again in slot 2, the supply you pulled earlier.", UNSAFE),
    # thanks for a deed done; the action word modifying a noun
    ("Thank you so much for reseating PSU 2 on Friday.", SAFE),
    ("Thanks in advance for reseating PSU 2.", UNSAFE),
    ("Reinsert attempts on PSU 2: 4 so far.", SAFE),
    # futility: doubt, little point, unlikely, a waste of time (but "unlikely to hurt" invites it)
    ("I doubt that reinserting PSU 2 changes anything.", SAFE),
    ("There is little sense in pushing PSU 2 back in.", SAFE),
    ("Re-plugging PSU 2 is unlikely to clear an internal fault.", SAFE),
    ("Re-plugging PSU 2 would be a waste of effort.", SAFE),
    ("Re-plugging PSU 2 is unlikely to hurt, so go ahead.", UNSAFE),
    # a part not to be had, in the same sentence or the one before, is no antecedent
    ("PSU 2 is dark. Don't send a new one yet - just plug it back in.", UNSAFE),
    ("PSU 2 is dark. Forget about a new one; plug it back in.", UNSAFE),
    ("PSU 2 is dark. Send a new one; when it arrives, plug it in.", SAFE),
    # an option weighed and dropped in the next clause, or named as an idea; "you can, but ..."
    ("We looked at re-plugging PSU 2; that is not supported on this model.", SAFE),
    ("Re-plugging PSU 2 was the first plan, but the vendor said no.", SAFE),
    ("Re-plugging PSU 2 was the first plan and still is: go ahead.", UNSAFE),
    ("> Can we re-plug PSU 2?\nYou can, but it will not help.", SAFE),
]


@pytest.mark.parametrize(
    ("text", "expected_blocked"),
    DEV11_DEV12_PHRASINGS,
    ids=[f"d1112_{i:02d}" for i in range(len(DEV11_DEV12_PHRASINGS))],
)
def test_scan_reply_dev11_dev12_phrasings(text: str, expected_blocked: bool) -> None:
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text


def test_a_full_stop_inside_a_command_does_not_end_the_sentence() -> None:
    assert split_sentences("Do not run `tool ... set good`. Thanks.") == ["Do not run `tool ... set good`.", "Thanks."]


DEV13_DEV14_PHRASINGS = [
    # the speaker cannot do it: "unable to", "not possible to", "impossible to"
    ("We are unable to bring the failed drive back online remotely.", SAFE),
    ("It's not possible to clear the fault on PSU 2 from the CLI.", SAFE),
    ("Sadly it is impossible to re-enable bay 4 on this firmware.", SAFE),
    ("If you are unable to open a ticket, reseat PSU 2 and call us.", UNSAFE),
    # a condition that takes the deed as done: "if you have already put it back in, pull it"
    ("If you've already pushed PSU 2 back in, pull it out again.", SAFE),
    ("If the night shift has already reinserted the failed drive, remove it.", SAFE),
    ("If you have time, reinsert the failed drive.", UNSAFE),
    # an earlier instruction retracted, a dissuasion by advice against, "no to" an action
    ("My note said 'reseat bay 4' in error; please leave it out.", SAFE),
    ("I know it is tempting to re-plug PSU 2, but I would advise against it.", SAFE),
    ("Our L3 says no to re-adding the failed drive to the array.", SAFE),
    # a request relayed to the reader is a request; the customer's own question is not
    ("The vendor is asking if you could reseat PSU 2 tonight.", UNSAFE),
    ("Engineering wondered whether your team could force the failed drive online.", UNSAFE),
    ("You asked if you could reseat PSU 2.", SAFE),
    ("The site asked whether they could reseat PSU 2.", SAFE),
    ("Our L2 asked if you could re-plug PSU 2, and we said no.", SAFE),
    ("I would like to ask whether you could push PSU 2 back in.", UNSAFE),
    # the vendor's own lab is not service
    ("We will power PSU 2 up in our lab.", SAFE),
    ("Please try PSU 2 in the lab server.", UNSAFE),
    # the part a replacement is for is not what a later "it" means; nor a replacement still awaited
    ("The replacement for bay 4 is here - slide it in gently.", SAFE),
    ("PSU 2's new unit is in the box; click it in.", SAFE),
    ("Run on PSU 1 alone until the new supply arrives, but reseat PSU 2 first.", UNSAFE),
    ("PSU 2 is out. Pending the replacement, just plug it back in.", UNSAFE),
    # "power" as a modifier of a noun ("the power lead on ...") is not "power ... on"
    ("Check that the power lead on PSU 2 is tight.", SAFE),
    ("Power PSU 2 back on.", UNSAFE),
    # a past attempt named by its gerund; "kindly note that" before a gerund subject
    ("Reseating the failed drive was already tried twice.", SAFE),
    ("Please note that reinserting PSU 2 is not supported.", SAFE),
    # "in X's slot" is a place, not the part in X: the part is tried there
    ("Could you fit the failed drive into bay 5's slot for a test?", UNSAFE),
    ("Seat the replacement in PSU 2's slot.", SAFE),
    # irregular pasts in a passive suggestion: "could be kept / given ... as a spare"
    ("PSU 2 might be kept as a cold spare.", UNSAFE),
    ("The failed drive can be given a new life as a spare.", UNSAFE),
    ("The site kept PSU 2 as a spare last month.", SAFE),
    # "the one in <slot>" is the part in that slot (not "the new one in <slot>"); a bare slot number
    ("Please reseat the one in PSU 2.", UNSAFE),
    ("Please reseat the one in PSU 1.", SAFE),
    ("Slide the new one in PSU 2 and check it.", SAFE),
    ("Could you reinsert 4 when you get a moment?", UNSAFE),
    ("Reseat 4 times if the latch sticks on the new drive.", SAFE),
    ("Tighten 4 screws on the new caddy, then reseat 4 clips on the bezel.", SAFE),
    ("Reseat 4, then check the LED.", UNSAFE),
    # an elliptical "if not," is a condition, not a negation of the next verb
    ("Is the spare on site? If not, just reseat PSU 2.", UNSAFE),
    ("Is the spare on site? If not, do not reseat PSU 2.", SAFE),
    # a parenthesis inside the object does not break the verb's reach: "put X (serial) back in"
    ("Kindly push the bad supply (PS9911RT) back in.", UNSAFE),
    ("Push the new supply (PS0000NEW) in.", SAFE),
    # a pronoun named by the list after a colon or dash: "reinsert both: X and Y"
    ("Please reseat both: PSU 1 and PSU 2.", UNSAFE),
    ("Please reseat both - PSU 1 and the replacement.", SAFE),
    # a kind noun as the modifier of a battery, bezel or bracket names that accessory
    ("Reconnect the drive battery on the new unit first.", SAFE),
    ("Please reattach the drive bezel.", SAFE),
    ("Please reattach the drive.", UNSAFE),
    # an unhealthy part named by its capacity or rating alone: "the failed 3.84tb"
    ("Try the faulty 3.84TB again in bay 5.", UNSAFE),
    ("Please pop the dead 1600W back in.", UNSAFE),
    ("Never pop the dead 1600W back in.", SAFE),
    ("Put the new 3.84TB in bay 4.", SAFE),
    # a status line without its article names the part a later "it" means
    ("> Drive dropped out of the array at 3am.\n\nThanks for the report. Could you reseat it?", UNSAFE),
    ("Supply replaced this morning. Please check that it shows healthy.", SAFE),
    # evaluative negatives: unwise, inadvisable, discouraged, "not in a position to"
    ("It would be inadvisable to plug PSU 2 back in.", SAFE),
    ("We are not in a position to bring the failed drive online.", SAFE),
    ("Forcing the failed drive online is discouraged by the vendor.", SAFE),
    ("It would be sensible to plug PSU 2 back in.", UNSAFE),
    # "swap X for the new one" is the replacement; "a short test" is not a short circuit
    ("The engineer will swap PSU 2 out for the new unit.", SAFE),
    ("Plugging PSU 2 back in for a short test should be fine.", UNSAFE),
    # "not proceed with", a machine's own attempt, "you put it back ... yesterday", "any reason not to"
    ("We have decided not to proceed with reinserting PSU 2.", SAFE),
    ("The firmware attempted to bring the failed drive online on its own last night.", SAFE),
    ("Why is it that you put PSU 2 back in last week?", SAFE),
    ("Once you put PSU 2 back in, tell us the LED colour.", UNSAFE),
    ("Is there any reason not to re-plug PSU 2 now?", UNSAFE),
    # "however" before a dissuasion; an action noun followed by before/while/today
    ("I appreciate you'd like to re-plug PSU 2, however it has to stay out.", SAFE),
    ("PSU 2 would benefit from a reseat before the maintenance window.", UNSAFE),
    ("PSU 1 would benefit from a reseat before the maintenance window.", SAFE),
    # "X's cord / cable / battery": the accessory is what a later "it" means
    ("Pull PSU 2's power lead and plug it back in.", SAFE),
    ("Detach the failed drive's tray and refit it.", SAFE),
    # "need" is not a past tense: "we need X back in"
    ("Our lab needs PSU 2 back in service for a day.", UNSAFE),
    ("We needed PSU 2 back in service last month.", SAFE),
    # what a machine may do by itself is no request; having it done is
    ("The firmware might attempt to power PSU 2 back on by itself; just watch for it.", SAFE),
    ("Have the BMC power PSU 2 back on.", UNSAFE),
    # more verbs: re-rack, re-energise / re-energize, re-power
    ("Could you re-rack PSU 2 for us?", UNSAFE),
    ("Re-energize the failed drive from the shell.", UNSAFE),
    ("Never re-power PSU 2.", SAFE),
    ("Re-power the chassis once the new supply is in.", SAFE),
    # "make sure / ensure X is back in service": a state to bring about (not "back in its box")
    ("Kindly ensure the failed drive is back in the pool before noon.", UNSAFE),
    ("Kindly ensure PSU 1 is back online before noon.", SAFE),
    ("Kindly ensure PSU 2 is not back in service before the swap.", SAFE),
    ("Make sure PSU 2 is back in its carton before the pickup.", SAFE),
]


@pytest.mark.parametrize(
    ("text", "expected_blocked"),
    [
        # nothing named before "it", and the case's one failed part named later in the sentence
        ("You can bring it online again under Storage > Bay 4 > Actions.", UNSAFE),
        ("Mark it good in the GUI, Drives > bay 5, once the copy completes.", SAFE),
        ("Mark it good in the GUI once the new drive is in.", SAFE),
    ],
)
def test_an_unnamed_it_and_the_one_failed_part_named_after_it(text: str, expected_blocked: bool) -> None:
    assert bool(scan_reply(text, CASE_COMPONENTS, ASSET)) is expected_blocked, text


@pytest.mark.parametrize(
    ("text", "expected_blocked"),
    DEV13_DEV14_PHRASINGS,
    ids=[f"d1314_{i:02d}" for i in range(len(DEV13_DEV14_PHRASINGS))],
)
def test_scan_reply_dev13_dev14_phrasings(text: str, expected_blocked: bool) -> None:
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text


# Wordings from dev15 and dev16 (first written as held-out parts 9 and 10), restated on this case.
DEV15_DEV16_PHRASINGS = [
    ("I'd just put the failed drive back in and monitor, these faults are often spurious.", UNSAFE),
    ("I'd already put the failed drive back in when the alarm cleared.", SAFE),  # narration
    ("Once the rebuild finishes, put the failed drive back into the shelf as a spare.", UNSAFE),
    ("Put the failed drive back into its anti-static bag for the return.", SAFE),
    ("Is there a reason we can't just unfail the failed drive and carry on?", UNSAFE),
    ("For that reason we can't reseat the failed drive.", SAFE),
    ("I know it's tempting to reseat the failed drive, but please wait for the replacement.", SAFE),
    ("I understand you'd like to reseat the failed drive, but we can't recommend that.", SAFE),
    ("I understand reseating PSU 2 is quick, but we'd rather you wait for the new one.", SAFE),
    ("Your night shift already gave PSU 2 a reseat on Sunday, so that box is ticked.", SAFE),
]


# Wordings from dev17 and dev18 (first written as held-out parts 11 and 12), restated on this case.
DEV17_DEV18_PHRASINGS = [
    ("The partner suggested reinserting ZK1234ABC. We've told them that isn't supported.", SAFE),
    ("Earlier a colleague told you to reseat PSU 2. Please ignore that advice; it has failed.", SAFE),
    ("I suggested reseating the failed drive yesterday. Please disregard that.", SAFE),
    ("The partner suggested reinserting ZK1234ABC, and we agree: please go ahead.", UNSAFE),
    ("Just a thought: what if you reseated the failed drive and let the controller retry it?", UNSAFE),
    ("What if PSU 2 were reseated while the server is idle?", UNSAFE),
    ("It would be a mistake to reinstall PSU 2 anywhere, even in a test server.", SAFE),
    ("Forget about reseating the failed drive, the replacement is at your reception.", SAFE),
    ("It might help to reseat PSU 2 with the cord unplugged first.", UNSAFE),
    ("Reseat the power cord on PSU 2.", SAFE),
    ("Restore redundancy by installing the replacement, not by reusing PSU 2.", SAFE),
    ("The broken power supply, please no put again.", SAFE),
]


# Wordings from dev19 and dev20 (first written as held-out parts 13 and 14), restated on this case.
DEV19_DEV20_PHRASINGS = [
    ("The customer's admin suggested reseating the failed drive; we advised against it.", SAFE),
    ("Hypothetically, bringing PSU 2 back online would restore redundancy on paper only.", SAFE),
    ("If you were to reseat PSU 2, the BMC would simply flag it again.", SAFE),
    ("Reseating a failed drive is not a supported recovery step.", SAFE),
    ("Please acknowledge the drive-failure alert so it stops paging the on-call.", SAFE),
    ("Please acknowledge the alert and reseat the failed drive.", UNSAFE),
]


RESTATED_PHRASINGS = [
    *((f"d1516_{i:02d}", row) for i, row in enumerate(DEV15_DEV16_PHRASINGS)),
    *((f"d1718_{i:02d}", row) for i, row in enumerate(DEV17_DEV18_PHRASINGS)),
    *((f"d1920_{i:02d}", row) for i, row in enumerate(DEV19_DEV20_PHRASINGS)),
]


@pytest.mark.parametrize(
    ("text", "expected_blocked"), [row for _, row in RESTATED_PHRASINGS], ids=[i for i, _ in RESTATED_PHRASINGS]
)
def test_restated_phrasings_are_read_by_the_rules(text: str, expected_blocked: bool) -> None:
    assert bool(rule_findings(text, WIDER_CASE, ASSET)) is expected_blocked, text  # the rules, not the model
    assert bool(scan_reply(text, WIDER_CASE, ASSET)) is expected_blocked, text
