"""The three ways to run the model: the same vectors, and an answer path that never imports torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.index.embeddings import EXPORT_MANIFEST, Embedder, OnnxEncoder, TorchEncoder, bundled_model_path
from tests.conftest import settings_env

TEXTS = [
    "How does self-compassion help with stress?",
    "At its core, self-compassion involves treating yourself with the same kindness you would offer a friend.",
    "Rest.",
    "Kindness toward oneself is a skill that grows with practice. " * 40,  # past the 256-token limit
]


def test_the_onnx_exports_give_the_vectors_of_the_original(model_dir):
    path = bundled_model_path()
    original = TorchEncoder(path).encode(TEXTS, batch_size=2)
    fp32 = OnnxEncoder(model_dir / "model.onnx", path).encode(TEXTS, batch_size=2)
    int8 = OnnxEncoder(model_dir / "model-int8.onnx", path).encode(TEXTS, batch_size=2)
    assert np.allclose(np.linalg.norm(fp32, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(fp32 * original, axis=1)) > 0.9999
    assert np.min(np.sum(int8 * original, axis=1)) > 0.97
    # Batching by length pads nothing into the vectors: alone or in a batch, the same vector.
    alone = OnnxEncoder(model_dir / "model.onnx", path).encode(TEXTS[:1], batch_size=1)
    assert np.allclose(alone[0], fp32[0], atol=1e-5)


def test_an_embedder_that_would_forget_a_request_before_returning_it_is_refused():
    # It remembers requests of up to 16 texts and reads them back from memory: it must hold at least that many.
    with pytest.raises(ConfigError, match="at least 16"):
        Embedder("torch", remember=8)
    assert len(Embedder("torch", remember=16).embed([f"text {i}" for i in range(16)])) == 16


def test_an_onnx_backend_without_its_export_says_which_command_makes_it(tmp_path):
    embedder = Embedder.from_settings(Settings(embedding_backend="onnx-int8", model_dir=tmp_path / "nothing"))
    with pytest.raises(ConfigError, match=r"assistant export-model"):
        embedder.embed_query("hello")


def test_an_export_made_from_other_weights_is_refused(model_dir, tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(model_dir, copy)
    manifest = json.loads((copy / EXPORT_MANIFEST).read_text())
    manifest["source"]["weights_bytes"] += 1
    (copy / EXPORT_MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match=r"other weights.*assistant export-model"):
        Embedder.from_settings(Settings(embedding_backend="onnx", model_dir=copy)).embed_query("hello")


def test_answering_a_question_never_imports_torch(indexer, settings):
    indexer.run()
    assert settings.embedding_backend != "torch"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "assistant", "ask", "--json", "How does self-compassion help with stress?"],
        env=settings_env(settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["status"] == "answered"
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    assert "onnxruntime" in imported
    assert not {m for m in imported if m.split(".")[0] in ("torch", "sentence_transformers", "transformers")}


def test_the_crisis_check_decides_alike_with_every_backend(model_dir):
    from assistant.safety import assess
    from assistant.safety.classifier import ADAPTER_DIR

    messages = [
        "I want to kill myself.",
        "I'm going to end my life tonight.",
        "How does self-compassion help with stress?",
        "Who wrote the article?",
        "This traffic is killing me.",
    ]
    levels = {}
    for backend in ("torch", "onnx", "onnx-int8"):
        embedder = Embedder(backend, model_dir=model_dir, adapter=ADAPTER_DIR)
        levels[backend] = [assess(m, (), embedder.embed).level for m in messages]
    assert levels["onnx"] == levels["torch"]
    assert levels["onnx-int8"] == levels["torch"]
    assert levels["torch"][0].value == "crisis" and levels["torch"][2].value == "none"


def test_an_export_made_with_another_safety_adapter_is_refused_with_the_command(model_dir, tmp_path):
    from assistant.index.embeddings import export_is_current
    from assistant.safety.classifier import ADAPTER_DIR

    assert export_is_current(model_dir, ADAPTER_DIR)
    other = tmp_path / "adapter"
    shutil.copytree(ADAPTER_DIR, other)
    (other / "adapter_config.json").write_text("{}", encoding="utf-8")
    assert not export_is_current(model_dir, other)
    with pytest.raises(ConfigError, match="export-model"):
        Embedder("onnx", model_dir=model_dir, adapter=other).embed_query("hello")
