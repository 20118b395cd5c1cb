"""Indexing and querying at growing sizes, embedded and on a Chroma server, beside the code before this work.

For each size (chunks of the docstring corpus of bench/corpus.py) and each
store, every step runs in a process of its own (so model loading and peak
memory are counted):

- a full index into an empty store (median of --runs), with chunks per second
  of wall time and per second of the process's CPU time (the machine's load
  average is printed too: on a shared machine the first follows the load);
- a no-op re-index, and a re-index after one file changed (a sentence added);
- warm questions: the eval questions and sentences of the corpus itself,
  each asked --rounds times with no remembered vectors (p50, p95), and the
  first question after opening the index (model load, BM25 built).

The baseline is the same steps run by the code at --baseline (a git
revision, extracted with `git archive`; torch embeddings, everything held in
memory while indexing, BM25 by rank_bm25), on the embedded store, for sizes
up to --baseline-upto. The last table gives each figure's ratio, this code
over the baseline.

    .venv/bin/python bench/bench_index.py --sizes 1000 10000 --modes embedded server
    .venv/bin/python bench/bench_index.py --sizes 100000 --runs 1 --baseline-upto 0
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import build_corpus  # noqa: E402

BASELINE = "03a755b"  # the last commit before ONNX, the server store and streaming builds

INDEX = """
import json, resource, sys, time
from assistant.config import Settings
from assistant.index.building import Indexer
started = time.perf_counter()
report = Indexer(Settings()).run(full=sys.argv[1] == "full")
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "embedded": report.chunks_embedded, "total": report.chunks_total,
                  "peak_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}))
"""

ASK = """
import json, resource, sys, time
from assistant.answer.assistant import Assistant
from assistant.config import Settings
questions = json.loads(sys.argv[1])
started = time.perf_counter()
assistant = Assistant(Settings())
assistant.ask(questions[0])
first = time.perf_counter() - started
times, statuses = [], {}
for _ in range(int(sys.argv[2])):
    for question in questions:
        assistant.library.embedder.forget()
        t = time.perf_counter()
        answer = assistant.ask(question)
        times.append((time.perf_counter() - t) * 1000)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"first_s": first, "times": times, "statuses": statuses, "peak_mb": peak}))
