"""Local-mode benchmark: time to the first verified sentence and total time, with a GGUF model run in-process.

Builds a fresh index of the shipped corpus, loads the local model (the
bundled SmolLM2-135M-Instruct unless ASSISTANT_LLM_MODEL_PATH names another
GGUF file; its conversion is cached under ASSISTANT_DATA_DIR/models), warms
it up with one answer, then streams answers to answerable questions of a
question set. For each: when the first verified sentence was shown (none
when every sentence was dropped and the answer fell back to quotes), when
the first text of any kind was shown, and the total.

    .venv/bin/python bench/bench_local.py [--questions eval/heldout.jsonl] [--count 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.evaluation import load_questions  # noqa: E402
from assistant.evaluation.generated import spread  # noqa: E402
from assistant.index.building import Indexer  # noqa: E402
from assistant.index.embeddings import Embedder  # noqa: E402
from assistant.index.library import Library  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval/heldout.jsonl")
    parser.add_argument("--count", type=int, default=8, help="Answerable questions asked, evenly spread.")
    args = parser.parse_args()
    questions = spread([q for q in load_questions(args.questions) if q.answerable], args.count)
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        settings = Settings(corpus_dir=ROOT / "corpus", index_dir=Path(tmp) / "index", answer_mode="local")
        embedder = Embedder.from_settings(settings)
        Indexer(settings, embedder).run()
        assistant = Assistant(settings, Library(settings, embedder))
        assistant.warm_up()
        started = time.perf_counter()
        assistant.generator().model("local").load()  # type: ignore[attr-defined]
        load_s = time.perf_counter() - started
        assistant.ask(questions[0].question)  # warm-up answer, not timed
        rows = []
        for q in questions:
            t0 = time.perf_counter()
            stream = assistant.stream(q.question, list(q.history))
            first_text = None
            for _ in stream:
                first_text = first_text or time.perf_counter() - t0
            total = time.perf_counter() - t0
            answer = stream.answer
            verification = answer.verification
            verified_first = answer.timings_ms.get("first_sentence")
            rows.append(
                {
                    "question": q.question[:48],
                    "first verified s": None if verified_first is None else verified_first / 1000,
                    "first text s": first_text,
                    "total s": total,
                    "kept": verification.kept if verification else 0,
                    "dropped": verification.dropped if verification else 0,
                    "fell back": bool(verification and verification.fell_back),
                }
            )
    print(f"model load (conversion cached after the first run): {load_s:.1f} s")
    print("| question | first verified sentence s | first text s | total s | kept | dropped | fell back |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        first = "–" if r["first verified s"] is None else f"{r['first verified s']:.1f}"
        print(
            f"| {r['question']} | {first} | {r['first text s'] or 0:.1f} | {r['total s']:.1f} | {r['kept']} | "
            f"{r['dropped']} | {'yes' if r['fell back'] else 'no'} |"
        )
    verified = [r["first verified s"] for r in rows if r["first verified s"] is not None]
    kept, dropped = sum(r["kept"] for r in rows), sum(r["dropped"] for r in rows)
    print(
        f"median total {statistics.median(r['total s'] for r in rows):.1f} s; "
        f"median first verified sentence {statistics.median(verified):.1f} s ({len(verified)} of {len(rows)} answers)"
        if verified
        else f"median total {statistics.median(r['total s'] for r in rows):.1f} s; no answer had a verified sentence"
    )
    print(f"generated sentences kept: {kept} of {kept + dropped}; answers that fell back: "
          f"{sum(r['fell back'] for r in rows)} of {len(rows)}")  # fmt: skip


if __name__ == "__main__":
    main()
