"""Answer a question from the corpus: the ``assistant ask`` use case.

The default answer is extractive: it is made of the retrieved passages that
best support the question, quoted verbatim and each followed by its citation
marker, so it cannot say anything the sources do not. When the best passage
is not similar enough to the question, the answer is ``not_found`` and the
closest passages are offered as related, never as an answer.

Order of work for every question: clean it, check it for a crisis (no
retrieval at all when it is one), resolve a follow-up against the previous
turn, retrieve, compose.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answer.kinds import out_of_scope_note
from assistant.answer.questions import clean_question
from assistant.answer.retrieval import Hit, Mode, Retriever, tokenize
from assistant.answer.sources import metadata_passages, unheld_reference_note
from assistant.config import Settings
from assistant.errors import InvalidQuestionError
from assistant.index.library import Library
from assistant.index.store import ChunkRecord, SourceRecord
from assistant.ingest.chunking import is_heading, passage_text
from assistant.safety import CRISIS_MESSAGE, CRISIS_RESOURCES, canonical_sentences, check_crisis

log = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = (
    "The sources don't cover this. I can only answer from the article “Healing from Within” "
    "and the sources it references, and none of them answers this question."
)


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    source_id: str
    kind: str
    title: str
    author: str
    date: str
    url: str
    quote: str
    start: int
    end: int
    score: float
    link: str  # where to read the passage: the URL with a text fragment, or "" for local sources


@dataclass
class Answer:
    question: str
    status: str  # answered | not_found | crisis | invalid
    answer: str
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    query: str = ""  # what was searched for: the question, with the previous turn for a follow-up
    resources: str = ""  # crisis resources shown with this answer, if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- follow-ups ---------------------------------------------------------------

_LEANS_BACK = re.compile(
    r"^\s*(?:and|but|so|or|also|then|ok(?:ay)?|what about|how about|what else|why(?: is that)?|how so)\b"
    r"|\b(?:it|that|this|those|these|they|them|she|he|her|him|his|its|there|one|ones|the (?:first|second|other))\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """A short question that leans on the previous turn for its meaning.

    >>> is_follow_up("what about the body?"), is_follow_up("How does self-compassion affect stress?")
    (True, False)
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

    >>> strip_framing("Where does getting better start, in the author's view?")
    'Where does getting better start, ?'
    """
    stripped = _FRAMING.sub("", question)
    return " ".join(stripped.split()) if stripped.strip(" ?,.") else question


def contextual_query(question: str, history: Sequence[str]) -> str:
    """The text to search for: a follow-up is read together with the previous question.

    >>> contextual_query("what about the body?", ["How does it affect stress?"])
    'How does it affect stress? what about the body?'
    >>> contextual_query("Who wrote the article?", ["How does it affect stress?"])
    'Who wrote the article?'
    """
    if history and is_follow_up(question):
        return f"{strip_framing(history[-1])} {strip_framing(question)}"
    return strip_framing(question)


# -- composition ----------------------------------------------------------------


def _overlap(a: str, b: str) -> float:
    """Share of the shorter passage's words that the other one also has.

    >>> _overlap("kind to ourselves", "we are kind to ourselves daily")
    1.0
    """
    x, y = set(tokenize(a)), set(tokenize(b))
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


def select_passages(
    hits: Sequence[Hit], margin: float, limit: int, score=lambda h: h.dense, names_it=lambda h: False
) -> list[Hit]:
    """The passages an answer is made of, in retrieval order.

    The first passage that says something leads: not a heading (a title is
    only an answer to "what is it called?") and not a reference line (it
    answers "what does the article cite?"); the source questions handle both.
    A reference line stays only when the question names something in it
    (``names_it``: "Secure Minds Psychology") or nothing else was found.
    Others follow when they are not much weaker than the best (``margin``)
    and do not repeat a passage already kept.
    """
    usable = [h for h in hits if len(h.chunk.text) >= 20 and not is_heading(h.chunk.text)]
    usable = [h for h in usable if not is_bibliographic(h) or names_it(h)] or usable[:1]
    if not usable:
        return []
    best = max(score(h) for h in usable)
    chosen = [usable[0]]
    for hit in usable[1:]:
        if len(chosen) == limit:
            break
        if score(hit) < best - margin:
            continue
        if any(_overlap(hit.chunk.text, c.chunk.text) > 0.6 for c in chosen):
            continue
        chosen.append(hit)
    return chosen


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

    >>> definition_term("What is self-compassion?"), definition_term("define self compassion")
    ('self-compassion', 'self compassion')
    >>> definition_term("What does self-compassion mean?"), definition_term("What is it?")
    ('self-compassion', '')
    >>> definition_term("What is the link between stress and the body?")
    ''
    """
    match = _DEFINITION_QUESTION.match(question)
    term = next((g for g in match.groups() if g), "") if match else ""
    return "" if term.lower() in _NOT_TERMS else term


