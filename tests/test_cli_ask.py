"""The command-line contract other tools and the UI rely on, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def cli(settings, indexer):
    indexer.run()
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


FIELDS = {"n", "chunk_id", "source_id", "kind", "title", "author", "date", "url", "quote", "start", "end", "score"}


def test_ask_json_cites_verbatim_text_that_cite_shows_in_context(cli):
    result = cli("ask", "--json", "How does self-compassion change the way we see our past mistakes?")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "answered"
    assert {"question", "status", "answer", "citations", "related", "timings_ms"} <= set(answer)
    assert {"retrieve", "compose", "total"} <= set(answer["timings_ms"])
    first = answer["citations"][0]
    assert set(first) >= FIELDS
    assert "opportunities for growth" in first["quote"]
    assert first["source_id"] == "healing-from-within"

    for ref in (first["chunk_id"], f"{first['source_id']}:{first['start']}-{first['end']}"):
        shown = cli("cite", "--json", ref)
        assert shown.returncode == 0, shown.stderr
        passage = json.loads(shown.stdout)
        assert passage["quote"] == first["quote"]
        assert passage["before"] and passage["after"]
    human = cli("cite", first["chunk_id"])
    assert first["quote"] in human.stdout


def test_batch_mode_answers_one_line_per_line_in_order(cli):
    lines = ["Who wrote the article?", "", "What is the capital of France?", "   ", "What is self-compassion?"]
    result = cli("ask", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in rows] == ["answered", "invalid", "not_found", "invalid", "answered"]
    assert rows[0]["question"] == "Who wrote the article?"
    assert "Marissa Mireles" in rows[0]["citations"][0]["quote"]


def test_human_output_shows_the_answer_and_its_sources(cli):
    result = cli("ask", "Does self-compassion make us more resilient?")
    assert result.returncode == 0
    assert "[1]" in result.stdout and "Sources:" in result.stdout
    assert "Healing from Within" in result.stdout


def test_not_found_exits_zero_and_misuse_exits_two(cli):
    not_found = cli("ask", "--json", "Who won the 2022 FIFA World Cup?")
    assert not_found.returncode == 0
    assert json.loads(not_found.stdout)["status"] == "not_found"
    assert cli("ask").returncode == 2
    assert cli("ask", "--top-k", "0", "hi").returncode == 2


def test_an_unknown_reference_is_a_clear_error(cli):
    result = cli("cite", "healing-from-within:999999-1000000")
    assert result.returncode == 1
    assert "outside" in result.stderr and "Traceback" not in result.stderr


def test_asking_before_any_index_says_how_to_build_it(settings):
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "hello?"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "assistant index" in result.stderr and "Traceback" not in result.stderr


def test_eval_reports_every_question_set_it_is_given(cli, tmp_path):
    from tests.conftest import ROOT

    rows = {
        "small.jsonl": [
            {"id": "a1", "question": "What does a foundation of self-acceptance allow us to do?",
             "category": "direct", "answerable": True, "fact": ["authentic and lasting"],
             "gold": [{"source_id": "healing-from-within",
                       "quote": "This foundation of self-acceptance allows us to grow in ways that are authentic and "
                                "lasting."}]},
            {"id": "a2", "question": "What is the capital of France?", "category": "out_of_scope",
             "answerable": False},
        ],
        "other.jsonl": [
            {"id": "b1", "question": "Write me a poem about being kind to myself", "category": "out_of_scope",
             "answerable": False},
        ],
    }  # fmt: skip
    paths = []
    for name, questions in rows.items():
        (tmp_path / name).write_text("\n".join(json.dumps(q) for q in questions) + "\n", encoding="utf-8")
        paths += ["--questions", str(tmp_path / name)]
    result = cli("eval", "--json", *paths, "--crisis", str(ROOT / "eval/crisis.jsonl"), "--modes", "extractive")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [s["path"] for s in report["sets"]] == [str(tmp_path / "small.jsonl"), str(tmp_path / "other.jsonl")]
    small, other = (s["metrics"][0] for s in report["sets"])
    assert small["name"] == "hybrid" and small["hit1"] == 1.0 and small["refused_out_of_scope"] == 1.0
    assert other["refused_out_of_scope"] == 1.0 and other["refused_near_miss"] is None
    assert f"Answers on {tmp_path / 'other.jsonl'} (1 question)" in report["text"]
    # The same run prints the crisis check's recall and false-positive rate, and the robustness table.
    assert "Crisis check on" in report["text"] and "false-positive rate" in report["text"]
    (crisis,) = report["crisis"]
    assert [row["check"] for row in crisis["checks"]] == ["rules only", "rules + similarity"]
    assert all(row["recall"] == 1.0 for row in crisis["checks"])  # the labelled set, in sample
    assert "Robustness" in report["text"] and "| over the length limit" in report["text"]
