"""Answer-path benchmark, next to the dense-only baseline in the same run.

Warm latency: every question of eval/questions.jsonl asked several times in
one process (model loaded, index open). The product's path (clean, crisis
check, retrieval, composition) is timed as a whole and in parts; the baseline
is a bare LangChain similarity search over fixed 1000-character chunks, the
usual tutorial set-up, with the same model. Cold start: `assistant ask` from
process start to printed answer, median of several runs. Peak memory: the
largest resident set of those processes.

    .venv/bin/python bench/bench_ask.py [--rounds 5] [--cold 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.evaluation import TutorialBaseline, load_questions  # noqa: E402
from assistant.index.building import Indexer  # noqa: E402
from assistant.index.embeddings import Embedder  # noqa: E402
from assistant.index.library import Library  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cold", type=int, default=3)
    args = parser.parse_args()
    questions = load_questions(ROOT / "eval/questions.jsonl")
    embedder = Embedder()
    with tempfile.TemporaryDirectory(prefix="bench-ask-") as tmp:
        settings = Settings(corpus_dir=ROOT / "corpus", index_dir=Path(tmp) / "index")
        Indexer(settings, embedder).run()
        assistant = Assistant(settings, Library(settings, embedder))
        assistant.warm_up()
        library = assistant.library
        sources = {s.id: {"text": s.text, "kind": s.kind, "title": s.title} for s in library.generation().sources()}
        baseline = TutorialBaseline(sources, embedder, Path(tmp) / "tutorial")

        total, embed, retrieve, compose, bare = [], [], [], [], []
        for _ in range(args.rounds):
            for q in questions:
                # Every measurement starts without remembered vectors: a real model call each time.
                embedder.forget()
                started = time.perf_counter()
                answer = assistant.ask(q.question, list(q.history))
                total.append((time.perf_counter() - started) * 1000)
                if answer.status in ("answered", "not_found"):
                    embed.append(answer.timings_ms["embed"])
                    retrieve.append(answer.timings_ms["retrieve"])
                    compose.append(answer.timings_ms["compose"])
                embedder.forget()
                started = time.perf_counter()
                baseline.store.similarity_search(q.question, k=4)
                bare.append((time.perf_counter() - started) * 1000)

        print(f"warm, {len(total)} asks ({len(questions)} questions x {args.rounds})")
        print("| path | p50 ms | p95 ms |")
        print("|---|---|---|")
        for name, values in (
            ("ask: whole answer path", total),
            ("ask: embedding the question (one model call)", embed),
            ("ask: retrieval (Chroma, BM25, fusion)", retrieve),
            ("ask: composition", compose),
            ("baseline: bare similarity_search, 1000-char chunks", bare),
        ):
            print(f"| {name} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} |")
        print(f"ratio of p50, whole path / baseline: {statistics.median(total) / statistics.median(bare):.2f}")

        env = {
            **os.environ,
            "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
            "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            "HF_HUB_OFFLINE": "1",
        }
        cold = []
        for _ in range(args.cold):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "assistant", "ask", "How does self-compassion help with stress?"],
                env=env,
                check=True,
                capture_output=True,
            )
            cold.append(time.perf_counter() - started)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"\ncold start of `assistant ask`, process start to answer: median {statistics.median(cold):.2f} s ({args.cold} runs)"
        )
        print(f"peak memory of an `assistant ask` process: {peak:.0f} MB")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process (model, index, baseline): {own:.0f} MB")


if __name__ == "__main__":
    main()
