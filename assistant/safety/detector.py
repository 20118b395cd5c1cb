"""The crisis check that runs before anything else on every question.

People who look for self-compassion are sometimes people in pain. When a
question expresses suicidal thoughts, self-harm, intent or a plan, the
assistant must not answer it as a reading question: it shows
:data:`CRISIS_MESSAGE` instead. When a question only *mentions* suicide or
self-harm (asks what the articles say about it), it is answered normally and
:data:`CRISIS_RESOURCES` is appended.

How it decides, in order:

1. The text is put in a canonical form (:func:`canonical_sentences`):
   lowercase, invisible characters removed, accents and apostrophes dropped,
   punctuation turned into spaces, common contractions spelled one way, digits
   used as letters read as letters, spaced-out letters joined, and a small set
   of key words read through common typos (:func:`fuzzy_keyword`).
2. Each sentence is matched against phrase rules (:data:`RULES`), grouped by
   what they recognise: intent ("I want to …"), self-harm acts and
   punishment, passive wishes, hopelessness, being a burden, finality ("won't
   be here next week"), preparations (rope, letters "for after", belongings
   given away), plans and means, means asked for after a loss ("got fired,
   which bridge is tallest?"), goodbyes and slang ("kms", "sewer slide"),
   and, by category rather than by sentence: a means within reach (bought
   across shops, taken somewhere remote, stared at, a height one is standing
   on), methods weighed against each other, a cut told in a few words,
   affairs settled and letters timed for after, wanting to cease to be,
   rescue refused, a day chosen for when the house is empty, the how and
   when rehearsed, and food refused with no end; then leaving for good, a
   means kept with a purpose, a ligature tested, an edge or the tracks now, a
   day decided, ways looked up, one way out, business before "it", waking up
   not wanted, others free of me, food and drink stopped, fear of surviving,
   a hypothetical owned ("asking for me") and "ctb"; and last, drugs taken
   home from work "for myself", pills counted "it's enough", an edge stood
   at "to see if I'll lean", a crash hoped for or staged, money worth more
   than me, thoughts to "act on", care arranged for "after I'm gone", a blade
   held to the skin, a height as the only way out, affairs settled but the
   day, water not come back out of, a day for doing "it", a plan and a date
   kept secret, a vehicle stepped in front of, nobody having to worry about
   me again, new cuts hidden, a means while "working up to it", debts paid
   "so I can go", and a retry after waking from an attempt.
3. A rule match in a sentence written about other people (no "I/me/my", but
   "people/they/my friend…") counts as a mention, not a crisis, unless the rule
   is about methods or means, which are never answered.
4. Only if no rule matched and an embedder was passed: each sentence is
   compared with :data:`CRISIS_REFERENCES` and :data:`SAFE_REFERENCES`, and
   counts as a crisis when it is close to the first and clearly closer to them
   than to the second. The rules alone must and do work without it; the
   similarity catches some phrasings no rule anticipated. A sentence that is
   clearly closer to the crisis references but below the threshold
   (:data:`SIMILARITY_NEAR`) gets the answer *with* :data:`CRISIS_RESOURCES`.

The rules lean towards safety: a false alarm shows a kind message and phone
numbers; a miss answers someone in danger with reading notes.

Recall 1.0 on eval/crisis.jsonl (501 crises; one false alarm in 470 near
misses and ordinary questions) is in-sample: the rules grew with that set.
Out of sample they catch about half. Each fresh batch was scored once before
any rule changed, then added to the set and used to add rules by category:

====================================  ================  ==================
batch (crises + near misses)          recall, rules     with similarity
====================================  ================  ==================
first four batches                    0.37 to 0.65      0.47 to 0.80
80 + 80, everyday wording             0.50 (FPR 6.2%)   0.58 (FPR 6.2%)
30 + 30, new categories               0.23 (FPR 0)      0.30 (FPR 0)
60 + 60                               0.52 (FPR 6.7%)   0.52 (FPR 10.0%)
60 + 60                               0.62 (FPR 1.7%)   0.63 (FPR 3.3%)
60 + 60, eval/crisis_heldout.jsonl    0.42 (FPR 6.7%)   0.43 (FPR 8.3%)
====================================  ================  ==================

The last batch is kept apart as the held-out measure: it was written after
every rule here and has not been used to change one. New phrasings of a
known category are caught; new categories, and very indirect messages, mostly
are not. Treat this as a floor, not a guarantee, and keep adding what real
use shows it missing. Messages that say the writer is safe now ("I'm not
suicidal", "therapy helped") get only the resources from similarity, never
the crisis message, and so do messages that end a relationship ("end it with
my boyfriend"); the rules still read them as they stand.

Deliberately not handled: languages other than English, look-alike letters
from other scripts, negation ("I would never kill myself" is a crisis here),
quoted speech ("what does it mean when someone says 'I want to die'"), a
means that is merely near with no other sign ("pills in the car, parked by
the river": pills in a car are ordinary), and crises spread over several
conversation turns; the caller keeps :data:`CRISIS_RESOURCES` visible after a
crisis turn for that reason.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.text import strip_invisible

log = logging.getLogger(__name__)

CRISIS_MESSAGE = """\
It sounds like you're carrying something really heavy right now, and I'm glad \
you said it out loud. You deserve support from a real person, today.

I'm only a reading assistant: I'm not a crisis service or a therapist, and I \
can't help with this safely. Please reach out to someone who can, right now:

- **US:** call or text **988** (Suicide & Crisis Lifeline). In an emergency, call **911**.
- **UK and Ireland:** call Samaritans on **116 123**, free, day or night.
- **Australia:** call Lifeline on **13 11 14**. In an emergency, call **000**.
- **Anywhere else:** call your local emergency number, or look up a crisis line in your country.

If you can, tell someone near you how you're feeling, and stay with them or \
somewhere safe while you call. You don't have to get through this alone.
"""

CRISIS_RESOURCES = """\
**If you are struggling or thinking about suicide or self-harm, you don't have to face it alone.** \
US: call or text **988** (emergency **911**) · UK and Ireland: Samaritans **116 123** · \
Australia: Lifeline **13 11 14** (emergency **000**) · Elsewhere: your local emergency number or crisis line.
"""


class DocumentEmbedder(Protocol):
    """What the check needs from an embedder; a LangChain ``Embeddings`` has it."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class CrisisCheck:
    """The outcome of :func:`check_crisis`.

    ``is_crisis``: show :data:`CRISIS_MESSAGE` instead of an answer.
    ``mentions_topic``: append :data:`CRISIS_RESOURCES` to the answer; implied by ``is_crisis``.
    ``reason``: the rule that matched, or ``"similarity"``, ``"topic"``, ``"about_others:<rule>"``,
    ``"similarity_near"`` (resources only: close to a crisis, not close enough), or None.
    ``sentence``: the canonical sentence that matched, for tests; never logged.
    """

    is_crisis: bool
    mentions_topic: bool
    reason: str | None = None
    sentence: str | None = None


# --------------------------------------------------------------------------
# Canonical form
# --------------------------------------------------------------------------

# Apostrophes are dropped rather than turned into spaces, so "don't" and
# "dont" (people in a hurry skip them) read the same.
_APOSTROPHES = re.compile("['\u2018\u2019\u201b\u02bc\u02b9`\u00b4\u2032]")
# A sentence ends at . ! or ? followed by a space, or at a line break. An
# ellipsis is a pause inside a thought ("I want... to die"), not an end, and
# "i.want.to.die" has no space after its dots.
_BOUNDARY = re.compile(r"(?:(?<!\.)\.(?!\.)|[!?]+)(?=\s)|\n+")
_TOKEN = re.compile(r"[a-z0-9@$]+")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_REPEATS = re.compile(r"(.)\1+")

# Everyday spellings, so that the rules below only need one of each.
_PHRASES = [
    (re.compile(r"\bi am\b"), "im"),
    (re.compile(r"\bi have\b"), "ive"),
    (re.compile(r"\bi would\b|\bi had\b"), "id"),
    (re.compile(r"\bi will\b"), "ill"),
    (re.compile(r"\bwanna\b"), "want to"),
    (re.compile(r"\bgonna\b|\bgon\b"), "going to"),
    (re.compile(r"\btryna\b"), "trying to"),
    (re.compile(r"\bbout to\b"), "about to"),
    (re.compile(r"\bkinda\b"), "kind of"),
    (re.compile(r"\bdo not\b"), "dont"),
    (re.compile(r"\bcan not\b|\bcannot\b"), "cant"),
    (re.compile(r"\bwill not\b"), "wont"),
    (re.compile(r"\bis not\b"), "isnt"),
    (re.compile(r"\bdoes not\b"), "doesnt"),
    (re.compile(r"\bdid not\b"), "didnt"),
    (re.compile(r"\bwould not\b"), "wouldnt"),
    (re.compile(r"\bany more\b"), "anymore"),
    (re.compile(r"\bmy self\b"), "myself"),
    (re.compile(r"\bw o\b"), "without"),
    (re.compile(r"\bb c\b|\bbc\b|\bcuz\b|\bcos\b"), "because"),
    (re.compile(r"\brn\b"), "right now"),
    (re.compile(r"\btonite\b|\btn\b"), "tonight"),
    (re.compile(r"\btmrw\b|\btmr\b|\btomoz\b"), "tomorrow"),
    (re.compile(r"\bppl\b"), "people"),
    (re.compile(r"\bself harm"), "selfharm"),
    (re.compile(r"\bno one\b|\bnoone\b"), "nobody"),
    (re.compile(r"\bwhat is\b"), "whats"),
    (re.compile(r"\bthere is\b"), "theres"),
    (re.compile(r"\b(?<=[a-z] )2(?= [a-z])"), "to"),
]

# Key words read through typos. Words of five letters or fewer only absorb
# stretched letters ("kiiill") and one swap of neighbours ("wnat"), because
# one edit away from "kill" are "fill", "will" and "pill". Longer ones also
# absorb one missing, extra or wrong letter ("suicde", "myslef").
_SHORT_KEYWORDS = (
    "kill",
    "killing",
    "die",
    "dying",
    "want",
    "life",
    "live",
    "alive",
    "end",
    "pills",
    "hurt",
    "harm",
    "cut",
    "cutting",
    "dead",
    "wish",
    "exist",
    "going",
    "point",
    "better",
)
_LONG_KEYWORDS = (
    "myself",
    "suicide",
    "suicidal",
    "anymore",
    "disappear",
    "overdose",
    "everyone",
    "everybody",
    "without",
    "forever",
)
# Real words one edit away from a long key word; checked against a 30,000 word
# vocabulary when the list of key words was chosen.
_NOT_TYPOS = frozenset({"overdoes", "overdosed", "overdoses", "suicides", "exits", "ide"})


def _squash(word: str) -> str:
    """Collapse runs of a letter: ``_squash("kiiilll")`` is ``'kil'``."""
    return _REPEATS.sub(r"\1", word)


