"""Shared fixtures: the real embedding model once per run, paths in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def embedder():
    """The real bundled MiniLM model, loaded once for the whole test run."""
    from assistant.embeddings import Embedder

    model = Embedder()
    model.embed_query("warm up")
    return model


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Never let a test read settings from the developer's environment."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def corpus_dir(tmp_path):
    """A private copy of the shipped corpus."""
    import shutil

    target = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", target, ignore=shutil.ignore_patterns("snapshots"))
    return target


@pytest.fixture
def settings(tmp_path, corpus_dir):
    from assistant.config import Settings

    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", data_dir=tmp_path / "data")


@pytest.fixture
def indexer(settings, embedder):
    from assistant.indexing import Indexer

    return Indexer(settings, embedder)
