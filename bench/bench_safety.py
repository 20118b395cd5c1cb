"""What the safety check adds to a question, side by side with the same question without it.

For each question of the eval sets, with the models' memory cleared each
time: the baseline embeds the search query alone (what a question costs
without the check); the product embeds the query, then the safety readings
(the message, its sentences, the message after its earlier turns) in one call
of the crisis check's own model, and runs ``assess``. Prints medians and the
p50 difference.

    python bench/bench_safety.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.index.embeddings import Embedder  # noqa: E402
from assistant.index.library import safety_embedder  # noqa: E402
from assistant.safety import assess, own_texts  # noqa: E402
from assistant.safety.classifier import load  # noqa: E402


def main() -> None:
    questions = []
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "question" in row:
                questions.append((row["question"], tuple(row.get("history") or ())))
    questions = questions[:: max(1, len(questions) // 120)]  # an even spread of about 120
    embedder = Embedder.from_settings(Settings())
    embedder.embed_query("warm up")
    safety = safety_embedder(Settings())
    safety.embed_query("warm up")
    load()
    baseline, product, check_only = [], [], []
    for question, history in questions:
        embedder.forget()
        started = time.perf_counter()
        embedder.embed([question])
        baseline.append((time.perf_counter() - started) * 1000)
        embedder.forget()
        safety.forget()
        started = time.perf_counter()
        embedder.embed([question])
        safety.embed(own_texts(question, history))
        middle = time.perf_counter()
        assess(question, history, safety.embed)
        ended = time.perf_counter()
        product.append((ended - started) * 1000)
        check_only.append((ended - middle) * 1000)
    p50 = statistics.median
    print(f"{len(questions)} questions from eval/, one thread of this machine")
    print("| path | p50 ms | p95 ms |")
    print("|---|---|---|")
    for name, values in (("query embedding only (baseline)", baseline), ("with the safety check", product),
                         ("assess alone, vectors ready", check_only)):  # fmt: skip
        print(f"| {name} | {p50(values):.1f} | {sorted(values)[int(0.95 * len(values))]:.1f} |")
    print(
        f"\nadded by the check at p50: {p50(product) - p50(baseline):.1f} ms (ratio {p50(product) / p50(baseline):.2f})"
    )


if __name__ == "__main__":
    main()
