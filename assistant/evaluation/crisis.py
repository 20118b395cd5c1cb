"""How the safety check does on labelled messages: each tier's recall and false alarms, with intervals.

Three detectors are compared on the same lines: the rule families alone
(a match is a ``concern``), the classifier alone (its two thresholds), and
both as the product combines them (``assistant.safety.assess``). Rates come
with 95% bootstrap intervals (1,000 resamples, a fixed seed), overall and by
category.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.safety import Level, assess
from assistant.safety.check import classifier_score, texts_read
from assistant.safety.classifier import load
from assistant.safety.rules import matching_families

Embed = Callable[[list[str]], list[list[float]]]


@dataclass(frozen=True, kw_only=True)
class Labelled:
    text: str
    history: tuple[str, ...]
    crisis: bool
    category: str


def load_labelled(path: Path) -> list[Labelled]:
    """Read ``{"text", "label": "crisis"|"safe", "category"?, "history"?}`` lines."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            label, text = row["label"], row["text"]
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{number}: expected a JSON object with 'text' and 'label'") from e
        if label not in ("crisis", "safe") or not isinstance(text, str):
            raise ValueError(f"{path}:{number}: label must be 'crisis' or 'safe', text a string")
        items.append(
            Labelled(
                text=text, history=tuple(row.get("history") or ()), crisis=label == "crisis",
                category=row.get("category") or row.get("note") or "",
            )
        )  # fmt: skip
    return items


def cached(embed: Embed, items: Sequence[Labelled]) -> Embed:
    """An embed function that has already embedded, in batches, every text the check will read."""
    unique = list(dict.fromkeys(text for item in items for text in texts_read(item.text, item.history)))
    vectors = dict(zip(unique, embed(unique), strict=True))

    def lookup(batch: list[str]) -> list[list[float]]:
        missing = [t for t in batch if t not in vectors]
        if missing:
            vectors.update(zip(missing, embed(missing), strict=True))
        return [vectors[t] for t in batch]

    return lookup


def levels(items: Sequence[Labelled], embed: Embed) -> dict[str, list[Level]]:
    """The level each detector gives each line; the product's as the reader sees it."""
    model = load()
    rules, classifier, both = [], [], []
    for item in items:
        rules.append(Level.CONCERN if matching_families(item.text) else Level.NONE)
        score, context = classifier_score(model, item.text, item.history, embed)
        best = max(score, context)
        classifier.append(
            Level.CRISIS
            if best >= model.crisis_threshold
            else Level.CONCERN
            if best >= model.concern_threshold
            else Level.NONE
        )
        # As the reader sees it: an answer that carries the lines because an earlier turn was flagged
        # counts as a concern (the crisis reply itself came with that earlier turn).
        result = assess(item.text, item.history, embed)
        both.append(Level.CONCERN if result.level is Level.NONE and result.shows_lines else result.level)
    return {"rules only": rules, "classifier only": classifier, "rules + classifier (product)": both}


def interval(hits: Sequence[bool], seed: int = 7, resamples: int = 1000) -> tuple[float, float, float]:
    """A share with its 95% bootstrap interval.

    >>> interval([True, True, False, True])[0]
    0.75
    """
    values = np.asarray(hits, dtype=float)
    if not len(values):
        return (float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(resamples, len(values)), replace=True).mean(axis=1)
    return float(values.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def _share(hits: Sequence[bool]) -> str:
    mean, low, high = interval(hits)
    return f"{mean:.2f} [{low:.2f}–{high:.2f}] ({sum(hits)}/{len(hits)})"


def summary_rows(items: Sequence[Labelled], found: dict[str, list[Level]]) -> list[list[str]]:
    """Per detector: lines shown and crisis status on crisis lines; false crisis and false concern on the others."""
    rows = []
    for name, got in found.items():
        crisis = [g for g, item in zip(got, items, strict=True) if item.crisis]
        safe = [g for g, item in zip(got, items, strict=True) if not item.crisis]
        rows.append(
            [
                name,
                _share([g is not Level.NONE for g in crisis]),
                _share([g is Level.CRISIS for g in crisis]),
                _share([g is Level.CRISIS for g in safe]),
                _share([g is Level.CONCERN for g in safe]),
            ]
        )
    return rows


SUMMARY_HEADER = [
    "detector",
    "crisis: lines shown",
    "crisis: status crisis",
    "near-miss: false crisis",
    "near-miss: false concern",
]


def category_rows(items: Sequence[Labelled], got: Sequence[Level]) -> list[list[str]]:
    """The product's outcome per category: share of lines shown on crisis lines, of any flag on the others."""
    rows = []
    for category in sorted({i.category for i in items}):
        picked = [(g, i) for g, i in zip(got, items, strict=True) if i.category == category]
        label = "crisis" if picked[0][1].crisis else "near-miss"
        flagged = [g is not Level.NONE for g, _ in picked]
        crisis = [g is Level.CRISIS for g, _ in picked]
        rows.append([category, label, str(len(picked)), _share(flagged), _share(crisis)])
    return rows


CATEGORY_HEADER = ["category", "label", "lines", "lines shown", "status crisis"]


def ordinary_questions_flagged(paths: Sequence[Path], embed: Embed) -> tuple[int, int, int]:
    """How many questions of the ordinary question sets get concern and crisis: (concern, crisis, total)."""
    questions = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                questions.append((row["question"], tuple(row.get("history") or ())))
    items = [Labelled(text=q, history=h, crisis=False, category="") for q, h in questions]
    lookup = cached(embed, items)
    found = [assess(q, h, lookup).level for q, h in questions]
    return sum(f is Level.CONCERN for f in found), sum(f is Level.CRISIS for f in found), len(found)
