"""Cues that an action is weighed, talked about or turned down rather than asked for:
rhetorical questions, options considered and dropped, consequences and risks, corrections,
thanks for a past deed, others' wishes refused.

The statement readings of the "request" leg of the scanner, beside the negation and
narration cues of ``casemgr.safety.negation``; ``casemgr.safety.sentence`` applies them.
"""

from __future__ import annotations

import re

from casemgr.safety.negation import _WHO

# "why would we reseat it? it has 412 errors": a rhetorical question, the answer is no
_RHETORICAL = re.compile(r"^\W*(?:so\s+|but\s+)?why\s+(?:would|should)\s+(?:we|i|you|anyone|they)\s+(?:\w+\s+)?$")
# "even if it comes back after a reseat": a concession, not a request
_CONCESSIVE = re.compile(r"\beven\s+(?:if|when|after|though)\b")
_CONCESSIVE_CLAUSE = re.compile(r"\beven\s+(?:if|when|after|though)\b[^,;:.!?]*$")  # "... after your reseat"
# "we considered reseating it but L3 vetoed it": an option weighed and dropped
_CONSIDERED = re.compile(
    r"\b(?:considered|discussed|debated|weighed|evaluated|thought about|thought of|talked about|looked at"
    r"|looked into)"
    r"\s+(?:\w+\s+){0,6}?$"
)
_DROPPED = re.compile(
    r"\b(?:but|however|rejected|vetoed|ruled out|decided against|declined|turned (?:it )?down|dropped|skip\w*"
    r"|not (?:a )?(?:good|great|wise) idea|bad idea|not supported|said no|not ours|advise against|it can't"
    r"|it cannot|we wouldn't)\b"
)
# "re-adding it was our first idea, but l3 said no": the action named as an idea, then dropped
_WAS_IDEA = re.compile(
    r"\s+(?:[\w-]+\s+){0,4}?(?:was|were)\s+(?:our|the|my|an?|your|their|his|her)\s+(?:[\w'-]+\s+){0,3}?"
    r"(?:idea|plan|thought|option)\b"
)
# "the reseat of bay 4 you did on monday", "a reseat of it was done by your team": a past deed, named
_NOMINAL_DONE = re.compile(
    r"[^,;]*?(?:\b(?:you|they|we|he|she|someone|your \w+|the \w+) (?:did|performed|tried|attempted|ran)\b"
    r"|\b(?:was|were|has been|had been|is|got)\s+(?:(?:\w+ly|already|also|once|twice)\s+)?(?:done|performed"
    r"|carried out|attempted|tried"
    r"|completed|logged|recorded|noted|discussed|considered|evaluated|raised|mentioned|suggested|proposed)\b"
    r"|\b(?:has |have |had )?(?:come|came) up\b"
    r"|\b(?:was|were) the (?:first|last|only) thing (?:[\w']+ ){0,3}?(?:tried|did|attempted|suggested)\b)"
)
# "reseat won't change anything", "a reseat might upset the bus": the action is the subject of a statement
_SUBJECT_OF = re.compile(
    r"\s*(?:alone\s+|by itself\s+|again\s+)?(?:won't|wouldn't|can't|cannot|doesn't|didn't|isn't|hasn't|never"
    r"|will not|would not|does not|is not|(?=(?:would|will|could|might|may|can)\b))"
    r"(?!\s+(?:\w+\s+)?(?:hurt|harm)\b)"  # "a reseat won't hurt" is a suggestion
)
# "swapping it back in would drop the server": a gerund subject with a consequence; a benefit is a suggestion
_BENEFIT = (
    r"(?:probably|likely|help|fix|solve|resolve|clear|restore|recover|work|get|tell|show|confirm|let us|allow us"
    r"|bring|be|do|sort|revive|wake|rule|prove|isolate|narrow"
    r"|give (?!(?:\w+ )?(?:no|the same|another)\b)|save|buy|make it"
    r"|re\w+ it|see|pick|detect|come|start|spin|succeed|settle|shake"
    r"|(?:trigger|force|kick off|initiate) (?:a|the) re\w+|know|learn|find|notice"
    r"|check|verify|test|rebuild|resync|resilver|rejoin|rediscover|redetect|rescan|reappear|return"
    r"|(?:go|turn) (?:green|back|solid)|light up|power up|boot|become)\b"
)
_ADVERBS = r"(?:(?:\w+ly|also|just|only|then|still|at least|most|more|even|always|often)\s+)*+"
_CONSEQUENCE_OF = re.compile(
    r"[^,;]*?\b(?:would|will|could|might|may|can)\s+"
    rf"(?:{_ADVERBS}(?!{_BENEFIT})\w+|(?:\w+ly\s+)?only\s+)"
)  # "... would only start another rebuild": "only" makes even a start a drawback
_MODAL_CONSEQUENCE = re.compile(  # the same, the modal right after the action: "a reseat would only ..."
    r"\s*(?:would|will|could|might|may|can)\s+"
    rf"{_ADVERBS}(?!{_BENEFIT})\w+"
)
# "if you put it back in, the bmc may throttle the cpus": an if-clause whose main clause states a consequence
_IF_ACTOR = re.compile(
    r"\bif\s+(?:you|they|we|one|someone|somebody|anyone|anybody|(?:the|your) [\w-]+)\s+"
    r"(?:(?:\w+ly|ever|just|again|now|then|were to|was to)\s+)*$"
)
_THEN_CONSEQUENCE = re.compile(
    r"[^,;.!?]*,\s*(?:then\s+)?(?:the|your|it|this|that|there|a|an)\b[^,;.!?]{0,60}?"
    rf"\b(?:will|may|might|could|would|can)\s+{_ADVERBS}(?!{_BENEFIT})\w+"
)
# "it risks a rebuild onto a bad disk": an outcome named by its noun
_RISKED = re.compile(
    r"\b(?:risks?|risking|(?:could|would|may|might|will|can) cause|causes|caused|results? in|leads? to)\s+"
    r"(?:a|an|another|the|any)\s+(?:[\w-]+\s+)?$"
)
# "i wrote 'reseat bay 4' but i meant ...": the words of an earlier message, corrected
_QUOTED_WORDS = re.compile(r"\b(?:wrote|said|typed|says|read|reads|written)\s+['\"]?$|(?:^|:\s*)['\"]$")
_CORRECTED = re.compile(
    r"\b(?:meant|should have (?:said|read|been|written)|should read|typo|was (?:a |an )?(?:mistake|wrong|error)"
    r"|correction|disregard|ignore (?:that|it|this)|by mistake|in error|mistakenly|erroneously"
    r"|referred to|refers to|was about|meant for)\b"
)
# "try it in slot 2 - the nvram card i mean - ...": the end of a part named after its pronoun
_APPOS_END = re.compile(
    r"\s*(?:(?:i mean|that is|i think|i believe|yesterday|today|earlier|last \w+|on \w+day|please)\s*)?(?:[,.;!?]|$)"
)
_CLAUSE_LINK = frozenset({"if", "when", "once", "so", "because", "and", "then", "unless", "until", "but"})
# "the server came up with psu 2 reseated": a past verb in the clause, narration
_NARRATED = re.compile(r"\b(?:\w+ed|came|ran|was|were|went|did|had|got|saw|showed|took|kept|left|began)\b")
# "your reseat of bay 4 last night": someone's deed, named by its noun
_POSSESSOR = re.compile(r"\b(?:your|their|his|her|our|the customer's|the site's)\s+$")
# "don't let the night shift reinsert it": a negated causative, then whoever would act
_NEG_CAUSATIVE = re.compile(
    r"\s*(?:(?:please|you|we|ever)\s+)*(?:let|allow|permit|have|get|make|ask|tell|want|expect)\s+"
    r"(?:[\w'-]+\s+){0,4}?(?:to\s+)?"
)
# "don't order a replacement yet": a part not to be had, which no later "it" points at
_UNWANTED = re.compile(
    r"\b(?:(?:don't|do not|no need to|never|not)\s+(?:(?:\w+ly|yet|even|bother to)\s+)*"
    r"(?:order|request|ship|send|buy|get|open an rma for|raise an rma for|wait for|bother with)"
    r"|never mind|forget(?: about)?|no need for|instead of|rather than)\s+(?:(?:a|an|any|the)\s+)?$"
)
# "the customer wants to reseat it, but we said no": someone else's wish, turned down
_OTHERS_WISH = re.compile(
    rf"\b(?:{_WHO}|cust|site|client|customers?|your \w+|the \w+)\s+(?:wants?|wanted|would like|plans?|planned"
    r"|intends?|intended|proposes?|proposed|suggests?|suggested|is keen|was keen)\s+(?:to\s+)?$"
)
_NO = r"no(?=\s*[,.!;:-]|\s*$|\s+(?:please|sorry|we|i|it|that|this|not|thanks|way)\b)"  # "no, ..." not "no tools"
# "reseat psu 2? no, it has an internal fault": a question answered no in the next sentence
_NEG_ANSWER = re.compile(
    r"[\s\"':\u2014-]*(?:a\s*:\s*)?(?:i (?:understand|know|get|see)[^.;!?]{0,40}?,?\s*but\s+)?"
    r"(?:(?:in (?:our|my) experience|honestly|frankly|sadly|realistically|in short|short answer)\s*[,:]?\s*)?"
    rf"(?:{_NO}|nope|not really|not (?:now|yet|today)\b|not (?:on|with|without|while|for|in)\b"
    r"|not a chance|no chance|no way|not happening|not at all|none\b|we (?:don't|do not|won't|can't|cannot) do"
    r"|(?:that's|that is) not (?:possible|an option|something we)"
    r"|unlikely|unfortunately not|i'm afraid not|afraid not|i'd rather (?:you didn't|not)|better not|best not"
    r"|nothing\b|definitely not|absolutely not|certainly not|sorry,? no|please don't|please do not|never\b"
    r"|(?:don't|do not)(?!\s+(?:worry|forget|hesitate|wait)\b))"
)
# "re 'can we reseat psu 2': no, please leave it out", "about reseating it: we'd advise against it"
_REFUSE_INLINE = re.compile(
    rf"[:\u2014]\s*(?:{_NO}|no need|nope|not really|please don't|please do not|better not|best not|sorry,? no"
    r"|(?:we'd|we would|i'd|i would|we) (?:advise|recommend|argue) against)"
)
# "your proposal to reseat it is declined": a request named, then turned down
_PROPOSAL = re.compile(r"\b(?:proposal|request|suggestion|idea|plan|offer|permission|decision)\s+(?:to\s+|\(\s*)?$")
_TURNED_DOWN = re.compile(r"\b(?:declined|rejected|refused|turned down|vetoed|not approved)\b")
# "thanks for reseating bay 4 yesterday": thanks for a deed done (not "thanks for reseating it tonight")
_THANKS = re.compile(r"\b(?:thanks|thank you|grateful|appreciate it|much appreciated)\s+(?:(?:\w+\s+){0,2}?for)\s+$")
_FUTURE = re.compile(
    r"\b(?:when you|once you|if you|tonight|tomorrow|later|asap|in advance|next|as soon as"
    r"|this (?:evening|afternoon))\b"
)
# "reseat count on bay 4: 3": the action word as a modifier of a noun
_ACTION_NOUN = re.compile(r"\s+(?:count|counter|history|attempts?|logs?|limit|events?|records?|procedure|guide)\b")
# "if you have already put it back in, pull it out again": a deed the condition takes as done
_IF_DONE = re.compile(
    rf"\bif\s+(?:{_WHO}|you|anyone|someone|somebody|(?:the|your) [\w-]+)(?:'ve)?\s+(?:(?:have|has|had|already"
    r"|previously|since)\s+)*(?:already|previously)\s+(?:(?:have|has|had)\s+)?$"
)
_IF_SUBJECT = re.compile(rf"\bif\s+(?:{_WHO}|you|anyone|someone|somebody|(?:the|your) [\w-]+)\s+$")
_PERFECT = re.compile(r"(?:have|has|had)\s+(?:already|previously)\b")  # "if you [have already put] it back"
# "the vendor is asking whether you could bring it online": a request relayed to the reader, not a reported question
_RELAYED = re.compile(
    r"\b(?P<who>[\w']+)\s+(?:(?:is|are|was|were|has|have|had|also|now|just)\s+)*(?:ask|asking|asked|asks|wondering"
    r"|wondered|wonders|wants? to know|wanted to know|would like to know)\s+(?:\w+\s+)?(?:if|whether)\s+"
    r"(?:you|your (?:team|site|staff|tech\w*|engineers?)|the site|someone on site)\s+(?:could|can|would|might"
    r"|are able to)\s+(?:(?:please|maybe|perhaps|kindly|possibly|\w+ly)\s+)*$"
)
# "i was wondering if you could try fan 2 once more by reseating it": the writer's own request, politely
_POLITE_ASK = re.compile(
    r"\b(?:i|we)\s+(?:(?:am|are|was|were|have been|had been|just|also)\s+)*(?:wondering|wondered|wonder)\s+"
    r"(?:\w+\s+)?(?:if|whether)\s+(?:you|your [\w-]+|the site|someone on site)\s+(?:could|can|would|might"
    r"|are able to)\b[^,;:.!?]*$"
)
# "we will test it in our lab": the vendor's own failure analysis, not service
_VENDOR_LAB = re.compile(
    r"(?:\s+[\w']+){0,3}?\s+(?:in|at|to)\s+(?:our|the vendor's|their|the)\s+(?:[\w-]+\s+)?(?:lab|laboratory|labs"
    r"|facility|depot|repair cent(?:er|re)|factory|failure analysis)\b"
    r"(?!\s+(?:server|machine|host|node|box|chassis|filer|array|shelf|cluster"
    r"|system|rig|unit)s?\b)"
)
_LIST_AFTER = re.compile(r"\s*(?::|\u2014|--?)\s*")  # "reinsert both: X and Y": the pronoun named after it
# "is there a reason you put it back in yesterday?": "you put" with a past time is narration
_YOU_LEAD = re.compile(r"\byou\s+(?:(?:\w+ly|just|then|also)\s+)?$")
_PAST_TIME = re.compile(
    r"[^.;!?]*?\b(?:yesterday|last (?:night|week|month|time|shift|\w+day)|ago|earlier today|this past \w+)\b"
)
# "the bmc may try to re-enable fan 2 automatically": what a machine may do by itself
_MACHINE_WILL = re.compile(
    r"\b(?:the|your|its)\s+(?:[\w-]+\s+)?(?:controller|array|system|firmware|bmc|idrac|ilo|host|server|os|driver"
    r"|filer|node|raid)\s+(?:(?:may|might|will|could|can|would|sometimes|often|also|then|automatically)\s+)+"
    r"(?:(?:try|attempt|want)\s+to\s+)?$"
)
# "a drive with media errors can be accepted back by the controller": what a machine does, in the passive
_BY_MACHINE = re.compile(
    r"\s+by\s+(?:the|your|its|an?)\s+(?:[\w-]+\s+)?(?:controller|array|system|firmware|bmc|idrac|ilo|os|driver"
    r"|raid|host|server|filer|node|software|hba|backplane|expander|enclosure)s?\b"
)
# "if anyone suggests putting it back in, ... say no": someone else's idea, turned down
_SUGGESTED_BY_OTHERS = re.compile(
    r"\bif\s+(?:anyone|anybody|someone|somebody|they|he|she|the \w+|a colleague)\b[^.;:!?]*?\b(?:suggests?"
    r"|proposes?|recommends?|asks?|wants?|offers?|tells? you|insists?|plans?|intends?"
    r"|(?:is|are|was|were) (?:thinking|planning|considering|about))\b"
    # "some forums suggest reseating failed fans; please don't": advice found elsewhere
    r"|\b(?:some|many|other|a few|several|online)\s+(?:[\w-]+\s+)?(?:forums?|people|posts?|guides?|articles?"
    r"|users?|admins?|sites?|threads?|blogs?|videos?|vendors?|engineers?|technicians?|colleagues?|resellers?)\s+"
    r"(?:\w+\s+)?(?:suggest|recommend|advise|say|claim|propose|tell)\w*\b"
)
# "the partner suggested reinserting it. we've told them that isn't supported", "earlier i told you to
# reseat psu 2. please ignore that advice": a suggestion already made, reported and then withdrawn
_SUGGESTED_BEFORE = re.compile(
    r"\b(?:suggested|proposed|recommended|advised|mentioned|floated|raised|told (?:you|them|us|the \w+)"
    r"(?: earlier| before| yesterday)?)\s+"
    r"(?:(?:that\s+)?(?:you|they|we|the \w+)\s+)?(?:(?:should|could|might|try)\s+)?(?:to\s+|a\s+|an\s+)?$"
    r"|\b(?:says|said|suggests|recommends|claims|claimed) (?:to|that you should|you should|try)\s+$"
    # "the previous tech asked you to reseat it; please ignore that", "customer asked about reseating it. declined."
    r"|\basked (?:you|them|us|him|her|the \w+)(?: earlier| before| yesterday| last week)? to\s+$|\basked about\s+$"
    r"|\bused to (?:say|recommend|suggest|tell you)\s+(?:to\s+)?$|\b(?:would|'d) only (?:suggest|recommend|advise)\s+$"
    r"|\b(?:said|wrote|mentioned|suggested|told you|advised)\b[^.;!?]{0,40}?\s"
    r"(?:to|try|could|should|can|might|that)\s+$"
    # "my colleague's note about reseating psu 2 was sent in error"
    r"|\b(?:note|advice|suggestion|instruction|recommendation|email|message|reply|step)s?\s+"
    r"(?:about|on|regarding|re|to|suggesting|recommending)\s+$"
)
_WITHDRAWN = re.compile(
    r"\b(?:disregard|ignore (?:that|this|it|my|the|what)|(?:i|we|he|she|they) (?:was|were) wrong|scratch that"
    r"|retract\w*|withdraw\w*|withdrew|(?:is|isn't|is not|not) supported|(?:don't|do not|doesn't|does not) support"
    r"|declined|asked them not to|told them (?:not|that|it|no)|off the table|no longer (?:stands|applies|valid)"
    r"|(?:advised|advise|recommended|recommend|argued|warned) against"
    r"|(?:sent|written|given|made|posted) (?:in error|by mistake)|doesn't apply|does not apply|is outdated"
    r"|out of date|no longer (?:does|do|says|applies|holds)|not (?:suggesting|recommending|asking for) (?:it|that|this)"
    r"|(?:has been|have been|was|were|been) (?:removed|deleted|dropped)|told (?:him|her) (?:not|that|it|no)"
    r"|not something (?:we|you|i) (?:\w+ )?(?:support|recommend|allow|do)"
    r"|was (?:a mistake|an error|incorrect|wrong))\b"
)
# "please don't:" over a list: each item below it is something not to do
_NEG_HEADER = re.compile(
    r"^\W*(?:please\s+)?(?:(?:do not|don't|never|avoid|what not to do|things not to do|things to avoid"
    r"|not to do|under no circumstances|what you should not do|what you shouldn't do)\b)[^:]{0,40}:\s*$"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022\u2013]|\d{1,2}[.)]|[a-f][.)])\s+")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s*$")  # "1." split from the item it numbers
