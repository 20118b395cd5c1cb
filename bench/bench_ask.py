"""The answer path on the shipped corpus, for each embedding backend, beside the code before this work.

Warm: every question of eval/questions.jsonl asked --rounds times in one
process (model loaded, index open, no remembered vectors): the whole answer
path and the embedding of the question, p50 and p95, per backend; and the
usual tutorial set-up's bare LangChain similarity search with the same model
(torch), for scale. Cold: `assistant ask` from process start to printed
answer, median of --cold runs, per backend and for the baseline (the code at
--baseline, extracted with `git archive`), with each process's peak memory.
Also whether answering imported torch.

    .venv/bin/python bench/bench_ask.py [--rounds 3] [--cold 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_index import BASELINE, baseline_tree, percentile  # noqa: E402

BACKENDS = ("torch", "onnx", "onnx-int8")

WARM = """
import json, resource, sys, time
from assistant.answer.assistant import Assistant
from assistant.config import Settings
from pathlib import Path
from assistant.evaluation import load_questions
questions = load_questions(Path(sys.argv[1]))
assistant = Assistant(Settings())
assistant.warm_up()
embedder = assistant.library.embedder
total, embed = [], []
for _ in range(int(sys.argv[2])):
    for q in questions:
        embedder.forget()
        t = time.perf_counter()
        answer = assistant.ask(q.question, list(q.history))
        total.append((time.perf_counter() - t) * 1000)
        if "embed" in answer.timings_ms:
            embed.append(answer.timings_ms["embed"])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"total": total, "embed": embed, "peak_mb": peak, "torch": "torch" in sys.modules}))
"""

TUTORIAL = """
import json, sys, time
from pathlib import Path
from assistant.config import Settings
from assistant.evaluation import TutorialBaseline, load_questions
from assistant.index.embeddings import Embedder
from assistant.index.library import Library
settings = Settings(embedding_backend="torch")
embedder = Embedder.from_settings(settings)
sources = {s.id: {"text": s.text, "kind": s.kind, "title": s.title} for s in Library(settings, embedder).generation().sources()}
baseline = TutorialBaseline(sources, embedder, Path(sys.argv[3]))
times = []
for _ in range(int(sys.argv[2])):
    for q in load_questions(Path(sys.argv[1])):
        embedder.forget()
        t = time.perf_counter()
        baseline.store.similarity_search(q.question, k=4)
        times.append((time.perf_counter() - t) * 1000)
print(json.dumps({"total": times}))
"""


def run(code: str, args: list[str], env: dict[str, str], cwd: Path = ROOT) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_start(env: dict[str, str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median seconds from process start to printed answer, and the largest peak memory (MB)."""
    seconds, peaks = [], []
    question = "How does self-compassion help with stress?"
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(
            ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "assistant", "ask", question],
            env=env, cwd=cwd, capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds.append(time.perf_counter() - started)
        peaks.append(int(out.stderr.strip().splitlines()[-1]) / 1024)
    return statistics.median(seconds), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the baseline")
    args = parser.parse_args()
    questions = str(ROOT / "eval/questions.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "ASSISTANT_MODEL_DIR": str(ROOT / "models")})
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ask-") as tmp_name:
        tmp = Path(tmp_name)
        env["ASSISTANT_CORPUS_DIR"] = str(ROOT / "corpus")
        for backend in BACKENDS:
            # int8 vectors are an index of their own; torch and onnx share one.
            backend_env = {**env, "ASSISTANT_EMBEDDING_BACKEND": backend, "ASSISTANT_INDEX_DIR": str(tmp / backend)}
            subprocess.run(
                [sys.executable, "-m", "assistant", "index"], env=backend_env, cwd=ROOT, check=True, capture_output=True
            )
            warm = run(WARM, [questions, str(args.rounds)], backend_env)
            cold, peak = cold_start(backend_env, ROOT, args.cold)
            rows.append((backend, warm, cold, peak))
        old = baseline_tree(args.baseline, tmp / "baseline")
        old_env = {**env, "PYTHONPATH": str(old), "ASSISTANT_INDEX_DIR": str(tmp / "baseline-index")}
        subprocess.run(
            [sys.executable, "-m", "assistant", "index"], env=old_env, cwd=old, check=True, capture_output=True
        )
        old_warm = run(WARM, [questions, str(args.rounds)], old_env, cwd=old)
        old_cold, old_peak = cold_start(old_env, old, args.cold)
        tutorial = run(
            TUTORIAL,
            [questions, str(args.rounds), str(tmp / "tutorial")],
            {**env, "ASSISTANT_INDEX_DIR": str(tmp / "torch")},
        )

    n = len(old_warm["total"])
    print(f"warm, {n} asks per row; cold: `assistant ask` from process start to printed answer, median of {args.cold}")
    print("| path | whole answer p50 ms | p95 ms | embedding p50 ms | cold start s | peak MB (cold) | torch imported |")
    print("|---|---|---|---|---|---|---|")
    for name, warm, cold, peak in [*rows, (f"baseline ({args.baseline}, torch)", old_warm, old_cold, old_peak)]:
        print(
            f"| {name} | {statistics.median(warm['total']):.1f} | {percentile(warm['total'], 0.95):.1f} | "
            f"{statistics.median(warm['embed']):.1f} | {cold:.2f} | {peak:.0f} | {'yes' if warm['torch'] else 'no'} |"
        )
    print(
        f"| tutorial: bare similarity_search, torch | {statistics.median(tutorial['total']):.1f} | "
        f"{percentile(tutorial['total'], 0.95):.1f} | – | – | – | yes |"
    )
    default = next(r for r in rows if r[0] == "onnx")
    print(
        f"\nonnx over the baseline: whole answer p50 {statistics.median(default[1]['total']) / statistics.median(old_warm['total']):.2f}, "
        f"cold start {default[2] / old_cold:.2f}, peak memory {default[3] / old_peak:.2f}"
    )


if __name__ == "__main__":
    main()
