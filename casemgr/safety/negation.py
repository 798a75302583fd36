"""Cues that make an action not a request: negation, narration, questions, harm, dissuasion.

The "request" leg of the scanner (see ``casemgr.safety.text``): patterns only; ``_Sentence``
in ``casemgr.safety.text`` applies them around each verb.
"""

from __future__ import annotations

import re

_NEG_CUE = re.compile(
    r"\b(?:nothing (?:to (?:be )?gain(?:ed)?|(?:is )?gained) (?:by|from|in)"  # before "nothing"
    r"|(?:won't|will not|wouldn't|would not|doesn't|does not|isn't going to) (?:help|work|do (?:any|much) good"
    r"|make (?:any|much) difference)(?= (?:to|by) )"  # "it won't help to reseat it" (before "n't")
    r"|not in a position|not advisable|unwise|inadvisable|ill-advised|imprudent|discourag\w*|pointless|futile|useless"
    r"|counterproductive"
    r"|not|never|dont|cannot|unable|impossible|nor|neither|nothing|nobody|no one|none|no way|no longer"
    r"|avoid\w*|refrain\w*"
    r"|against|without|instead of|rather than|(?:better|safer|preferable|wiser|smarter) than"
    r"|no need|no point|no reason|under no circumstances|in no case|at no point|unsafe|dangerous"
    r"|risky|bad idea|at no stage|at no time|on no account|under no condition|resist\w*|a mistake|forget(?: about)?"
    r"|no(?= (?:more |further |to )?(?:re\w+|\w+ing|retry|reseat|reinsert|reinstall|put|plug|push|insert|use|power"
    r"|bring|force|mark|set|clear|enable)\b)"
    r"|\w+n't"  # "we've disabled auto-rebuild onto it" (the automatic action is switched off, above)
    r"|(?:stop|quit|cease)(?= \w+ing\b| (?:anyone|anybody|people|them|others|your \w+) from\b)"
    r"|hold(?:ing)? off(?: on)?|postpone\w*|put off|defer\w*|doubt\w*|little (?:point|sense|value|use)"
    r"|(?:hard|firm|a|big) no (?:on|to)"
    r"|(?:disabl\w*|turn\w* off|switch\w* off|block\w*|prevent\w*|suppress\w*|deactivat\w*|pause\w*)"
    r" (?:the )?(?:automatic|auto))\b"
)  # "please stop reseating it": a prohibition verb
# "nobody on the night shift should reinsert it": a negative subject, then its own words
_NEG_SUBJECT = re.compile(
    r"\b(?:nobody|no one|noone|none of (?:you|them|us|your \w+)|neither(?: [\w' ]{1,40}? nor)?)\s*$"
)  # "neither part is to be reinstalled", "neither I nor the field engineer will ask you to"
# "there's no reason not to", "it can't hurt to": two negations make a suggestion
_DOUBLE_NEG = re.compile(
    r"\b(?:(?:no|any) reason (?:why )?(?:you )?(?:not to|can't|shouldn't|couldn't|cannot|wouldn't)|no harm in"
    r"|no downside (?:to|in)|nothing to lose|(?:a )?(?:mistake|shame|silly|foolish|a pity) not to|a reason not to"
    r"|nothing (?:wrong|stopping you)"
    r" (?:with|from)|(?:can't|won't|wouldn't|doesn't|does not|would not|will not|cannot) hurt"
    r"|not a bad idea|don't hesitate to|do not hesitate to|don't forget to|do not forget to"
    r"|never hurts to|why not)\b"
)
# Words that may sit between a negation and the action it negates: "do not (try to)
# reseat", "we do not recommend reseating", "never remove and reinsert". Anything
# else ("don't forget to reseat", "if that doesn't work reseat") ends the negation.
_GAP_WORDS = frozenset(
    [
        "you",
        "we",
        "i",
        "they",
        "anyone",
        "one",
        "should",
        "would",
        "could",
        "to",
        "by",  # "restore redundancy with the replacement, not by reusing the old module"
        "try",
        "trying",
        "attempt",
        "attempting",
        "need",
        "needs",
        "have",
        "has",
        "attempted",
        "ever",
        "even",
        "please",
        "be",
        "tempted",
        "go",
        "ahead",
        "simply",
        "just",
        "physically",
        "manually",
        "yourself",
        "also",
        "again",
        "strongly",
        "bench",  # "we do not recommend bench-testing it" (the hyphen reads as a space)
        "really",
        "recommend",
        "recommended",
        "recommending",
        "advise",
        "advised",
        "suggest",
        "suggested",
        "want",
        "need",
        "advisable",
        "wise",
        "make",
        "perform",
        "for",
        "needed",
        "necessary",
        "required",
        "safe",
        "a",
        "an",
        "good",
        "idea",
        "is",
        "it's",
        "it",
        "its",
        "them",
        "reason",
        "point",
        "in",
        "the",
        "supported",
        "possible",
        "feasible",
        "able",
        "allowed",
        "permitted",
        "and",
        "or",
        "nor",
        "then",
        "remove",
        "removing",
        "pull",
        "pulling",
        "take",
        "taking",
        "out",
        "unplug",
        "unplugging",
        "eject",
        "ejecting",
        "from",
        "think",
        "thinking",
        "about",
        "of",
        "that",
        "do",
        "does",
        "under",
        "any",
        "circumstances",
        "personally",
        "at",
        "all",
        "this",
        "time",
        "now",
        "yet",
        "another",
        "here",
        "kindly",
        "bother",
        "worth",
        "re",
        "seat",
        "reseat",
        "reseating",
        "insert",
        "reinsert",
        "reinserting",
        "inserting",
        "plug",
        "replug",
        "replugging",
        "plugging",
        "put",
        "putting",
        "push",
        "pushing",
        "back",
        "force",
        "forcing",
        "mark",
        "marking",
        "bring",
        "bringing",
        "online",
        "clear",
        "clearing",
        "fault",
        "case",
        "there",
        "ask",
        "asking",
        "asked",
        "tell",
        "telling",
        "told",
        "instruct",
        "instructing",
        "reseated",
        "reinserted",
        "plugged",
        "pushed",
        "forced",
        "marked",
        "brought",
        "powered",
        "cleared",
        "slid",
        "put",
        "seated",
        "reconnected",
        "reinstalled",
        "added",
        "enabled",
        "returned",
        "require",
        "requiring",
        "expect",
        "expecting",
        "will",
        "going",
        "gonna",
        "ever",
        "suggesting",
        "advising",
        "request",
        "requesting",
        "has",
        "have",
        "been",
        "our",
        "side",
        "end",
        "part",
        "us",
        "temptation",
        "urge",
        "more",
        "further",
        "on",
        "had",
        "being",
        "get",
        "got",
        "run",
        "running",
        "type",
        "typing",
        "execute",
        "executing",
        "issue",
        "issuing",
        "command",
        "set",
        "setting",
        "proceed",
        "proceeding",
        "with",
    ]
)
# "why not reseat it?", "why don't you reseat it?", "is there a reason we can't just unfail it?" are suggestions
_WHY = re.compile(
    r"\bwhy\s+$|\b(?:is there|isn't there|any)\s+(?:(?:a|any|good|particular)\s+)*reason\s+(?:why\s+)?"
    r"(?:(?:we|you|i|they|the\s+\w+)\s+)?$"
)
# "put" reads as past after a subject: "the customer put it back yesterday"
_WHO = (
    r"customer|client|user|admin|administrator|engineer|technician|tech|team|operator|someone|somebody|colleague"
    r"|he|she|they|we|i"
)  # who can have done it
# "the controller tried to bring it online by itself": a machine's own attempt is narration
_MACHINE = r"controller|array|system|firmware|bmc|idrac|ilo|host|server|os|driver|filer|node|it|itself"
_TRIED = re.compile(
    rf"(?<!have )(?<!did )(?<!had )\b(?:{_WHO}|you|{_MACHINE})\s+(?:already\s+|also\s+|then\s+)?(?:tried|attempted"
    r"|kept|started|began|went ahead and)\s+(?:to\s+|a\s+|an\s+|another\s+)?$"
    r"|^\W*(?:already\s+|also\s+)?(?:tried|attempted)\s+(?:to\s+)?$"  # a note without its subject: "tried reseating it"
)
_NARRATOR = re.compile(
    rf"\b(?:{_WHO}|you'd|you've|they'd|they've|we'd|we've|i've|he'd"
    r"|she'd)\s+(?:(?:already|also|then|just|accidentally|apparently|mistakenly|had|has|have|simply"
    r"|once|twice|both)\s+)*$|\bi'd\s+(?:(?:also|then|simply|once|twice|both)\s+)*(?:already|accidentally"
    r"|apparently|mistakenly)\s+(?:(?:already|also|then|just|simply)\s+)*$"
    r"|\b(?:said|mentioned|told us|wrote|reported|explained|confirmed|say|says)\s+(?:that\s+)?"
    r"(?:you|they|he|she|someone|the \w+)\s+(?:(?:already|also|then|just|had|have)\s+)*$"
)
_DID = re.compile(
    r"\b(?:did|didn't|had|hadn't|(?<!that )(?<!which )(?<!who )(?:was|were))\s+"
    r"(?:(?!(?:to|be|work|help|fix|change|succeed|could|can|would|might)\b)[\w'-]+\s+)"
    r"{1,8}?(?:already\s+|ever\s+)?$"
    r"|\bwho\s+$"
)  # "why did the on-site tech reseat it", "who reseated it?" (not "i was wondering if you could reseat it")
# "the customer asked whether to reseat it": a reported question, not an instruction
_REPORTED = re.compile(
    r"\b(?:ask|asks|asked|asking|wonder|wonders|wondered|wondering|want(?:s|ed)? to know"
    r"|question(?:s|ed)?|enquired|inquired)\s+(?:\w+\s+){0,5}?(?:if|whether)\b"
    rf"|\b(?:{_WHO}|cust|site|they|customers?)\s+(?:(?:had|has|have|also|then|just|already)\s+)?(?:asked|wanted"
    r"|requested|offered|proposed|planned|intended|hoped|wished|insisted on|was keen|were keen)\s+(?:to\s+)?$"
    r"|\b(?:ask|asks|asked|asking|request|requests|requested|sought|seeks|wants?|wanted)\s+(?:\w+\s+){0,2}?"
    r"(?:permission|approval|authori[sz]ation|sign-off|the go-ahead|the ok|the okay|an exception)\s+to\s+$"
    r"|\b(?:question|questions|query|queries|request|requests)\s+(?:about|regarding|re|on|concerning)\s+$"
)
# "if you were to reinsert it, the controller could ...": a hypothetical whose outcome is a harm
_HYPOTHETICAL = re.compile(
    r"\bif\s+(?:someone|somebody|anyone|anybody)\s+(?:\w+\s+){0,3}?were\s+to\s+$"
    r"|\b(?:whoever|someone|somebody|anyone|anybody|they|he|she|the \w+)\s+(?:who\s+)?(?:suggesting|telling"
    r"|recommending|advising|told|suggested"
    r"|advised|asked|recommended|said)\s+(?:you\s+)?(?:to\s+)?$"
    r"|\b(?:if|were|should|suppose|imagine)\s+(?:you|anyone|someone|somebody|they|one|we"
    r"|the (?:customer|site|tech\w*|engineer|team))\s+(?:(?:were|was|ever|to|tried|try|attempt\w*"
    r"|decide\w*|wanted|want|simply|just)\s+)*$"
    r"|\bif\s+(?:anyone|someone|somebody|they|he|she|anybody)\b.*\b(?:suggest\w*|propos\w*"
    r"|recommend\w*|tell\w*|ask\w*|want\w*|tries|tried)\s+(?:you\s+)?(?:to\s+)?$"
    r"|^\W*hypothetically\b"  # "hypothetically, bringing it back online would ..."
)
_RISK = re.compile(
    r"\b(?:upset\w*|same as (?:reinstalling|reinserting|reseating|putting)|last thing"
    r"|one thing (?:we|you)(?:'d| would)? (?:want|should|need)\w* (?:to )?avoid"
    r"|one thing (?:we|i)(?:'d| would)? (?:need|ask|want)\w* (?:you )?not to"
    r"|(?:won't|will not|doesn't|does not|wouldn't|would not) (?:fix|help|solve|clear|cure|bring (?:it|them) back"
    r"|revive|recover)|bad media|bad sectors"
    r"|known[ -]bad|old kb|old article|old runbook|old procedure|old guidance|prohibit\w*|forbid\w*"
    r"|doesn't apply|does not apply|not (?:recommended|supported|needed|advised"
    r"|allowed|permitted)|not something (?:we|you|i) (?:\w+ )?(?:support|recommend|do|allow|advise)"
    r"|(?:is|was) (?:exactly |precisely |just |also )?(?:what|how) (?:triggered|caused|set off|started|kicked off"
    r"|(?:\w+ ){1,3}(?:failed|died|broke|crashed|went down))|(?:triggered|caused|set off) the"
    r"|what (?:we|you) (?:want|need|must|should|try|are trying|have) (?:to )?avoid|outdated|obsolete|superseded"
    r"|(?:something|one thing|a step|an action|a thing) (?:we|you|i) (?:\w+ly )?(?:do not|don't|never|won't|would not"
    r"|wouldn't|cannot|can't) (?:recommend|advise|support|do|suggest)|not a useful step|no use|pointless|futile"
    r"|which is (?:exactly |precisely )?why (?:we|you) (?:never|don't|do not|won't"
    r"|avoid|(?:strongly )?advise against)|against (?:our |the )?(?:[\w-]+ ){0,2}polic(?:y|ies)|blocked by policy"
    r"|off the table|out of the question|not an option|(?:was|is|were) (?:wrong|mistaken|incorrect)"
    r"|bad advice|only hides?|would (?:only )?hide|hides? (?:the|a) (?:real )?\w+|failing media"
    r"|(?<!low )(?<!no )(?<!minimal )(?<!little )risk(?!\s*free|less)\w*|danger\w*|unsafe|lose|loss|corrupt\w*"
    r"|damag\w*|destroy\w*|overheat\w*|trip\w*"
    r"|short(?!\s+(?:test|while|time|period|window|run|spell|burn|moment|term|notice|interval|check|trial|soak)\b)\w*"
    r"|fry|kill|crash\w*|brick\w*|replay\w*|back feed|backfeed|take \w+(?: \w+)? down"
    r"|stays? out|stop (?:them|him|her)|harm(?!less)\w*|hazard\w*|not supported|void\w*"
    r"|unwise|inadvisable|ill-advised|imprudent|discourag\w*|not (?:recommended|advisable)"
    r"|ruled out|vetoed|rejected|turned down|declined|not approved|forbidden|prohibited|not (?:allowed|permitted)"
    r"|cancel\w*|called off|scrapped|shelved|abandoned"
    r"|unlikely(?! to (?:hurt|harm|cause|do (?:any )?harm))|no sense|waste of (?:time|effort)|futile|useless"
    r"|pointless|(?:little|no) (?:point|use|value|benefit)"
    r"|against (?:our |the |your )?(?:[\w-]+ )?(?:policy|policies|rules?|guidance|procedures?|process)"
    r"|not (?:a )?supported|(?:fail|flag|mark)\w* (?:it|them) (?:again|as failed)|nothing would (?:improve|change)"
    r"|on paper|report\w* 0 rpm)\b"
)
# "there is no setting that can safely re-enable it"
# "Bays 1 and 5 look fine": a status line about healthy parts does not take the topic
_HEALTHY_STATUS = re.compile(
    r"\b(?:look(?:s)? (?:fine|good|ok|okay|normal|healthy)|(?:is|are) (?:fine|ok|okay|healthy"
    r"|behaving normally|operating normally)|report(?:s)? nothing|nothing (?:is )?(?:wrong|unusual)"
    r"|operating normally|behaving normally|in range|no errors|need(?:s)? (?:no )?attention"
    r"|none of the other|all (?:good|fine)|working (?:fine|normally)|shows? no)\b"
)
_OWN_QUESTION = re.compile(r"\b(?:should|can|could|may|shall)\s+(?:i|we)\s+$|\bis it ok(?:ay)? (?:if i |to )?$")
# "at no point ... should the failed drive go back in": a fronted negative governs the clause
_FRONTED_NEG = re.compile(
    r"^\W*(?:at no (?:point|stage|time)|under no circumstances?|in no case|on no account|never"
    r"|not once|not ever|not even|nowhere)\b.*\b(?:should|must|may|can|could|will|would|is|are"
    r"|do|does|did|shall)\b"
)
# "you told us you had another go, fitting it back in": what the customer reported doing
_REPORTED_DEED = re.compile(
    r"\b(?:you|they|the customer|the site|your team|the night shift)\s+(?:told us|said|mentioned"
    r"|wrote|reported|explained|confirmed|described)\b"
)
# "reinserting it could put it back in the group", "it also lets the controller use the drive again": what
# something else would lead to, not something anyone is asked to do
# "-ing" words that are nouns, not a gerund subject: "engineering wondered whether ..."
_ING_NOUN = (
    r"(?:engineering|something|anything|everything|nothing|morning|evening|building|meeting|ceiling|spring|string"
    r"|thing|king|ring|wing|ticketing|marketing|purchasing|shipping|receiving|housekeeping|planning)\b"
)
_CONSEQUENCE = re.compile(
    rf"(?:^|[,;]|\b(?:and|but|because|as|since))\s*(?:(?!{_ING_NOUN})\w+ing|doing so|this|that|which)\b"
    r"(?:\s+(?!(?:you|we|they|i|someone|somebody|anyone|if|great|good|nice|best|better|helpful)\b)[\w']+){0,5}?\s+"
    r"(?:could|would|might|may|will|can)\s+(?:(?:also|easily|just|only|even|well)\s+)?$"
    r"|\b(?:it|this|that|which|doing so|\w+ing)\s+(?:(?:also|would|could|might|will|then|only)\s+)*(?:lets|allows"
    r"|causes|makes|forces|tells|invites|encourages|let|allow|cause|make|force|tell)\s+(?:the\s+|them\s+)?[\w-]+"
    r"\s+(?:to\s+)?(?:(?:try|attempt|start|begin)\s+(?:to\s+)?)?$"
)
# a question about what happened: "did ... come first, or the reseat?"
_PAST_QUESTION = re.compile(r"\s*(?:(?:and|so|but|then)\s+)?(?:did|didn't|was|wasn't|were|weren't|had|hadn't)\b")
_MODAL = re.compile(r"\b(?:should|could|can|would|will|shall|please|may|might|must)\b")
_REFUSAL_AFTER = re.compile(
    r"\b(?:say no|said no|answer is no|answer was no|tell them no|told them no|refuse\w*|decline\w*|push back"
    r"|point them|don't let|do not let|stop them|we can't allow|not approved"
    r"|not allowed|please don't|please do not|the answer is no|no to|refer them|direct them|must not be"
    r"|mustn't be|is not to be|are not to be|rather than|escalate"
    r"|(?:we|i)(?:'re| are|'m| am)? (?:won't|will not|shan't|not going to|can't|cannot|don't|do not)"
    r"(?: do (?:that|it|so)| be doing (?:that|it))?(?=\s*(?:[-,.;:!\u2014]|$)))\b"
)  # "someone suggested we unquarantine it. we won't - the risk is too high"
_NONE_EXISTS = re.compile(r"\bthere(?: is|'s| are) no\b[^,;]*$")
# "our L2 wants the failed fan reseated", "arrange for the fan to be refitted", "reboot with fan 2 reseated":
# someone wants it done
_WANT_DONE = re.compile(
    r"\b(?:wants?|wanted|needs?|needed|like|likes|prefer\w*|get|have|has|arrange for|ask for|with"
    r"|require\w*)\s+$"
)
# "let it rejoin the array", "have the tech reseat it": the part is named before the verb
_CAUSATIVE = re.compile(r"\b(?:let|lets|letting|have|has|get|allow|make)\s+$")
_EXCEPT = re.compile(r"\s*,?\s*(?:except(?: for)?|apart from|other than|but not|excluding|besides|save for|not)\s+")
_PASSIVE = re.compile(
    r"(?:\b(?:be|is|are|get|gets|getting|being)|'s)\s+(?:(?:properly|fully|firmly|correctly|then"
    r"|also|simply|just)\s+)?(?:(?:[\w-]+\s+)?[\w-]+ed\s+(?:and|or)\s+(?:then\s+)?)?$"
)  # "be power cycled and returned"
_CLAUSE_START = re.compile(
    r"\s*(?:[\w ]{1,30}:\s*)?['\"]?"  # "from the kb: 'reseating a failed drive is not supported'"
    r"(?:(?:and|but|also|so|(?:please |kindly )?(?:note|remember|be aware|bear in mind|keep in mind) that|just"
    r"|simply|a|an|the|another|any|earlier|previous|last|first|second|latest|recent|quick)\s+"
    r"|\w+ing\s+(?:[\w'-]+\s+){0,4}?(?:or|and|nor)\s+)*"
)  # "reseating or re-enabling it is off the table", "pulling it and putting it back would ..."
_HARM = re.compile(
    r"(?:[^\w']*[\w']+){0,6}?[^\w']*\b(?:won't|will not|wouldn't|would not|doesn't|does not"
    r"|didn't|did not|isn't|is not|can't|cannot|can not|never|is unsafe|is dangerous|is risky"
    r"|is a bad idea|is pointless|risks|(?:can|could|may|might|will|would) (?:\w+ )?(?:corrupt|destroy"
    r"|cause|damage|short|harm|break|lose|wipe|risk|void|put \w+(?: \w+)? at risk|make \w+ worse)"
    r"|causes|corrupts|voids|puts \w+(?: \w+)? at risk)\b(?!\s+(?:\w+\s+)?(?:hurt|harm)\b)"
)  # "reseating the failed drive will not help" (but "won't hurt" is a suggestion)
_THEN = re.compile(r"\s*(?:then\s+|also\s+)?")
_NEXT_TOKEN = re.compile(r"\s*([\w']+|[^\w\s])?")
