"""Shared fixtures: the real embedding model once per run, paths in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import stop

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """The shipped model exported to ONNX by `assistant export-model`, the command `make install` runs.

    The export `make install` wrote into models/ is used when it was made from
    the installed model; otherwise the command runs here, into a folder of
    this test run.
    """
    from assistant.index.embeddings import export_is_current
    from assistant.safety.classifier import ADAPTER_DIR

    installed = ROOT / "models"
    if export_is_current(installed, ADAPTER_DIR):
        return installed
    folder = tmp_path_factory.mktemp("models") / "export"
    subprocess.run(
        [sys.executable, "-m", "assistant", "export-model", "--to", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return folder


@pytest.fixture(scope="session")
def embedder(model_dir):
    """The real bundled MiniLM model, run as the settings say by default, loaded once for the whole test run."""
    from assistant.config import Settings
    from assistant.index.embeddings import Embedder

    model = Embedder.from_settings(Settings(model_dir=model_dir))
    model.embed_query("warm up")
    return model


@pytest.fixture(scope="session")
def safety_embedder(model_dir):
    """The crisis check's model (the shipped one with the safety adapter merged in), as the app loads it."""
    from assistant.config import Settings
    from assistant.index.library import safety_embedder

    model = safety_embedder(Settings(model_dir=model_dir))
    model.embed_query("warm up")
    return model


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path, model_dir):
    """Never let a test read settings from the developer's environment; the exported model is the test run's."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_MODEL_DIR", str(model_dir))


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`) on 127.0.0.1, a free port and a temporary folder; stopped at the end."""
    import shutil
    import time

    import httpx

    chroma = Path(sys.executable).with_name("chroma")
    command = str(chroma) if chroma.exists() else shutil.which("chroma")
    assert command, "the chroma command (installed with chromadb) is missing"
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [command, "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (folder / "server.log").read_text(errors="replace")[-2000:]
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Chroma server did not start within 60 s"
            time.sleep(0.2)
        yield url
    finally:
        stop(server, timeout=10)
        log.close()


@pytest.fixture
def store(request):
    """Where the index lives: "embedded" (index_dir) unless a test is parametrized with ``both_stores``."""
    return getattr(request, "param", "embedded")


# Run a test against the embedded store and against a real Chroma server.
both_stores = pytest.mark.parametrize("store", ["embedded", "server"], indirect=True)


@pytest.fixture
def settings(tmp_path, corpus_dir, store, request):
    import secrets

    from assistant.config import Settings

    server = {}
    if store == "server":
        # Each test has collections of its own on the shared server.
        server = {"chroma_url": request.getfixturevalue("chroma_server"), "collection": f"t{secrets.token_hex(6)}"}
    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", data_dir=tmp_path / "data", **server)


def settings_env(settings) -> dict[str, str]:
    """The environment that gives a child process the same settings (the index's place included)."""
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_COLLECTION": settings.collection,
    }
    if settings.chroma_url:
        env["ASSISTANT_CHROMA_URL"] = settings.chroma_url
    return env


@pytest.fixture
def indexer(settings, embedder):
    from assistant.index.building import Indexer

    return Indexer(settings, embedder)
