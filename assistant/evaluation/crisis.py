"""How well the crisis check does on labelled messages: recall and false alarms."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.safety import DocumentEmbedder, canonical_sentences, check_crisis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledText:
    text: str
    is_crisis: bool
    note: str | None = None


@dataclass(frozen=True)
class CrisisReport:
    """Recall on crisis items and false alarms on safe ones."""

    crisis_total: int
    safe_total: int
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def caught(self) -> int:
        return self.crisis_total - len(self.misses)

    @property
    def recall(self) -> float:
        return self.caught / self.crisis_total if self.crisis_total else 1.0

    @property
    def false_positive_rate(self) -> float:
        return len(self.false_alarms) / self.safe_total if self.safe_total else 0.0

    def summary(self) -> str:
        """A few lines for a terminal.

        >>> print(CrisisReport(2, 4, misses=["x"]).summary())
        crisis recall: 1/2 = 0.50
        false positives: 0/4 = 0.00
        missed: x
        """
        lines = [
            f"crisis recall: {self.caught}/{self.crisis_total} = {self.recall:.2f}",
            f"false positives: {len(self.false_alarms)}/{self.safe_total} = {self.false_positive_rate:.2f}",
        ]
        lines += [f"missed: {t}" for t in self.misses]
        lines += [f"false alarm: {t}" for t in self.false_alarms]
        return "\n".join(lines)


def load_labelled(path: Path) -> list[LabelledText]:
    """Read a JSON-lines file of ``{"text", "label": "crisis"|"safe", "note"?}`` objects."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            label = record["label"]
            text = record["text"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{number}: expected a JSON object with 'text' and 'label'") from e
        if label not in ("crisis", "safe") or not isinstance(text, str):
            raise ValueError(f"{path}:{number}: label must be 'crisis' or 'safe', text a string")
        items.append(LabelledText(text=text, is_crisis=label == "crisis", note=record.get("note")))
    return items


class _BatchedEmbedder:
    """Vectors for many texts embedded in one batch, then served one text at a time."""

    def __init__(self, embedder: DocumentEmbedder, texts: Iterable[str]) -> None:
        self._embedder = embedder
        unique = list(dict.fromkeys(texts))
        self._vectors = dict(zip(unique, embedder.embed_documents(unique), strict=True))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._embedder.embed_documents(missing), strict=True))
        return [self._vectors[t] for t in texts]


def score(items: Iterable[LabelledText], embedder: DocumentEmbedder | None = None) -> CrisisReport:
    """Run :func:`check_crisis` over labelled items.

    >>> score([LabelledText("I want to die", True), LabelledText("I'm dying to know", False)]).recall
    1.0
    """
    items = list(items)
    if embedder is not None:
        # One batch is several times faster than one call per question; only
        # questions that no rule flags ever reach the embedder.
        unflagged = [item.text for item in items if not check_crisis(item.text).is_crisis]
        embedder = _BatchedEmbedder(embedder, (s for text in unflagged for s in canonical_sentences(text)))
    crisis_total = safe_total = 0
    misses: list[str] = []
    false_alarms: list[str] = []
    for item in items:
        flagged = check_crisis(item.text, embedder).is_crisis
        if item.is_crisis:
            crisis_total += 1
            if not flagged:
                misses.append(item.text)
        else:
            safe_total += 1
            if flagged:
                false_alarms.append(item.text)
    return CrisisReport(crisis_total, safe_total, misses, false_alarms)


def evaluate_crisis(path: Path, embedder: DocumentEmbedder | None = None) -> CrisisReport:
    """Recall and false-positive rate of :func:`check_crisis` on a labelled JSON-lines file."""
    report = score(load_labelled(path), embedder)
    log.info(
        "crisis eval path=%s recall=%.3f fpr=%.3f misses=%d false_alarms=%d",
        path,
        report.recall,
        report.false_positive_rate,
        len(report.misses),
        len(report.false_alarms),
    )
    return report
