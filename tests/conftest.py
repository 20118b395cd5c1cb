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
    from assistant.index.embeddings import Embedder

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


def copy_shipped_corpus(target: Path) -> Path:
    """Copy sources.toml, the files its entries name and their passage questions, and nothing else.

    The developer's own files and fetched snapshots in corpus/ stay out, so
    what is dropped there or added with `assistant add-url` cannot change a test.
    """
    import shutil
    import tomllib

    from assistant.ingest.questions import QUESTIONS_DIR

    manifest = ROOT / "corpus" / "sources.toml"
    target.mkdir(parents=True)
    shutil.copy2(manifest, target / manifest.name)
    for entry in tomllib.loads(manifest.read_text(encoding="utf-8")).get("source", []):
        if file := entry.get("file"):
            (target / file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(manifest.parent / file, target / file)
    shutil.copytree(manifest.parent / QUESTIONS_DIR, target / QUESTIONS_DIR)
    return target


@pytest.fixture
def corpus_dir(tmp_path):
    """A private copy of the shipped corpus: the manifest and the files it names."""
    return copy_shipped_corpus(tmp_path / "corpus")


@pytest.fixture
def settings(tmp_path, corpus_dir):
    from assistant.config import Settings

    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", data_dir=tmp_path / "data")


@pytest.fixture
def indexer(settings, embedder):
    from assistant.index.building import Indexer

    return Indexer(settings, embedder)
