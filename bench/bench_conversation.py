"""What the safety check costs deep into a long conversation, side by side with checks that remember less.

The check needs every earlier turn's level (each read with the turns before
it). The app remembers those levels, and its crisis check's model remembers
the texts it embedded recently. One conversation of eval questions is asked
turn by turn, as the app asks it, three ways: levels read again on each
question by a model that remembers as many texts as the search's model (the
baseline); levels read again by the app's model; and the app as it is.
Prints the median time of the check for the questions early in the
conversation and for its last ones, and what a full memory of levels holds
in memory (``tracemalloc``).

    python bench/bench_conversation.py [--turns 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.index.embeddings import Embedder  # noqa: E402
from assistant.index.library import SAFETY_REMEMBER  # noqa: E402
from assistant.safety import assess, own_texts  # noqa: E402
from assistant.safety.check import LEVELS_REMEMBERED, Level, _Levels, forget_levels  # noqa: E402
from assistant.safety.classifier import ADAPTER_DIR, load  # noqa: E402


def questions(count: int) -> list[str]:
    found = []
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "question" in row and row["question"] not in found:
                found.append(row["question"])
    return found[:count]


def conversation(embedder: Embedder, asked: list[str], remember_levels: bool) -> list[float]:
    """The milliseconds the check takes on each question, the conversation asked in order."""
    took = []
    forget_levels()
    for turn, question in enumerate(asked):
        history = asked[:turn]
        if not remember_levels:
            forget_levels()
        started = time.perf_counter()
        embedder.embed(own_texts(question, history))
        assess(question, history, embedder.embed)
        took.append((time.perf_counter() - started) * 1000)
    return took


def full_memory_mb() -> float:
    """Megabytes a memory of LEVELS_REMEMBERED levels takes, keyed as the check keys them."""
    model = load()

    def embed(texts: list[str]) -> list[list[float]]:  # stands for one model: the memory's owner
        return []

    tracemalloc.start()
    levels = _Levels()
    for i in range(LEVELS_REMEMBERED):
        levels.put(embed, levels.key(model, f"turn {i}", ["an earlier turn"]), Level.NONE)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return held / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    turns = parser.parse_args().turns
    asked = questions(turns)
    settings = Settings()
    load()
    rows = []
    ways = (
        ("levels read again, model remembers 256 texts (baseline)", Embedder.REMEMBER, False),
        (f"levels read again, model remembers {SAFETY_REMEMBER} texts", SAFETY_REMEMBER, False),
        ("the app's: levels remembered", SAFETY_REMEMBER, True),
    )
    for name, remember, remember_levels in ways:
        embedder = Embedder.from_settings(settings, adapter=ADAPTER_DIR, remember=remember)
        embedder.embed_query("warm up")
        took = conversation(embedder, asked, remember_levels)
        rows.append((name, statistics.median(took[10:30]), statistics.median(took[-20:])))
    print(f"one conversation of {len(asked)} eval questions, on this machine")
    print("| the check | p50 ms, turns 11-30 | p50 ms, last 20 turns |")
    print("|---|---|---|")
    for name, early, late in rows:
        print(f"| {name} | {early:.1f} | {late:.1f} |")
    print(f"\nlast 20 turns, baseline / the app's: {rows[0][2] / rows[2][2]:.1f}x; "
          f"levels read again by the app's model / the app's: {rows[1][2] / rows[2][2]:.1f}x")  # fmt: skip
    print(f"a full memory of {LEVELS_REMEMBERED} levels: {full_memory_mb():.1f} MB")


if __name__ == "__main__":
    main()
