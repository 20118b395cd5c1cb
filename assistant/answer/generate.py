"""Generated answers: a language model writes, verification decides what is shown.

The extractive answer is composed first, as always; in a generated mode the
retrieved passages then go to the model (``prompt``), its reply is cut into
sentences as it streams, and each sentence is shown only once it has passed
verification (``verify``): it cites a passage the model was given and that
passage supports it. A shown sentence is never withdrawn. Its markers are
renumbered in the order the answer first cites each passage, and every
citation is the passage's exact quote and offsets, as in extractive answers.

The extractive answer is shown instead, with a note saying why, when the
model cannot be used (no server, timeout, refused key, unreadable or empty
reply) or fewer than ``verify_min_kept`` sentences pass; verified sentences
are held back until that many have passed, so a fallback never follows shown
text. A failure after that keeps what was shown and adds a note.

Only answers the corpus supports reach a model: a crisis, an invalid
question and ``not_found`` never do (the ``Assistant`` decides those first).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.answer.citations import citation_for
from assistant.answer.compose import is_bibliographic
from assistant.answer.prompt import messages, screen
from assistant.answer.retrieval import Hit
from assistant.answer.verify import SentenceSplitter, Verification, Verifier
from assistant.config import Settings
from assistant.errors import AssistantError, BackendError
from assistant.ingest.chunking import is_heading
from assistant.llm.backends import chat_model, reply_text

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.answer.assistant import Answer

log = logging.getLogger(__name__)

UNVERIFIED = "(unverified) "


class AnswerStream:
    """The text to show, in order, as it is verified; then ``answer``, the same ``Answer`` that ``ask`` returns.

    ``"".join(stream)`` is what a reader sees: a fallback note (if any)
    followed by ``answer.answer``, or ``answer.answer`` followed by a note when
    the model stopped early.

        stream = assistant.stream("How do I stop being so hard on myself?")
        for text in stream:
            print(text, end="", flush=True)
        stream.answer.citations
    """

    def __init__(self, pieces: Callable[[AnswerStream], Iterator[str]], answer: Answer) -> None:
        self._answer = answer
        self._pieces = pieces(self)
        self._done = False

    @classmethod
    def finished(cls, answer: Answer) -> AnswerStream:
        """A stream of an answer that is already complete: it yields the answer's text once."""

        def pieces(_: AnswerStream) -> Iterator[str]:
            if answer.answer:
                yield answer.answer

        return cls(pieces, answer)

    @property
    def status(self) -> str:
        """answered, not_found, crisis or invalid: decided before any model call, so known before iterating."""
        return self._answer.status

    @property
    def mode(self) -> str:
        """The answer mode this answer is written in (known before iterating)."""
        return self._answer.mode

    def __iter__(self) -> Iterator[str]:
        yield from self._pieces
        self._done = True

    @property
    def answer(self) -> Answer:
        """The final answer; reading it before the stream ends runs the rest of it first."""
        if not self._done:
            for _ in self:
                pass
        return self._answer


def passages_for_model(chosen: Sequence[Hit], hits: Sequence[Hit], limit: int) -> list[Hit]:
    """The passages a model gets: the extractive answer's, then the next retrieved ones that say something."""
    offered = list(chosen[:limit])
    for hit in hits:
        if len(offered) >= limit:
            break
        if hit.chunk.id in {h.chunk.id for h in offered}:
            continue
        if len(hit.chunk.text) < 20 or is_heading(hit.chunk.text) or is_bibliographic(hit):
            continue
        offered.append(hit)
    return offered