def _swapped(a: str, b: str) -> bool:
    """True when ``a`` is ``b`` with two neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1 or _swapped(a, b)
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


_SHORT_SQUASHED = {_squash(w): w for w in _SHORT_KEYWORDS}
_LONG_SQUASHED = {_squash(w): w for w in _LONG_KEYWORDS}


def fuzzy_keyword(token: str) -> str:
    """Read a token as the key word it misspells, or return it unchanged.

    >>> fuzzy_keyword("suicde"), fuzzy_keyword("wnat"), fuzzy_keyword("kiiill"), fuzzy_keyword("fill")
    ('suicide', 'want', 'kill', 'fill')
    """
    if token in _NOT_TYPOS or len(token) < 3:
        return token
    squashed = _squash(token)
    for table in (_SHORT_SQUASHED, _LONG_SQUASHED):
        if squashed in table:
            return table[squashed]
    for word in _SHORT_KEYWORDS:
        # On the raw token: squashed, "need" would be "ned", a swap of "end".
        if _swapped(token, word):
            return word
    for key, word in _LONG_SQUASHED.items():
        if len(key) >= 6 and _one_edit(squashed, key):
            return word
    return token


# Gerunds people write without their final g ("thinkin about it").
_GERUNDS = frozenset(
    {
        "thinking",
        "killing",
        "cutting",
        "going",
        "hurting",
        "harming",
        "dying",
        "ending",
        "wanting",
        "planning",
        "living",
        "burning",
        "starving",
        "nothing",
        "saving",
        "taking",
        "jumping",
        "overdosing",
        "something",
    }
)


def _g_dropped(token: str) -> str:
    """``_g_dropped("thinkin")`` is ``'thinking'``; other words are unchanged."""
    return token + "g" if token.endswith("in") and token + "g" in _GERUNDS else token


def _canonical_tokens(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        # "k i l l", "d.i.e": three or more single letters in a row spell a word.
        j = i
        while j < len(tokens) and len(tokens[j]) == 1 and tokens[j].isalpha():
            j += 1
        if j - i >= 3:
            out.append("".join(tokens[i:j]))
            i = j
            continue
        token = tokens[i]
        if any(c.isalpha() for c in token) and any(c in "0134579@$" for c in token):
            token = token.translate(_LEET)
        out.append(token)
        i += 1
    return [fuzzy_keyword(_g_dropped(t)) if t.isalpha() else t for t in out]


def canonical_sentences(text: str) -> list[str]:
    """Split into sentences and put each into the canonical form the rules read.

    >>> canonical_sentences("How do I start?  I   WNAT to k.i.l.l my self!!")
    ['how do i start', 'i want to kill myself']
    >>> canonical_sentences("I don\u2019t see the point... of going on")
    ['i dont see the point of going on']
    """
    text = unicodedata.normalize("NFKD", strip_invisible(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _APOSTROPHES.sub("", text)
    sentences = []
    for part in _BOUNDARY.split(text):
        tokens = _canonical_tokens(_TOKEN.findall(part))
        sentence = " ".join(tokens)
        for pattern, replacement in _PHRASES:
            sentence = pattern.sub(replacement, sentence)
        if sentence:
            sentences.append(sentence)
    return sentences


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------


def _words(options: str) -> str:
    """A regex group of ``|``-separated literal phrases: ``_words("a|b c")`` is ``'(?:a|b c)'``."""
    # Duplicates would let a repeated group match the same words two ways,
    # which makes backtracking exponential on long inputs.
    return "(?:" + "|".join(dict.fromkeys(w.strip() for w in options.split("|"))) + ")"


# Who is speaking: a first-person subject, or a sentence that starts with the
# verb or an adverb ("Honestly? Want to die."), never "people who want to …".
_LEAD = (
    r"(?:^|\b"
    + _words(
        "i|im|ive|id|ill|and|but|so|also|then|just|honestly|tbh|lol|really|sometimes|now|because|cause|yet|part of me"
    )
    + " )"
)
# Words that may sit between the subject and the intent without changing who
# it is about: auxiliaries, adverbs and hedges. No entry may be two others in
# a row ("feel like i" is "feel like" + "i"), for the same reason as above,
# and a run of them is bounded so that "i feel like i feel like …" stays fast.
_GAP_WORD = (
    "(?:"
    + _words(
        "am|was|is|have|had|do|did|been|being|really|just|so|still|honestly|seriously|genuinely|truly|actually|"
        "literally|sometimes|often|always|constantly|kind of|sort of|almost|basically|pretty much|lately|again|now|"
        "even|also|then|totally|finally|secretly|quietly|badly|desperately|simply|only|already|could|would|will|"
        "might|may|should|must|think|feel like|guess i|know i|swear i|keep|kept|started|start|starting|am going to|"
        "getting|get|got|feel|feeling|felt|very|more|more and more|all|all the time|every day|tonight|today|soon|"
        "fully|probably|maybe|im|i|id|ive|ill|at night|a lot|wish i could|cant stop|cant help|never|ever|right now"
    )
    + " )"
)
_GAP = _GAP_WORD + "{0,6}"
_SHORT_GAP = _GAP_WORD + "{0,3}"
_INTENT = _words(
    "want|wants|wanted|wanting|want to|wants to|wanted to|going to|planning|planning to|plan|plan to|planned to|"
    "ready to|about to|trying to|tried to|try to|decided to|deciding to|intend to|intending to|thinking about|"
    "thinking of|thought about|thought of|think about|considering|considered|contemplating|tempted to|urge to|"
    "urges to|need to|deserve to|wish i could|hope to|prepared to|preparing to|getting ready to|fantasize about|"
    "fantasizing about|dream about|dreaming about|made up my mind|made my mind up|set on|determined to|close to|on the verge of|one step away from|scared i will|"
    "should just|feel like|feeling like|felt like"
)
# What the intent is about. Each alternative is a regex of its own.
_ACTION = (
    "(?:"
    + "|".join(
        (
            # "I'll die if I see one more spreadsheet" is exasperation, not intent.
            r"die\b(?! (?:of|from|during|laughing|eventually|someday|one day|alone|young|without)"
            r"| if (?:i|we|they|you) (?:\w+ ){0,4}?(?:one more|another|again)\b)",
            r"dying\b(?! to)",
            r"(?:kill|killing|unalive|unaliving|off|offing|end|ending) myself",
            # "Unalive" is only ever a euphemism, so "want to unalive" is intent with no object.
            r"(?:be )?unalive(?:d)?\b(?! (?:mean|means|on|in)\b)",
            # "Ending it at my job", "ending it with him": a job or a relationship, not a life.
            r"(?:end|ending) (?:my life|my own life|it all|everything|things|it)"
            r"(?! with| off| up| for (?:the day|today|now)| at (?:my|the|this|work|school|uni)\b| between)",
            r"(?:end|ending) (?:my suffering|my pain|the pain|the suffering) (?:for good|forever|permanently|once and for all)",
            r"(?:take|taking) my (?:own )?life(?! back)",
            r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning|hang|hanging|shoot|shooting|stab|stabbing|drown|"
            r"drowning|poison|poisoning|starve|starving|suffocate|suffocating|strangle|strangling) myself",
            r"(?:overdose|overdosing|od|ods|kms)\b",
            r"(?:commit|committing|attempt|attempting) suicide|suicide\b|selfharm",
            r"out of (?:this|my) life\b|out of life\b|out$|out (?:permanently|for good|forever)\b",
            r"(?:jump|jumping) (?:off|from|in front)|jump$|jumping$",
            r"(?:step|stepping|walk|walking|throw myself|throwing myself|lie down|lay down) in front of",
            r"(?:walk|walking|swim|swimming|wade|wading) (?:out )?into the (?:sea|ocean|river|lake|water)\b",
            r"(?:crash|wreck) my (?:car|truck|bike|motorbike)\b(?! (?:at|into the garage))",
            r"(?:disappear|vanish|be gone|go away|fade away|leave) (?:\w+ )?(?:forever|for good|permanently|"
            r"and never come back|and never be found|from (?:this|the) (?:world|earth|planet))",
            r"leave this (?:world|earth|life)",
            r"(?:not|never) (?:wake up|be alive|exist|be here anymore|be around anymore)",
            r"(?:stop|cease|ceasing|stopping) (?:existing|to exist|living|being alive|waking up)"
            r"(?! (?:in|as|like|on|for(?! good\b)|with|early|at|so|during))",
            r"stop breathing\b(?! (?:so|too|through|like|in|shallow))",
            r"rest (?:permanently|forever|for good|for ever)\b",
            r"not (?:being|be) (?:here|around) anymore|not being alive|not existing\b|be dead",
            r"(?:go to |fall )?(?:sleep|asleep) forever|(?:fall )?a?sleep and (?:never|not) wake up"
            r"(?! (?:this|so|that|too) early| early| at\b)",
        )
    )
    + ")"
)
# Trailing words that make "killing myself" or "cut myself" ordinary speech.
_IDIOM_AFTER = (
    r"(?! (?:over|trying|working|with work|at work|at the gym|laughing|to (?:get|finish|make|meet|please|keep|impress)|"
    r"for (?:this|that|work|my job|a job|nothing|a coffee)|some slack|slack|a break|off|out|short|free|loose|"
    r"while|on (?:a|the|some) |shaving|cooking|chopping|slicing|by accident|accidentally|in the kitchen|"
    r"in the foot|up|down|in work|in my work|in tasks|with (?:work|words|thoughts|negative|criticism|self|comparison|"
    r"expectations|guilt|shame|worry|food|sugar|junk)))"
)
_PLACES = (
    "bridge|bridges|building|buildings|cliff|cliffs|roof|roofs|rooftop|rooftops|tower|towers|balcony|balconies|"
    "car park|parking garage|overpass|ledge|window|parking structure|parking structures|parking deck|parking ramp|"
    "multistorey|multi storey|skyscraper|skyscrapers|dam|viaduct|quarry|high rise|tower block"
)
_TRAFFIC = "train|trains|bus|truck|car|lorry|subway|tracks|train tracks|traffic"
_PILLS = _words(
    "pills|pill|meds|medication|medications|medicine|tablets|sleeping pills|painkillers|antidepressants|insulin|"
    "pain meds|paracetamol|tylenol|opioids|sleeping tablets|oxy|oxycodone|oxycontin|fentanyl|morphine|codeine|"
    "tramadol|xanax|valium|ambien|benzos|sertraline|zoloft|prozac|fluoxetine|lexapro|citalopram|lithium|"
    "acetaminophen|aspirin|ibuprofen|heroin"
)
_BODY = _words(
    "arm|arms|forearm|forearms|wrist|wrists|thigh|thighs|leg|legs|skin|stomach|belly|body|hips|ankles|knuckles|"
    "shins|ribs|chest"
)
# A loss just told, which turns "what is the tallest bridge?" into a means
# question. Pets are left out: "my dog died, where is the nearest support group".
_LOSS = (
    r"(?:\b(?:lost|losing|lose) (?:my |everything\b|it all\b|custody|the house|the kids|our )|"
    r"\b(?:got|been|was|just|getting|being|am) (?:\w+ )?(?:fired|laid off|sacked|dumped|evicted|expelled|kicked out)\b|"
    r"\b(?:wife|husband|partner|girlfriend|boyfriend|fiance|fiancee|spouse|gf|bf) (?:\w+ )?(?:left|dumped|divorced|"
    r"cheated|died|passed|moved out)\b|\b(?:mom|mum|mother|dad|father|son|daughter|brother|sister|child|baby|"
    r"best friend|grandma|grandpa|grandmother|grandfather) (?:\w+ )?(?:died|passed|was killed|killed (?:himself|herself))\b|"
    r"\bfailed (?:my|the|all|again)\b|\bbroke up with me\b|\bdivorce|\bbankrupt|\bforeclos|"
    r"\btook (?:the|my) (?:kids|children|son|daughter)\b)"
)
# A trip, a move or a shift explains an absence ("I won't be here next week,
# I'm on holiday"); read in the 80 characters after the match.
_AWAY = (
    r"(?!.{0,80}\b(?:vacation|holiday|trip|travel\w*|conference|meeting|office|class|shift|party|moving|move|"
    r"visit\w*|hospital|surgery|offline|leave|flight|abroad)\b)"
)
# How high or how near a place is: innocent alone ("the highest building in
# the world"), a means question after a loss.
_HEIGHT_ASKED = (
    r"(?:highest|tallest|biggest drop|highest drop|longest drop|steepest|sheer drop|how (?:tall|high) (?:is|are)|"
    r"nearest|closest|over (?:[1-9][0-9]*|a hundred|fifty|forty|thirty|twenty|ten) (?:m|meters|metres|feet|ft|foot|"
    r"stories|storeys|floors))"
)
_FIRST_PERSON = re.compile(r"\b(?:i|im|ive|id|ill|me|my|myself|mine)\b")
_OTHERS = re.compile(
    r"\b"
    + _words(
        "people|person|persons|someone|somebody|anyone|anybody|they|them|their|theyre|he|she|him|her|his|hes|shes|"
        "friend|friends|client|clients|patient|patients|student|students|teen|teens|teenager|teenagers|son|daughter|"
        "child|children|kids|partner|husband|wife|brother|sister|mom|mum|dad|mother|father|research|study|studies|"
        "article|articles|book|author|neff|paper|writer|youth|veterans|individuals|survivors|who"
    )
    + r"\b"
)


# Told as a past that is over: "I was suicidal in college but therapy helped".
# Only the words after the match are read, so "... helped, but now I want to die
# again" is still caught by the rules about wanting to die.
_RECOVERED = (
    r"(?!.{0,80}\b(?:but|and|until) (?:\w+ ){0,3}?(?:therapy|treatment|medication|meds|recovery|support|"
    r"counselling|counseling|time|help)\b.{0,20}\b(?:helped|helps|saved|worked|changed)\b)"
    r"(?!.{0,80}\b(?:but|and) (?:im|ive been|i am|i have been|things are|life is) (?:\w+ )?(?:better|fine|okay|ok|"
    r"safe|recovered|clean|doing well|good) (?:now|since|these days)\b)"
)

# Ordinary reasons to buy or carry medicine; a sentence that gives one is not
# about a stockpile ("I bought a lot of paracetamol for the flu").
_ORDINARY_NEED = _words(
    "headache|headaches|migraine|migraines|flu|cold|colds|cough|fever|period|cramps|toothache|back pain|pain relief|"
    "first aid|kit|trip|holiday|vacation|travel|travelling|traveling|family|kids|children|baby|grandma|grandad|week|"
    "month|winter|prescription|pharmacy|doctor said|work|shift|cheaper|cheap|offer|discount|deal|sale|injury|surgery|"
    "allergies|hay fever|dog|cat|vet|allowed|legal|law|rules"
)
# Remote places people go to be alone with a means.
_REMOTE = _words(
    "coast|sea|seaside|beach|cliff|cliffs|bridge|woods|forest|lake|river|tracks|motel|hotel|car park|middle of nowhere|"
    "mountains|moors|quarry|dam|reservoir|hills|countryside|edge|shore|pier|clifftop|headland"
)
# What people ordinarily do at the top of a car park or a building.
_HEIGHT_ERRAND = _words(
    "find my car|parked|parking space|park my car|my car|ticket|studying|study|work|working|office|meeting|view|"
    "fireworks|sunset|sunrise|photo|photos|pictures|gutter|gutters|fixing|repair|repairing|party|bar|terrace|"
    "restaurant|cafe|gym|pool|library|apartment|flat|lift|elevator|stairs|waiting for|picking up|pick up|shopping|"
    "hospital|mall|cinema|museum|tour|stuck|beautiful|lovely|amazing|gorgeous|path|walk|walking|hike|hiking|trail|"
    "tourist|holiday|visitor centre|visitor center|viewpoint|exit|station|nearest|pay|payment|machine"
)
# Words that weigh two methods against each other.
_COMPARED = _words(
    "quicker|quickest|faster|fastest|less painful|least painful|more painful|painless|more reliable|most reliable|"
    "surer|surest|more certain|deadlier|more lethal|most lethal|more effective|most effective|more peaceful|"
    "most peaceful|cleaner|easier|easiest|better|best|hurt less|hurts less|hurt more|more sure"
)
_METHOD = _words(
    "overdose|overdosing|an overdose|od|jumping|jump|hanging|hang|drowning|drown|gun|shooting|shoot|rope|noose|"
    "slitting|slit wrists|wrists|bleeding out|exhaust|carbon monoxide|poison|poisoning|bleach|train|tracks|cutting"
)
# A day named.
_WHEN = (
    r"(?:tonight|tomorrow|today|the weekend|this weekend|next week|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|\w+day (?:night|morning|evening)|the [1-9][0-9]?(?:st|nd|rd|th)?|then)"
)
# The house empty: the others out, away or asleep.
_AWAY_FROM_HOME = (
    r"(?:family|parents|everyone|everybody|roommates?|flatmates?|housemates?|wife|husband|partner|kids|mum|mom|dad|"
    r"they|theyre|theyll|house|place)(?: \w+)? (?:will be|will all be|are|are all|is|ll be|be|wont be)? ?"
    r"(?:\w+ )?(?:out|away|gone|asleep|at work|at church|on holiday|on vacation|not home|not in|empty|home alone)"
)
# Reasons to be glad of an empty house.
_HOME_ALONE_FUN = _words(
    "party|guests|friends over|throw|host|hosting|surprise|date|movie|movies|spa|bath|relax|relaxing|peace and quiet|"
    "me time|quiet night|rest|study|studying|clean|cleaning|paint|painting|decorating|birthday|dinner|lunch|brunch|"
    "bbq|barbecue|sleepover|concert|gig|wedding|holiday|trip|flight|game|games|delivery|plumber|builders|"
    "so (?:that )?(?:i|we) can (?!do it\\b|go through|end\\b|finally do it\\b)"
)


@dataclass(frozen=True)
class Rule:
    """A named pattern.

    ``about_others_ok`` rules stand even in third-person sentences; a match
    whose own words also match ``unless`` does not count.
    """

    name: str
    pattern: re.Pattern[str]
    about_others_ok: bool = False
    unless: re.Pattern[str] | None = None

    def matches(self, sentence: str) -> bool:
        return any(self.unless is None or not self.unless.search(m.group(0)) for m in self.pattern.finditer(sentence))


# Rules that look for two things in one message keep them within 200
# characters of each other (".{0,200}?"): an unbounded ".*" makes long
# messages slow, and far-apart words are rarely one thought.
def _rule(name: str, *patterns: str, about_others_ok: bool = False, unless: str | None = None) -> Rule:
    return Rule(name, re.compile("|".join(patterns)), about_others_ok, re.compile(unless) if unless else None)


RULES: tuple[Rule, ...] = (
    # --- Intent, plan or wish, spoken by the person ---------------------------
    _rule(
        "intent",
        _LEAD + _GAP + _INTENT + " (?:to )?" + _SHORT_GAP + _ACTION,
        # "I feel like I'm going to die" is how panic and fear speak, not intent.
        unless=r"\b(?:feel like|feels like|felt like|afraid|scared|worried|terrified|convinced|think|thought|fear) "
        r"(?:im |i |i was )?going to die\b",
    ),
    # Modals only count with harm: "I might hurt myself", not "I could die of embarrassment".
    _rule(
        "might_harm",
        r"\b(?:i|im|ill|id)\s" + _GAP + r"(?:might|could|will|would|may|ill|id) (?:end up |actually |just )?"
        r"(?:(?:hurt|harm|cut|burn|hang|shoot|stab|drown|poison|do something to) myself|overdose|od|"
        r"end it(?: all)?$|end my life|end everything)\b",
        r"\b(?:might|could|would|will|ill|id) do (?:something )?to myself\b|\bdo something to myself\b",
    ),
    # These phrases are hardly ever ordinary speech, whoever the subject seems to be.
    _rule("kill_myself", r"\b(?:kill|killing|killed|unalive|unaliving|off|offing|end|ending) myself\b" + _IDIOM_AFTER),
    # "Take my life back" is what recovery sounds like.
    _rule(
        "end_my_life",
        r"\b(?:end|ending|ended|take|taking) my (?:own )?life\b(?! back)|\bend it all\b|\bending it all\b",
        r"\bfinish (?:myself off|myself|off my life|my life|it all)\b",
    ),
    _rule(
        "kms",
        r"\b(?:going to|want to|about to|should|might|could|gonna|ill|just) kms\b|^kms$",
        # "kms fr", "kms tonight": the abbreviation said, not asked about.
        r"^kms\b(?! (?:mean|means|stand|stands|in)\b)|\bkms (?:fr|for real|tonight|today|right now|no cap|tbh|"
        r"honestly|seriously|lol|again)\b",
    ),
    # Slang that hides the word from filters is itself a sign the person means it;
    # asking what it means is not.
    _rule(
        "slang",
        r"^(?!.*\b(?:mean|means|meaning|why do|what is|whats|stand for|stands for|slang|tiktok|term|word|say)\b)"
        r".*?\b(?:sewer ?slides?|sewer ?sliding|sewerslide|self ?delete|self ?deleting)\b",
        r"\bcatch(?:ing)? the (?:last )?(?:bus|train)\b.{0,80}?\b(?:if you know what i mean|iykwim|for good|"
        r"permanently|and not come back)\b",
        r"\b(?:going to|about to|planning to|ready to) (?:take a (?:long )?nap|go to sleep|go for a swim|go away|leave|"
        r"take the (?:bus|train)) (?:\w+ ){0,3}?(?:if you know what i mean|iykwim)\b",
    ),
    # A message that is nothing but the word, or a call for help with it.
    _rule(
        "bare_word",
        r"^(?:(?:help|please|im|so|very|feeling|feel|still|really|always|again) )*"
        r"(?:suicidal|selfharming|kms|kill myself|want to die)"
        r"(?: (?:help|please|now|tonight|again|today|anymore|right now|lately|rn))*$",
        r"^(?:help |please )+(?:suicide|selfharm|overdose)(?: help| please)*$",
    ),
    # Suicidal thoughts in the first person, not questions about suicide.
    _rule(
        "suicidal_first_person",
        r"\b(?:i|im|ive|id|ill|me)\s(?:"
        + _words(
            "am|was|have|had|been|being|keep|kept|feel|feeling|felt|get|getting|got|having|so|very|really|just|"
            "still|always|often|sometimes|constantly|pretty|quite|kind of|extremely|actively|passively|seriously|"
            "thinking about|thinking of|thought about|thought of|think about|considering|considered|contemplating|"
            "planning|plan|attempted|attempt|tried|struggling with|struggle with|dealing with|battling|fighting|"
            "obsessing over|dreaming about|commit|committing|going to|want to|a bit|lately|again|now|every day|"
            "become|becoming|feel so|im|ive|more|fairly|increasingly|at night|a lot|recurring|intrusive|dark|"
            "constant|daily|these|some|serious|strong"
        )
        + r"\s)*(?:suicidal|suicide|suicidality)\b"
        # "I was suicidal in college but therapy helped": a past that is told as past.
        + _RECOVERED,
        r"\bmy suicid\w* (?:thoughts|feelings|urges|ideation|plan|plans|note|thinking)",
        r"\b(?:planning|plan|planned|preparing|prepare|plotting|scheduling|picked a date for) (?:out )?my "
        r"(?:own )?(?:suicide|death|exit)\b",
        r"\bsuicid\w* (?:thoughts|feelings|urges|ideation) (?:are|is|have been|keep|are getting)",
        r"\b(?:write|writing|wrote|written|drafted|drafting|left|leave|leaving) (?:a |my |some )?"
        r"(?:suicide|goodbye|farewell) (?:note|notes|letter|letters)"
        # A farewell to colleagues or classmates is about a new job or school.
        r"(?! (?:to|for) (?:my |the |all my |our |all the )?(?:old |former |younger |past |future |inner )?(?:self|selves|habits?|ways|patterns|addiction|drinking|smoking|fears?|anxiety|inner critic|coworkers?|co workers?|colleagues?|team|"
        r"teammates|class|classmates|students|teachers?|boss|manager|office|company|clients|customers|readers|"
        r"followers|neighbou?rs|workplace|school|job|church))"
        r"(?!.{0,120}\b(?:journal\w*|writing exercise|therapy exercise|prompt|new job|new role|new school|retire|retiring|retirement|relocat\w*|moving (?:away|abroad|to)|"
        r"graduat\w*|last day (?:at|of) (?:work|school)))",
    ),
    # Thoughts that will not leave: "suicide is all I think about".
    _rule(
        "preoccupied",
        r"\b(?:suicide|killing myself|ending it|ending it all|ending my life|dying|being dead|my death) "
        r"is all i (?:can |ever )?(?:think|thinking) about",
        r"\b(?:cant stop|keep|kept|always) (?:thinking|obsessing|fantasizing|dreaming) (?:about|of|over) "
        r"(?:suicide|dying|killing myself|ending it|ending it all|ending everything|ending my life|being dead|my death|"
        r"not being here)\b",
        r"\b(?:brain|mind|head|thoughts|voice) (?:\w+ )?(?:wont|doesnt|will not|cant|never) (?:\w+ )?(?:shut up|stop|"
        r"be quiet|let go|leave me alone) (?:talking |going on )?(?:about|of) (?:suicide|dying|killing myself|ending it|"
        r"ending it all|ending everything|ending my life|being dead|my death|not being here|jumping|disappearing)\b"
        r"(?! (?:my|the|his|her|it|off|out)\b)",
        r"\b(?:picturing|imagining|fantasizing about|fantasising about|dreaming about|visualizing|visualising) "
        r"my (?:own )?funeral\b",
    ),
    # Danger now, in the person's own words.
    _rule(
        "unsafe_now",
        r"\b(?:im|i am|i dont feel|i do not feel|dont feel) (?:not )?safe (?:tonight|right now|with myself|"
        r"around myself|alone tonight|today|rn)\b",
        r"\bdont trust myself (?:tonight|right now|alone|to stay safe|not to)\b",
        r"\b(?:im|i am) (?:\w+ )?ending (?:it|things|everything|my life|it all)\b(?! (?:with|off|up|here|now|early|for|on|at))",
        r"\b(?:wont|dont think ill|not going to|dont know if ill|might not) make it (?:through the night|"
        r"through tonight|to (?:the )?morning|through the weekend|through today|to tomorrow$)",
    ),
    # A voice or thought ordering harm.
    _rule(
        "commanded",
        r"\b(?:mind|voice|voices|head|brain|thoughts|something) (?:\w+ ){0,2}?(?:telling|tells|told|saying|says) me "
        r"to (?:jump|die|kill myself|end it|hurt myself|cut myself|stop breathing|walk into traffic)\b"
        r"(?! (?:higher|in|on|into|at|rope|start|ahead|through))",
        r"\b(?:voices?|mind|head|thoughts) (?:keep )?(?:say|says|saying|tell|tells|telling|told|said) (?:me )?(?:that )?"
        r"(?:i should|i need to|i have to|i must) (?:\w+ ){0,3}?(?:jump|die|kill|end it|hurt|cut|river|bridge|tracks|"
        r"train|roof|pills|drown|hang|disappear|walk into)\b",
    ),
    # --- Self-harm, now or as a habit ------------------------------------------
    _rule(
        "self_harm",
        r"\b(?:cut|cutting|burned|burnt|burn|burning) myself\b" + _IDIOM_AFTER + r"(?<!accidentally cut myself)",
        r"\b(?:im|been|keep|kept|started|start|starting|still|again|cant stop|relapsed and) (?:\w+ ){0,3}?"
        r"(?:hurting|harming|cutting|burning|starving|hitting|punching|scratching|bruising) myself\b" + _IDIOM_AFTER,
        r"\b(?:hurt|hurting|harm|harming|hit|hitting|punch|punching|scratch|scratching|starve|starving) myself "
        r"(?:\w+ ){0,2}(?:on purpose|deliberately|intentionally|to (?:feel|cope|punish|calm|numb)|"
        r"again\b(?! (?:at|in|on|while|playing|running|lifting|doing|during|with)))",
        r"\b(?:hurt|hurting|harm|harming|cut|cutting|burn|burning) myself with (?:a |the |my )?"
        r"(?:razor|razors|blade|blades|knife|knives|lighter|scissors|glass|belt|cigarette|compass)",
        r"\b(?:cutting|burning|scratching|carving|hitting|punching|bruising|slicing) (?:into )?my "
        + _BODY
        + r"\b"
        + _IDIOM_AFTER,
        r"\b(?:cut|burn|burned|burnt|scratch|carve|carved|hit|punch|slice|sliced) (?:into )?my "
        + _BODY
        + r" (?:\w+ ){0,2}(?:again|on purpose|deliberately|to (?:feel|cope|punish|calm|numb))",
        r"\b(?:slit|slitting|slash|slashing|slashed|slice|slicing) (?:open )?my (?:wrist|wrists|throat|arm|arms)\b",
        r"\b(?:slit|slitting|slash|slashing) (?:open )?(?:your |ones |the |a )?(?:wrist|wrists)\b",
        # Scratching bites or a rash until they bleed is an itch, not harm.
        r"^(?!.*\b(?:bites|itch\w*|eczema|rash|scabs?|pimples?|spots|acne|mosquito\w*|hangnails?)\b).*?"
        r"\b(?:until|till|til|untill) (?:i|it|they|my \w+|the skin) (?:bruise|bruises|bruised|bleed|bleeds|bled|"
        r"scar|scars|scarred)\b",
        # With a tool, or told as a habit of punishment.
        r"\b(?:cut|cutting|burn|burning|burned|burnt|scratch|scratching|scratched|carve|carving|carved|hit|hitting|"
        r"punch|punching|punched|slice|slicing|sliced|stab|stabbing|scrape|scraping|scraped) (?:into )?my "
        + _BODY
        + r" (?:\w+ ){0,3}?(?:with (?:a |the |my )?(?:lighter|razor|razors|razor blade|blade|blades|knife|knives|"
        r"scissors|glass|cigarette|cigarettes|compass|needle)|every time|whenever|because i (?:deserve|hate)|"
        r"as (?:a )?punishment|to feel (?:something|anything|alive|real|better)|so i (?:can )?feel)\b",
        r"\b(?:carve|carved|carving|etch|etched|etching|scratch|scratched|scratching|cut|cutting) "
        r"(?:\w+ ){1,3}?(?:into|out of) my " + _BODY + r"\b",
        r"\b(?:punch|punching|punched|hit|hitting|slam|slamming|slammed|bang|banging|banged) (?:the )?"
        r"(?:walls?|my head|my fists?)\b.{0,60}?\b(?:until|till|to feel|so i (?:can )?feel|bleed|bleeds|bled|bruise|"
        r"bruises|bruised)\b",
        r"\b(?:i|ive|im) (?:\w+ ){0,2}?(?:cut|burned|burnt|harmed) (?:again|deeper)\b(?! (?:the|some|a|my|into|through))",
        r"\bcut (?:\w+ ){0,3}?deeper (?:this time|next time|than (?:before|ever|last time))\b",
        r"\b(?:i|im|ive|been|started|start|keep|kept)\b (?:\w+ ){0,2}?(?:cutting|harming|burning) "
        r"(?:again|more and more|deeper|every (?:day|night))\b",
        r"\b(?:hit|hitting|cut|burnt|burned|slammed|slamming|smashed|smashing|punched|broke|bashed|banged|scratched|"
        r"bit|stabbed|hurt|twisted|scalded) (?:\w+ ){0,2}?my (?:\w+ )?(?:hand|hands|head|face|fingers|arm|arms|leg|"
        r"legs|wrist|wrists|body|skin|thigh|thighs|knuckles|stomach|chest) (?:\w+ ){0,4}?"
        r"(?:on purpose|deliberately|intentionally)\b",
        r"\b(?:cut|cutting|hurt|hurting|scratch|scratching|hit|hitting|burn|burning) myself (?:with \w+ (?:\w+ )?)?"
        r"(?:until|till) (?:it|i) (?:hurts|bleeds|bleed|bruise|bruises)\b",
        r"\b(?:scratch|scratching|scratched|cut|cutting|burn|burning|hurt|hurting) myself with (?:a |the |my )?"
        r"(?:keys?|nails|fingernails|pins?|hot \w+|anything|whatever)\b",
        r"\b(?:cut|cutting|burn|burning|hurt|hurting|hit|hitting|punch|punching|scratch|scratching)\b.{0,60}?"
        r"\b(?:to|so i (?:can )?|just to|makes me|make me) feel (?:something|anything|alive|real|in control)\b",
        r"\b(?:hurting|cutting|burning|harming|hitting|starving) myself (?:is|was|has been|feels like) "
        r"(?:\w+ ){0,3}?(?:only|helps|relief|calms|works)\b",
        r"\b(?:razor|razors|blade|blades|lighter)\b.{0,80}?\bfor when (?:it|things|the urges?|the feelings?|i) "
        r"(?:\w+ )?(?:get|gets|feel|come|comes|are|is) (?:\w+ )?(?:bad|too much|worse|overwhelming|hard|strong|back)\b",
        # Food withheld as punishment.
        r"\b(?:eat|eating|eaten|ate|meal|meals|dinner|lunch|breakfast|food)\b.{0,60}?\b(?:as (?:a )?punishment|"
        r"(?:to )?punish(?:ing)? (?:myself|me))\b",
        r"\bpunish(?:ing)? myself by (?:not eating|starving|skipping (?:meals|food|dinner|lunch|breakfast))\b",
        r"\b(?:press|pressed|pressing|held|hold|holding|dig|dug|digging|push|pushed|pushing|drag|dragged|dragging|"
        r"stub|stubbed|stubbing) (?:a |the |my )?(?:\w+ )?(?:iron|nails|fingernails|razor|blade|knife|lighter|"
        r"cigarette|cigarettes|needle|needles|glass|pin|pins|scissors|compass) (?:into|against|to|on|across) my "
        + _BODY
        + r"\b",
        r"\b(?:until|till) (?:they|it) (?:were|was) (?:raw|bleeding|bloody|bruised|black and blue)\b",
        r"\b(?:make|making|made) myself (?:throw up|vomit|purge)\b|\bpurging\b.{0,40}?\bpunish",
        r"\bnot worth (?:feeding|saving|keeping alive|the air i breathe|the oxygen)\b",
        r"\bi dont deserve (?:to eat|food|meals|to be fed)\b|\buntil (?:i )?(?:\w+ ){0,8}?deserve (?:to eat|food)\b",
        r"\b(?:took|take|taking|used|use|using|put|held|hold|holding) (?:a |the |my )?(?:knife|blade|razor|lighter|"
        r"scissors|glass|needle) (?:to|on|against|into) my " + _BODY + r"\b",
        r"\b(?:skip|skipping|skipped|not eating|refuse to eat|refusing to eat|stopped eating) (?:\w+ ){0,3}?"
        r"(?:on purpose |deliberately )?to (?:punish|hurt) myself\b",
    ),
    _rule(
        "self_harm_first_person",
        r"\b(?:i|im|ive|id|ill)\s" + _GAP + r"(?:selfharm|selfharming|selfharmed)\b",
        r"\bmy selfharm(?:ing)? (?:is|has|keeps|got|urges|relapse|getting)",
        r"\b(?:relapsed|relapsing|relapse) (?:\w+ )?selfharm|\burges? to selfharm",
    ),
    # --- Passive wishes and hopelessness about living itself ------------------
    _rule(
        "passive_wish",
        r"\bwish (?:that )?i (?:was|were|could be|was just|were just) dead",
        r"\bwish (?:that )?(?:i|id|i had) never (?:been born|existed|woke up|wake up)",
        r"\bwish (?:that )?i (?:didnt|wouldnt|could|could just|would) (?:just )?"
        r"(?:exist|wake up|not exist|stop existing|die|disappear forever|sleep forever|not wake up|never wake up)",
        r"\b(?:hope|pray|praying|hoping) (?:\w+ ){0,3}?(?:that )?i (?:dont|never|wont) wake up|"
        r"\bhope (?:that )?i (?:just )?die",
        r"\bhope (?:that )?i (?:get hit by|crash|dont survive)",
        r"\b(?:dont|never) want to wake up\b(?! (?:early|at|before|so early|in the morning for|for))|"
        r"\b(?:fall )?a?sleep and (?:never|not) wake up(?! (?:this|so|that|too) early| early| at\b)",
        r"\b(?:go to bed|go to sleep|fall asleep|lie down|sleep) and (?:never|not) (?:get up|wake|wake up|come back)"
        r"(?: again| ever again)?$",
        r"\brather be dead\b(?! than)|\bbetter (?:off )?dead\b",
        r"\b(?:wish|hope|pray|wishing|hoping|praying) (?:that )?i (?:wouldnt|wont|dont|didnt) (?:survive|pull through|"
        r"wake up from)\b",
        r"\b(?:hope|hoping|wish|wishing|pray|praying) (?:that )?my (?:heart|breathing|lungs) (?:\w+ )?(?:stops|stop|"
        r"would stop|will stop|gives out|give out|fails|gives up)\b",
        r"\b(?:wouldnt|would not|dont|do not) (?:mind|care) if i (?:died|die|didnt wake up|dont wake up|never woke up|"
        r"was gone|were gone|got hit|crashed)\b",
        r"\buntil (?:i|my heart) (?:stop|stops|quit) (?:breathing|beating)\b",
        # "I'd rather die than sing karaoke" is an idiom; than feeling like this is not.
        r"\brather (?:be dead|die|not exist|not be alive) than (?:feel|feeling|live|living|keep|go on|going on|wake up|"
        r"waking up|spend another|suffer|suffering|endure|exist|continue|face another|be like this|be in this pain|"
        r"deal with this)\b",
        r"\b(?:hope|wish|pray|praying|hoping) (?:that )?i (?:just )?(?:get|got|will get|would get|could get|end up|"
        r"get killed) (?:\w+ ){0,4}?(?:accident|crash|killed|run over|hit by|a heart attack)\b",
        r"\bnever (?:open|opening) my eyes (?:\w+ )?again\b"
        r"|\beyes\b.{0,60}?\b(?:never|not) (?:open|opening) (?:them|my eyes) (?:\w+ )?again\b"
        r"|\bclose my eyes (?:forever|for good|and never wake up)\b",
        r"\b(?:wish|hope|pray) (?:that )?(?:a|the|some) (?:car|bus|truck|train|lorry|plane|meteor|asteroid|bullet|"
        r"stray bullet|drunk driver) (?:would |will |could )?(?:hit|hits|kill|kills|run me over|runs me over|crash)",
        r"\b(?:dont|do not|dont even) deserve to (?:live$|be alive|exist|be here anymore|breathe)",
    ),
    _rule(
        "no_point",
        r"\b(?:no|dont see the|dont see any|cant see the|cant see any|whats the|theres no|is there any|"
        r"lost the|lost all|without any|dont have any|dont have a|have no) "
        r"(?:point|reason|will) (?:to|in|of|for) (?:me |my )?(?:to )?(?:even |still |really )?"
        r"(?:living|life|going on|carrying on|being alive|staying alive|being here|existing|keep going|keep breathing|"
        r"breathing|be here|be around|being around|stick around|sticking around|"
        r"keeping going|continuing|anything anymore|it all|waking up|trying anymore|live|go on|me to live|"
        r"keep living|stay alive|be alive|exist|carry on|continue living|"
        r"me being here|me being alive|my life|my existence)\b",
        r"\bwhy (?:should|would|do|must) i (?:even |still )?(?:keep|bother|go on|stay|carry on)"
        r"(?: living| going on| alive| existing| being alive| staying alive| breathing| waking up| being here)?$",
        r"\b(?:theres no|there is no|cant see a|dont see a|dont see any|see no) way out$|\bmy life is over$",
        r"\bnothing (?:left )?to live for|\bno will to live|\bnot worth living",
        r"\b(?:life|this world) has nothing (?:left )?(?:for me|to offer me)\b",
        r"\b(?:life|living|my life|existence|being alive|staying alive)\s(?:really |just )?"
        r"(?:isnt|aint|no longer|doesnt feel|never feels|is no longer) (?:really |even )?worth (?:living|it|going on)",
    ),
    _rule(
        "cant_go_on",
        r"\bhow (?:much )?(?:longer|long) i can (?:stay alive|keep living|keep going$|go on$|live like this|survive this|"
        r"keep breathing)",
        r"\bcant (?:go on|keep going|carry on|keep living|continue living|live like this|do life)"
        r"(?: anymore| any longer| much longer)?(?: like this)?$",
        # The heat, the noise or the commute wear people down without danger.
        r"^(?!.*\b(?:heat|heatwave|humid\w*|weather|melting|boiling|sweating|noise|traffic|commute|construction|"
        r"drilling|snoring|mosquito\w*)\b).*?"
        r"\bcant (?:do this|take it|take this|handle it|handle this|handle life|bear it|bear this|stand it|"
        r"keep doing this|be here) (?:anymore|any longer)$",
        r"\b(?:dont|no longer) want to (?:live|be alive|exist|be here|go on|keep going|keep living|carry on|continue)"
        r"(?: anymore| any longer| no more)?$",
        r"\b(?:dont|no longer) want to (?:live|be here|go on|keep going|keep living|carry on|continue) "
        r"(?:anymore|any longer|no more|on this earth|in this world)",
        r"\b(?:dont|no longer) want to be (?:on this earth|in this world|on earth|alive)\b",
        r"\bwhy (?:even )?bother (?:waking up|living|staying alive|being alive|existing|breathing)\b",
        r"\b(?:im|i am|i feel like im|been|just) (?:\w+ )?waiting to die\b",
        r"\b(?:dont|no longer) want to (?:be alive|exist)\b",
        # "tired of living up to expectations", "living with pain", "living in this city" are not about life.
        r"\b(?:tired|sick|exhausted|weary) of (?:living|being alive|existing|waking up|fighting to stay alive)\b"
        r"(?! (?:up|with|in|on|like|for|paycheck|under|through|out|off|at|near|alone|here|there))",
        r"\b(?:tired|sick|exhausted|weary) of (?:life|my life)(?: anymore)?$",
        r"\bdone with (?:life|living|existing|being alive|it all|this world)\b",
        # Keeping up an act of wanting to live.
        r"\b(?:pretend|pretending|pretended|faking|fake|act|acting) (?:that |like )?(?:i (?:still )?(?:want|wanted) to|"
        r"to want to) (?:be alive|live|stay alive|be here|exist|go on|keep living|keep going)\b",
        r"\bhad enough of (?:living|existing|being alive|life|my life|this life)\b(?! (?:in|with|as|like|on))",
        r"\b(?:stopped caring|dont care|dont really care|no longer care) (?:anymore )?(?:if|whether) i "
        r"(?:live|die|wake up|survive|make it)\b",
        r"\bstop(?:ped)? (?:being alive|existing)\b(?! (?:in|as|like|on|for|with))",
        r"\bcant see myself (?:being alive|living|alive|being here|still here|making it) (?:to|past|until|beyond|by|at)"
        r"\b(?!.{0,40}\bwithout\b)",
        r"\bthere (?:wont|will not|isnt going to) be a (?:next \w+|tomorrow|future) for me\b",
        r"\b(?:hope|wish|pray)\b.{0,80}?\bso (?:that )?i (?:dont|wont|never) have to (?:do this|live|be here|exist|"
        r"wake up|deal with (?:this|life|any of this)|keep going|go on) anymore\b",
        r"\b(?:want|need|wish|hope) (?:for )?(?:it all|everything|all of this|all this|all of it|my life|life) "
        r"(?:all )?to (?:end|stop|be over|go dark (?:permanently|forever|for good))\b",
        r"\b(?:want|need|wish) (?:for )?the pain to (?:end|stop) (?:forever|for good|permanently)",
        r"\b(?:make|let) (?:the|my|all the|this|all this) pain (?:stop|end|go away) (?:for good|forever|permanently)\b",
    ),
    # Being a burden, or others being better off.
    _rule(
        "burden",
        r"\bbetter (?:\w+ ){0,2}?without me\b|\bbetter off (?:\w+ ){0,6}?(?:after|when|once) im gone\b",
        r"\b(?:better|happier|easier|lighter|relieved|fine|breathe easier) (?:off )?"
        r"(?:for (?:everyone|everybody|all|them|my family|my kids|the world) )?(?:without me\b|with me gone|when im (?:gone|dead)"
        r"|if im (?:gone|dead|not here|not around)"
        r"|if i (?:was|were|am) (?:dead|gone|not here|not around|never born|no longer here|no longer alive|"
        r"six feet under|in (?:my|a|the) grave|in the ground)"
        r"|if i (?:just )?(?:died|disappeared|killed myself|never existed|had never been born|wasnt here|wasnt around|"
        r"werent here|werent around|didnt exist|wasnt here anymore|werent here anymore))",
        r"\bif i (?:was|were) (?:dead|six feet under|in my grave)\b",
        r"\bif i (?:just )?(?:died|disappeared|stopped existing|wasnt here|werent here|was gone|were gone|"
        r"killed myself|ended it|never existed|didnt exist)\b.{0,80}?\b(?:better|easier|happier|lighter|relieved|"
        r"favou?r)\b",
        r"\b(?:favou?r|relief|blessing|kindness) (?:\w+ ){0,3}?(?:by|if i) (?:just )?(?:dying|died|killing myself|"
        r"ending it|ending my life|being dead|disappearing forever|not being here|not existing)\b",
        r"\b(?:nobody|anyone|anybody) (?:cares|would care|will care|gives a) (?:\w+ )?(?:if|whether) i "
        r"(?:live or die|die|live|lived or died)\b",
        r"\b(?:nobody|anyone|anybody) (?:would|will|is going to|going to)? ?(?:even |really )?"
        r"(?:miss me|(?:notice|care|mind) (?:if|when) (?:i (?:die|died|was gone|were gone|disappear|disappeared|"
        r"vanished|left forever|killed|was dead|wasnt here|werent here|wasnt around|didnt exist)|im (?:gone|dead)))",
        r"\bif i (?:died|was gone|were gone|disappeared|killed myself|wasnt here|werent here|jumped|overdosed|"
        r"ended it|ended my life|did it)\b.{0,200}?"
        r"\b(?:nobody|anyone|anybody)\b.{0,200}?\b(?:care|notice|miss|bother|call|look for me|check on me)",
        # "Easier for my kids if they never had me as a mum."
        r"\b(?:easier|better|happier|lighter) (?:\w+ ){0,4}?if (?:they|he|she|you|my \w+|everyone) (?:had )?"
        r"(?:never had|didnt have|werent stuck with|never met|got rid of) me\b(?:$| as (?:a |their |his |her )?\w+\b| around"
        r"| in (?:their|his|her|your) li(?:fe|ves))",
        r"\b(?:burden|waste of space) (?:to|on|for) (?:everyone|everybody|the world|all of them|everyone around me)",
    ),
    # Death as relief, comfort or the only way out.
    _rule(
        "death_relief",
        r"\b(?:death|dying|suicide|ending it|ending it all|ending my life|killing myself|being dead|not existing|"
        r"not being alive) (?:is|would be|seems|feels|feels like|looks like|sounds|sounds like) (?:\w+ ){0,2}?"
        r"(?:the only way out|the only option|the only answer|the only solution|my only option|my only way out|"
        r"the only exit|my only exit|the only escape|my only escape|"
        r"the answer|a relief|easier|better|peaceful|like a relief|appealing|freedom|an escape)\b",
        r"\b(?:thought|idea|thinking) of (?:not existing|dying|being dead|killing myself|ending it|ending my life|"
        r"not being here|not waking up) (?:\w+ ){0,4}?(?:calms|comforts|soothes|relief|peace|only thing|helps me)",
    ),
    # Grief that wants to follow: "I want to join my husband" (the death may be told in a later sentence).
    _rule(
        "join_the_dead",
        r"\b(?:want to|going to|ready to|wish i could|need to) join (?:my |him|her|them)(?:\w+ )?"
        r"(?:\w+ ){0,8}?(?:died|passed|passed away|is dead|are dead|in heaven|on the other side|killed himself|"
        r"killed herself|took his life|took her life)",
        r"\bjoin (?:him|her|them|my \w+) (?:in heaven|on the other side|in death)",
    ),
    # --- Plans without a method named, and goodbyes ------------------------------
    _rule(
        "plan_unnamed",
        r"\b(?:know|decided|figured out|picked|chosen|worked out|planned) (?:exactly )?(?:where|how|when) "
        r"(?:im going to|ill|to|i will|id|going to) (?:do it|end it|go through with it)\b",
        r"\b(?:going to|ill|will|ready to) (?:finally )?go through with it\b",
        r"\b(?:tonight|today|tomorrow|this weekend)\b.{0,60}?\bgo through with it\b|"
        r"\bgo through with it\b.{0,40}?\b(?:tonight|today|tomorrow|this weekend)\b",
        # Affairs put in order and a day chosen.
        r"\b(?:will|debts|affairs|insurance|passwords)\b.{0,120}?\b(?:picked|chosen|chose|set) (?:a|the) (?:day|date)\b",
        r"\b(?:planning|planned|figured out|figuring out|worked out|working out|researching|researched) "
        r"(?:how|when|where) (?:to|ill|im going to|i will|id) do it\b",
        r"\b(?:going to|ill|will|ready to|about to) (?:finally )?do it\b.{0,200}?"
        r"\b(?:made up my mind|no turning back|no going back|decided|its decided|its time|final decision)\b",
        r"\b(?:made up my mind|no turning back|no going back|its decided|final decision)\b.{0,200}?"
        r"\b(?:going to|ill|will|ready to|about to) (?:finally )?do it\b",
        r"\b(?:plan|rope|gun|pills|noose|note|bridge)\b.{0,200}?\b(?:going to|ill|will|ready to|about to) "
        r"(?:finally )?do it\b(?! (?:again|better|right|properly|myself|differently))",
        r"\b(?:decided|made up my mind|no turning back|im ready)\b.{0,200}?\b(?:tonight|today|tomorrow) is the (?:night|day)\b",
    ),
    _rule(
        "goodbye",
        r"\b(?:giving|gave|give|given) away (?:all )?(?:of )?my (?:stuff|things|belongings|possessions|cat|dog|pets|pet|"
        r"savings|everything)\b",
        r"\b(?:this is|heres) (?:my )?(?:final |last )?goodbye$|\bgoodbye (?:forever|cruel world)\b",
        r"\b(?:my|a) (?:final|last) goodbye\b|\bgoodbye (?:everyone|everybody|all|world|all of you)$",
        r"\b(?:saying|said|say) (?:my )?(?:final |last )?goodbyes? (?:\w+ ){0,3}?"
        r"(?:for the last time|forever|for good|before i (?:go|die|end|leave))",
        # Goodbyes only the speaker knows were goodbyes.
        r"^(?!.*\b(?:move|moving|job|abroad|new school|last day|party|surprise)\b).*?"
        r"\b(?:said|saying|say) (?:my |all my )?goodbyes?\b.{0,60}?\b(?:(?:they|he|she|nobody|none of them) (?:just )?"
        r"(?:dont|doesnt|didnt) (?:know|realise|realize)(?: it| that)? yet$|without (?:them|anyone|anybody) knowing$)",
        r"\b(?:written|wrote|made|finished|sorted|updated|signed) (?:out )?my will\b.{0,200}?\bgoodbyes?\b",
        r"\bgoodbyes?\b.{0,200}?\b(?:written|wrote|made|finished|sorted|updated|signed) (?:out )?my will\b",
        r"\b(?:my )?affairs in order\b.{0,200}?\bgoodbyes?\b|\bgoodbyes?\b.{0,200}?\baffairs in order\b",
        r"\b(?:last|final) (?:message|post|text|words)(?:$| (?:to|for) (?:everyone|you all|anyone|the world))",
        r"\b(?:letter|note|letters|notes|message|messages) (?:\w+ ){0,6}?(?:after|when|once) (?:im gone|i die|im dead)",
        r"\b(?:letter|note|letters|notes) (?:\w+ ){0,3}?for (?:them|my family|my kids|my parents|everyone) to find\b",
        r"\bmy last (?:night|day|week) (?:alive|on earth|on this earth|in this world)",
        r"\b(?:wont|not going to|im not going to) be (?:alive|around|here) (?:much longer|for much longer|for long|"
        r"by morning|by tomorrow|this time tomorrow|anymore)",
        r"\b(?:wont|will not|not going to) be (?:here|around|alive) to (?:look after|take care of|care for|"
        r"see \w+ grow up|raise)\b",
        r"\bwont be alive\b",
    ),
    # --- Finality: leaving, disappearing, not being around -----------------------
    _rule(
        "finality",
        r"\b(?:wont|will not|not going to|dont plan on|dont intend on|not planning on|dont expect to|dont think ill|"
        r"dont plan to) (?:be|being) (?:here|around|alive|on this earth|in this world) (?:\w+ ){0,2}?"
        r"(?:much longer|for much longer|for long|long|next (?:week|month|year|christmas|summer|time)|"
        r"by (?:morning|tomorrow|friday|monday|the weekend|next \w+|then|christmas|new year|my birthday|summer|spring|"
        r"autumn|winter|the end of (?:the )?(?:week|month|year))|this time (?:tomorrow|next \w+)|"
        r"after (?:tonight|today|this week|this weekend)|soon|tomorrow)\b" + _AWAY,
        r"\b(?:wont|will not|not going to|no longer going to) be a (?:problem|burden|bother|nuisance|weight) "
        r"(?:for|to|on) (?:anyone|anybody|everyone|everybody|you|you all|the world)"
        r"(?: \w+){0,2}? (?:much longer|for long|soon|anymore|after tonight)\b"
        r"(?!.{0,60}\b(?:once|when|after) i (?:get|find|start|graduate|move|pay)\b)",
        r"\bsoon i (?:wont|will not) be (?:a (?:problem|burden|bother)|in (?:anyones|your|the) way|here|around)\b",
        r"\b(?:decided|tonight|today|tomorrow|for good|forever|permanently|time)\b.{0,60}?\bstop being a "
        r"(?:problem|burden|bother|weight) (?:for|to|on) (?:everyone|everybody|anyone|the world|all of you|you all)\b",
        r"\bstop being a (?:problem|burden|bother) (?:for|to|on) (?:everyone|everybody|anyone|the world|all of you)"
        r"\b.{0,60}?\b(?:tonight|today|tomorrow|for good|forever|permanently)\b",
        # "Checking out of the hotel" has a place; checking out for good has none.
        r"\b(?:check|checking|checked|log|logging|logged|sign|signing|signed|clock|clocking|tap|tapping|bow|bowing) "
        r"(?:out|off) (?:of|from) (?:life|this life|this world|existence|the world|earth|living)\b",
        r"\b(?:check|checking|checked|log|logging|logged) out (?:\w+ )?(?:for good|permanently|forever|for the last time)\b",
        r"\bpermanently (?:check|checking|log|logging|sign|signing|clock|clocking) (?:out|off)\b",
        r"\bthe world (?:doesnt|does not|wont|would not|wouldnt|dont) (?:need|want|miss) me\b",
        r"\bby the time (?:you|anyone|someone|they|people) (?:\w+ )?(?:read|reads|see|sees|find|finds) this\b.{0,40}?"
        r"\b(?:gone|dead|no longer (?:here|alive|around)|wont be (?:here|alive|around))\b",
        r"\bill be gone (?:soon|forever|for good|by morning|by tomorrow|tonight)\b" + _AWAY,
        r"\bthis is the end (?:of the road )?for me\b(?! (?:at|in|with|on)\b)",
        r"\bhow (?:peaceful|nice|easy|good|quiet|restful) it would be (?:to|if i) (?:be gone|be dead|not exist|"
        r"not be here|never wake up|was gone|were gone|died|disappeared)\b",
        r"\bso (?:that )?i (?:could|can|would|might|will) (?:just |finally )?(?:die|be dead|not wake up|stop existing)\b",
        r"\b(?:would|will) (?:\w+ ){0,3}?(?:cry|come|show up|care) (?:\w+ ){0,2}?(?:at|to) my funeral\b",
        r"\b(?:at|for) my own funeral\b|\bmy body (?:would|will) be found\b|\b(?:find|finds|found) my body\b",
        r"\b(?:attempt|overdose|survived|woke up)\b.{0,80}?\bwish (?:that )?(?:it|i) (?:had )?(?:worked|succeeded|died|"
        r"didnt wake up|hadnt woken up)\b",
        r"\b(?:disappear|vanish|walk) (?:\w+ ){0,3}?(?:and|to) (?:not|never) (?:come|coming) (?:out|back)\b",
        r"\b(?:made my (?:choice|decision)|made up my mind)\b.{0,80}?\b(?:at peace|peace with it)\b",
        r"\bthe only (?:thing|things|reason|one|person) (?:thats |that is )?(?:stopping|keeping|holding) me"
        r"(?: here| alive| around| back)? (?:is|are)\b",
        r"\b(?:dont|do not|never|wont) hear from me\b.{0,60}?\b(?:im gone|im dead|i did it|i died|its over)\b",
        r"\b(?:nobody|no one|anyone|anybody) (?:would|will) (?:even )?(?:come looking|look for me|search for me|notice|"
        r"care|miss me) (?:\w+ )?(?:if|when) i (?:\w+ ){0,3}?(?:disappeared|vanished|walked (?:into|off)|went missing|"
        r"stayed (?:there|away)|was gone|died|never came back)\b",
        r"\b(?:nothing left|im done|cant do this|tired of)\b.{0,100}?\b(?:im|i am) checking out$",
        r"\bplanning (?:an|my) (?:early |final )?exit$",
        r"\b(?:planning|planned|plan|made|making|chose|chosen|picked|writing|wrote) (?:\w+ ){0,3}?(?:for|of) my (?:own )?"
        r"funeral\b",
        r"\b(?:collect|get|cash in|claim|have) (?:on )?(?:my |the )?(?:life )?insurance\b.{0,80}?\b(?:better off|"
        r"if i (?:die|died|was gone)|when im gone)\b",
        r"\blet go (?:for good|forever|permanently|of (?:life|this life|everything|this world))\b",
        # A last day at work or school is a farewell of another kind.
        r"^(?!.*\b(?:work|job|company|office|school|internship|contract|shift|team)\b).*?"
        r"\bthis is my last (?:day|night)\b(?! (?:at|of|in|on|with|before|as|here at|off))",
        r"\b(?:relieved|happy|glad|celebrate|nobody|no one|who) (?:\w+ ){0,6}?(?:at|after|to) my funeral\b",
        r"\b(?:im done|done with (?:it all|all of it|everything|life|this))\b.{0,120}?\bgoodbye$",
        r"\b(?:not going to|wont|will not) be a (?:problem|burden|bother) (?:for|to|on) (?:my|our) "
        r"(?:parents|family|kids|children|friends|wife|husband|partner|mom|mum|dad) (?:after (?:tonight|today)|"
        r"much longer|for long|for much longer)\b",
        # "Don't try to stop me" is only this beside a place or a means.
        r"\b(?:dont|do not|no point) (?:try(?:ing)? to )?(?:change my mind|talk me out of (?:it|this)|stop me)\b"
        r".{0,100}?\b(?:bridge|roof|ledge|tracks|pills|rope|gun|tonight|edge|cliff|station)\b|"
        r"\b(?:bridge|roof|ledge|tracks|pills|rope|gun|tonight|edge|cliff|station)\b.{0,100}?\b(?:dont|do not) "
        r"(?:try(?:ing)? to )?(?:change my mind|talk me out of (?:it|this)|stop me)\b",
        r"^(?!.*\b(?:before (?:we|i) (?:move|leave)|moving|season|summer|holiday|trip|vacation)\b).*?"
        r"\b(?:the|a) (?:cliffs?|bridge|lake|sea|ocean|river|tracks|roof|rooftop)\b.{0,40}?"
        r"\b(?:one last time|for the last time)\b",
        r"\bafter (?:tonight|today|this weekend)\b.{0,60}?\b(?:none of (?:this|it) (?:will )?(?:matter|be my problem)|"
        r"nothing (?:will )?matters?|(?:wont|will not) (?:be my problem|matter))",
        # "You won't hear from me again until Monday" is a break, not a goodbye.
        r"\b(?:wont|will not|never) hear from me (?:ever )?again\b"
        r"(?!.{0,40}\b(?:until|for a (?:while|week|bit|few)|till|because|while|on this|about|if)\b)",
        r"\b(?:going away|go away|leaving|disappearing)\b(?: \w+){0,4}? (?:wont|will not|never|not going to) (?:ever )?"
        r"(?:come|be coming) back$",
        r"\bnothing (?:is )?(?:left )?(?:keeping|holding) me (?:alive|here|around|going)\b"
        r"(?!.{0,60}\b(?:move|moving|city|town|country|job|relationship|house|flat|apartment)\b)",
        r"\b(?:i|im|i am|keep|kept|been) (?:\w+ ){0,2}?(?:standing|stand|stood|sitting|sit|sat) (?:at|on|near) the edge "
        r"of (?:the |a |my )?(?:platform|tracks|bridge|roof|rooftop|balcony|ledge)\b",
        r"\b(?:no place|no room|no space) for me in (?:this|the) world\b",
        # "The kindest thing I can do is to end it."
        r"\b(?:only|best|kindest|right|last|easiest|logical|one) (?:thing|option|choice|answer|solution|way out|move|"
        r"step)\b.{0,60}?\b(?:is|would be) (?:to )?(?:just )?(?:end it|end it all|end things|end everything|end my life|"
        r"die|kill myself|disappear forever|stop existing|not exist|not be here)\b(?! with| off| up| at)",
        r"\b(?:made|make|making) (?:my )?peace\b.{0,100}?\b(?:goodbyes?|ready to go|ready to leave|ready to die)\b",
        r"\b(?:said|saying|say) (?:my )?goodbyes? to (?:everyone|everybody|all|the people|my family) "
        r"(?:i love|i care about|who matters|that matters)\b",
        r"\bready to go\b.{0,100}?\bgoodbyes?\b|\bgoodbyes?\b.{0,100}?\bready to go$",
        r"\b(?:tonights|tonight is|today is|todays) the (?:night|day)\b.{0,200}?\b(?:sorry for everything|goodbye|"
        r"forgive me|love you all)\b",
        r"\b(?:sorry for everything|forgive me|love you all)\b.{0,200}?\b(?:tonights|tonight is|today is|todays) "
        r"the (?:night|day)\b",
        # Imminent danger at a height.
        r"\b(?:im|i am) (?:\w+ )?(?:standing|sitting|stood|sat|perched) (?:on|at) (?:the )?(?:edge of (?:the |a |my )?)?"
        r"(?:ledge|railing|rail|tracks|train tracks|parapet)\b",
        r"\b(?:im|i am) (?:\w+ )?(?:standing|sitting|stood|sat) (?:on|at) (?:the )?(?:edge of (?:the |a |my )?)?"
        r"(?:roof|rooftop|bridge|cliff|balcony)\b.{0,60}?\b(?:right now|now|tonight|looking down|alone)\b",
        r"\b(?:think|thinking|thought) (?:about|of) (?:just )?(?:turning|jerking|yanking|swerving) the (?:steering )?wheel\b",
        r"\burge to (?:swerve|turn the wheel|drive off)\b",
    ),
    # --- Preparations ---------------------------------------------------------
    _rule(
        "preparation",
        # A rope is ordinary for swings, boats and climbing; ready and waiting is not.
        r"^(?!.*\b(?:swing|boat|climb\w*|tent|camp\w*|hammock|treehouse|tree house|sail\w*|dog|horse|tow\w*|"
        r"clothesline|washing line|tug of war|jump rope|skipping rope)\b)"
        r".*?\b(?:the|a|my) rope\b(?: \w+){0,6}? (?:already|ready|is up|set up|tied|hung|hanging)\b",
        r"^(?!.*\b(?:swing|boat|climb\w*|tent|camp\w*|hammock|sail\w*|tow\w*)\b).*?\brope (?:is )?(?:already )?"
        r"(?:tied|ready|hung|hanging up|up)\b",
        r"^(?!.*\b(?:climb\w*|rappel\w*|abseil\w*|harness|hammock|swing|boat|sail\w*|camp\w*|tarp|tent)\b)"
        r".*?\bknots?\b.{0,80}?\b(?:my (?:whole |full |entire )?(?:body )?weight|body weight|a persons weight|"
        r"human weight|hold a person|from the ceiling|from a beam|from the rafters?|around (?:my|a|the) neck|to hang)\b",
        r"\b(?:letter|letters|note|notes|message|messages|video|videos|recording|recordings)\b(?: \w+){0,6}? for after"
        r"(?:$| im gone| i die| im dead| i leave| its done| tonight)",
        r"\b(?:giving|gave|give|given) (?:all )?(?:of )?my (?:stuff|things|belongings|possessions|cat|dog|pets|pet|"
        r"savings|everything) away\b",
        r"\b(?:gave|given|giving|give) (?:away )?my (?:\w+ ){0,2}?to\b.{0,80}?\b(?:keep (?:him|her|it|them) forever|"
        r"for good|(?:look after|take care of) (?:him|her|them) (?:forever|for good|from now on))\b",
        r"(?:"
        + _PILLS
        + r"|\brope|\bgun|\bknife|\bblade)\b.{0,60}?\b(?:letter|note|goodbye)\b(?! to (?:self|take|remind))"
        r"|\b(?:letter|note|goodbye)\b(?! to (?:self|take|remind)).{0,60}?\b(?:" + _PILLS + r"|rope|gun|knife|blade)\b",
        r"\b(?:wont|will not|not going to) need (?:them|it|these|those|my \w+|any of (?:it|them|this)|anything) "
        r"(?:\w+ )?(?:soon|much longer|for (?:much )?longer|where im going|after (?:tonight|today|this week|"
        r"this weekend|friday))\b",
        r"\bdeleted (?:all )?(?:of )?my (?:accounts|social media|profiles)\b.{0,150}?\b(?:finish it|end it|goodbye|"
        r"note|wont need|for good|tonight|last)\b",
        r"\b(?:in|inside) (?:the|my) (?:closed |shut |locked )?garage\b.{0,60}?\b(?:engine|motor|car) "
        r"(?:is )?(?:running|on|idling)\b",
        r"\b(?:engine|motor|car) (?:is )?(?:running|on|idling)\b.{0,60}?\b(?:in|inside) (?:the|my) (?:closed |shut )?garage",
        r"\b(?:hose|pipe|tube) (?:\w+ ){0,3}?(?:exhaust|tailpipe)\b",
        # At the water or the station, and not coming back.
        r"\b(?:im|i am) (?:\w+ )?(?:at|on|by|near|in|standing on|sitting on|sitting by) the (?:lake|river|sea|ocean|beach|"
        r"bridge|station|train station|tracks|platform|roof|rooftop|cliff|cliffs|edge|ledge|dam|pier)\b.{0,150}?"
        r"\b(?:not coming back|never coming back|wont be coming back|swimming back|this is it|goodbye|one last time|"
        r"for the last time|note|no way back|wont be back|not going home|never going home)\b",
        r"\b(?:wrote|written|left|leave|leaving|finished) (?:a|my|the) (?:note|letter|goodbye)\b.{0,150}?"
        r"\b(?:at|on|by|near) the (?:lake|river|sea|ocean|beach|bridge|station|train station|tracks|platform|roof|"
        r"rooftop|cliff|cliffs|edge|ledge|dam|pier)\b",
        r"\b(?:not|never|dont plan on|dont intend on|not planning on|wont be|no plan of|no plans of) swimming back\b",
        r"\b(?:plan is|planning|going|decided) to do it\b.{0,60}?\b(?:while|when|once|after) (?:\w+ ){0,3}?"
        r"(?:is|are|goes|go) (?:away|out|asleep|to bed|at work)\b",
        r"\b(?:knife|blade|razor|gun|pills|rope)\b.{0,80}?\b(?:get|find|work up|have) the (?:nerve|courage|guts)\b",
        r"\b(?:bought|got|buying|purchased) (?:a )?(?:gun|firearm|pistol|handgun|shotgun|revolver)\b.{0,60}?"
        r"\b(?:dont|do not|never) (?:even )?(?:hunt|shoot)\b",
        r"\b(?:by|on|near|at|beside) the (?:tracks|train tracks|rails|railway line|railway)\b.{0,60}?\b(?:waiting|wait) "
        r"for (?:the )?(?:next |a )?train\b",
        r"\bdo it\b.{0,80}?\b(?:after|when|once|while) (?:everyone|everybody|they|the house|the kids|"
        r"my (?:family|wife|husband|partner|parents|kids|roommates?)) (?:is |are |has |have |goes |go |falls? |gone )?"
        r"(?:asleep|to bed|to sleep|sleeping)\b",
    ),
    # --- Signs found missing in a batch written after the rules above ----------
    # Each names a category, not a sentence: a means within reach, methods
    # weighed against each other, a cut told in a few words, affairs settled,
    # wanting to cease, refusing rescue, a day chosen for when nobody is home,
    # the how and when rehearsed, and food refused with no end in sight.
    _rule(
        "means_at_hand",
        # Bought in bulk or spread over shops so nobody notices; an ordinary
        # reason in the sentence (a headache, the flu) leaves it alone.
        r"^(?!.*\b" + _ORDINARY_NEED + r"\b).*?\b(?:bought|buying|buy|got|getting|collected|collecting|gathered|"
        r"gathering|picked up|have|ive got|saved up) (?:\w+ ){0,2}?(?:a lot of|lots of|loads of|so many|enough|"
        r"(?:several|four|five|six|multiple|ten|twenty|[4-9]|[1-9][0-9]) (?:boxes|packs|packets|bottles) of) "
        r"(?:\w+ )?" + _PILLS + r"\b",
        r"^(?!.*\b" + _ORDINARY_NEED + r"\b).*?\b" + _PILLS + r"\b.{0,80}?\b(?:from|at|round|around|across) "
        r"(?:\w+ )?(?:different|several|multiple|three|four|five|six|a few|various|separate) "
        r"(?:shops|stores|pharmacies|chemists|supermarkets|places)\b",
        r"^(?!.*\b" + _ORDINARY_NEED + r"\b).*?\b(?:different|several|multiple|three|four|five|six|various|separate) "
        r"(?:shops|stores|pharmacies|chemists|supermarkets)\b.{0,80}?\b" + _PILLS + r"\b",
        r"^(?!.*\b" + _ORDINARY_NEED + r"\b).*?\b" + _PILLS + r"\b.{0,80}?\b(?:at|from|in) (?:every|each) "
        r"(?:shop|store|pharmacy|chemist|supermarket)\b",
        r"\b" + _PILLS + r"\b.{0,80}?\bso (?:that )?(?:nobody|no one|they dont|they wont|the pharmacist doesnt) "
        r"(?:\w+ )?(?:asks|ask|notices|notice|suspects|suspect|gets suspicious|get suspicious)\b",
        # Taken somewhere remote, the means along.
        r"^(?!.*\b(?:weekend|camping|camp|dog|friends|kids|partner|wife|husband|boyfriend|girlfriend|boat|climb\w*|"
        r"hunting|fishing|kayak\w*|tent|picnic)\b).*?"
        r"\b(?:drove|driven|driving|went|walked|walking|took the (?:train|bus)|came|headed|heading|hiked) "
        r"(?:out |up |down )?to (?:the |a )?(?:\w+ )?" + _REMOTE + r"\b.{0,40}?\bwith (?:the|all (?:of )?(?:my|the)|"
        r"a (?:bottle|bag|box) of|my stash of) (?:" + _PILLS + r"|rope|blade|razor|gun|pistol)\b" + _AWAY,
        # Eyes on the means.
        r"^(?!.*\b(?:museum|display|leaflet|side effects?|doctor|prescribed|prescription|film|movie|tv|screen|photo|"
        r"picture|game)\b).*?"
        r"\b(?:staring|stared|stare|gazing|cant stop looking|sat looking|sitting looking) at (?:the|a|my|this|that) "
        r"(?:\w+ )?(?:knife|knives|blade|blades|razor|razors|rope|noose|gun|pistol|" + _PILLS + r")\b"
        r"(?! (?:block|set|drawer|sharpener|shop|store|website|price|label|instructions|prescription))"
        r"(?!.{0,60}\b(?:cook|cooking|chop|chopping|slice|slicing|dinner|recipe|buy|buying|shop|shopping|sharpen\w*|"
        r"shave|shaving|climb\w*|label|dose|dosage|instructions)\b)",
        # A blade or a gun in hand that will not be put down.
        r"^(?!.*\b(?:chop|chopping|cook|cooking|wrong|properly|grip|technique|recipe|shave|shaving)\b).*?"
        r"\b(?:holding|clutching|gripping|held) (?:the|a|my) (?:razor|blade|knife|gun|pistol|rope|noose)\b.{0,60}?"
        r"\b(?:cant|wont|dont want to|cannot) (?:put|let) (?:it|them) (?:down|go)\b",
        # At a height or by the tracks, now, with nothing else to do there.
        r"\b(?:roof|rooftop|bridge|balcony|ledge|building|car park|multistorey|tower|cliff|parapet)\b.{0,60}?"
        r"\b(?:legs|feet) (?:\w+ )?(?:over|off) the (?:side|edge|railing|ledge|parapet)\b",
        r"^(?!.*\b" + _HEIGHT_ERRAND + r"\b).*?\b(?:im|i am) (?:\w+ ){0,2}?(?:on|at) (?:the )?(?:very )?"
        r"(?:top|top floor|top level|top deck|roof|edge|ledge) of (?:the |a |this )?(?:car park|parking garage|"
        r"parking structure|parking deck|multistorey|multi storey|multistorey car park|multi storey car park|bridge|"
        r"tower block|high rise|cliff|cliffs|dam|quarry|viaduct|overpass)\b",
        r"^(?:\w+ )?(?:im|i am) (?:\w+ )?(?:at|on|by) (?:the )?(?:bridge|cliff|cliffs|cliff edge|tracks|train tracks|"
        r"railway line|ledge|edge)(?: (?:right )?now| again| tonight| alone)*$",
        # Going back to a place, and what one thinks there.
        r"\b(?:" + _PLACES + r"|tracks|railway|river|sea|water)\b.{0,120}?\b(?:visit|visiting|go|going|walk|walking|"
        r"drive|driving|stand|standing|sit|sitting)\b.{0,60}?\bthinking (?:about|of) (?:it|jumping|doing it|"
        r"how easy|the drop|the fall|the water|stepping off)\b",
        r"\b(?:visit|visiting|go|going|walk|walking|drive|driving|been going) (?:back )?(?:to )?(?:the|that) (?:\w+ )?"
        r"(?:" + _PLACES + r"|tracks|railway)\b.{0,60}?\bthinking (?:(?:about|of) (?:it|jumping|doing it|the drop|"
        r"the fall|stepping off)|(?:about |of )?how easy)\b",
        r"\b(?:visit|visiting|go|going|walk|walking|drive|driving|been going) (?:back )?(?:to )?(?:the|that) (?:\w+ )?"
        r"(?:"
        + _PLACES
        + r"|tracks|railway)\b.{0,60}?\bthinking (?:about|of) (?:it|jumping|doing it|how easy|the drop|"
        r"the fall|stepping off)\b",
    ),
    _rule(
        "methods_compared",
        # "Which is quicker, pills or jumping": two methods weighed; two pills
        # weighed for a headache are not.
        r"\b"
        + _COMPARED
        + r"\b.{0,60}?\b"
        + _METHOD
        + r" (?:or|vs|versus) (?:a |an |the )?(?:"
        + _METHOD
        + r"|"
        + _PILLS
        + r")\b",
        r"\b(?:" + _PILLS + r") (?:or|vs|versus) (?:a |an |the )?" + _METHOD + r"\b.{0,60}?\b" + _COMPARED + r"\b",
        r"\b" + _COMPARED + r"\b.{0,60}?\b(?:" + _PILLS + r") (?:or|vs|versus) (?:a |an |the )?" + _METHOD + r"\b",
        r"\b"
        + _METHOD
        + r" (?:or|vs|versus) (?:a |an |the )?(?:"
        + _METHOD
        + r"|"
        + _PILLS
        + r")\b.{0,60}?\b"
        + _COMPARED
        + r"\b",
        about_others_ok=True,
    ),
    _rule(
        "self_harm_recent",
        # "i cut tonight": the act with no object, told with when.
        r"(?:^|\b(?:i|ive|id|and|just) )(?:just |finally |already |also |really )?(?:cut|selfharmed|harmed) (?:myself )?"
        r"(?:deep |deeper |badly |bad |really deep |really bad )?(?:tonight|today|last night|this morning|this afternoon|yesterday|earlier|an hour ago|just now|"
        r"again|for the first time in (?:\w+ )?(?:days|weeks|months|years))\b"
        r"(?! (?:along|the|a|an|on|into|at|with|from|through|off|and again|until|so|to)\b)",
        r"\brelapsed (?:and|with|on|into) (?:cutting|cut|selfharm|selfharming|burning|hurting myself)\b",
        r"\bi cut$",
    ),
    _rule(
        "affairs_settled",
        # Letters to everyone, timed to arrive after.
        r"^(?!.*\b(?:cover|application|thank|thanks|birthday|christmas|xmas|wedding|invitation|recommendation|"
        r"reference|complaint|interview|meeting|class|teacher|boss|landlord|council|bank|newsletter|card|cards)\b).*?"
        r"\b(?:letter|letters|note|notes)\b.{0,80}?\b(?:(?:arrive|arrives|get|gets|reach|reaches|"
        r"get them|find them|read them|open them) (?:\w+ ){0,3}?(?:after (?:its done|im gone|its over|i die)|"
        r"when (?:its done|im gone|its over))\b|"
        r"(?:theyll|they will) (?:get|read|find|open) (?:them|it) after\b)",
        r"\b(?:wrote|written|writing|left|posted|sent) (?:a |my )?(?:letter|letters|note|notes) (?:to|for) (?:everyone|"
        r"everybody|each of (?:them|my \w+)|all (?:of )?my (?:\w+ )?(?:friends|family|kids|children))\b"
        r"(?!.{0,80}\b(?:thank|birthday|christmas|wedding|invitation|party|holiday)\b).{0,80}?\b(?:after|tomorrow|"
        r"when (?:its done|im gone))\b",
        r"\b(?:wrote|written|writing|left|posted|sent) (?:everyone|everybody|each of them|all of them) "
        r"(?:a |my )?(?:letter|letters|note|notes)\b(?!.{0,80}\b(?:thank|birthday|christmas|wedding|invitation|party|"
        r"holiday)\b).{0,80}?\b(?:after|tomorrow|when)\b",
        # Cancelling, clearing or giving away, because it will not be needed.
        r"^(?!.*\b(?:old|spare|extra|unused|outgrown|baby|duplicate|second|switch|switching|cheaper|new|moving|moved|"
        r"upgrade|upgrading)\b).*?"
        r"\b(?:cancelled|canceled|cancelling|canceling|closed|closing|cleared|clearing|emptied|gave away|given away|"
        r"giving away|sold|selling|deleted|paid off|sorted out|shut down)\b.{0,100}?\b(?:wont|will not|not going to) "
        r"(?:need|be needing|be using|use) (?:it|them|any of (?:it|them|this)|anything|that|those)"
        r"(?:$| anymore$| where im going| after (?:tonight|today|this week|\w+day))",
        r"\b(?:giving|gave|give|given|leaving|left) (?:away )?(?:all )?(?:of )?my (?:\w+ ){0,3}?to (?:\w+ ){0,6}?"
        r"(?:when|after|once) im (?:not around|gone|dead|no longer (?:here|around))\b(?! (?:for|on|at|next|this|to))"
        + _AWAY,
        # Amends made so nobody is left wondering.
        r"\b(?:sorry|goodbye|goodbyes|i love you|thank you)\b.{0,60}?\bso (?:that )?(?:they|nobody|no one|people|"
        r"everyone|my \w+) (?:dont|wont|never) have to (?:wonder|guess|ask|blame themselves)"
        r"(?:$| later| afterwards| after| what happened| why i did it)",
    ),
    # A goodbye that must not look like one: answered for nobody, like a method.
    _rule(
        "hidden_goodbye",
        r"\b(?:goodbye|goodbyes|farewell)\b.{0,40}?\bwithout (?:\w+ ){0,2}?(?:realising|realizing|knowing|noticing|"
        r"suspecting|figuring out|catching on|guessing)\b(?!.{0,40}\b(?:surprise|party|gift|present)\b)",
        about_others_ok=True,
    ),
    _rule(
        "cease_to_be",
        r"\b(?:want|wanted|wish|need|just want|longing) to (?:\w+ )?(?:stop being|cease to be|cease being|be erased|"
        r"be wiped out|vanish from existence)$",
        r"\b(?:want|wish|need|like|love|going|ready|try|trying|hope|plan|planning) to (?:just |simply )?(?:stop|cease) "
        r"(?:existing|to exist|being alive|being) (?:for good|forever|permanently|altogether|completely)\b",
        r"\bout of (?:this|my) (?:body|skin|existence|world|head) (?:for good|forever|permanently)\b",
        r"\b(?:stop|stopped|stopping) showing up (?:to|for|in) (?:life|the world|existence|living)\b",
        r"\b(?:ghost|dead|dead inside|gone|invisible|nobody|nothing)\b.{0,60}?\bmight as well make it "
        r"(?:official|permanent|real|final)$",
    ),
    _rule(
        "refuse_rescue",
        r"\b(?:dont|do not|dont want to|dont want anyone to|please dont|hope (?:nobody|no one) will) "
        r"(?:want to )?(?:be )?(?:rescued|saved|found|revived|resuscitated|stopped|save me|find me|rescue me|revive me)"
        r"(?: in time)?(?: this time| in time|$)",
        r"\b(?:dont|do not) let (?:them|anyone|anybody|the \w+) (?:resuscitate|revive|save|rescue|pump my stomach)"
        r"(?: me)?\b(?! (?:a|some|any|the|my|from|me)\b)",
        r"\b(?:make sure|so that|so|hope) (?:nobody|no one|they dont|nobody will|no one will) (?:\w+ )?"
        r"(?:find|finds|found) me (?:in time|until (?:its|it is) (?:too late|over|done))\b",
    ),
    _rule(
        "timed_absence",
        # A vague "it" set for a day when the house will be empty; a party or
        # guests in the sentence make it a plan of another kind.
        r"^(?!.*\b" + _HOME_ALONE_FUN + r"\b).*?\b(?:its|it is|everything is|everythings|all) (?:\w+ )?"
        r"(?:arranged|planned|set|sorted|organised|organized|decided|ready) (?:for|on) (?:\w+ )?"
        + _WHEN
        + r"\b.{0,80}?\b"
        + _AWAY_FROM_HOME
        + r"\b",
        r"^(?!.*\b" + _HOME_ALONE_FUN + r"\b).*?\b(?:ive|i have|i) (?:\w+ )?(?:planned|arranged|set|picked|chosen|"
        r"scheduled|timed) it (?:for|on) (?:\w+ )?" + _WHEN + r"\b.{0,80}?\b" + _AWAY_FROM_HOME + r"\b",
        r"\b"
        + _AWAY_FROM_HOME
        + r"\b.{0,40}?\b(?:thats|that is|that will be|thatll be) (?:the day |the night |)?when$",
        r"^(?!.*\b" + _HOME_ALONE_FUN + r"\b).*?\bdo it\b.{0,80}?\b(?:when|while|once|after) "
        r"(?:everyone|everybody|they|the house|the kids|my (?:\w+ )?(?:family|wife|husband|partner|parents|kids|"
        r"roommates?|flatmates?|housemates?|mum|mom|dad)) (?:is|are|has|have|goes|go|gone|will be)? ?"
        r"(?:out|away|at work|at church|on holiday|on vacation|not home|not in|gone)\b",
    ),
    _rule(
        "rehearsing",
        r"\b(?:rehears\w*|replay\w*|go over|going over|went over|plan\w*|work(?:ed|ing)? out|figur(?:ed|ing) out|"
        r"practis\w*|practic\w*|run(?:ning)? through|think(?:ing)? through|picture|picturing) (?:\w+ ){0,4}?it\b"
        r".{0,60}?\b(?:the )?(?:how and (?:the )?(?:when|where)|(?:when|where) and (?:the )?how)\b"
        r"(?! of\b)(?!.{0,40}\b(?:telling|tell|asking|ask|quitting|quit|moving|proposal|propose|presentation|talk|"
        r"speech|conversation|interview|wedding|exam|trip)\b)",
        r"\b(?:rehears\w*|practis\w*|practic\w*) (?:my )?(?:own )?(?:death|suicide|dying|last day|last moments)\b",
    ),
    _rule(
        "starving_on",
        # Not eating, with no wish to start again: self-starvation as a way out.
        r"^(?!.*\b(?:fast|fasting|ramadan|lent|diet|dieting|detox|cleanse|bug|sick|nausea|flu|surgery|operation|"
        r"virus|covid|appetite)\b).*?"
        r"\b(?:havent eaten|not eaten|stopped eating|not eating|quit eating|refusing to eat|refuse to eat)\b"
        r"(?! (?:meat|sugar|carbs|gluten|dairy|junk|fast food|bread|sweets|out|since|lunch|breakfast|dinner))"
        r".{0,80}?\b(?:(?:dont|do not|not going to|wont|never) (?:\w+ ){0,2}?(?:start|eat|begin) (?:again|ever)\b|"
        r"(?:no|dont|do not) (?:plan|intend|want) to (?:start|eat) again\b|"
        r"until i (?:die|disappear|waste away|fade away|starve|am gone|just stop))",
        r"\b(?:starve|starving) (?:myself )?(?:to death|until i die|until i disappear)\b|\blet myself (?:starve|waste away)\b",
    ),
    # --- Families found missing in the 120-item batch (60 crises, 60 near misses) --
    # Each is written for the category, with the ordinary reading excluded.
    _rule(
        "leaving_for_good",
        # Going away and not coming back; a move, a job or a trip is another kind of leaving.
        r"^(?!.*\b(?:job|company|work|city|town|country|abroad|moving|move|relocat\w*|university|uni|college|school|"
        r"church|team|band|group|club|app|site|forum|server|platform|twitter|facebook|instagram|relationship|"
        r"boyfriend|girlfriend|husband|wife|partner|ex|holiday|vacation|trip|travel\w*|gap year)\b).*?"
        r"\b(?:going away|go away|leaving(?! (?:him|her|them|my|this|the|for|home)\b)|disappearing|gone)\b.{0,60}?\b(?:(?:im|i am) not|never|not|wont be|"
        r"will not be) (?:ever )?(?:coming|come|going to come) back\b",
        # Not around for what the year holds.
        r"\b(?:wont|will not|not going to) be (?:here|around|alive) (?:for|to see) (?:it|that|any of (?:it|that)|"
        r"next (?:year|christmas|summer|spring|birthday)|christmas|new year|my (?:next )?birthday)\b" + _AWAY,
    ),
    # Said with the subject left out ("won't be bothering anyone much longer"),
    # which would otherwise read as a sentence about "anyone".
    _rule(
        "not_bothering_long",
        r"(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!\bit )(?<!\bhes )(?<!\bshes )(?<!\btheyll )"
        r"\b(?:wont|will not|not going to) be (?:bothering|troubling|burdening|bugging|annoying|disturbing|"
        r"in the way of) (?:anyone|anybody|everyone|everybody|you|you all|you guys|people) (?:\w+ )?"
        r"(?:much longer|for much longer|for long|soon)\b" + _AWAY,
        about_others_ok=True,
    ),
    _rule(
        "means_kept_with_intent",
        # A means bought or within reach, with a purpose known or returned to.
        r"^(?!.*\b(?:tent|tarp|camp\w*|climb\w*|boat|sail\w*|swing|hammock|garden\w*|kitchen|cook\w*|hunt\w*|fish\w*|"
        r"range|project|diy|craft\w*|prescri\w*|doctor|tow\w*)\b).*?"
        r"\b(?:rope|gun|pistol|rifle|shotgun|firearm|pills|knife|blade|razor|belt|hose|charcoal|noose|"
        + _PILLS
        + r")\b.{0,100}?\b(?:i|and i) (?:already |just )?know (?:exactly )?(?:what|why) (?:its|it is|theyre|they are|"
        r"i (?:got|bought|need|want) (?:it|them)) for\b",
        r"\b(?:gun|pistol|rifle|shotgun|firearm|handgun)\b.{0,120}?\b(?:i know|ive found|i found|i have) (?:where|"
        r"the) (?:he keeps |she keeps |they keep )?(?:the )?(?:key|keys|code|combination|safe)\b",
        r"\b(?:gun|pistol|rifle|shotgun|firearm|rope|noose|knife|blade|razor|pills)\b.{0,200}?\b(?:cant stop|keep|kept)"
        r"(?: going back| coming back| going)?(?: to)? (?:look|looking|stare|staring|check|checking|touch|touching|"
        r"hold|holding)(?: at)? (?:it|them)\b",
        # Sitting in a car in the garage, a hose at hand.
        r"^(?!.*\b(?:wash\w*|garden\w*|water\w*|plants?|lawn|leak\w*|fix\w*|repair\w*|mechanic|vacuum|tyres?|tires?|"
        r"radiator|hoover|pressure)\b)(?=.*\bgarage\b)(?=.*\b(?:hose|hosepipe|tubing|tube|duct tape|exhaust)\b)"
        r"(?=.*\b(?:sitting|sat|sit|engine)\b)",
        about_others_ok=True,
    ),
    _rule(
        "testing_a_ligature",
        # Tied to a door or a beam to see if it holds a body; climbing and hammocks are excluded.
        r"^(?!.*\b(?:climb\w*|rappel\w*|abseil\w*|harness|hammock|swing|gym|trx|pull ?ups?|yoga|aerial|boat|sail\w*|"
        r"camp\w*|tent|tow\w*|shelf|shelves|tv|mirror|bike)\b).*?"
        r"\b(?:belt|rope|cord|cable|scarf|sheet|bedsheet|tie|lead|leash|strap)\b.{0,80}?\b(?:hold|holds|held|take|"
        r"takes|took|support|supports|supported|bear|bears) (?:my|a (?:persons|grown \w+s)|a body|the) (?:\w+ )?weight\b",
        about_others_ok=True,
    ),
    _rule(
        "at_the_edge_now",
        # At a height or the water right now, with the drop or the water in view.
        r"^(?!.*\b" + _HEIGHT_ERRAND + r"\b)(?:\w+ )?(?:(?:im|i am|ive been|been|just|currently) )?(?:\w+ )?"
        r"(?:standing|sitting|sat|stood|perched|up) (?:on|at) (?:the )?(?:edge of (?:the |a )?)?(?:\w+ )?"
        r"(?:bridge|roof|rooftop|ledge|cliff|cliffs|balcony|parapet|railing|overpass|viaduct|dam|pier)\b.{0,120}?"
        r"\b(?:right now|looking down|the water|the drop|the fall|from up here|down there|below me|how easy|"
        r"one step|so calm|so peaceful|so quiet)\b",
        # An edge returned to, one step pictured.
        r"\b(?:edge|ledge|railing|parapet|platform edge)\b.{0,80}?\b(?:how easy (?:it )?(?:\w+ ){0,3}?(?:would be|"
        r"it would be)|one (?:small |little )?(?:step|push|lean|jump))\b",
        r"\b(?:down |back |out )?to the (?:tracks|train tracks|rails|railway line|railway|level crossing)\b.{0,60}?"
        r"\b(?:wait|waiting) for (?:it|the train|a train|the next (?:one|train)|the \w+ train)\b",
        # When a high place is empty: wanting to be unseen there.
        r"\b(?:"
        + _PLACES
        + r"|top floor|top level|top deck)\b.{0,100}?\b(?:empty|deserted|nobody (?:around|there|up there)|"
        r"no one (?:around|there|up there)|unlocked|no security|no cameras|unguarded)\b(?!.{0,40}\b(?:park|parking|"
        r"space|spot|study|party|photo\w*|picnic|view|sunset)\b)",
        r"\b(?:empty|deserted|unlocked|no security|no cameras)\b.{0,100}?\b"
        + _HEIGHT_ASKED
        + r" (?:\w+ ){0,4}?"
        + _words(_PLACES)
        + r"\b",
        about_others_ok=True,
    ),
    _rule(
        "day_decided",
        # A day named after a decision: "I've decided. Sunday is the day."
        r"^(?!.*\b(?:wedding|party|interview|exam|launch|moving|move|diet|gym|run|running|marathon|trip|birthday|"
        r"date|propose|proposal|quit smoking|smoking|drinking|sober|start|starting|begin|dentist|appointment|"
        r"surgery|operation|(?:tell|telling) (?:him|her|them|my|the|everyone|people)|confront|presentation|deadline|release|sale|vote|election|match|game)\b)"
        r".*?\b(?:decided|made up my mind|my mind is made up|its settled|its decided|no turning back|im ready)\b"
        r".{0,40}?\b" + _WHEN + r" is the (?:day|night)\b",
    ),
    _rule(
        "looking_up_ways",
        r"\b(?:looking up|looked up|look up|googling|googled|searching|searched|researching|researched|reading about|"
        r"reading up on|watching videos (?:on|about)) (?:\w+ ){0,3}?(?:ways|methods|how) (?:to|of) (?:\w+ )?" + _ACTION,
        about_others_ok=True,
    ),
    _rule(
        "only_way_out",
        r"\b(?:no|any|only one|just one|one) (?:other )?(?:way out|exit|escape|option|solution|answer)\b (?:\w+ ){0,2}?"
        r"(?:except|but|other than|apart from|besides|left but) (?:the one|one|that one|this one|death|dying|"
        r"the obvious one|the final one|the permanent one|the last one)\b"
        r"(?! (?:where|that) (?:\w+ ){0,3}?(?:quit|leave|move|tell|ask|call|talk|apply|sell|borrow))",
    ),
    _rule(
        "before_i_do_it",
        # Unfinished business, or a last conversation, before "it".
        r"^(?!.*\b(?:surgery|operation|procedure|wedding|marry|marriage|proposal|propose|tattoo|piercing|haircut|"
        r"interview|exam|job|quit|quitting|resign\w*|move|moving|divorce|break up|breakup|abortion|vasectomy|"
        r"skydiv\w*|bungee|purchase|buy|buying|invest\w*|sign|contract|speech|presentation|confront\w*|tell (?:him|her|"
        r"them|my))\b).*?\b(?:finish|finishing|sort|sorting|tie up|tying up|wrap up|wrapping up|settle|settling|"
        r"say goodbye|talk to|talk|hotline|helpline|crisis line|lifeline|samaritans|988)\b.{0,100}?"
        r"\bbefore i (?:finally )?(?:go through with it|do it|end it|end things)$",
    ),
    _rule(
        "no_waking_welcome",
        r"\bif i (?:dont|didnt|never|wouldnt|wont) wake up\b(?! (?:early|on time|in time|at|before|for|by|when)\b)"
        r".{0,60}?\b(?:fine|okay|ok|good|prefer|relief|wouldnt mind|dont mind|wouldnt care|dont care|happy|glad|"
        r"better|at peace|blessing)\b",
        r"\b(?:id|i would) (?:rather|prefer(?: it)?(?: if i)?) (?:not|never|didnt) wake up\b"
        r"(?! (?:early|at|before|for|on|in the|until|till)\b)",
    ),
    _rule(
        "free_of_me",
        r"\b(?:would|will|could|can|finally|d|theyd|theyll) (?:\w+ )?(?:be )?(?:free|rid|relieved) of me\b",
        r"\b(?:life )?insurance\b.{0,80}?\b(?:free of me|rid of me|without me|taken care of (?:when|after|once) im)\b",
        # The world or the people in it, any kinder "without me".
        r"\b(?:world|everyone|everybody|my family|my kids|my parents|people|they|life) (?:would|will|d|could) be "
        r"(?:so |much |a lot |way |far |just )?(?:\w+er|less \w+|more \w+|fine|okay|ok) (?:off )?without me\b"
        r"(?!.{0,60}\b(?:lol|haha|joke|joking|noise|loud|snor\w*|party|office|class|team|meeting|trip)\b)",
    ),
    _rule(
        "disappear_forever",
        r"\b(?:want|wish|need|longing|going) to (?:just )?(?:disappear|vanish)\b"
        r"(?! (?:to|into|for a|for the|off|from (?:social|twitter|facebook|instagram|the internet|work))\b)"
        r".{0,60}?\b(?:forever|for good|permanently|stop being|stop existing|not exist|never come back)\b",
        r"^(?:just |to )?(?:disappear|vanish) (?:forever|for good|permanently|completely)(?: stop being| stop existing)?$",
    ),
    _rule(
        "mess_after",
        # Affairs settled so nobody has to deal with them afterwards.
        r"\bso (?:that )?(?:nobody|no one|noone|they|my \w+|everyone) (?:has|have|doesnt have|dont have|wont have|"
        r"will not have|needs|need|wont need) to (?:deal with|clean up|sort out|sort|handle|worry about|pay|"
        r"take care of|go through) (?:\w+ ){0,3}?(?:after|afterwards|when im gone|once im gone|after im gone|"
        r"after i die)$",
        r"\b(?:note|letter|letters|notes|message|messages)\b.{0,80}?\b(?:found|read|opened|delivered|sent|seen|gets)\b"
        r".{0,40}?\b(?:not (?:until|till) after|only after)(?:$| (?:its done|im gone|i die|tonight))",
    ),
    _rule(
        "stop_eating_and_drinking",
        r"^(?!.*\b(?:fast|fasting|ramadan|lent|surgery|operation|colonoscopy|anaesthe\w*|anesthe\w*|procedure|"
        r"scan|blood test)\b).*?"
        r"\b(?:stop|stopped|stopping|quit|not) (?:eating and drinking|eating or drinking|drinking and eating|"
        r"drinking water|drinking fluids|eating and drinking anything)\b.{0,80}?\b(?:(?:it|itll|everything|all|"
        r"things) (?:will |would )?(?:just )?(?:end|be over|stop)|die|dying|slip away|fade away|waste away)\b",
    ),
    _rule(
        "scared_of_surviving",
        r"\b(?:scared|afraid|terrified|frightened) of (?:surviving|waking up|staying alive|being alive|living)\b"
        r"(?! (?:alone|with|in|on|without|abroad|through|up|the|a|my|an|it|this|that|after)\b)",
    ),
    _rule(
        "time_after_burden",
        # Being unwanted, then "it's time".
        # Only "it's time" left unfinished: "it's time to go back to work" says what for.
        r"\bwithout me\b.{0,80}?\b(?:(?:its|it is) (?:finally )?time|time to (?:go|leave))(?: now)?$",
    ),
    _rule(
        "hypothetical_for_me",
        # A lethality question told as hypothetical, then owned.
        r"\b(?:hypothetical\w*|asking for a friend|just curious|out of curiosity)\b.{0,200}?\b(?:asking for me|"
        r"asking for myself|its (?:for )?me|(?:the )?(?:friend|someone) is me)\b",
        r"\b(?:sea|ocean|river|lake|water|canal|reservoir)\b.{0,80}?\bhow long\b.{0,40}?\b(?:go under|sink|pass out|"
        r"hypothermia|drown|lose consciousness|go numb|heart (?:stops|gives out))\b",
        about_others_ok=True,
    ),
    _rule(
        "slang_ctb",
        # "ctb": catch the bus; asking what it means is not using it.
        r"^(?!.*\b(?:mean|means|meaning|stand for|stands for|slang|acronym|abbreviation)\b).*?\bctb\b",
    ),
    # --- Families found missing in the next 120-item batch (60 crises, 60 near misses) --
    # Each names the family, with its ordinary reading excluded in the rule.
    _rule(
        "meds_taken_from_work",
        # A nurse or pharmacist taking drugs home "for myself": a stockpile with access.
        r"^(?=.*\b(?:" + _PILLS + r"|drugs|vials?|ampoules?|syringes?)\b).*?\b(?:bring|bringing|brought|take|"
        r"taking|took|sneak\w*|slip\w*|pocket\w*|steal\w*|stole|smuggl\w*|skim\w*) (?:\w+ ){0,6}?(?:home|out)\b"
        r"(?: \w+){0,6}? for myself\b(?!.{0,60}\b" + _ORDINARY_NEED + r"\b)",
    ),
    _rule(
        "counted_enough",
        # Pills counted, then "it's enough" with nothing it is enough *for*.
        r"^(?!.*\b(?:trip|holiday|vacation|refill|prescription|pharmacy|week|weeks|month|months|organi[sz]er|"
        r"dosette|inventory|stock ?take|shift)\b).*?"
        r"\b(?:counted|counting|count|added up|tallied)\b (?:\w+ ){0,4}?(?:" + _PILLS + r"|whats in|"
        r"medicine cabinet|cabinet)\b.{0,100}?\b(?:its|thats|theyre|it is|that is|should be|will be|there are|theres|"
        r"finally) (?:more than |easily |definitely |just |finally |probably )?enough\b"
        r"(?! (?:for|to last|until|till|left|room|space|time)\b)",
    ),
    _rule(
        "edge_to_see",
        # At an edge "to see if I'll lean": testing one's own pull toward the drop.
        r"^(?!.*\b(?:pool|diving|dive|swim\w*|trampoline|bungee|skydiv\w*|climb\w*|zip ?lin\w*|ski\w*)\b).*?"
        r"\b(?:edge|ledge|railing|platform|tracks|parapet|rail|roof|bridge|cliff)\b.{0,120}?"
        r"\b(?:to see if|wondering if|waiting to see if|in case) (?:i|ill|id|im) (?:\w+ )?"
        r"(?:lean|fall|jump|step|slip|let go|go over|tip)\b",
        about_others_ok=True,
    ),
    _rule(
        "crash_hoped_for",
        # Driving hoping to crash, or a death staged as an accident so others are spared.
        r"\b(?:drive|driving|drove|speeding|speed|ride|riding)\b.{0,80}?\b(?:hoping|hope|wishing|wish|want) "
        r"(?:that )?(?:i |id |ill |it )?(?!dont|wont|never|not)(?:\w+ )?(?:crash|wreck|hit something|go off the road|"
        r"dont make it (?:home|back)|die|get killed)\b",
        r"\bmake (?:it|this|my death) (?:look|seem|appear) (?:like )?(?:an accident|accidental|i didnt (?:do it|"
        r"mean (?:it|to)) on purpose|it wasnt on purpose)\b.{0,100}?\b(?:guilt|guilty|responsible|blame themselves|"
        r"insurance)\b",
    ),
    _rule(
        "worth_more_gone",
        # Money or insurance weighed against one's own life.
        r"\b(?:need|needs|want|wants|rather have|better off with) (?:the )?(?:money|payout|insurance|life insurance)\b"
        r" (?:\w+ )?more than (?:they |he |she |you )?(?:need |want )?me\b",
        r"\bworth more (?:to (?:them|my family|my kids|everyone) )?dead\b",
    ),
    _rule(
        "acting_on_thoughts",
        # Thoughts of death named, then the wish to act on them.
        r"^(?!.*\b(?:she|he|they|shes|hes|theyre|shell|theyll|friend|son|daughter|partner|brother|sister|client|"
        r"patient|student)\b).*?"
        r"\b(?:unalive|suicidal|suicide|kill myself|killing myself|dying|die|death|end it|ending it|selfharm|"
        r"cutting|overdose|dark)\b.{0,120}?\b(?:follow through|act on (?:it|them|those|these)|acting on (?:it|them)|"
        r"go through with it|do it for real|actually do it)\b(?! (?:on|with)\b)" + _RECOVERED,
    ),
    _rule(
        "after_im_gone",
        # Care for pets or children arranged for "after I'm gone"; a will or an illness is another matter.
        r"^(?!.*\b(?:(?:my|a|the|last) will|estate|lawyer|solicitor|trust|someday|one day|eventually|years|decades|"
        r"old age|retire\w*|planning ahead|plan ahead|guardian\w*|hospice|diagnos\w*|terminal|cancer|holiday|"
        r"vacation|trip|away|hospital)\b).*?"
        r"(?:\b(?:after|once|when) (?:im|i am) (?:gone|dead|not here|not around)\b.{0,100}?"
        r"\b(?:take|takes|taking|look after|looks after|raise|raises|adopt|have) (?:good )?(?:care of )?(?:my )?"
        r"(?:cat|cats|dog|dogs|pets?|kids|children|son|daughter|baby|fish|rabbit|hamster|bird|horse)\b|"
        r"\b(?:take|takes|taking|look after|looks after|raise|raises|adopt|have) (?:good )?(?:care of )?(?:my )?"
        r"(?:cat|cats|dog|dogs|pets?|kids|children|son|daughter|baby|fish|rabbit|hamster|bird|horse)\b.{0,100}?"
        r"\b(?:after|once|when) (?:im|i am) (?:gone|dead|not here|not around)$)",
        r"\bpermanent\w*\b.{0,60}?\bnot (?:being|be) (?:here|around|alive)\b|"
        r"\bnot (?:being|be) (?:here|around|alive)\b.{0,60}?\bpermanent\w*\b",
    ),
    _rule(
        "blade_held_to_skin",
        # A blade kept and held to the skin, with no shaving or cooking in sight.
        r"^(?!.*\b(?:shav\w*|wax\w*|trim\w*|haircut|beard|eyebrows?|splinter|cook\w*|chop\w*|peel\w*|slic\w*)\b).*?"
        r"\b(?:razor|blade|blades|knife|scissors|glass|sharpener)\b.{0,150}?\b(?:hold|holding|held|press|pressing|"
        r"pressed|put|putting|rest|resting|drag|dragging|run|running) (?:it|them) (?:\w+ )?(?:against|to|on|across|over) "
        r"my " + _BODY + r"\b",
    ),
    _rule(
        "height_only_way",
        # A high place or the water said to be the only way out (not "out of the building").
        r"^(?!.*\b(?:fire|flood\w*|stuck|locked|trapped|escape room|game|level|maze|sign|emergency|alarm|"
        r"evacuat\w*|traffic|road|town|village|valley|car park|parking)\b).*?"
        r"\b(?:"
        + _PLACES
        + r"|tracks|river|lake|sea|ocean|pills|rope|gun|dorm roof)\b.{0,80}?\b(?:feels like|feel like|"
        r"seems like|seem like|looks like|look like|is|as|are) (?:\w+ )?(?:the |my )?only (?:way out|exit|escape|"
        r"option|answer|solution)\b(?! (?:of|from|for the|to the)\b)",
    ),
    _rule(
        "affairs_then_day",
        # Belongings, passwords and pets settled; only the day is left to choose.
        r"^(?!.*\b(?:wedding|party|move|moving|launch|event|trip|appointment|surgery|operation|holiday|vacation|"
        r"retire\w*|house|flat|apartment|sale|closing|exam|interview)\b).*?"
        r"\b(?:my will|the will|passwords?|bank details|accounts|letters|notes|goodbyes|dog goes|cat goes|"
        r"pets? (?:go|goes)|given away|gave away|rehomed|in order)\b.{0,200}?\b(?:pick|choose|set|decide on|name) "
        r"(?:the|a) (?:day|date|night)$",
    ),
    _rule(
        "into_the_water",
        # Walking into water and "not coming back out".
        r"\b(?:walk|walking|swim|swimming|wade|wading|go|going|paddle|paddling)\b (?:out )?(?:into|in|out into|"
        r"out to) (?:the )?(?:sea|ocean|river|lake|water|waves|surf|current)\b.{0,40}?\b(?:not|never|and not|without) "
        r"(?:\w+ )?(?:come|coming|came|swim|swimming|get|getting) (?:back|out)\b"
        r"(?! (?:until|till|for|before|of|to the car|in time)\b)",
        about_others_ok=True,
    ),
    _rule(
        "day_for_doing_it",
        # A day set for an unnamed "it", said next to an ending ("never have to ... again").
        r"^(?!.*\b(?:presentation|interview|exam|wedding|party|quit\w*|resign\w*|notice|move|moving|surgery|"
        r"operation|appointment|launch|deadline|date|propos\w*|tell\w*|confront\w*|test|race|marathon|"
        r"tattoo|haircut|break up|breaking up|leaving (?:him|her|them|my|the))\b).*?"
        r"\b(?:never have to|wont have to|no more|never again|ever again|last time|after that)\b.{0,120}?"
        r"\b" + _WHEN + r" (?:is|will be|its) (?:when|the day|the night|it)\b(?: (?:im|i am|ill|i will|i))?"
        r"(?: finally)? (?:doing it|do it|going to do it|go through with it|end it|happening)\b",
        r"\b" + _WHEN + r" (?:is|will be) (?:when|the day) (?:im|ill|i)(?: finally)? (?:doing it|do it|going to do it|"
        r"go through with it)\b.{0,120}?\b(?:never have to|wont have to|no more|never again|ever again|last)\b",
    ),
    _rule(
        "plan_and_date",
        # A plan and a date kept from the people who asked.
        r"^(?!.*\b(?:wedding|party|trip|holiday|vacation|launch|project|move|moving|business|exam|interview|"
        r"proposal|propose|surgery|diet|gym|budget|quit smoking)\b).*?"
        r"\b(?:ive|i have|ive got|i got|i made|made|theres) (?:a |the )?plan and (?:a |the )?(?:date|day|time)\b"
        r"(?! (?:for|to|with)\b)",
        r"\basked (?:me )?(?:if|whether) (?:im|i am|i was|i felt) (?:safe|suicidal|thinking (?:about|of) "
        r"(?:suicide|hurting myself|killing myself|ending it))\b(?! (?:to|driving|at|in|on|from|with|walking)\b)"
        r".{0,40}?\b(?:i lied|lied|said yes|said no|told (?:her|him|them) (?:yes|no|i was))\b",
    ),
    _rule(
        "vehicle_step_in_front",
        # A vehicle named, then "stepping in front of it".
        r"\b(?:" + _TRAFFIC + r"|lorries|buses|trucks|cars|coach|tram)\b.{0,100}?\b(?:step|stepping|walk|walking|"
        r"jump|jumping|throw myself|throwing myself|lie down|lay down|fall|falling) in front of (?:it|one|them|"
        r"the next one)\b(?! (?:to (?:wave|stop|flag)|so (?:it|they) (?:stops|stop|see)))",
    ),
    _rule(
        "no_more_worry_about_me",
        # Others spared for good: "nobody will have to worry about me ever again".
        r"^(?!.*\b(?:move|moving|moved|licen[cs]e|job|graduat\w*|independent|my own place|own apartment|own flat|"
        r"retire\w*|surgery|recover\w*|better|cured|sober|clean)\b).*?"
        r"\b(?:nobody|nobody else|everyone|my \w+|they|you) (?:will|would|ll|wont|will not) (?:ever )?(?:have to|need to) "
        r"(?:worry about|deal with|take care of|look after|put up with|think about|bother with) me "
        r"(?:ever again|again|anymore|any longer|for much longer|soon)\b" + _AWAY,
    ),
    _rule(
        "hiding_new_cuts",
        # Covering fresh cuts or burns so someone will not see them.
        r"^(?!.*\b(?:surgery|operation|c section|acne|tattoo|kitten|cats?|puppy|scratch\w*|bike|fell|fall|"
        r"accident|kitchen|cooking|garden\w*|shaving|paper)\b).*?"
        r"(?:\b(?:long sleeves|sleeves|hoodies?|bracelets|bandages|plasters|makeup|concealer|jeans|trousers)\b.{0,120}?"
        r"\b(?:wont|doesnt|dont|cant|not|never) (?:\w+ )?(?:see|notice|find|ask about|spot) (?:the |my |any )?"
        r"(?:new |fresh |latest |recent )?(?:cuts|burns|marks|wounds)\b|"
        r"\b(?:hide|hiding|hid|cover|covering|covered|conceal\w*) (?:up )?(?:the |my )?(?:new |fresh |latest |recent )"
        r"(?:cuts|burns|marks|wounds|scars)\b)",
    ),
    _rule(
        "means_working_up",
        # A means at hand while "working up to it".
        r"^(?!.*\b(?:range|hunt\w*|class|lesson|clean\w*|permit|licen[cs]e|show|sell\w*|sale|gym|lift\w*|"
        r"climb\w*|speech|presentation|tattoo)\b).*?"
        r"\b(?:guns?|pistol|rifle|shotgun|rope|noose|pills|knife|blade|razor|bridge|ledge|roof|tracks)\b.{0,150}?"
        r"\b(?:working (?:myself )?up to it|(?:getting|building|work) up the (?:courage|nerve)|psyching myself up)\b",
        about_others_ok=True,
    ),
    _rule(
        "settled_so_i_can_go",
        # Affairs cleared "so I can go": leaving with no destination.
        r"^(?!.*\b(?:move|moving|trip|abroad|travel\w*|gap year|retire\w*|sabbatical|mission|deploy\w*|army|"
        r"military|holiday|vacation|backpack\w*|off grid|university|college|school)\b).*?"
        r"\b(?:cancelled|canceled|cancelling|canceling|paid off|paying off|closed|closing|deleted|gave away|"
        r"given away|settled|sorted)\b.{0,150}?\bso (?:that )?(?:i can|i could|ill be able to|im free to) (?:finally )?"
        r"(?:go|leave|die|be gone|check out)\b(?! (?:to|on|back|home|for|out|into|with|and|away for|somewhere|off|"
        r"see|get|buy)\b)",
    ),
    _rule(
        "retry_after_waking",
        # Woken after an attempt, and the next time planned.
        r"\bshouldnt have (?:woken|woke|waked|survived) (?:up)?\b(?!(?: up)? (?:so|this|that|at|early|late|before|"
        r"until|for|in time|the|my|when)\b)",
        r"\b(?:(?:woke|woken|waking) up in (?:the |a )?(?:hospital|icu|er|a&e|ambulance)|shouldnt have (?:woke|woken)|"
        r"survived|still alive|still here|pumped my stomach|found me|didnt work)\b.{0,200}?"
        r"\bnext time (?:i|ill|im) (?:wont|will not|will|am going to|going to|need to|have to|make sure) (?:not |i )?"
        r"(?:mess (?:it|this) up|screw (?:it|this) up|botch (?:it|this)|fail|survive|wake up|do it (?:right|properly)|"
        r"get it right)\b",
    ),
    # --- Methods and means: answered for nobody, whoever they are asked about --
    _rule(
        "means_height",
        r"\b(?:high enough|tall enough) (?:\w+ ){0,2}?" + _words(_PLACES) + r"\b",
        r"\b" + _words(_PLACES) + r" (?:\w+ ){0,4}?(?:high enough|tall enough|to jump from)\b",
        # Height asked for one's own use ("near me"); a loss told nearby is in means_after_loss.
        r"\b" + _HEIGHT_ASKED + r" (?:\w+ ){0,4}?" + _words(_PLACES) + r" (?:\w+ ){0,3}?"
        r"(?:near me|nearby|around here|close to me|to me|for me|i can (?:get to|reach|walk to|drive to))\b",
        r"\b" + _words(_PLACES) + r"\b.{0,60}?\b(?:without|dont have|doesnt have|with no|lacks?|lacking|no) "
        r"(?:any )?(?:suicide )?(?:nets?|netting|barriers?|fences?|fencing|railings?|guard rails?)\b",
        r"\bhow (?:high|far|tall|fast|deep|many (?:storeys|stories|floors|feet|meters|metres)) (?:\w+ ){0,10}?"
        r"(?:to die|to kill|fatal|lethal|to not survive|not survive|(?:dont|wont|wouldnt|cant|nobody|no one) survives?|"
        r"be fatal|be lethal|deadly|instant death)\b",
        r"\bsurvive (?:jumping|a jump|falling|a fall|the fall) (?:from|off) (?:a |the |an )?(?:\w+ ){0,2}?"
        r"(?:floor|storey|story|stories|storeys|" + _PLACES + r")\b",
        r"\b(?:fall|drop|jump|height)\b (?:\w+ ){0,3}?(?:would|will|is|be) (?:\w+ )?enough\b",
        r"\b(?:lie|lay|lying|laying) down (?:on|in|across) the (?:road|tracks|motorway|highway|railway|rails)\b",
        r"\b(?:drop|fall|floor|" + _PLACES + r")\b.{0,100}?\b(?:would|will|could|does|can) (?:it|that|the fall|a fall|"
        r"falling|the drop|jumping) kill (?:you|me|a person|someone)\b(?! to)",
        r"\bhow (?:high|far|many \w+) (?:\w+ ){0,6}?(?:fall|drop|jump)\b(?: \w+){0,3}? "
        r"(?:to be sure|to make sure|for sure|to be certain|and not survive|and die)\b",
        # Jumping for sport: bungee, base jumping, diving into a lake in summer.
        r"^(?!.*\b(?:bungee|base jump\w*|parachut\w*|skydiv\w*|paraglid\w*|zip ?lin\w*|cliff div\w*)\b).*?"
        r"\b(?:jump|jumping|throw myself|throwing myself) (?:off|from|in front of|under|onto) (?:a |the |this |that |my )?"
        + _words(_PLACES + "|" + _TRAFFIC)
        + r"\b",
        r"\b(?:step|stepping|leap|leaping|launch myself|fall|roll) (?:off|from) (?:a |the |this |that |my )?"
        + _words(_PLACES)
        + r"\b",
        # A train that will not stop, asked about with the wish to be done.
        r"\bwhat time (?:does|do|will) (?:the )?(?:\w+ )?trains? (?:\w+ ){0,6}?(?:pass|come|go|run)\w* "
        r"(?:\w+ ){0,5}?(?:without stopping|non stop|at full speed|at speed)\b",
        r"\btrains?\b.{0,100}?\b(?:without stopping|doesnt stop|not stopping|at full speed)\b.{0,100}?"
        r"\b(?:want it (?:all )?(?:over|to end|to stop)|asking for me|for me$|end it)",
        r"\b(?:step|stepping|walk|walking|lie down|lay down) (?:out )?(?:in front of|onto) (?:a |the )?"
        r"(?:train|bus|truck|car|lorry|traffic|tracks|train tracks)\b",
        r"\b(?:almost|nearly) (?:jumped|jump)\b(?! (?:out|up|at|for|in|into|on|with|when|because))",
        r"\b(?:courage|nerve|brave enough) to (?:jump|do it|end it|go through with it|let go|step off)\b",
        r"\b(?:on|at) (?:the |a )?(?:bridge|ledge|roof|rooftop|cliff|cliff edge|tracks|train tracks)\b.{0,200}?"
        r"\b(?:courage|nerve|brave enough)\b",
        about_others_ok=True,
    ),
    _rule(
        "means_pills",
        # Everyday substances asked about to stay safe are not means.
        r"\b(?:lethal|fatal|deadly) (?:dose|amount|quantity|overdose|number)"
        r"(?! of (?:caffeine|coffee|energy drinks?|water|salt|sugar|vitamin \w+|vitamins|chocolate|nutmeg)\b)",
        r"\bhow (?:many|much) (?:\w+ ){0,5}?(?:to|would|will|does it take to|do i need to|before|until|is enough to) "
        r"(?:\w+ ){0,2}?(?:die|kill (?:myself|me|you|a person|someone)|overdose|od|be lethal|be fatal|not wake up|"
        r"never wake up|stop my heart)\b",
        r"\bhow (?:many|much) (?:\w+ ){0,5}?(?:is|are|would be|will be) (?:a )?(?:fatal|lethal|deadly|an overdose)\b",
        r"\b(?:lined up|laid out|counted out|lining up|counting out|crushed up|crushing up) (?:all )?(?:of )?"
        r"(?:my |the )?" + _PILLS + r"\b",
        r"\b" + _PILLS + r" (?:\w+ ){0,3}?(?:laid out|lined up|counted out|in front of me|ready to go|ready)\b",
        r"\bcounted how many (?:\w+ ){0,4}?" + _PILLS + r"\b",
        r"(?:"
        + _PILLS
        + r"|\brope|\bgun|\bknife|\bblade|\brazor)\b.{0,60}?\b(?:just )?in case i (?:decide|change my mind|"
        r"cant take it|need to end it|want to end it|get the (?:nerve|courage))\b",
        r"\b(?:took|take|taking|taken|swallowed) (?:\w+ ){0,6}?" + _PILLS + r" (?:\w+ ){0,6}?"
        r"(?:on purpose|deliberately|intentionally)\b",
        r"\b(?:holding|clutching|staring at) (?:a |the |my )?(?:bottle of |handful of |pack of |box of )?"
        + _PILLS
        + r"\b",
        r"\b(?:took|taken|take|taking) an overdose\b",
        r"\b(?:i|ive|just) (?:just )?overdosed(?: on (?:my |the |some )?" + _PILLS + r")?"
        r"(?:$| (?:an hour ago|just now|tonight|earlier|last night|again))",
        r"\b(?:almost|nearly) (?:killed myself|ended it|ended my life|overdosed|took my life|hung myself)\b",
        r"\b(?:saving|saved|stockpiling|stockpiled|stockpile|hoarding|hoarded|hoard|stashing|stashed|"
        r"squirreling|squirrelling) (?:up |away )?(?:all )?(?:of )?(?:my |some |the |enough |a lot of |up my )?"
        r"(?:(?:moms|mums|dads|mothers|fathers|grandmas|grandads|partners|wifes|husbands|brothers|sisters|nans|"
        r"roommates|flatmates|\w+s) )?(?:heart |blood pressure |bp |sleeping |pain |anxiety |thyroid |seizure |"
        r"leftover |old |prescription )?" + _PILLS + r"\b",
        r"\b(?:enough|plenty of|a stash of) (?:\w+ )?" + _PILLS + r" (?:\w+ )?(?:saved|stashed|hidden|to do it|"
        r"to (?:die|end it|overdose|kill myself))\b",
        r"\b(?:take|taking|took|swallow|swallowing|swallowed) (?:all|every one|all of|every|a handful of|a bunch of|"
        r"the whole|a whole|the entire) (?:of )?(?:my |the |these )?(?:bottle of |pack of |box of )?"
        + _PILLS
        + r" (?:at once|together|in one go|now|tonight|right now|today)",
        r"\b(?:take|taking|took|swallow|swallowing|swallowed) (?:a handful of|a bunch of|the whole|a whole|"
        r"the entire) (?:bottle|pack|packet|box)",
        r"\b(?:take|taking|swallow|swallowing) (?:[1-9][0-9]+|a hundred|fifty|forty|thirty|twenty|a whole bottle of) "
        r"(?:\w+ )?" + _PILLS + r"\b",
        r"\b(?:dose|dosage|amount|pills?|tablets?|meds|medication)\b.{0,60}?\b(?:too much|too many|enough) "
        r"(?:\w+ )?to (?:not )?survive\b",
        r"\b(?:is|are|would|will|be) (?:\w+ ){0,6}?enough to (?:not wake up|never wake up|die|kill me|end it all|end it|"
        r"end my life|stop my heart|be fatal|be lethal)\b",
        r"(?:\b(?:make sure|be sure|ensure) (?:that )?i (?:dont|never|wont) wake up|\bto (?:not|never) wake up)\b"
        r"(?! (?:at|early|too|in the|during|with|every|before|until|tired|groggy|hungry|in pain|the|[0-9]\w*)\b)",
        r"\b(?:swallow|swallowing|swallowed|down|downing|overdose on|od on) (?:all|every|every single|the rest of|"
        r"the whole) (?:of )?(?:my |the |her |his |these |those )?(?:\w+ ){0,2}?" + _PILLS + r"\b",
        r"\b(?:take|taking|took|swallow|swallowing) (?:every|all the|all of the|all my) (?:single )?(?:\w+ )?"
        r"(?:pill|pills|tablet|tablets|med|meds) (?:in|from) (?:the|my) (?:cabinet|medicine cabinet|house|bottle|"
        r"drawer|bathroom|box)\b",
        r"\b(?:took|swallowed|have taken|just took) (?:a bunch of|a handful of|too many|loads of|lots of|a lot of|"
        r"all of my|all my|the whole bottle of|the rest of my|[1-9][0-9]+) (?:\w+ )?" + _PILLS + r"\b",
        r"\b(?:vodka|alcohol|wine|whiskey|whisky|booze|drink|liquor) (?:\w+ ){0,3}?(?:and|with) (?:my |the |some |all )?"
        + _PILLS
        + r"\b",
        r"\b(?:swallow|take|taking|swallowing|drink|drinking|down) (?:everything|all the \w+|whatever) in "
        r"(?:the|my) (?:medicine cabinet|cabinet|bathroom cabinet|first aid kit)",
        r"\b(?:drink|drinking|drank|drunk|swallow|swallowing|swallowed) (?:some |the |a |a bottle of |a cup of |a glass of )?"
        r"(?:bleach|antifreeze|rat poison|weed killer)\b",
        r"\b(?:stopped|stop|stopping|quit|skipping|skip) (?:taking )?(?:my )?"
        + _PILLS
        + r" (?:\w+ ){0,3}?(?:on purpose|deliberately|so (?:that )?i|to die|hoping|to punish)\b",
        about_others_ok=True,
    ),
    _rule(
        "means_other",
        r"\bnoose\b|\btie (?:a|the) rope\b|\b(?:rope|belt) (?:to|for) hang",
        r"\b(?:use|using|used|turn|turning|point|pointing) (?:it|the gun|a gun|the knife|a knife|the pills) on myself\b",
        r"\b(?:razor|blade|knife|gun|pistol) (?:\w+ ){0,2}(?:against|to|on|across|into) my "
        r"(?:wrist|wrists|arm|arms|throat|neck|head|thigh|thighs|skin|temple|chest)\b",
        r"\b(?:buy|buying|bought|get|getting|got) (?:a )?(?:gun|rope|firearm|pistol|shotgun) "
        r"(?:to|so i can|and) (?:end|kill|die|shoot|finish)",
        r"\b(?:gun|pistol) (?:to|in) my (?:head|mouth)",
        r"\b(?:gun|pistol|rifle)\b.{0,200}?\b(?:cant stop|keep|kept) (?:looking at|thinking about|holding|touching) it\b",
        r"\bmake it look like an accident\b",
        r"\b(?:buy|get|purchase|buying|getting|find) (?:a |my )?(?:gun|firearm|pistol|handgun|shotgun|revolver)\b"
        r"(?: \w+){0,4}? (?:today|tonight|fast|quickly|right now|without (?:a )?(?:waiting period|background check|"
        r"licen[cs]e|permit))\b",
        r"\b(?:gun|rope|pills|knife|blade|razor|pistol)\b.{0,100}?\bknow (?:exactly )?what (?:im going to|ill|i will|"
        r"i want to|i need to|to) do with (?:it|them)\b",
        r"\bhow (?:deep|hard|long) (?:\w+ ){0,4}?(?:cut|slit|slash)\b",
        r"\b(?:is it|would it be|does it|is it very) (?:painful|hurt) to (?:drown|hang|bleed out|overdose|jump|"
        r"suffocate|burn to death|be hit by)\b",
        r"\bdoes it hurt to (?:die|drown|hang|bleed out|overdose|jump|suffocate|(?:get|be) (?:hit|run over))\b",
        r"\b(?:will|would|does|is) it (?:hurt|be painful) (?:if i|to|when i|if you|when you) (?:\w+ )?(?:die|drown|hang|"
        r"bleed out|overdose|jump|suffocate|get hit|am hit|freeze)\b",
        r"\bhow long (?:does it take|would it take|it takes|it would take|until|before|to) (?:\w+ ){0,4}?"
        r"(?:bleed out|die|suffocate|drown|lose consciousness|freeze to death|starve to death)\b|\bbleed out\b",
        r"^(?!.*\b(?:barbecue|bbq|grill|grilling)\b).*?\bcharcoal\b.{0,60}?\b(?:tape|car|bedroom|room|tent|sealed|seal|"
        r"windows)\b",
        r"\bstrong enough to (?:hang|hold) (?:a person|me|my weight|someone|a body|a grown \w+)\b|\bhang a person\b",
        r"\bknots?\b.{0,60}?\bhang (?:themselves|himself|herself|yourself|myself|oneself|people)\b|"
        r"\bhang (?:themselves|himself|herself|yourself|myself|oneself) with\b",
        r"\b(?:damage|destroy|fry|shut down) (?:my|your|the|ones) (?:liver|kidneys) enough\b",
        r"\b(?:most reliable|surest|foolproof|most effective|most certain) (?:method|way|means)\b.{0,60}?"
        r"\b(?:mess (?:it|this) up|fail|survive|wake up|botch)",
        r"\bis (?:hanging|drowning|overdosing|jumping|bleeding out|suffocating|suffocation|an overdose|death by \w+) "
        r"(?:\w+ )?(?:painless|quick|peaceful|instant|fast|painful)\b",
        r"\b(?:guarantee|guarantees|guaranteed|ensures|certain) (?:\w+ )?(?:death|to die|to kill|fatal|lethal|i die)\b",
        r"\b(?:research|researching|researched|looking up|looked up|googling|googled|searching|searched|reading up on) "
        r"(?:\w+ ){0,6}?(?:deadly|lethal|fatal)\b",
        r"\bmy (?:life )?insurance\b.{0,80}?\bsuicide\b|\bsuicide\b.{0,80}?\bmy (?:life )?insurance\b",
        r"\b(?:carbon monoxide|car exhaust|exhaust fumes|helium|charcoal burning)\b.{0,200}?"
        r"\b(?:die|dying|kill|painless|hurt|fatal|lethal|how long)\b",
        r"\b(?:painless|painlessly|quick|quickest|fastest|easiest|surest|least painful|best|most peaceful|peaceful|"
        r"simplest|cleanest) (?:way|ways|method|methods|means) (?:to|of) (?:die|dying|end it|end my life|kill myself|"
        r"killing myself|commit suicide|committing suicide|suicide|not wake up|overdose|od|unalive myself|"
        r"slit (?:my |your |ones )?wrists?|hang (?:myself|yourself|oneself)|not exist|stop existing|"
        r"disappear forever|not be here|"
        r"kill (?:yourself|oneself|themselves)|end (?:your|ones|a) life)\b",
        r"\bhow to (?:kill myself|end my life|commit suicide|overdose|od|hang myself|kms|unalive myself)\b",
        r"\bhow to die(?: painlessly| quickly| fast| peacefully| without pain| in my sleep| tonight| today)?$",
        r"\bhow (?:do|can|could|would|should|might) (?:i|you|one|someone|a person|people) (?:\w+ )?"
        r"(?:die|kill (?:myself|yourself|themselves|oneself)|end (?:my|your|their|ones) (?:own )?life|"
        r"commit suicide|overdose|od|hang (?:myself|yourself))"
        r"(?:$| painlessly| quickly| peacefully| without pain| fast| easily| tonight)",
        about_others_ok=True,
    ),
    _rule(
        "means_vehicle",
        r"\b(?:drive|driving|drove|crash|crashing|steer|steering) (?:my car |the car |my truck |it )?"
        r"(?:into|off) (?:a |the )?(?:\w+ )?(?:tree|wall|river|cliff|bridge|lake|oncoming traffic|truck|pole|barrier|"
        r"overpass)\b(?! (?:by accident|accidentally))",
    ),
    # A means question or purchase right after a loss: the loss says who it is for.
    _rule(
        "means_after_loss",
        _LOSS + r".{0,200}?\b" + _HEIGHT_ASKED + r" (?:\w+ ){0,4}?" + _words(_PLACES) + r"\b",
        _LOSS + r".{0,200}?\b" + _words(_PLACES) + r"\b(?: \w+){0,5}? (?:the )?" + _HEIGHT_ASKED + r"\b",
        r"\b" + _HEIGHT_ASKED + r" (?:\w+ ){0,4}?" + _words(_PLACES) + r"\b.{0,200}?" + _LOSS,
        _LOSS + r".{0,200}?\b(?:im|i am) (?:going|heading|walking|driving) (?:to|up to|down to) the (?:bridge|cliffs?|"
        r"tracks|roof|rooftop|river|lake|sea|ocean)(?: now| tonight)?$",
        _LOSS + r".{0,200}?\b(?:how (?:deep|cold|fast|strong) (?:is|are)|deepest|coldest) (?:the )?(?:\w+ ){0,3}?"
        r"(?:river|lake|sea|ocean|"
        r"water|current|canal|reservoir)\b",
        _LOSS + r".{0,200}?\b(?:buy|bought|get|got|getting|buying|purchased) (?:a |my )?(?:gun|firearm|pistol|handgun|"
        r"shotgun|revolver|rope)\b",
        _LOSS + r".{0,200}?\b(?:where|how) (?:can|could|do|would|to) (?:i )?(?:get|buy|find|score|order) "
        r"(?:a lot of|lots of|enough|a bunch of|loads of|a bottle of|a stash of|as many|a whole bottle of) (?:\w+ )?"
        + _PILLS
        + r"\b",
    ),
)

# Mentions of the topic, for appending resources to an ordinary answer.
_TOPIC = re.compile(
    r"suicid|selfharm|self injur|self mutilat|kill (?:myself|yourself|himself|herself|themselves|themself|oneself)|"
    r"killing (?:myself|yourself|himself|herself|themselves|oneself)|end (?:my|his|her|their|your|ones) (?:own )?li|"
    r"took (?:his|her|their|my) (?:own )?li(?!fe back)|take (?:his|her|their|my|your) (?:own )?li(?!fe back)|overdos|wants? to die|"
    r"crisis (?:line|hotline|text)|\b988\b|cutting (?:themselves|herself|himself|myself|yourself)|unalive"
)


def _about_others(sentence: str) -> bool:
    """No "I/me/my" but "people/they/my friend…": the sentence is about someone else."""
    return not _FIRST_PERSON.search(sentence) and bool(_OTHERS.search(sentence))


def _match_rules(sentence: str) -> tuple[Rule | None, Rule | None]:
    """The first rule that makes the sentence a crisis, and the first that only would.

    A rule that matches a sentence plainly about someone else ("why do people
    feel life is not worth living?") makes it a mention of the topic instead.
    """
    about_others = _about_others(sentence)
    mention = None
    for rule in RULES:
        if rule.matches(sentence):
            if rule.about_others_ok or not about_others:
                return rule, mention
            mention = mention or rule
    return None, mention


# --------------------------------------------------------------------------
# Optional: similarity to known crisis expressions
# --------------------------------------------------------------------------

# Written for this module, not copied from eval/crisis.jsonl: no reference
# has a cosine similarity above 0.85 with any line of it (tests check this).
CRISIS_REFERENCES: tuple[str, ...] = (
    "Tonight I will take my own life.",
    "I want my life to be over.",
    "I have decided that I am going to die soon.",
    "Staying alive is not something I want now.",
    "Thoughts of suicide fill my days.",
    "I have a plan to end it tonight.",
    "Razor blades are the only thing that helps me feel calm.",
    "I hurt my body on purpose when the feelings get too much.",
    "My children would do fine if I died.",
    "People would be relieved if I was gone.",
    "I have nothing left and no reason to stay.",
    "I'm ready to end everything.",
    "I've said my goodbyes and I'm at peace with leaving.",
    "I bought something to end my life with.",
    "I can't see any way out except dying.",
    "Tonight is my last night.",
    "I'm thinking of taking all of my medication at once.",
    "Everything would be easier if I just stopped existing.",
    "Suicide is starting to look like my only choice.",
    "I want to die so the pain stops.",
    "I am standing on the edge of the roof.",
    "I keep imagining my own funeral and feeling relieved.",
    "I don't think I can stay alive much longer.",
    "I'm counting the pills in my hand.",
    "I have the knife ready.",
    "Every night I pray my heart stops in my sleep.",
    "Living hurts too much and I want it to stop forever.",
    "I've been researching methods to die.",
    "I'm a burden and they'd be better off if I vanished.",
    "There is no future for me, I'm done with this world.",
    "I've been punishing my body until it bleeds.",
    "I'm going to drive off the road on purpose.",
    "Nobody would even come to my funeral.",
    "I want to go be with my mom who passed, I can't stay here.",
    "Dying is all I think about lately.",
)
# Sentences close to crisis words that are not crises; a crisis must be
# nearer to the crisis references than to these by a margin.
SAFE_REFERENCES: tuple[str, ...] = (
    "My back pain is killing me today.",
    "I'm dying to find out what happens.",
    "Which studies cover compassion-focused therapy for suicide prevention?",
    "Can kindness toward myself help when I fail an exam?",
    "Our old dog was put to sleep last week and the house feels empty.",
    "How can I kill a stuck task on my server?",
    "I'm exhausted from work and need a break.",
    "How can I be kinder to myself after a mistake?",
    "I feel sad and lonely lately.",
    "What should a teacher do if a student discloses self-injury?",
    "That comedy show killed me.",
    "My inner voice is so harsh and mean.",
    "I'm grieving the death of my grandfather.",
    "Since the heart scare I worry constantly about death.",
    "My project is dead and I feel like a failure.",
    "What is the link between shame and suicidal thoughts in studies?",
)
# Chosen on eval/crisis.jsonl when it held 351 safe items, none scoring 0.60
# or more. On fresh batches scored before any rule changed it added 0.00 to
# 0.15 of recall (0.02 on the held-out batch), at up to 3.3 points of extra
# false alarms: the model separates "I" in danger from talk about danger
# poorly, so the rules carry the check.
SIMILARITY_THRESHOLD = 0.60
SIMILARITY_MARGIN = 0.05
# Below the threshold but still this close (and clearly closer to the crisis
# references), the answer is shown with the resources attached. It fired on
# 0.7% of ordinary questions (2 of 305 from the question sets) and 2.8% of the
# near misses in eval/crisis.jsonl when it was set; a footer of phone numbers
# is a small price. On the held-out batch it reaches 5 of the 34 crises the
# rules and the similarity check miss.
SIMILARITY_NEAR = 0.50
# Said outright to be safe now: "I'm not suicidal, just burnt out", "I used to
# think about suicide; therapy helped and I'm in a good place now". Similarity
# cannot read a "not" or a past tense, so with these words in the message it
# only attaches the resources. The rules still decide on their own: "I'm not
# suicidal but I want to die" is a crisis.
_SAID_SAFE = re.compile(
    r"\b(?:im|i am|i was) (?:not|never) (?:\w+ )?(?:suicidal|going to (?:hurt|kill) myself|in danger)\b|"
    r"\b(?:therapy|treatment|medication|meds|support|recovery|counsell?ing) (?:\w+ ){0,3}?(?:helped|helps|has helped|"
    r"saved me|worked)\b|\b(?:im|i am) (?:\w+ )?(?:in a (?:good|better|much better) place|doing (?:\w+ )?better|safe) "
    r"(?:now|these days|today|nowadays)\b"
)

# An ending that is a relationship, a job or a habit: "I'm going to end it with
# my boyfriend". Similarity reads "end it" as a life; with these words in the
# message it only attaches the resources. The rules still decide on their own.
_ORDINARY_ENDING = re.compile(
    r"\b(?:end|ending|ended|finish|finishing|call|calling) (?:it|things) (?:off )?with (?:my|him|her|them|\w+)\b|"
    r"\b(?:break|breaking|broke) up with\b|\b(?:boyfriend|girlfriend|fiance|fiancee|relationship|marriage|"
    r"divorce|engagement)\b.{0,80}?\b(?:end|ending|over|done)\b"
)


@dataclass(frozen=True)
class _ReferenceVectors:
    embedder: DocumentEmbedder
    crisis: np.ndarray  # one unit vector per row
    safe: np.ndarray


_cache: list[_ReferenceVectors] = []


def _references(embedder: DocumentEmbedder) -> _ReferenceVectors:
    # The same embedder is passed with every question: embed the references
    # once per embedder, not once per question.
    if not _cache or _cache[0].embedder is not embedder:
        # An embedder that can keep vectors of fixed texts across processes does (see Embedder.embed_fixed).
        embed = getattr(embedder, "embed_fixed", embedder.embed_documents)
        refs = _ReferenceVectors(
            embedder,
            np.asarray(embed(list(CRISIS_REFERENCES)), dtype=np.float32),
            np.asarray(embed(list(SAFE_REFERENCES)), dtype=np.float32),
        )
        _cache[:] = [refs]
    return _cache[0]


def similarity_scores(sentences: list[str], embedder: DocumentEmbedder) -> list[tuple[float, float]]:
    """For each sentence, its best cosine similarity to the crisis and to the safe references."""
    refs = _references(embedder)
    vectors = np.asarray(embedder.embed_documents(sentences), dtype=np.float32)
    crisis = (vectors @ refs.crisis.T).max(axis=1)
    safe = (vectors @ refs.safe.T).max(axis=1)
    return [(float(c), float(f)) for c, f in zip(crisis, safe, strict=True)]


def _similar_sentence(
    sentences: list[str], embedder: DocumentEmbedder
) -> tuple[tuple[str, float] | None, tuple[str, float] | None]:
    """The first sentence close enough to be a crisis, and the closest one that is only near."""
    # Similarity cannot tell "I" from "people", so questions about others are left to the rules.
    sentences = [s for s in sentences if not _about_others(s)]
    if not sentences:
        return None, None
    near: tuple[str, float] | None = None
    for sentence, (crisis, safe) in zip(sentences, similarity_scores(sentences, embedder), strict=True):
        if crisis - safe < SIMILARITY_MARGIN:
            continue
        if crisis >= SIMILARITY_THRESHOLD:
            return (sentence, crisis), None
        if crisis >= SIMILARITY_NEAR and (near is None or crisis > near[1]):
            near = (sentence, crisis)
    return None, near


# --------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------


def check_crisis(text: str, embedder: DocumentEmbedder | None = None) -> CrisisCheck:
    """Decide whether a question expresses a crisis, or only mentions the topic.

    >>> check_crisis("everyone would be better off without me").reason
    'burden'
    >>> check_crisis("this traffic is killing me").is_crisis
    False
    >>> check_crisis("What does Neff say about suicide?").mentions_topic
    True
    """
    sentences = canonical_sentences(text or "")
    # The whole text as one line too, for a thought broken by a stray full stop.
    candidates = sentences + ([" ".join(sentences)] if len(sentences) > 1 else [])
    mention: CrisisCheck | None = None
    for sentence in candidates:
        rule, about_others = _match_rules(sentence)
        if rule is not None:
            # The rule name only: what a person in crisis wrote stays out of the logs.
            log.info("crisis detected rule=%s", rule.name)
            return CrisisCheck(is_crisis=True, mentions_topic=True, reason=rule.name, sentence=sentence)
        if about_others is not None and mention is None:
            mention = CrisisCheck(False, True, reason=f"about_others:{about_others.name}", sentence=sentence)
    near = None
    if embedder is not None and sentences:
        found, near = _similar_sentence(sentences, embedder)
        if found is not None and (
            _SAID_SAFE.search(" ".join(sentences)) or _ORDINARY_ENDING.search(" ".join(sentences))
        ):
            found, near = None, found
        if found is not None:
            log.info("crisis detected rule=similarity score=%.3f", found[1])
            return CrisisCheck(is_crisis=True, mentions_topic=True, reason="similarity", sentence=found[0])
    for sentence in sentences:
        if _TOPIC.search(sentence):
            return CrisisCheck(is_crisis=False, mentions_topic=True, reason="topic", sentence=sentence)
    if mention is None and near is not None:
        # Close to a crisis but not close enough to withhold the answer: answer, with the resources.
        log.info("crisis resources attached rule=similarity_near score=%.3f", near[1])
        return CrisisCheck(is_crisis=False, mentions_topic=True, reason="similarity_near", sentence=near[0])
    return mention or CrisisCheck(is_crisis=False, mentions_topic=False)