"""


def child(code: str, args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"child failed in {cwd}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def questions(corpus: Path, count: int = 40) -> list[str]:
    """The first eval questions, and first sentences of corpus files in a fixed spread (questions in the text's words)."""
    rows = [json.loads(line) for line in (ROOT / "eval/questions.jsonl").read_text(encoding="utf-8").splitlines()]
    asked = [r["question"] for r in rows if isinstance(r.get("question"), str)][: count // 2]
    files = sorted(corpus.glob("*.txt"))
    for path in files[:: max(1, len(files) // (count // 2))][: count // 2]:
        body = path.read_text(encoding="utf-8").split("\n\n")
        sentence = next((p for p in body[2:] if len(p) > 40), body[-1])
        asked.append(sentence.split(". ")[0][:200])
    return asked


class Server:
    """A `chroma run` on 127.0.0.1 and a free port, in a folder of its own."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        chroma = Path(sys.executable).with_name("chroma")
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        self.url = f"http://127.0.0.1:{self.port}"
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("chroma run did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(
    corpus: Path, env: dict[str, str], cwd: Path, runs: int, rounds: int, asked: list[str], fresh: Any
) -> dict[str, Any]:
    """Every figure for one size and one store; ``fresh()`` gives the settings of an empty store."""
    full = []
    for _ in range(runs):
        run_env = {**env, **fresh()}
        full.append(child(INDEX, ["full"], run_env, cwd))
    noop = child(INDEX, ["incremental"], run_env, cwd)
    assert noop["embedded"] == 0, "a no-op re-index embedded chunks"
    changed_file = sorted(corpus.glob("*.txt"))[len(list(corpus.glob("*.txt"))) // 2]
    original = changed_file.read_text(encoding="utf-8")
    changed_file.write_text(original + "\nOne sentence added for the benchmark.\n", encoding="utf-8")
    try:
        one = child(INDEX, ["incremental"], run_env, cwd)
    finally:
        changed_file.write_text(original, encoding="utf-8")
    ask = child(ASK, [json.dumps(asked), str(rounds)], run_env, cwd)
    seconds = statistics.median(r["seconds"] for r in full)
    return {
        "load": os.getloadavg()[0],
        "cpu_chunks_per_s": full[0]["total"] / statistics.median(r["cpu_s"] for r in full),
        "chunks": full[0]["total"],
        "full_s": seconds,
        "chunks_per_s": full[0]["total"] / seconds,
        "noop_s": noop["seconds"],
        "one_file_s": one["seconds"],
        "one_file_embedded": one["embedded"],
        "p50_ms": statistics.median(ask["times"]),
        "p95_ms": percentile(ask["times"], 0.95),
        "first_question_s": ask["first_s"],
        "peak_full_mb": max(r["peak_mb"] for r in full),
        "peak_ask_mb": ask["peak_mb"],
        "statuses": ask["statuses"],
    }


def baseline_tree(revision: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    parser.add_argument("--runs", type=int, default=3, help="full index runs per size and store (median)")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the baseline")
    parser.add_argument("--baseline-upto", type=int, default=10000, help="largest size the baseline runs at")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    args = parser.parse_args()
    base_env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    for key in [k for k in base_env if k.startswith("ASSISTANT_")]:
        del base_env[key]
    base_env["ASSISTANT_MODEL_DIR"] = str(ROOT / "models")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp_name:
        tmp = Path(tmp_name)
        server = Server(tmp / "chroma-server") if "server" in args.modes else None
        old = baseline_tree(args.baseline, tmp / "baseline") if args.baseline_upto else None
        counter = iter(range(10**6))
        try:
            for size in args.sizes:
                corpus = tmp / f"corpus-{size}"
                files, _ = build_corpus(corpus, size)
                asked = questions(corpus)
                env = {**base_env, "ASSISTANT_CORPUS_DIR": str(corpus)}
                runs = args.runs if size <= 10000 else 1
                for mode in args.modes:

                    def fresh(mode: str = mode) -> dict[str, str]:
                        n = next(counter)
                        if mode == "server":
                            assert server is not None
                            return {"ASSISTANT_CHROMA_URL": server.url, "ASSISTANT_COLLECTION": f"bench{n}"}
                        return {"ASSISTANT_INDEX_DIR": str(tmp / f"index-{n}")}

                    print(f"size {size} ({files} files), {mode} ...", file=sys.stderr, flush=True)
                    results[f"{size} {mode}"] = measure(corpus, env, ROOT, runs, args.rounds, asked, fresh)
                if old is not None and size <= args.baseline_upto:
                    print(f"size {size}, baseline ...", file=sys.stderr, flush=True)
                    old_env = {**env, "PYTHONPATH": str(old)}
                    fresh_old = lambda: {"ASSISTANT_INDEX_DIR": str(tmp / f"index-{next(counter)}")}  # noqa: E731
                    results[f"{size} baseline"] = measure(corpus, old_env, old, runs, args.rounds, asked, fresh_old)
                for index in tmp.glob("index-*"):
                    shutil.rmtree(index, ignore_errors=True)
        finally:
            if server is not None:
                server.stop()
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def report(results: dict[str, dict[str, Any]]) -> None:
    print(
        "| size, store | chunks | full index s | chunks/s | per CPU s | no-op s (% of full) | one file changed s | "
        "query p50 ms | p95 ms | first question s | peak MB index | peak MB ask | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['chunks']} | {r['full_s']:.1f} | {r['chunks_per_s']:.0f} | {r['cpu_chunks_per_s']:.0f} | "
            f"{r['noop_s']:.2f} ({100 * r['noop_s'] / r['full_s']:.1f}%) | {r['one_file_s']:.2f} | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['first_question_s']:.1f} | "
            f"{r['peak_full_mb']:.0f} | {r['peak_ask_mb']:.0f} | {r['load']:.1f} |"
        )
    ratios = [
        (name, r, results[f"{name.split()[0]} baseline"])
        for name, r in results.items()
        if not name.endswith("baseline") and f"{name.split()[0]} baseline" in results
    ]
    if ratios:
        print(
            "\n| size, store, over the baseline | full index | no-op | one file changed | query p50 | peak MB index |"
        )
        print("|---|---|---|---|---|---|")
        for name, r, b in ratios:
            print(
                f"| {name} | {r['full_s'] / b['full_s']:.2f} | {r['noop_s'] / b['noop_s']:.2f} | "
                f"{r['one_file_s'] / b['one_file_s']:.2f} | {r['p50_ms'] / b['p50_ms']:.2f} | "
                f"{r['peak_full_mb'] / b['peak_full_mb']:.2f} |"
            )


if __name__ == "__main__":
    main()
