"""Questions the corpus must never seem to answer, whatever it contains.

The corpus is an essay on self-compassion. Some questions share its words
("anxiety", "kind to myself") and would otherwise be answered with a loosely
related passage, although no passage can answer them. Each kind below is
answered ``not_found`` with a note that says why:

- medication, doses and diagnoses: a reader could take a passage as medical
  advice, so the note points to a professional;
- requests to write something (a poem, a letter, a meditation script, a list
  of prompts): an assistant that only quotes its sources writes nothing new;
- questions that ask for a figure (how many, what percentage) when none of
  the closest passages states one: the essay states none, though a user's
  file or a fetched page may;
- questions about a name the sources never use (a researcher, a therapy, a
  condition: "Kristin Neff", "EMDR", "ADHD"): a passage about something
  else is not an answer about it.

Questions about the sources themselves ("how many references does it
cite?") are answered before these checks. Not handled on purpose: general
health questions without medication or dosing ("does sleep help stress?");
the similarity threshold handles those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.retrieval import STOPWORDS

MEDICAL_NOTE = (
    "Questions about medication, doses, cures or diagnoses need a doctor or a pharmacist; "
    "this assistant only quotes an essay on self-compassion and its references."
)

_MEDICAL = re.compile(
    r"\b(?:dose|doses|dosage|dosing|overdose|mg|milligrams?|mcg|prescri\w*|medications?|medicines?|meds|pills?|tablets?"
    r"|antidepressants?|ssris?|snris?|benzodiazepines?|sertraline|zoloft|fluoxetine|prozac|escitalopram|lexapro"
    r"|citalopram|paroxetine|venlafaxine|bupropion|xanax|alprazolam|valium|diazepam|lorazepam|ativan|lithium"
    r"|quetiapine|ibuprofen|paracetamol|acetaminophen|tylenol|aspirin|melatonin|diagnos\w*|cure|cures|cured|curing)\b",
    re.IGNORECASE,
)


WRITING_NOTE = (
    "This assistant only quotes its sources; it does not write new text such as poems, letters, scripts or lists."
)
FIGURES_NOTE = "The passages closest to this question state no figures: no counts, percentages or durations."

_WRITING = re.compile(
    r"\b(?:write|compose|draft)\s+(?:me\s+|us\s+)?(?:a|an|some|\d+)\b"
    r"|\bgive me (?:a|an|some|\d+)\b[^?.!]{0,40}\b(?:list|script|plan|prompts|exercises|affirmations|quotes|steps"
    r"|phrases|examples|mantras|sentences|words)\b"
    r"|\b(?:poem|haiku|song|lyrics|essay|cover letter|prompts|affirmations|worksheet|step[- ]by[- ]step)\b"
    r"|(?<![</])\bscript\b",  # a script to follow, not an HTML tag
    re.IGNORECASE,
)
_NUMBER = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve)"
# "How many…?", and "what are the three…?": the answer is a figure, or a list of that length.
_FIGURES = re.compile(
    r"\b(?:how many|what percent(?:age)?|which percent(?:age)?|by how much)\b"
    rf"|\b(?:what|which) (?:are|were) (?:the |its |her |his |their )?{_NUMBER}\b|\b(?:list|name) (?:the )?{_NUMBER}\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(
    r"\d|%|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty"
    r"|hundred|thousand|million|half|twice|dozen|percent)\b",
    re.IGNORECASE,
)

RESOURCES_NOTE = "The sources recommend no {}."
# Things to be recommended: a question asking for one is answered only by a source that names one.
_RESOURCE = re.compile(
    r"\b(books?|apps?|podcasts?|therapists?|counsell?ors?|psychologists?|courses?|classes|websites?|videos?|workshops?"
    r"|retreats?|programs?|programmes?)\b",
    re.IGNORECASE,
)
_RECOMMEND = re.compile(
    r"\b(?:recommend\w*|suggest\w*|any good|best|good|where (?:can|do|should) i (?:find|get)|know (?:of )?any|find me)\b",
    re.IGNORECASE,
)
PERSON_NOTE = "The passages closest to this question name no one: no researcher, study or expert."
# Questions whose answer is a person or a named study.
_WHO = re.compile(  # "who" opening a question; "the only one who does" asks for no one
    r"(?:^|[.?!;]\s*)\W*(?:and |so |but )?who (?:did|does|do|conducted|ran|carried out|found|discovered|developed|created|invented|coined|came up with"
    r"|studied|researched|proved|showed)\b"
    r"|\b(?:which|what) (?:specific |particular |exact )?(?:studies|study|researchers?|scientists?|experts?"
    r"|psychologists?|universit(?:y|ies)|journals?|papers?|research papers?)\b",
    re.IGNORECASE,
)
_PROPER_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")

# Capitalised words that name no topic: a question about them is still about its other words.
_ORDINARY_CAPITALS = frozenset(
    """i i'm i've i'd i'll ok okay mr mrs ms dr mom mum dad monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december christmas""".split()
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“(]\s*|\s[—–-]\s)$")
_CONTEXT_BEFORE = re.compile(r"\b(?:in|at|from|near|to)\s+$", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def unknown_names(question: str, vocabulary: frozenset[str] | set[str]) -> list[str]:
    """Names in the question (capitalised mid-sentence, or acronyms) that the sources never use.

    A place a question mentions as its setting ("a nurse in London") names no
    topic, nor does a question written all in capitals.

    >>> known = {"self", "compassion", "kind", "marissa", "mireles"}
    >>> unknown_names("Does self-compassion help with ADHD?", known)
    ['ADHD']
    >>> unknown_names("What did Kristin Neff's research find?", known)
    ['Kristin', 'Neff']
    >>> unknown_names("Is Marissa Mireles kind? Does she know?", known)
    []
    >>> unknown_names("I'm a nurse in London and feel bad", known), unknown_names("WHY AM I LIKE THIS", known)
    ([], [])
    """
    words = list(_NAME.finditer(question))
    capitals = [m.group(0) for m in words if m.group(0).isupper() and len(m.group(0)) > 1]
    if len(capitals) * 2 > len(words):
        return []
    names = []
    for match in words:
        word = match.group(0)
        base = re.split(r"['’]", word)[0]
        lower = base.lower()
        if not base[:1].isupper() or lower in _ORDINARY_CAPITALS or lower in STOPWORDS:
            continue
        before = question[: match.start()]
        acronym = base.isupper() and len(base) > 1
        if not acronym and _SENTENCE_START.search(before):
            continue
        if _CONTEXT_BEFORE.search(before):
            continue
        parts = [p for p in re.split(r"-", base.lower()) if p]
        if not all(p in vocabulary for p in parts):
            names.append(base)
    return names


def out_of_scope_note(
    question: str, vocabulary: frozenset[str] | set[str], passages: Sequence[str] = (), about_sources: bool = False
) -> str | None:
    """Why the sources cannot answer this question, or None; ``passages`` are the closest ones found.

    A question about the sources themselves (``about_sources``: "how many
    references does it cite?") is only checked for medication.

    >>> out_of_scope_note("Write me a poem about being kind to myself", {"kind"}) == WRITING_NOTE
    True
    >>> out_of_scope_note("How many minutes a day should I practise?", set(), ["Practise daily."]) == FIGURES_NOTE
    True
    >>> out_of_scope_note("How many breaths does it take?", set(), ["It takes seven breaths."]) is None
    True
    >>> out_of_scope_note("What is EMDR?", set())
    'The sources never mention EMDR.'
    >>> out_of_scope_note("How many sources does it cite?", set(), about_sources=True) is None
    True
    >>> out_of_scope_note("Why am I so hard on myself?", set()) is None
    True
    >>> out_of_scope_note("<script>alert(1)</script> Why?", set()) is None
    True
    """
    if is_medical_question(question):
        return MEDICAL_NOTE
    if about_sources:
        return None
    if _WRITING.search(question):
        return WRITING_NOTE
    if _FIGURES.search(question) and not any(_FIGURE.search(p) for p in passages):
        return FIGURES_NOTE
    if _WHO.search(question) and not any(names_someone(p) for p in passages):
        return PERSON_NOTE
    wanted = requested_resources(question, vocabulary)
    if wanted:
        return RESOURCES_NOTE.format(", ".join(wanted))
    names = unknown_names(question, vocabulary)
    if names:
        return f"The sources never mention {' '.join(dict.fromkeys(names))}."
    return None


def names_someone(passage: str) -> bool:
    """Whether a passage names a person or a body (a capitalised word inside a sentence).

    >>> names_someone("Studies have shown that it helps."), names_someone("As Kristin Neff found, it helps.")
    (False, True)
    """
    return any(m.group(0).lower() not in _ORDINARY_CAPITALS for m in _PROPER_NAME.finditer(passage))


def requested_resources(question: str, vocabulary: frozenset[str] | set[str]) -> list[str]:
    """Kinds of resource a question asks to be recommended that the sources never mention.

    >>> requested_resources("Any good books on self-compassion?", {"self", "compassion"})
    ['books']
    >>> requested_resources("What's the best app for this?", {"app"}), requested_resources("Is a book enough?", set())
    ([], [])
    """
    if not _RECOMMEND.search(question):
        return []
    wanted = []
    for match in _RESOURCE.finditer(question):
        word = match.group(1).lower()
        singular = word[:-2] if word.endswith("sses") else word[:-1] if word.endswith("s") else word
        if word not in vocabulary and singular not in vocabulary:
            wanted.append(singular + ("es" if singular.endswith("s") else "s"))
    return list(dict.fromkeys(wanted))


def is_medical_question(question: str) -> bool:
    """Whether a question asks about medication, doses or diagnosis.

    >>> is_medical_question("What dose of sertraline is usual for anxiety?")
    True
    >>> is_medical_question("Can self-compassion lower anxiety?")
    False
    """
    return bool(_MEDICAL.search(question))
