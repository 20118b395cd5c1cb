"""Generated answer modes in ``assistant eval``: which modes can run, the support check's calibration.

**Which modes.** ``llm.backends.available_modes``: ``extractive`` always;
``local`` when its GGUF file and libraries are installed; ``ollama`` or
``openai`` when it is the configured answer mode and a server address is
set (servers are not probed). A
generated mode answers an evenly spread subset of each question set (a small
local model takes tens of seconds per answer on a laptop CPU); the
extractive pipeline is scored on the same subset beside it.

**Calibration of the support check.** The question sets hold no generated
sentences, so the check is calibrated on stand-ins built from them:

- *supported*: an answerable question's gold fact said in the question's
  words ("What does self-acceptance allow us to do: authentic and lasting"),
  against the passage that holds the gold quote;
- *mis-cited*: the same claim against the best-ranked retrieved passage that
  neither overlaps the gold quote nor contains the fact;
- *invented*: an out-of-scope question against the passage retrieval ranks
  first for it.

A shown sentence is a claim of support, so the calibration bounds the
wrong ones first: on a grid of 0.05, the thresholds that accept the most
supported stand-ins while accepting at most 10% of the mis-cited and
invented ones together. A stand-in is not a model's sentence (it carries the
question's own words, so it understates support); the share of real
generated sentences kept is reported separately, per mode.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.answer.assistant import Answer, Assistant
from assistant.answer.kinds import contextual_query
from assistant.answer.verify import overlap
from assistant.config import Settings

MAX_WRONGLY_ACCEPTED = 0.10  # share of mis-cited and invented stand-ins the calibrated thresholds may accept


def spread(items: Sequence[Any], limit: int) -> list[Any]:
    """At most ``limit`` items, evenly spread over the sequence (0: all of them).

    >>> spread(list(range(10)), 3)
    [0, 3, 6]
    >>> spread([1, 2], 0)
    [1, 2]
    """
    if not limit or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def kept_share(answers: Sequence[Answer]) -> tuple[float | None, float | None]:
    """Share of generated sentences kept by verification, and share of answers that fell back to quotes."""
    checked = [a.verification for a in answers if a.verification is not None]
    if not checked:
        return None, None
    sentences = sum(v.kept + v.dropped for v in checked)
    kept = sum(v.kept for v in checked) / sentences if sentences else 0.0
    return kept, sum(v.fell_back for v in checked) / len(checked)


@dataclass(frozen=True)
class Pair:
    claim: str
    passage: str
    supported: bool
    kind: str  # supported | mis-cited | invented


def support_pairs(assistant: Assistant, questions: Sequence[Any], texts: dict[str, str]) -> list[Pair]:
    """The calibration stand-ins of one question set (see the module docstring)."""
    retriever = assistant.retriever()
    settings = assistant.settings
    pairs = []
    for q in questions:
        hits = retriever.search(contextual_query(q.question, q.history), settings.candidates)
        if not q.answerable:
            if q.category == "out_of_scope" and hits:
                pairs.append(Pair(q.question, hits[0].chunk.text, False, "invented"))
            continue
        if not q.gold or not q.facts:
            continue
        gold = q.gold[0]
        start = texts.get(gold.source_id, "").find(gold.quote)
        end = start + len(gold.quote)
        claim = f"{q.question.rstrip('?. ')}: {q.facts[0]}."
        chunks = [
            c for c in retriever.chunks.values() if c.source_id == gold.source_id and c.start < end and start < c.end
        ]
        if start < 0 or not chunks:
            continue
        pairs.append(
            Pair(claim, max(chunks, key=lambda c: min(c.end, end) - max(c.start, start)).text, True, "supported")
        )
        for hit in hits:
            c = hit.chunk
            on_gold = c.source_id == gold.source_id and c.start < end and start < c.end
            if not on_gold and q.facts[0].lower() not in c.text.lower() and len(c.text) >= 20:
                pairs.append(Pair(claim, c.text, False, "mis-cited"))
                break
    return pairs


def calibrate_support(
    embed: Callable[[list[str]], list[list[float]]], pairs: Sequence[Pair], settings: Settings
) -> dict[str, Any]:
    """The thresholds that best separate supported stand-ins from the rest, and how the settings do."""
    if not pairs:
        return {}
    claims = np.asarray(embed([p.claim for p in pairs]), dtype=np.float32)
    passages = np.asarray(embed([p.passage for p in pairs]), dtype=np.float32)
    similarity = (claims * passages).sum(axis=1)
    overlaps = np.asarray([overlap(p.claim, p.passage) for p in pairs])
    supported = np.asarray([p.supported for p in pairs])
    kinds = np.asarray([p.kind for p in pairs])

    def rates(min_overlap: float, min_similarity: float) -> dict[str, float]:
        accepted = (overlaps >= min_overlap) & (similarity >= min_similarity)
        return {
            kind: round(float(accepted[kinds == kind].mean()), 3) for kind in ("supported", "mis-cited", "invented")
        }

    def kept_and_wrong(thresholds: tuple[float, float]) -> tuple[float, float]:
        accepted = (overlaps >= thresholds[0]) & (similarity >= thresholds[1])
        return float(accepted[supported].mean()), float(accepted[~supported].mean())

    grid = [round(x * 0.05, 2) for x in range(0, 20)]
    bounded = [t for t in itertools.product(grid, grid) if kept_and_wrong(t)[1] <= MAX_WRONGLY_ACCEPTED]
    best = max(bounded or [(1.0, 1.0)], key=lambda t: kept_and_wrong(t)[0])
    return {
        "pairs": {kind: int((kinds == kind).sum()) for kind in ("supported", "mis-cited", "invented")},
        "settings": {"min_overlap": settings.verify_min_overlap, "min_similarity": settings.verify_min_similarity},
        "accepted_with_settings": rates(settings.verify_min_overlap, settings.verify_min_similarity),
        "best": {"min_overlap": best[0], "min_similarity": best[1]},
        "accepted_with_best": rates(*best),
    }
