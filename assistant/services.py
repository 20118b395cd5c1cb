"""The one object an interface talks to: what answers, what records, what re-indexes.

:class:`Services` holds the settings, the index (``Library``), the
``Assistant``, the background re-index, readers' feedback and their
conversations. It exists at once; the slow part, loading the model, opening
the index and building it on the very first start, runs in a background
thread (:meth:`Services.start`), so that a page can draw its chat box and say
it is getting ready (:meth:`Services.readiness`) instead of making the first
reader wait on a blank page. A question asked meanwhile waits for it.

Everything here is plain Python; the Streamlit pages only render what it
returns. Deliberately not here: who may do what. The pages decide which
methods a reader's page calls and which only the maintainer's page calls.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assistant.answer.assistant import Assistant
from assistant.answer.generate import AnswerStream
from assistant.answer.kinds import clean_question
from assistant.config import Settings
from assistant.conversations import CONVERSATIONS_FILE, ConversationStore
from assistant.errors import AssistantError, IndexBusyError, InvalidQuestionError
from assistant.feedback import WRITERS, FeedbackStore, default_path
from assistant.index.background import Reindexer, ReindexRun
from assistant.index.building import Indexer
from assistant.index.embeddings import Embedder
from assistant.index.library import Library
from assistant.index.store import SourceRecord
from assistant.ingest.uploads import Added, add_upload
from assistant.llm.backends import unavailable

log = logging.getLogger(__name__)

# How long a start that failed is left failed before a page's visit tries again:
# long enough not to retry on every rerun, short enough that a fixed corpus is found soon.
RETRY_AFTER_S = 10.0
# How long a first start waits for another process that is building the index.
BUILD_WAIT_S = 900.0


@dataclass(frozen=True, kw_only=True)
class Readiness:
    """Whether questions can be answered yet, and what to tell a reader meanwhile."""

    state: Literal["starting", "ready", "failed"]
    message: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "ready"


class Services:
    """Everything the app uses, for one set of settings; safe to share between sessions and threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.library = Library(settings, embedder)
        self.assistant = Assistant(settings, self.library)
        # A re-index embeds with a model instance of its own, so that a long embedding
        # run never shares a tokenizer with the questions being answered.
        self.reindexer = Reindexer(Indexer(settings).run)
        self.feedback = FeedbackStore(default_path(settings.data_dir))
        self.conversations = ConversationStore(settings.data_dir / CONVERSATIONS_FILE)
        self._readiness = Readiness(state="starting", message="Getting ready…")
        self._done = threading.Event()
        self._failed_at = 0.0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._mode_problem: str | None = None  # why the configured answer mode cannot run; "" when it can

    # -- getting ready ------------------------------------------------------------------

    def start(self) -> Services:
        """Load the model and open the index in the background; at most one start runs at a time."""
        with self._lock:
            if self._thread is None or (
                self._readiness.state == "failed" and time.monotonic() - self._failed_at >= RETRY_AFTER_S
            ):
                self._done.clear()
                self._readiness = Readiness(state="starting", message="Getting ready…")
                self._thread = threading.Thread(target=self._get_ready, name="get-ready", daemon=True)
                self._thread.start()
        return self

    def readiness(self) -> Readiness:
        return self._readiness

    def wait_until_ready(self, timeout: float | None = None) -> Readiness:
        self._done.wait(timeout)
        return self._readiness

    def _say(self, message: str) -> None:
        self._readiness = Readiness(state="starting", message=message)

    def _get_ready(self) -> None:
        started = time.perf_counter()
        try:
            self.conversations.prune(self.settings.conversation_days)
            self._say("Getting ready: loading the language model…")
            self.library.embedder.embed_query("warm up")
            self.library.safety_embedder.embed_query("warm up")
            self._build_if_missing()
            self._say("Getting ready: opening the index…")
            self.assistant.warm_up()
        except AssistantError as e:
            self._fail(str(e))
        except Exception:  # the thread has no caller to raise to
            log.exception("getting ready failed")
            self._fail("Something went wrong while getting ready. The details are in the server log.")
        else:
            self._readiness = Readiness(state="ready")
            log.info("ready seconds=%.2f", time.perf_counter() - started)
        finally:
            self._done.set()

    def _fail(self, message: str) -> None:
        self._failed_at = time.monotonic()
        self._readiness = Readiness(state="failed", message=message)

    def _build_if_missing(self) -> None:
        """Build the index on the very first start, saying how far it has got."""
        settings = self.settings
        store = self.library.store
        if store.current() is not None:
            return
        self._say("Getting ready: there is no index yet, building it from the corpus (first start only)…")

        def progress(done: int, total: int) -> None:
            self._say(f"Getting ready: building the index (first start only), passage {done} of {total}…")

        try:
            Indexer(settings, self.library.embedder).run(progress=progress)
        except IndexBusyError:
            self._say("Getting ready: another process is building the index; waiting for it…")
            deadline = time.monotonic() + BUILD_WAIT_S
            while store.current() is None and time.monotonic() < deadline:
                time.sleep(0.5)

    # -- readers --------------------------------------------------------------------------

    def refusal(self, question: str) -> str:
        """Why a question cannot be asked as typed (blank, too long), or "" when it can."""
        try:
            clean_question(question, self.settings.max_question_chars)
        except InvalidQuestionError as e:
            return str(e)
        return ""

    def ask(
        self, question: str, history: Sequence[str] = (), top_k: int | None = None, mode: str | None = None
    ) -> dict[str, Any]:
        """The answer as a dict (``Answer.to_dict()``), each citation with its paragraph; waits until ready."""
        return self.stream(question, history, top_k, mode).answer.to_dict()

    def stream(
        self, question: str, history: Sequence[str] = (), top_k: int | None = None, mode: str | None = None
    ) -> AnswerStream:
        """The answer's text as it is verified, then ``.answer``; waits until ready.

        ``mode`` is one of :meth:`answer_modes` (another is answered as quotes); None: the settings' mode.
        """
        readiness = self.wait_until_ready()
        if readiness.state == "failed":
            raise AssistantError(readiness.message)
        if mode is not None and mode not in self.answer_modes():
            mode = "extractive"
        return self.assistant.stream(question, history=history, top_k=top_k, mode=mode)

    def answer_modes(self) -> list[str]:
        """What a reader may choose between: the configured model's written answers first, when it can run
        here, and quotes from the sources. A model is offered only when the maintainer configured one."""
        mode = self.settings.answer_mode
        if mode == "extractive":
            return ["extractive"]
        if self._mode_problem is None:
            self._mode_problem = unavailable(self.settings, mode)
            if self._mode_problem:
                log.warning("answer mode unavailable mode=%s reason=%s", mode, self._mode_problem)
        return ["extractive"] if self._mode_problem else [mode, "extractive"]

    def sources(self) -> list[dict[str, Any]]:
        """The indexed sources, without their text; [] until ready."""
        return self.library.sources() if self._readiness.ready else []

    def source(self, source_id: str) -> SourceRecord | None:
        """One indexed source with its whole text, to read in full; None if there is no such source."""
        if not self._readiness.ready:
            self.wait_until_ready()
        return self.library.generation().source(source_id)

    # -- the maintainer ---------------------------------------------------------------------

    def start_reindex(self) -> ReindexRun:
        return self.reindexer.start()

    def add_document(self, name: str, data: bytes) -> Added:
        """Keep an uploaded file in the corpus; raises ``LoaderError`` with the loader's message."""
        return add_upload(self.settings.corpus_dir, name, data, self.settings.max_file_bytes)

    def export_feedback(self, fmt: Literal["csv", "json"] = "csv") -> str:
        """Every reader's feedback, as the command line exports it."""
        out = io.StringIO()
        WRITERS[fmt](self.feedback.all(), out)
        return out.getvalue()