def defines(text: str, term: str) -> bool:
    """Whether a passage says what ``term`` is ("X involves…", "X is…", "X means…").

    >>> defines("At its core, self-compassion involves treating ourselves kindly.", "self compassion")
    True
    >>> defines("Self-compassion also enables us to build resilience.", "self-compassion")
    False
    >>> defines("One aspect of self-compassion is its role in growth.", "self-compassion")
    False
    """
    words = [re.escape(w) for w in re.split(r"[\s-]+", term.strip()) if w]
    if not words:
        return False
    pattern = r"[\s-]+".join(words) + r"\s+(?:is|are|involves|means|refers\s+to|describes)\b"
    # The term opens a sentence or a clause: "aspects of X is" says nothing of what X is.
    return re.search(r"(?:^|[.,;:!?]\s+)" + pattern, text, re.IGNORECASE | re.MULTILINE) is not None


def definitions_first(question: str, hits: Sequence[Hit]) -> list[Hit]:
    """For "what is X?", passages that say what X is come first; the rest keep their order."""
    term = definition_term(question)
    if not term:
        return list(hits)
    return sorted(hits, key=lambda h: not defines(h.chunk.text, term))


def is_bibliographic(hit: Hit) -> bool:
    """A reference line or a byline: it answers what is cited, or who wrote it and when, and no other claim.

    >>> byline = "Writer: Marissa Mireles\\nMar 19\\n3 min read"
    >>> source = SourceRecord("a", "article", "T", "Marissa Mireles", "Mar 19", "", {}, "h", byline, 1, "now")
    >>> is_bibliographic(Hit(ChunkRecord("a:0-9:x", "a", 0, 9, 0, "T", 0, byline), source, 0.5, 0.0, 0.5))
    True
    """
    text = hit.chunk.text
    byline = len(text) < 160 and bool(hit.source.author) and hit.source.author in text
    return (
        byline
        or hit.source.kind == "reference"
        or hit.chunk.section.lower() in {"references", "bibliography", "sources"}
    )


def inline(text: str) -> str:
    """A passage as it reads inside an answer: line breaks become separators.

    >>> inline("Writer: A. B.\\nMar 19")
    'Writer: A. B. · Mar 19'
    """
    return " · ".join(line.strip() for line in text.splitlines() if line.strip())


def citation_for(n: int, chunk: ChunkRecord, source: SourceRecord, score: float) -> Citation:
    from assistant.answer.citations import link_for, source_fields

    quote = source.text[chunk.start : chunk.end]
    return Citation(
        n=n,
        chunk_id=chunk.id,
        **source_fields(source),
        quote=quote,
        start=chunk.start,
        end=chunk.end,
        score=round(score, 4),
        link=link_for(source.url, quote, source.kind),
    )