# "which did you do first: reseat the cord or the supply?": a question about what was done
_WHAT_WAS_DONE = re.compile(
    r"^\W*(?:which|what)\s+(?:\w+\s+)?did\s+(?:you|they|we|anyone|someone|the \w+|your \w+)\b[^?]*\?\W*$"
)
# "when you put the bay 2 drive back in, did it show as broken?": the deed is the time of the question
_WHEN_DONE = re.compile(
    r"\b(?:when|after|before|as soon as)\s+(?:you|they|we|someone|the \w+|your \w+)\s+"
    r"(?:(?:\w+ly|first|last|just)\s+)?$"
)
_THEN_ASKED = re.compile(r"[^?]*,\s*(?:did|was|were|had|has|have|how|what)\b[^?]*\?\W*$")
# "have you put the failed drive back in at any point since tuesday?": whether it was done
_HAVE_YOU = re.compile(
    r"^\W*(?:[\w ]{0,30}:\s*)?(?:has|have|had)\s+(?:you|they|anyone|anybody|someone|somebody|the \w+|your \w+)"
    r"\s+(?:(?:\w+ly|ever|already|at all)\s+)*$"
)
_EVER = re.compile(r"\b(?:at any point|at any time|since|ever|already|before|previously|at all|recently)\b")
# "ignore step 2 of the earlier script (reseat fan 2)": a step named in order to withdraw it
_IGNORED_STEP = re.compile(r"\b(?:ignore|disregard|skip|scratch|omit|cancel)\b[^.;!?()]*\(\s*$")
# "mark it offline", "put it back into quarantine", "leave slot 1 as it is": a part kept out of service
_KEPT_GAP = r"\s+(?:(?!(?:and|then|but|or|you|we|they|if|so)\b)[\w/-]+\s+){0,4}?"
_KEPT_OUT = re.compile(
    rf"\b(?:mark|marks|marked|marking|set|sets|setting){_KEPT_GAP}(?:as\s+)?(?:offline|failed|disabled|bad"
    r"|out of service)\b"
    rf"|\b(?:take|takes|took|taken|taking){_KEPT_GAP}(?:offline|out of service)\b"
    rf"|\b(?:keep|keeps|kept|keeping|leave|leaves|left|leaving|hold|holding){_KEPT_GAP}(?:offline|out of service"
    r"|in quarantine|quarantined|as (?:it|they) (?:is|are)|alone|where (?:it|they) (?:is|are)|out(?! of)|disabled"
    r"|pulled|unplugged|failed|in place)\b"
    rf"|\b(?:put|puts|putting|place|placed|move|moved){_KEPT_GAP}back\s+(?:in(?:to)?\s+)?quarantine\b"
    r"|\bset offline\b"
    rf"|\b(?:tag|tags|tagged|tagging|label|labels|labelled|labeled|flag|flags|flagged|record|recorded){_KEPT_GAP}"
    r"as\s+(?:defective|failed|faulty|bad|dead|unserviceable|scrap)\b"  # "tag the failed fan as defective"
)
# "re-run the health check on bays 1 to 3": a diagnostic, which puts nothing back in service
_DIAGNOSTIC = re.compile(
    r"\W*(?:(?:please|kindly|can you|could you|also|next|now)\s+)*"
    r"(?:re ?run|run|repeat|collect|gather|export|capture|send|upload|attach|review|check)\b[^.;:!?]{0,40}?"
    r"\b(?:health ?checks?|diagnostics?|self ?tests?|tests?|scans?|logs?|log bundles?|support bundles?|outputs?"
    r"|reports?|sel|tsr|autosupport|smart data|sensor readings?)\b[^,;:]*$"
)


