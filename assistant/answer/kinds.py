"""What kind of question this is, decided once: ``classify`` returns one ``QuestionKind``.

Kinds, and what ``Assistant.ask`` does with each:

- ``about_sources``: asks for a field of a source (author, date, title, link,
  reading time, what it cites) that a source's own text quotes; answered
  with that passage (see ``answer.sources``);
- ``out_of_scope``: a question the corpus must never seem to answer, whatever
  it contains; answered ``not_found`` with a note that says why:
  medication, doses, diagnoses and cures (a passage could pass for medical
  advice); requests to write something new; a figure when the closest
  passages state none; a person or study when they name no one; a kind of
  resource they never mention; a name they never use; what a cited page
  says when the corpus holds only its citation;
- ``definition``: "what is X?"; passages that say what X is come first;
- ``ordinary``: everything else, answered when retrieval finds support.

A follow-up ("and at work?") is any of these, read together with
the previous question (``follow_up`` and ``query``).

Every rule below names the class of questions it handles, with examples
that belong to no evaluation set. Not handled on purpose: general health
questions without medication or dosing ("does sleep help stress?"); the
similarity threshold handles those.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from assistant.answer.sources import asked_fields, metadata_passages, unheld_reference_note
from assistant.errors import InvalidQuestionError
from assistant.index.store import ChunkRecord, SourceRecord
from assistant.text import STOPWORDS, strip_invisible, tokenize


class Kind(StrEnum):
    ORDINARY = "ordinary"
    ABOUT_SOURCES = "about_sources"
    DEFINITION = "definition"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True, kw_only=True)
class QuestionKind:
    """The one decision about a question that every later step acts on."""

    kind: Kind
    query: str  # what to search for: the question, read with the previous one for a follow-up
    follow_up: bool = False
    fields: tuple[str, ...] = ()  # about_sources: the fields asked for, most specific first
    passages: tuple[ChunkRecord, ...] = ()  # about_sources: the passages quoting them
    term: str = ""  # definition: the term to define
    note: str = ""  # out_of_scope: why the sources cannot answer
    article_only: bool = False  # the question names the article or its author: answer from the article alone


MEDICAL_NOTE = (
    "Questions about medication, doses, cures or diagnoses need a doctor or a pharmacist; "
    "this assistant only quotes an essay on self-compassion and its references."
)

_MEDICAL = re.compile(
    r"\b(?:dose|doses|dosage|dosing|overdose|mg|milligrams?|mcg|prescri\w*|medications?|medicines?|meds|pills?|tablets?"
    r"|antidepressants?|ssris?|snris?|benzodiazepines?|sertraline|zoloft|fluoxetine|prozac|escitalopram|lexapro"
    r"|citalopram|paroxetine|venlafaxine|bupropion|xanax|alprazolam|valium|diazepam|lorazepam|ativan|lithium"
    r"|quetiapine|ibuprofen|paracetamol|acetaminophen|tylenol|aspirin|melatonin|diagnos\w*"
    # a claim to cure a condition is a medical claim, whatever the condition ("treatment" is not:
    # "how we treat ourselves" is the essay's own subject)
    r"|cur(?:e|es|ed|ing))\b",
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
# A question whose answer is a figure: a count, a share, or a list of a stated length ("her four
# key points", "the two benefits", "3 main steps"). "How long until…?" is not one: "an ongoing
# practice" answers it without a number.
_FIGURES = re.compile(
    r"\b(?:how many|what percent(?:age)?|which percent(?:age)?|by how much|by what percent(?:age)?)\b"
    rf"|\b(?:the|its|her|his|their|these|those) {_NUMBER} [a-z]+"
    rf"|\b{_NUMBER} (?:main|key|core|basic|big|major|essential|simple) [a-z]+",
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
    r"\b(?:recommend\w*|suggest\w*|any good|best|good|where (?:can|could|do|should|would) (?:i|we|one) (?:find|get|buy|download)"
    r"|know (?:of )?any|find me)\b",
    re.IGNORECASE,
)
PERSON_NOTE = "The passages closest to this question name no one: no researcher, study or expert."
# Questions whose answer is a person or a named study.
_WHO = re.compile(  # "who" opening a question; "the only one who does" asks for no one
    r"(?:^|[.?!;]\s*)\W*(?:and |so |but )?who (?:did|does|do|conducted|ran|carried out|found|discovered|developed|created|invented|coined|came up with"
    r"|studied|researched|proved|showed)\b"
    # up to two words may qualify the noun ("which specific studies", "what kind of research papers"),
    # but not a verb: "what do studies show?" asks for a finding, not for a name
    r"|\b(?:which|what) (?:(?!(?:do|does|did|is|are|was|were|have|has|had|can|could|would|will|should|might)\b)[a-z]+ ){0,2}?"
    r"(?:studies|study|researchers?|scientists?|experts?"
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


def out_of_scope_note(question: str, vocabulary: frozenset[str] | set[str], passages: Sequence[str] = ()) -> str | None:
    """Why the sources cannot answer this question, or None; ``passages`` are the closest ones found.

    >>> out_of_scope_note("Write me a poem about being kind to myself", {"kind"}) == WRITING_NOTE
    True
    >>> out_of_scope_note("How many minutes a day should I practise?", set(), ["Practise daily."]) == FIGURES_NOTE
    True
    >>> out_of_scope_note("How many breaths does it take?", set(), ["It takes seven breaths."]) is None
    True
    >>> out_of_scope_note("What is EMDR?", set())
    'The sources never mention EMDR.'
    >>> out_of_scope_note("Why am I so hard on myself?", set()) is None
    True
    >>> out_of_scope_note("<script>alert(1)</script> Why?", set()) is None
    True

    Each class, with examples of its own:

    >>> [out_of_scope_note(q, set()) == MEDICAL_NOTE for q in (
    ...     "What's a safe amount of melatonin to take?", "Would this cure my bipolar disorder?",
    ...     "Can being gentle with myself cure my migraines?")]
    [True, True, True]
    >>> [out_of_scope_note(q, set()) == WRITING_NOTE for q in (
    ...     "Compose a haiku about forgiving myself", "Draft me a letter to my younger self",
    ...     "Give me a list of mantras for the morning")]
    [True, True, True]
    >>> [out_of_scope_note(q, set(), ["Be kind to yourself."]) == FIGURES_NOTE for q in (
    ...     "What are her four key points?", "By what percentage does cortisol drop?",
    ...     "Name the two benefits she lists", "How long until this starts working?")]
    [True, True, True, False]
    >>> [out_of_scope_note(q, set(), ["Be kind to yourself."]) == PERSON_NOTE for q in (
    ...     "Which scientists tested this?", "What kind of research papers support that?",
    ...     "Who came up with the idea?", "What do experiments suggest about it?")]
    [True, True, True, False]
    >>> [out_of_scope_note(q, set()) for q in (
    ...     "Could you suggest a podcast on this?", "Where could I download a good app for it?",
    ...     "Any good workshops near me?")]
    ['The sources recommend no podcasts.', 'The sources recommend no apps.', 'The sources recommend no workshops.']
    """
    if is_medical_question(question):
        return MEDICAL_NOTE
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

    >>> requested_resources("Know any good books about this?", {"self", "compassion"})
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


# -- reading a question -----------------------------------------------------------

DEFAULT_MAX_CHARS = 1000

# Lone surrogates cannot be encoded as UTF-8, so they would crash logging or
# rendering later; they can arrive from badly decoded JSON or form data.
_SURROGATES = re.compile("[\ud800-\udfff]")


# Markup a reader may type or paste into a question. It carries no meaning for the
# answer, so the same question with or without it is the same question: HTML
# comments and tags (script and style with their content; other elements keep
# their text), character references, and Markdown's headings, quotes, list
# markers, emphasis, code spans, links and images (their text kept).
_CODE_BLOCK = re.compile(r"<(script|style|template)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<!--.*?(?:-->|$)|</?([A-Za-z][\w:-]*)(?:\s[^<>]*)?/?>", re.DOTALL)
# Tags that end a line or a block: dropping them must not join the words on either side.
_BREAKING_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre "
    "section table td th tr ul".split()
)
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINE_START = re.compile(r"^[ \t]*(?:#{1,6}|>+|[-+*]|\d{1,9}[.)])[ \t]+", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*(?:[-*_=][ \t]*){3,}$", re.MULTILINE)
# The text inside emphasis is bounded so that a long run of stars costs little.
_MD_EMPHASIS = re.compile(r"(?<![\w*~`])(\*{1,3}|_{1,3}|~~|`+)(?=\S)([^\n]{1,300}?)(?<=\S)\1(?![\w*~`])")
# Beyond this many characters a message is too long however much of it is markup: not worth reading for it.
_MARKUP_READ_CHARS = 20_000


def strip_markup(text: str) -> str:
    """The words of a question without the HTML or Markdown around them.

    >>> strip_markup("How does <b>self-compassion</b> affect **stress**?")
    'How does self-compassion affect stress?'
    >>> strip_markup("# Why rest?<script>alert(1)</script><br>Kindly")
    'Why rest?  Kindly'
    >>> strip_markup("Is 2 * 3 < 7? See [the study](https://example.org) &amp; notes")
    'Is 2 * 3 < 7? See the study & notes'
    """
    text = _TAG.sub(lambda m: " " if (m[1] or "").lower() in _BREAKING_TAGS else "", _CODE_BLOCK.sub(" ", text))
    text = _MD_LINK.sub(r"\1", _MD_RULE.sub("", _MD_LINE_START.sub("", text)))
    previous = None
    while previous != text:  # emphasis nests: ***a*** or **_a_**
        previous, text = text, _MD_EMPHASIS.sub(r"\2", text)
    return html.unescape(text)


def _one_line(text: str) -> str:
    # str.split() with no argument splits on every Unicode whitespace
    # character, newlines included, so a pasted paragraph becomes one line.
    return " ".join(unicodedata.normalize("NFC", _SURROGATES.sub("", strip_invisible(text))).split())


def clean_question(raw: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    r"""Return the question as one tidy line of plain words, or raise :class:`InvalidQuestionError`.

    >>> clean_question("  What is\u200b self-compassion?\n\n ")
    'What is self-compassion?'
    >>> clean_question("<b>kind</b>  words &lt;i&gt;")
    'kind words'
    """
    if raw is None:
        raise InvalidQuestionError("Please type a question.")
    if not isinstance(raw, str):
        raise InvalidQuestionError("Please type your question as plain text.")
    text = unicodedata.normalize("NFC", _SURROGATES.sub("", strip_invisible(raw)))
    if len(text) <= max(20 * max_chars, _MARKUP_READ_CHARS):
        # Markup can hide markup ("&lt;b&gt;", "<<b>b>"): strip until nothing changes, so that
        # cleaning a cleaned question changes nothing.
        previous = None
        for _ in range(20):
            if text == previous:
                break
            previous, text = text, _one_line(strip_markup(text))
    else:
        text = _one_line(text)
    if not text:
        raise InvalidQuestionError("Please type a question.")
    if len(text) > max_chars:
        raise InvalidQuestionError(
            f"Your question is {len(text):,} characters long; the limit is {max_chars:,}. "
            "Please shorten it and ask again."
        )
    return text


# -- follow-ups ---------------------------------------------------------------

_LEANS_BACK = re.compile(
    r"^\s*(?:and|but|so|or|also|then|ok(?:ay)?|what about|how about|what else|why(?: is that)?|how so)\b"
    r"|\b(?:it|that|this|those|these|they|them|she|he|her|him|his|its|there|one|ones|the (?:first|second|other))\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """A short question that leans on the previous turn for its meaning.

    A short question that opens with a linking word or points back with a pronoun:

    >>> [is_follow_up(q) for q in ("and at work?", "how about with my kids?", "why does that help?")]
    [True, True, True]
    >>> is_follow_up("How does self-compassion affect stress?")
    False
    """
    return len(tokenize(question)) <= 6 and bool(_LEANS_BACK.search(question))


_FRAMING = re.compile(
    r"\b(?:according to (?:the|this) (?:article|piece|post|author|writer)|according to (?:her|him|them)"
    r"|(?:does|did) (?:the|this) (?:article|piece|post|author|writer) (?:say|mention|claim|think)(?: that| whether)?"
    r"|in (?:the|this) (?:author's|writer's|article's) (?:view|opinion)|what does (?:the|this) (?:article|piece|author) say)\b",
    re.IGNORECASE,
)


def strip_framing(question: str) -> str:
    """Remove words that frame the question but carry no meaning to search for.

    >>> strip_framing("Why does guilt linger, in the writer's view?")
    'Why does guilt linger, ?'
    """
    stripped = _FRAMING.sub("", question)
    return " ".join(stripped.split()) if stripped.strip(" ?,.") else question


def contextual_query(question: str, history: Sequence[str]) -> str:
    """The text to search for: a follow-up is read together with the previous question.

    >>> contextual_query("and at work?", ["How does it affect stress?"])
    'How does it affect stress? and at work?'
    >>> contextual_query("Who wrote the article?", ["How does it affect stress?"])
    'Who wrote the article?'
    """
    if history and is_follow_up(question):
        return f"{strip_framing(history[-1])} {strip_framing(question)}"
    return strip_framing(question)


_TERM = r"(?P<{}>[\w’'-]+(?:\s+[\w’'-]+){{0,2}})"
_DEFINITION_QUESTION = re.compile(
    r"^\W*(?:so\W+|ok(?:ay)?\W+)?(?:"
    r"what(?:'s|’s|\s+is|\s+are)\s+(?:an?\s+|the\s+)?"
    + _TERM.format("a")
    + r"|what\s+does\s+(?:the\s+word\s+)?"
    + _TERM.format("b")
    + r"\s+(?:mean|involve)"
    + r"|(?:define|(?:the\s+)?(?:definition|meaning)\s+of)\s+"
    + _TERM.format("c")
    + r")\W*$",
    re.IGNORECASE,
)
_NOT_TERMS = {"it", "this", "that", "they", "those", "these", "there", "he", "she", "them"}


def definition_term(question: str) -> str:
    """The term a "what is X?" question asks to have defined, or "".

    >>> definition_term("What's emotional resilience?"), definition_term("define self compassion")
    ('emotional resilience', 'self compassion')
    >>> definition_term("What does self-compassion mean?"), definition_term("What is it?")
    ('self-compassion', '')
    >>> definition_term("What is the link between stress and the body?")
    ''
    """
    match = _DEFINITION_QUESTION.match(question)
    term = next((g for g in match.groups() if g), "") if match else ""
    return "" if term.lower() in _NOT_TERMS else term


# -- the decision -------------------------------------------------------------------

# A question that names the article, or its author, asks what the article says, not what a file or
# page added to the corpus says: "what does this essay recommend?", "according to the writer, …?".
_NAMES_ARTICLE = re.compile(
    r"\b(?:the|this|that|her|your) (?:article|essay|piece|blog post|post|author|writer)\b|\baccording to (?:her|the author)\b",
    re.IGNORECASE,
)


def names_article(question: str) -> bool:
    """Whether a question asks about the article itself.

    >>> [names_article(q) for q in ("What does this essay recommend?", "In the writer's view, why heal?",
    ...                             "Is the piece mostly about stress?", "How do I stop being so hard on myself?")]
    [True, True, True, False]
    """
    return bool(_NAMES_ARTICLE.search(question))


def classify(
    question: str,
    history: Sequence[str],
    sources: Sequence[SourceRecord],
    chunks: Sequence[ChunkRecord],
    vocabulary: frozenset[str] | set[str],
    closest: Callable[[str], Sequence[str]],
    answer_about_sources: bool = True,
) -> QuestionKind:
    """Decide what kind of question this is; ``closest(query)`` gives the passages nearest to it.

    ``history`` holds the conversation's earlier ordinary questions, oldest
    first. ``answer_about_sources`` off treats questions about the sources as
    ordinary ones (a pipeline the evaluation compares).
    """
    follow_up = bool(history) and is_follow_up(question)
    query = contextual_query(question, history)
    article_only = names_article(question) and any(s.kind == "article" for s in sources)
    if is_medical_question(question):
        return QuestionKind(kind=Kind.OUT_OF_SCOPE, query=query, follow_up=follow_up, note=MEDICAL_NOTE)
    fields = tuple(asked_fields(question))
    if fields and answer_about_sources:
        held = metadata_passages(fields, question, history, sources, chunks)
        if held:
            return QuestionKind(
                kind=Kind.ABOUT_SOURCES, query=query, follow_up=follow_up, fields=fields, passages=tuple(held)
            )
    note = out_of_scope_note(question, vocabulary, closest(query))
    if note is None and not fields:
        note = unheld_reference_note(question, sources)
    if note:
        return QuestionKind(kind=Kind.OUT_OF_SCOPE, query=query, follow_up=follow_up, note=note)
    term = definition_term(question)
    if term:
        return QuestionKind(
            kind=Kind.DEFINITION, query=query, follow_up=follow_up, term=term, article_only=article_only
        )
    return QuestionKind(kind=Kind.ORDINARY, query=query, follow_up=follow_up, article_only=article_only)
