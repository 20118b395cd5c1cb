"""Answer a question from the corpus: the ``assistant ask`` use case.

The default answer is extractive: it is made of the retrieved passages that
best support the question, quoted verbatim and each followed by its citation
marker, so it cannot say anything the sources do not. When the best passage
is not similar enough to the question, the answer is ``not_found`` and the
closest passages are offered as related, never as an answer.

Order of work for every question: clean it, assess it for a crisis (no
retrieval at all when it is one; see ``assistant.safety``), decide its kind once (``answer.kinds``),
retrieve, compose. In a generated mode (``answer.generate``) an answered
question's passages then go to a language model, and only its verified
sentences are shown; the extractive answer stays the fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.answer.answerability import Answerability, model_path
from assistant.answer.answerability import load as load_answerability
from assistant.answer.citations import Citation, citation_for
from assistant.answer.compose import (
    compose,
    compose_about,
    definitions_first,
    is_bibliographic,
    not_found_message,
    related_passages,
    select_passages,
    with_antecedent,
    without_contained,
)
from assistant.answer.generate import AnswerStream, Generator, passages_for_model
from assistant.answer.kinds import Kind, classify, clean_question, contextual_query
from assistant.answer.retrieval import Hit, Mode, QuestionIndex, Retriever
from assistant.answer.verify import Verification
from assistant.config import Settings
from assistant.errors import InvalidQuestionError
from assistant.index.library import Library
from assistant.ingest.chunking import is_heading, passage_text
from assistant.ingest.questions import load_questions
from assistant.safety import CONCERN_NOTE, CRISIS_MESSAGE, CRISIS_RESOURCES, Level, assess, own_texts

log = logging.getLogger(__name__)

NEAR_TOPIC_NOTE = "They touch on its topic, but what this question asks is not in them; the nearest passages are below."


@dataclass(kw_only=True)
class Answer:
    question: str
    status: str  # answered | not_found | crisis | invalid
    answer: str
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    query: str = ""  # what was searched for: the question, with the previous turn for a follow-up
    resources: str = ""  # crisis resources shown with this answer, if any
    safety: str = "none"  # the safety level of the question: none, concern or crisis
    mode: str = "extractive"  # the answer mode asked for: extractive, ollama, openai or local
    note: str = ""  # why a generated answer fell back to quotes, or stopped early
    verification: Verification | None = None  # generated modes only: what verification kept and dropped

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["verification"] is None:
            del data["verification"]
        return data


@dataclass(frozen=True)
class Pipeline:
    """How an ``Assistant`` finds its answers. The product uses the defaults.

    The evaluation builds one ``Assistant`` per pipeline it compares:
    ``Pipeline(retrieval="dense")`` switches BM25 off, and
    ``Pipeline(about_sources=False)`` treats questions about the sources as
    ordinary ones. Lexical retrieval alone cannot rank bylines against
    questions about them, so it never takes the source-question route.
    """

    retrieval: Mode = "hybrid"
    about_sources: bool = True
    passage_questions: bool = True  # match questions against the passage questions kept beside the corpus
    answerability: bool = True  # refuse near-topic questions a source's trained check says it does not answer


class Assistant:
    """Answers questions from the current index. Safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        library: Library | None = None,
        pipeline: Pipeline = Pipeline(),
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings
        self.library = library or Library(settings)
        self.pipeline = pipeline
        self._retriever: Retriever | None = None
        self._checks: dict[str, Answerability] = {}  # source id -> its answerability check
        self._generator = generator
        self._lock = threading.Lock()

    def generator(self) -> Generator:
        with self._lock:
            if self._generator is None:
                self._generator = Generator(self.settings, self.library.embedder.embed)
            return self._generator

    def retriever(self) -> Retriever:
        generation = self.library.generation()
        with self._lock:
            if self._retriever is None or self._retriever.generation is not generation:
                self._retriever = Retriever(
                    generation,
                    self.library.embedder.embed_query,
                    lambda chunk, source: passage_text(chunk.text, chunk.section, source.title),
                )
                if self.pipeline.passage_questions and self.pipeline.retrieval != "lexical":
                    self._retriever.questions = self._question_index(self._retriever)
                self._checks = {}
                if self.pipeline.answerability:
                    found = {
                        sid: load_answerability(model_path(self.settings.corpus_dir, sid))
                        for sid in self._retriever.sources
                    }
                    self._checks = {sid: check for sid, check in found.items() if check is not None}
            return self._retriever

    def _answers(self, hit: Hit, query: str) -> bool:
        """Whether the source of the passage that would lead asks nothing it cannot answer (see answerability);
        a source without a trained check (a reader's own file) always passes."""
        source = hit.source
        check = self._checks.get(source.extra.get("cited_by", "") if source.kind == "reference" else source.id)
        return check is None or check.answers(self.library.embedder.embed_query(query))

    def _question_index(self, retriever: Retriever) -> QuestionIndex:
        """The passage questions kept beside the corpus for the sources of this index, embedded."""
        texts = {sid: source.text for sid, source in retriever.sources.items()}
        found, problems = load_questions(self.settings.corpus_dir, texts)
        for problem in problems:
            log.warning("passage questions: %s", problem)
        folder = self.settings.data_dir / "vectors"
        index = QuestionIndex(
            found, retriever.chunks.values(), lambda texts: self.library.embedder.embed_kept(texts, folder)
        )
        log.info("passage questions=%d", len(index))
        return index

    def _support(self, query: str, hits: Sequence[Hit]) -> Literal["clear", "weak", "none"]:
        """Whether the corpus answers the query clearly, only comes close, or only seems to.

        Clear semantic similarity is enough. Weaker similarity also needs the
        best passages to share a word with the question that is rare in the
        corpus ("self-compassion" is everywhere and proves nothing); such an
        answer says it only comes close.
        """
        settings = self.settings
        if self.pipeline.retrieval == "lexical":
            return "clear" if any(h.lexical >= settings.lexical_threshold for h in hits) else "none"
        # The passage's own text, and the questions written for it, each against its own threshold:
        # a question is closer to another question than to a statement, so its bar is higher.
        best = max((h.direct for h in hits), default=0.0)
        if (
            best >= settings.answer_threshold
            or max((h.asked for h in hits), default=0.0) >= settings.question_threshold
        ):
            return "clear"
        if best < settings.support_threshold:
            return "none"
        lexical = self.retriever().lexical
        by_words = sorted(hits, key=lambda h: h.lexical, reverse=True)[:3]
        by_meaning = sorted(hits, key=lambda h: h.direct, reverse=True)[:3]
        shares = any(lexical.shares_rare_word(query, h.chunk.id) for h in [*by_meaning, *by_words])
        return "weak" if shares else "none"

    def warm_up(self) -> None:
        """Load the model and open the index now rather than on the first question."""
        self.retriever()
        self.library.embedder.embed_query("warm up")
        self.library.safety_embedder.embed_query("warm up")

    def ask(
        self, raw_question: Any, history: Sequence[str] = (), top_k: int | None = None, mode: str | None = None
    ) -> Answer:
        """Answer one question; ``history`` holds the conversation's previous questions, oldest first.

        ``mode`` overrides the answer mode of the settings for this question.
        """
        return self.stream(raw_question, history, top_k, mode).answer

    def stream(
        self, raw_question: Any, history: Sequence[str] = (), top_k: int | None = None, mode: str | None = None
    ) -> AnswerStream:
        """The answer as text to show while it is written (verified sentences as they pass), then ``.answer``."""
        started = time.perf_counter()
        mode = mode or self.settings.answer_mode
        answer, passages, turns = self._extractive(raw_question, history, top_k)
        answer.mode = mode
        if mode == "extractive" or answer.status != "answered":
            return AnswerStream.finished(answer)
        return self.generator().stream(answer, passages, turns, mode, started)

    def _extractive(
        self, raw_question: Any, history: Sequence[str], top_k: int | None, check_repeat: bool = True
    ) -> tuple[Answer, list[Hit], list[str]]:
        """The extractive answer, the passages a model would get, and the conversation's ordinary turns."""
        started = time.perf_counter()
        settings = self.settings
        try:
            question = clean_question(raw_question, settings.max_question_chars)
        except InvalidQuestionError as e:
            # An over-long message is still read for a crisis first: the limit must not hide one.
            refused = Answer(question="", status="invalid", answer=str(e))
            embed = self.library.safety_embedder.embed
            text = raw_question[: 5 * settings.max_question_chars] if isinstance(raw_question, str) else ""
            # The lines stay with a conversation that had a crisis or a concern turn, whatever this message is.
            if text.strip():
                safety = assess(text, history, embed)
                if safety.level is Level.CRISIS:
                    refused = Answer(question="", status="crisis", answer=CRISIS_MESSAGE, resources=CRISIS_RESOURCES)
                elif safety.shows_lines:
                    refused.resources = CRISIS_RESOURCES
                if safety.level is not Level.NONE:
                    refused.safety = safety.level.value
            elif history and assess(history[-1], history[:-1], embed).shows_lines:
                refused.resources = CRISIS_RESOURCES
            refused.timings_ms = _since(started)
            return refused, [], []
        # The safety check's readings in one call of its model; the search query in one of the search's.
        embed_started = time.perf_counter()
        safety_embed = self.library.safety_embedder.embed
        safety_embed(own_texts(question, history))
        self.library.embedder.embed([contextual_query(question, history)])
        embed_ms = round((time.perf_counter() - embed_started) * 1000, 2)
        safety = assess(question, history, safety_embed)
        if safety.level is Level.CRISIS:
            log.info("crisis reply reasons=%s", ",".join(safety.reasons))
            return Answer(
                question=question, status="crisis", answer=CRISIS_MESSAGE, resources=CRISIS_RESOURCES,
                safety=safety.level.value, timings_ms=_since(started),
            ), [], []  # fmt: skip
        # A crisis turn is never searched for: a follow-up reads the last ordinary question instead.
        ordinary_turns = [turn for i, turn in enumerate(history) if i not in safety.crisis_turns]
        limit = top_k or settings.top_k
        pipeline = self.pipeline
        t0 = time.perf_counter()
        retriever = self.retriever()
        searched: dict[str, list[Hit]] = {}

        def search(query: str) -> list[Hit]:
            if query not in searched:
                searched[query] = retriever.search(
                    query, settings.candidates, pipeline.retrieval, settings.lexical_weight, settings.lexical_trust
                )
            return searched[query]

        def closest(query: str) -> list[str]:
            texts = [h.chunk.text for h in search(query) if not is_heading(h.chunk.text) and not is_bibliographic(h)]
            return texts[: settings.top_k]

        kind = classify(
            question, ordinary_turns, list(retriever.sources.values()), list(retriever.chunks.values()),
            retriever.vocabulary, closest, answer_about_sources=pipeline.about_sources and pipeline.retrieval != "lexical",
        )  # fmt: skip
        query = kind.query
        hits = search(query)
        if kind.article_only:  # a file or page added to the corpus never answers for the article
            hits = [h for h in hits if h.source.kind in {"article", "reference"}]
        t1 = time.perf_counter()

        def names_it(hit: Hit) -> bool:  # the question names something in this passage
            return retriever.lexical.shares_rare_word(query, hit.chunk.id)

        chosen: list[Hit] = []
        support = "clear"
        note = kind.note
        if kind.kind is Kind.ABOUT_SOURCES:
            # Every reference line the question asks for, whatever the limit: "the article cites 2 sources".
            shown = kind.passages if "references" in kind.fields[:1] else kind.passages[:limit]
            chosen = [
                Hit(chunk=c, source=retriever.sources[c.source_id], dense=1.0, lexical=1.0, fused=1.0) for c in shown
            ]
        elif kind.kind is not Kind.OUT_OF_SCOPE and (support := self._support(query, hits)) != "none":
            lexical = pipeline.retrieval == "lexical"
            ranked = definitions_first(kind.term, hits) if kind.kind is Kind.DEFINITION and not lexical else hits
            margin = 1.0 if lexical else settings.relevance_margin
            chosen = select_passages(
                ranked, margin, limit, (lambda h: h.lexical) if lexical else (lambda h: h.dense), names_it
            )
            chosen = without_contained(
                [with_antecedent(h, retriever.source_chunks(h.source.id), {c.chunk.id for c in chosen}) for h in chosen]
            )
            if chosen and not self._answers(chosen[0], query):
                chosen, note = [], NEAR_TOPIC_NOTE
        # A follow-up that finds only what the previous question found says so rather than repeat it as new.
        repeat = bool(chosen) and kind.follow_up and kind.kind is not Kind.ABOUT_SOURCES and check_repeat
        if repeat:  # what the previous question was answered with, decided the same way (its own follow-up aside)
            before, _, _ = self._extractive(ordinary_turns[-1], ordinary_turns[:-1], top_k, check_repeat=False)
            quoted = {c.chunk_id for c in before.citations} if before.status == "answered" else set()
            repeat = {h.chunk.id for h in chosen} <= quoted
        if chosen:
            if kind.kind is Kind.ABOUT_SOURCES:
                text, citations = compose_about(kind.fields, chosen)
            else:
                text, citations = compose(chosen, weak=support == "weak", repeat=repeat)
            answer = Answer(question=question, status="answered", answer=text, citations=citations, query=query)
        else:
            related = [
                citation_for(n, h.chunk, h.source, h.dense or h.fused)
                for n, h in enumerate(related_passages(hits, settings.related_passages), start=1)
            ]
            message = not_found_message(list(retriever.sources.values()))
            message = f"{message} {note}" if note else message
            answer = Answer(question=question, status="not_found", answer=message, related=related, query=query)
        # The lines stay with a conversation that had a crisis or a concern turn.
        if safety.shows_lines:
            answer.resources = CRISIS_RESOURCES
        if safety.level is Level.CONCERN:
            answer.safety = safety.level.value
            answer.resources = f"{CONCERN_NOTE}\n\n{CRISIS_RESOURCES}"
        t2 = time.perf_counter()
        answer.timings_ms = {
            "embed": embed_ms,  # the question, for the crisis check and the search, in one model call
            "retrieve": round((t1 - t0) * 1000, 2),
            "compose": round((t2 - t1) * 1000, 2),
            "total": round((t2 - started) * 1000, 2),
        }
        passages = (
            chosen if kind.kind is Kind.ABOUT_SOURCES else passages_for_model(chosen, hits, settings.llm_passages)
        )
        return answer, passages, ordinary_turns


def _since(started: float) -> dict[str, float]:
    total = round((time.perf_counter() - started) * 1000, 2)
    return {"retrieve": 0.0, "compose": 0.0, "total": total}