def only_diagnostics(sentence: str) -> bool:
    """Every clause is a diagnostic step: "re-run the health check on bays 1 to 3 and send us the output"."""
    clauses = [c for c in re.split(r",|;|\band then\b|\bthen\b|\band\b", sentence) if c.strip(" .!?")]
    return bool(clauses) and all(_DIAGNOSTIC.match(c) for c in clauses)


# "has anyone tried reseating fan 2 since monday?": whether it was done (not "have you tried ...?")
_HAS_ANYONE_TRIED = re.compile(
    r"^\W*(?:[\w ]{0,30}:\s*)?(?:has|have|had)\s+(?:anyone|anybody|someone|somebody|the \w+|your \w+|they)\s+"
    r"(?:(?:already|ever)\s+)?(?:tried|attempted)\s+(?:to\s+)?$"
)
# "if you see a 'force online' option": the name of a control, not the action
_CONTROL_NAME = re.compile(
    r"(?:\s+[\w-]+){0,2}?['\"]?\s+(?:option|button|menu|menu item|entry|checkbox|toggle|feature|link|setting)s?\b"
)
_PAIRED_VERB = re.compile(  # "don't wipe and reuse it": two verbs, one object, both negated
    r"\s*(?:wipe|erase|format|reformat|clean|repurpose|recycle|refurbish|flash|reflash|reset|test|pull|remove"
    r"|unplug|power cycle)\s+(?:and|or|then|&)\s+"
)
_ANSWER_THEN = re.compile(r"\s*(?:[-\u2013\u2014]+|,)\s*(?:please|so|go ahead|just)\b")  # "we don't - please ..."
_PEOPLE_DO = re.compile(
    r"\s+(?:in|out)?\s*(?:the|a|an)\s+(?:new|replacement|spare)\b"
)  # "have them swap in the new one"
# 'the customer asked: "can we just reseat it?"': their own question, quoted (quotes are normalised away)
_QUOTED_QUESTION = re.compile(
    r"(?:\b(?:ask|asks|asked|asking|wondered|wrote|queried|wanted to know|question|query)\s*[:,]?"
    r"|\b(?:customer|client|user|admin|re|q)\s*:)"
    r"\s*(?:\w+,?\s+)?"
    r"(?:can|could|may|should|shall|would|do|is it ok\w* (?:if|for)|why (?:can't|don't)) (?:we|i|us)\b[^?]*$"
)
# "using the pulled drive as a spare would put a bad disk back into the pool": the consequence of a gerund subject
_GERUND_WOULD = re.compile(
    r"^\W*(?:[\w ]{0,30}:\s*)?\w+ing\s+(?:the|a|an|it|them|this|that|these|those|your|its|our)\b"
    r"(?:(?!\b(?:whether|if|that|who|which|and|but|so|then)\b)[^,;:.!?])*?"
    r"\s(?:would|will|could|might|may|can)\s+(?:(?:\w+ly|just|only|also|still)\s+)?$"
)
# "it can make the rebuild fail": the process named as a noun
_PROCESS = re.compile(r"(?:rebuild|resync|resilver|readd)(?:s|ing)?")  # not "reseat": "it needs a reseat" asks
_PROCESS_AFTER = re.compile(
    r"\s+(?:onto|on to|on|of|from|with|to (?:the|it|them|a|an|bay|slot))\b|\s+(?:it|them|the|a|an|bay|slot|psu|fan)\b"
)
# "we've seen customers reinsert failed nvme drives and lose the group": experience, narrated
_WITNESSED = re.compile(
    r"\b(?:some|many|other|most|a few)\s+(?:customers?|people|sites?|users?|admins?|engineers?|techs?|teams?)\s+"
    r"(?:(?:\w+ly|still)\s+)?(?:try to|tries to|try|tries|attempt to|like to|want to|prefer to)?\s*$"
    r"|\b(?:seen|saw|watched|known|heard of|had)\s+(?:customers?|people|sites?|users?|teams?|others|admins?|engineers?"
    r"|techs?|technicians?)\s+(?:(?:\w+ly|try to|try and|attempt to)\s+)?$"
)
# "three things not to do tonight: power psu 2 back on, clear its fault": a list of what not to do
_NOT_TO_DO_LEAD = re.compile(r"^[^:]{0,60}\b(?:not to do|to avoid|don'ts|do not do|never do|must not do)\b[^:]*:\s")
# "the log has fan 2 re-enabled at 02:00", "the audit log shows psu 2 being re-enabled": a record of the past
_RECORD_SHOWS = re.compile(
    r"\b(?:log|logs|audit|history|events?|sel|records?|output|report|trail|timeline|dashboard|graph|entry|entries)\s+"
    r"(?:\w+\s+)?(?:has|have|had|shows?|showed|lists?|listed|records?|recorded|says?|said|notes?|noted|reads?)\b"
)
# "doesn't go away with a reseat": what an action would not fix
_NOT_FIXED_BY = re.compile(
    r"\b(?:doesn't|won't|will not|does not|can't|cannot|isn't|is not|wouldn't|would not)\s+"
    r"(?:go away|get fixed|be fixed|be cured|be solved|be cleared|clear|recover|come back|change|improve)\s+"
    r"(?:with|by|after|from)\s+"
    r"(?:a|an|another|the|any)\s+(?:\w+\s+)?$"
)
# "nothing in this plan involves reinserting fn2000cd": the plan named, without the action
_NOTHING_REQUIRES = re.compile(
    r"\bnothing\b[^,;.!?]{0,40}\b(?:requires?|involves?|needs?|calls? for|means?|asks? (?:you )?(?:to|for))\s+"
    r"(?:(?!and\b|then\b)[\w'-]+\s+){0,4}?(?:to\s+)?$"
)
# "if you reinsert the failed drive by mistake, pull it again": an accident, not a request
_BY_ACCIDENT = re.compile(r"[^,;.!?]*\b(?:by mistake|by accident|accidentally|inadvertently|in error)\b")
# "the last thing we want is that drive back in the pool", "had the errors been correctable, we might have
# suggested reseating it": the action wished away, or only in a past that did not happen
_WISHED_AWAY = re.compile(
    r"\b(?:the )?last thing (?:we|you|i|anyone|they)(?:'d| would)?\s+$"
    r"|\b(?:would|might|could) have (?:suggested|asked|recommended|advised|proposed|tried)\s+(?:you\s+)?(?:to\s+)?$"
)
# "i can't think of a single reason to reseat it": the negation reaches past its reason
_NO_REASON_GAP = re.compile(
    r"\s*think of (?:a|any|one) (?:single |good |valid )?reason (?:to|why you should)\s*"
    # "we never said to reseat it"
    r"|\s*(?:said|told you|asked you|suggested|recommended|advised)\s+(?:you\s+)?(?:to\s+)?"
    r"|\s*(?:try to\s+)?\w+\s+(?:it|them)\s+(?:or|and)\s+"  # "don't try to release it or reseat it"
)
# "never reseat it without powering the server down first", "don't swap it back in until you've tested the
# replacement": the prohibition is of the order; the action is still asked for
_ONLY_UNTIL = re.compile(
    r"[^,;:.!?]*?\b(?:without (?:first |having )?\w+ing\b|until (?:you've|you have|after)\b"
    r"|before (?:you've|you have) (?:first )?)"
)
# "i'd rather you reinserted it": a past form that asks
_RATHER_YOU = re.compile(r"\b(?:i'd|we'd|i would|we would) (?:rather|prefer) (?:that )?(?:you|they|the \w+)\s+$")
# "would it help if your team put the failed supply back in?": a suggestion in the past tense
_WOULD_IT_HELP = re.compile(
    r"(?:\bwould it (?:help|be (?:ok|okay|possible|worth (?:it|trying)))"
    r"|\b(?:it|that|this)(?:'d| would| might| could) (?:really |definitely |probably |certainly )?(?:help|be (?:great"
    r"|good|helpful|ideal|best|useful|better|nice|handy|appreciated|worth (?:it|trying)))"
    r"|\b(?:i|we)(?:'d| would) (?:really )?(?:appreciate it|be grateful|like it|prefer it))\s+if\b[^,;:.!?]*$"
)  # "it would help if you reseated the nvram card": a past form, asked for
# a quoted instruction, then what dismisses it: "the runbook line 'reseat the failed member' is obsolete"
_DISMISSED = re.compile(
    r"\b(?:obsolete|out of date|outdated|(?:doesn't|does not|won't|wouldn't) apply|not approved|removed|deleted|struck"
    r"|generic|template|different (?:symptom|error|signature|issue|problem|case|fault)|not the (?:procedure|fix|right)"
    r"|not be followed|withdr\w+|ignore|disregard|scratch|wrong|incorrect|mistake|no longer"
    r"|left over|(?:we|i) (?:do )?object|not something|never said|wasn't in|not in our|not ours|advise against"
    r"|can't recommend|cannot recommend|won't|why we|(?:to confirm|answer|short answer)\s*:?\s*no|^\W*no\b)"
)
# "our failure analysis lab will reinsert it into a test chassis": the vendor's own work
_LAB_DOES = re.compile(
    r"\b(?:our|the vendor's)\s+(?:failure analysis\s+|fa\s+|repair\s+)?(?:lab|labs|laboratory|depot|fa team"
    r"|failure analysis team)\s+(?:will|would|can|may|is going to|are going to|plans? to|intends? to)\s+(?:\w+ly\s+)?$"
    # "who told you to reinsert it?"
    r"|\bwho\s+(?:told|asked|advised|instructed)\s+(?:you|them|him|her|the \w+)\s+to\s+$"
    r"|\bwould it have (?:helped|been (?:better|worth it|wise))\s+(?:to|if)\s+"
)
# "let me know when you've reseated the dead supply", "... once fan 2 has been reseated": asked, then awaited
_LET_ME_KNOW = re.compile(
    r"\b(?:let (?:me|us) know|tell (?:me|us)|ping me|update (?:me|us)|report back)\b[^.;!?]*?\b(?:when|once"
    r"|after|as soon as)"
    r"\s+(?:(?:you've|you have|you|it's|it has|they've|they have)\s+|[^.;!?]{1,30}?\s(?:has|have) been\s+)"
    r"(?:\w+ly\s+)?$"
)
