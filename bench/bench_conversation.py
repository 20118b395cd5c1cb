"""What the safety check costs deep into a long conversation, side by side with a model that remembers less.

The check reads every earlier turn of the conversation again on each question
(each with the turns before it), so its cost rests on the crisis check's model
remembering those readings. One conversation of eval questions is asked turn
by turn, as the app asks it, against two copies of that model: one that
remembers as many texts as the search's model (the baseline) and the one the
app builds. Prints the median time of the check for the questions early in
the conversation and for its last ones.

    python bench/bench_conversation.py [--turns 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.index.embeddings import Embedder  # noqa: E402
from assistant.index.library import SAFETY_REMEMBER  # noqa: E402
from assistant.safety import assess, own_texts  # noqa: E402
from assistant.safety.classifier import ADAPTER_DIR, load  # noqa: E402


def questions(count: int) -> list[str]:
    found = []
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "question" in row and row["question"] not in found:
                found.append(row["question"])
    return found[:count]


def conversation(embedder: Embedder, asked: list[str]) -> list[float]:
    """The milliseconds the check takes on each question, the conversation asked in order."""
    took = []
    for turn, question in enumerate(asked):
        history = asked[:turn]
        started = time.perf_counter()
        embedder.embed(own_texts(question, history))
        assess(question, history, embedder.embed)
        took.append((time.perf_counter() - started) * 1000)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    turns = parser.parse_args().turns
    asked = questions(turns)
    settings = Settings()
    load()
    rows = []
    for name, remember in (("remembers 256 texts (baseline)", Embedder.REMEMBER), ("the app's", SAFETY_REMEMBER)):
        embedder = Embedder.from_settings(settings, adapter=ADAPTER_DIR, remember=remember)
        embedder.embed_query("warm up")
        took = conversation(embedder, asked)
        rows.append((name, statistics.median(took[10:30]), statistics.median(took[-20:])))
    print(f"one conversation of {len(asked)} eval questions, on this machine")
    print("| crisis check's model | p50 ms, turns 11-30 | p50 ms, last 20 turns |")
    print("|---|---|---|")
    for name, early, late in rows:
        print(f"| {name} | {early:.1f} | {late:.1f} |")
    print(f"\nlast 20 turns, baseline / the app's: {rows[0][2] / rows[1][2]:.1f}x")


if __name__ == "__main__":
    main()
