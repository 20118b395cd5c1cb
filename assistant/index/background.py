"""A re-index run in a background thread, beside the questions being answered.

Readers keep answering from the current generation while a writer builds the
next one; the writer lock decides who writes, so a second start ends at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.errors import AssistantError
from assistant.index.building import IndexReport

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class ReindexRun:
    """One re-index running in a background thread, observed by the page that started it."""

    done: int = 0
    total: int = 0
    report: IndexReport | None = None
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return not self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends; True if it did within ``timeout`` seconds."""
        return self._event.wait(timeout)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _finish(self, report: IndexReport | None = None, error: str = "") -> None:
        self.report, self.error, self.finished = report, error, time.monotonic()
        self._event.set()


class Reindexer:
    """Starts re-indexes in background threads so that nobody's questions wait for one.

    ``run_index`` is ``Indexer.run``-like: ``run_index(progress=...) -> IndexReport``.
    Only one writer runs at a time; the writer lock in :mod:`assistant.index.building`
    decides, so a second start (from any page, or the command line) ends at
    once with its ``IndexBusyError`` message. Readers keep answering from the
    current generation and switch when the new one is published.
    """

    def __init__(self, run_index: Callable[..., IndexReport]) -> None:
        self._run_index = run_index

    def start(self) -> ReindexRun:
        run = ReindexRun()
        threading.Thread(target=self._work, args=(run,), name="reindex", daemon=True).start()
        return run

    def _work(self, run: ReindexRun) -> None:
        try:
            report = self._run_index(progress=run.progress)
        except AssistantError as e:
            run._finish(error=str(e))
        except Exception as e:  # the thread has no caller to raise to
            log.exception("re-index failed")
            run._finish(error=f"The re-index failed ({e.__class__.__name__}: {e}). The previous index is still in use.")
        else:
            run._finish(report=report)