class Generator:
    """Writes verified answers with the chat model of each mode; chat models are built on first use, once."""

    def __init__(
        self,
        settings: Settings,
        embed: Callable[[list[str]], list[list[float]]],
        models: dict[str, BaseChatModel] | None = None,
    ) -> None:
        self.settings = settings
        self._embed = embed
        self._models: dict[str, BaseChatModel] = dict(models or {})
        self._lock = threading.Lock()

    def model(self, mode: str) -> BaseChatModel:
        with self._lock:
            if mode not in self._models:
                self._models[mode] = chat_model(self.settings, mode)
            return self._models[mode]

    def stream(
        self, extractive: Answer, passages: Sequence[Hit], turns: Sequence[str], mode: str, started: float
    ) -> AnswerStream:
        """A generated answer to the question of ``extractive``, which stays the fallback."""
        return AnswerStream(lambda stream: self._pieces(stream, extractive, passages, turns, mode, started), extractive)

    def _pieces(
        self,
        stream: AnswerStream,
        extractive: Answer,
        passages: Sequence[Hit],
        turns: Sequence[str],
        mode: str,
        started: float,
    ) -> Iterator[str]:
        settings = self.settings
        t0 = time.perf_counter()
        screened = [screen(h.chunk.text) for h in passages]
        chat = messages(
            extractive.question,
            list(turns)[-settings.llm_history_turns :] if settings.llm_history_turns else [],
            [(h.source.title, s.text) for h, s in zip(passages, screened, strict=True)],
        )
        verifier = Verifier(
            self._embed, [s.text for s in screened], settings.verify_min_overlap, settings.verify_min_similarity
        )
        verification = Verification()
        numbering: dict[int, int] = {}  # passage number as the model saw it -> citation number in the answer
        held: list[str] = []  # verified (and marked) sentences waiting until enough have passed
        shown: list[str] = []
        first_ms: float | None = None
        failure = ""

        def take(sentence: str) -> Iterator[str]:
            nonlocal first_ms
            checked = verifier.check(sentence)
            verification.add(checked)
            if checked.verified:
                numbers = "".join(f"[{numbering.setdefault(n, len(numbering) + 1)}]" for n in checked.supporting)
                held.append(f"{checked.text} {numbers}")
            elif settings.show_unverified and checked.text:
                held.append(UNVERIFIED + checked.text)
            log.debug("sentence verified=%s reason=%s", checked.verified, checked.reason)
            if verification.kept >= settings.verify_min_kept and held:
                if first_ms is None:
                    first_ms = round((time.perf_counter() - started) * 1000, 2)
                for text in held:
                    yield text if not shown else " " + text
                    shown.append(text)
                held.clear()

        try:
            splitter = SentenceSplitter()
            received = ""
            for piece in reply_text(self.model(mode), chat, settings.llm_stream, settings.llm_timeout):
                received += piece
                for sentence in splitter.feed(piece):
                    yield from take(sentence)
            for sentence in splitter.close():
                yield from take(sentence)
            if not received.strip():
                raise BackendError("the model sent an empty reply")
        except AssistantError as e:
            failure = str(e)
        generate_ms = round((time.perf_counter() - t0) * 1000, 2)
        timings = {**extractive.timings_ms, "generate": generate_ms}
        timings["total"] = round((time.perf_counter() - started) * 1000, 2)
        if first_ms is not None:
            timings["first_sentence"] = first_ms
        if verification.kept >= settings.verify_min_kept:
            by_number = {numbering[n]: passages[n - 1] for n in numbering}
            citations = [
                citation_for(n, by_number[n].chunk, by_number[n].source, by_number[n].dense or by_number[n].fused)
                for n in sorted(by_number)
            ]
            note = f"The model stopped before the end ({failure}); the sentences shown are verified." if failure else ""
            if note:
                yield "\n\n" + note
            answer = dataclasses.replace(
                extractive, answer=" ".join(shown), citations=citations, mode=mode, note=note,
                verification=verification, timings_ms=timings,
            )  # fmt: skip
        else:
            verification.fell_back = True
            if failure:
                verification.reason = failure
                note = f"The language model could not be used: {failure}. This answer is quoted from the sources."
            else:
                total = verification.kept + verification.dropped
                verification.reason = f"{verification.kept} of {total} generated sentences verified"
                note = (
                    f"Only {verification.kept} of the model's {total} sentences could be verified against the "
                    "passages they cite, so this answer is quoted from the sources."
                )
            yield note + "\n\n" + extractive.answer
            answer = dataclasses.replace(
                extractive, mode=mode, note=note, verification=verification, timings_ms=timings
            )
        log.info(
            "generated answer mode=%s kept=%d dropped=%d removed_markers=%d fell_back=%s ms=%.0f",
            mode, verification.kept, verification.dropped, verification.removed_markers, verification.fell_back,
            generate_ms,
        )  # fmt: skip
        stream._answer = answer
