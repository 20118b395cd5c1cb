"""Indexing benchmark: full build against a no-op re-index, in the same run.

Prints, for the shipped corpus and for a larger generated one, the median of
several runs of a full index and of a no-op incremental re-index, their
ratio, chunks embedded per second and the peak memory of each run (each run
is a separate process, so the model load and the peak are included). Also
prints the size of the virtualenv the setup command creates.

    .venv/bin/python bench/bench_index.py [--runs 3] [--copies 40]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
from pathlib import Path
from assistant.config import Settings
from assistant.index.building import Indexer
settings = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
started = time.perf_counter()
report = Indexer(settings).run(full=sys.argv[3] == "full")
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "embedded": report.chunks_embedded, "total": report.chunks_total, "peak_mb": peak}))
"""


def run(corpus: Path, index: Path, mode: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus), str(index), mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def grown_corpus(target: Path, copies: int) -> Path:
    """The shipped corpus plus ``copies`` user files, each a reworded copy of the article."""
    shutil.copytree(ROOT / "corpus", target, ignore=shutil.ignore_patterns("snapshots"))
    article = (ROOT / "corpus/healing-from-within.txt").read_text(encoding="utf-8")
    for n in range(copies):
        (target / f"notes-{n:03}.txt").write_text(
            f"Reading notes, copy {n}.\n\n{article}\n\nEnd of copy {n}.", encoding="utf-8"
        )
    return target


def venv_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--copies", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        corpora = {
            "shipped": ROOT / "corpus",
            f"grown (+{args.copies} files)": grown_corpus(Path(tmp) / "grown", args.copies),
        }
        print(
            "| corpus | chunks | full index s (median) | no-op re-index s (median) | full / no-op | chunks/s | peak MB full | peak MB no-op |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, corpus in corpora.items():
            full, noop = [], []
            for n in range(args.runs):
                index = Path(tmp) / f"index-{name[:5]}-{n}"
                full.append(run(corpus, index, "full"))
                noop.append(run(corpus, index, "incremental"))
                assert noop[-1]["embedded"] == 0, "a no-op re-index embedded chunks"
            f = statistics.median(r["seconds"] for r in full)
            z = statistics.median(r["seconds"] for r in noop)
            chunks = full[0]["total"]
            print(
                f"| {name} | {chunks} | {f:.2f} | {z:.2f} | {f / z:.1f}x | {chunks / f:.0f} | "
                f"{max(r['peak_mb'] for r in full):.0f} | {max(r['peak_mb'] for r in noop):.0f} |"
            )
    venv = ROOT / ".venv"
    if venv.exists():
        print(f"\nvirtualenv {venv}: {venv_size(venv) / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