def compose(passages: Sequence[Hit]) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers, and the citations it uses, in that order."""
    citations = [citation_for(n, h.chunk, h.source, h.dense or h.fused) for n, h in enumerate(passages, start=1)]
    text = " ".join(f"{inline(c.quote)} [{c.n}]" for c in citations)
    return text, citations


# -- the use case ---------------------------------------------------------------


class Assistant:
    """Answers questions from the current index. Safe to share between threads."""

    def __init__(self, settings: Settings, library: Library | None = None) -> None:
        self.settings = settings
        self.library = library or Library(settings)
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()

    def retriever(self) -> Retriever:
        generation = self.library.generation()
        with self._lock:
            if self._retriever is None or self._retriever.generation is not generation:
                self._retriever = Retriever(
                    generation,
                    self.library.embedder.embed_query,
                    lambda chunk, source: passage_text(chunk.text, chunk.section, source.title),
                )
            return self._retriever

    def _supported(self, query: str, hits: Sequence[Hit]) -> bool:
        """Whether the corpus answers the query at all, or only seems to.

        Clear semantic similarity is enough. Weaker similarity also needs the
        best passages to share a word with the question that is rare in the
        corpus: "self-compassion" is everywhere and proves nothing.
        """
        settings = self.settings
        best = max((h.dense for h in hits), default=0.0)
        if best >= settings.answer_threshold:
            return True
        if best < settings.support_threshold:
            return False
        lexical = self.retriever().lexical
        by_words = sorted(hits, key=lambda h: h.lexical, reverse=True)[:3]
        by_meaning = sorted(hits, key=lambda h: h.dense, reverse=True)[:3]
        return any(lexical.shares_rare_word(query, h.chunk.id) for h in [*by_meaning, *by_words])

    def warm_up(self) -> None:
        """Load the model and open the index now rather than on the first question."""
        self.retriever()
        self.library.embedder.embed_query("warm up")

    def ask(
        self,
        raw_question: Any,
        history: Sequence[str] = (),
        mode: Mode = "hybrid",
        top_k: int | None = None,
        about_sources: bool = True,
    ) -> Answer:
        """Answer one question; ``history`` holds the conversation's previous questions.

        ``mode`` and ``about_sources`` switch parts of the pipeline off, for
        the evaluation's comparisons; the product uses the defaults.
        """
        started = time.perf_counter()
        settings = self.settings
        try:
            question = clean_question(raw_question, settings.max_question_chars)
        except InvalidQuestionError as e:
            # An over-long message is still read for a crisis first: the limit must not hide one.
            if isinstance(raw_question, str) and raw_question.strip():
                text = raw_question[: 20 * settings.max_question_chars]
                embedder = self.library.embedder if len(text) <= 5 * settings.max_question_chars else None
                if check_crisis(text, embedder).is_crisis:
                    return Answer(
                        question="", status="crisis", answer=CRISIS_MESSAGE, resources=CRISIS_RESOURCES,
                        timings_ms=_since(started),
                    )  # fmt: skip
            return Answer(question="", status="invalid", answer=str(e), timings_ms=_since(started))
        # A crisis turn is never searched for: a follow-up reads the last ordinary question instead.
        crisis_turns = [turn for turn in history if check_crisis(turn).is_crisis]
        query = contextual_query(question, [turn for turn in history if turn not in crisis_turns])
        embedder = self.library.embedder
        # One model call for the crisis check's sentences and the search query.
        embed_started = time.perf_counter()
        embedder.embed([query, *canonical_sentences(question)][: embedder.REMEMBER_BATCH])
        embed_ms = round((time.perf_counter() - embed_started) * 1000, 2)
        crisis = check_crisis(question, embedder)
        if crisis.is_crisis:
            log.info("crisis check matched reason=%s", crisis.reason)
            return Answer(
                question=question, status="crisis", answer=CRISIS_MESSAGE, resources=CRISIS_RESOURCES,
                timings_ms=_since(started),
            )  # fmt: skip
        limit = top_k or settings.top_k
        t0 = time.perf_counter()
        retriever = self.retriever()
        about = metadata_passages(question, history, list(retriever.sources.values()), list(retriever.chunks.values()))
        hits = retriever.search(query, settings.candidates, mode, settings.lexical_weight, settings.lexical_trust)
        t1 = time.perf_counter()
        use_about = bool(about) and about_sources and mode != "lexical"
        closest = [h.chunk.text for h in hits if not is_heading(h.chunk.text) and not is_bibliographic(h)]
        note = out_of_scope_note(question, retriever.vocabulary, closest[: settings.top_k], use_about) or (
            None if use_about else unheld_reference_note(question, list(retriever.sources.values()))
        )

        def names_it(hit: Hit) -> bool:  # the question names something in this passage
            return retriever.lexical.shares_rare_word(query, hit.chunk.id)

        if note:
            chosen = []
        elif use_about:
            chosen = [Hit(c, retriever.sources[c.source_id], 1.0, 1.0, 1.0) for c in about[:limit]]
        elif mode == "lexical":
            supported = any(h.lexical >= settings.lexical_threshold for h in hits)
            chosen = select_passages(hits, 1.0, limit, lambda h: h.lexical, names_it) if supported else []
        else:
            supported = self._supported(query, hits)
            ranked = definitions_first(question, hits)
            chosen = select_passages(ranked, settings.relevance_margin, limit, names_it=names_it) if supported else []
        if chosen:
            text, citations = compose(chosen)
            answer = Answer(question=question, status="answered", answer=text, citations=citations, query=query)
        else:
            related = [
                citation_for(n, h.chunk, h.source, h.dense or h.fused)
                for n, h in enumerate([h for h in hits if not is_heading(h.chunk.text)][: settings.related_passages], 1)
            ]
            message = f"{NOT_FOUND_MESSAGE} {note}" if note else NOT_FOUND_MESSAGE
            answer = Answer(question=question, status="not_found", answer=message, related=related, query=query)
        # The resources stay with a conversation that had a crisis turn (the app keeps them on screen too).
        if crisis.mentions_topic or crisis_turns:
            answer.resources = CRISIS_RESOURCES
        t2 = time.perf_counter()
        answer.timings_ms = {
            "embed": embed_ms,  # the question, for the crisis check and the search, in one model call
            "retrieve": round((t1 - t0) * 1000, 2),
            "compose": round((t2 - t1) * 1000, 2),
            "total": round((t2 - started) * 1000, 2),
        }
        return answer


def _since(started: float) -> dict[str, float]:
    total = round((time.perf_counter() - started) * 1000, 2)
    return {"retrieve": 0.0, "compose": 0.0, "total": total}
