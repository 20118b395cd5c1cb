"""One settings object for the whole assistant.

Defaults live here; every field can be overridden by an environment variable
with the ``ASSISTANT_`` prefix (``ASSISTANT_INDEX_DIR=/tmp/idx``). Settings are
built once at the edge (CLI, app, tests) and passed in; nothing below reads the
environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# How the embedding model runs; see assistant.index.embeddings.
EmbeddingBackend = Literal["torch", "onnx", "onnx-int8"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder with the source documents and sources.toml.")
    index_dir: Path = Field(Path("index"), description="Folder holding the Chroma index generations.")
    data_dir: Path = Field(Path("data"), description="Folder for local state such as feedback.")
    collection: str = Field(
        "passages", description="Name of the Chroma collection (on a Chroma server, the prefix of its collections)."
    )
    chroma_url: str | None = Field(
        None,
        description="Address of a Chroma server (`chroma run`), for example http://127.0.0.1:8000: indexing and "
        "answering then use it instead of the embedded store in index_dir. Empty: embedded.",
    )
    chroma_token: SecretStr | None = Field(
        None, description="Bearer token sent to the Chroma server, for an authenticating proxy in front of it."
    )
    writer_lease: float = Field(
        60.0,
        ge=5.0,
        description="Seconds a re-index holds the writer lease on a Chroma server without renewing it (it renews "
        "every third of that); a killed writer keeps others out this long.",
    )

    chunk_max_chars: int = Field(320, ge=40, description="Longest chunk, in characters; chunks end at sentences.")
    max_file_bytes: int = Field(20_000_000, ge=1, description="Corpus files larger than this are skipped.")
    embed_batch_size: int = Field(64, ge=1, description="Texts embedded per model call while indexing.")
    embedding_backend: EmbeddingBackend = Field(
        "onnx",
        description="How the embedding model runs: torch (sentence-transformers), onnx (the exported model on "
        "onnxruntime, no torch import) or onnx-int8 (quantised; an index of its own).",
    )
    model_dir: Path = Field(
        Path("models"), description="Folder of the exported ONNX models (`assistant export-model` writes it)."
    )
    embed_threads: int = Field(0, ge=0, description="Threads onnxruntime uses for the model; 0: one per core.")
    write_batch_size: int = Field(
        1024,
        ge=1,
        description="Chunks gathered, embedded and written together while indexing (at most Chroma's maximum "
        "batch); what indexing holds in memory at once.",
    )
    keep_generations: int = Field(2, ge=1, description="Index generations kept on disk (the current one included).")

    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted, in characters.")
    top_k: int = Field(3, ge=1, le=10, description="Most passages cited in one answer.")
    candidates: int = Field(20, ge=1, description="Passages each retriever proposes before fusion.")

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / "sources.toml"

    # Answering. The threshold is calibrated on eval/questions.jsonl by `assistant eval`.
    answer_threshold: float = Field(
        0.35, ge=0.0, le=1.0, description="Cosine similarity of the best passage above which the corpus answers."
    )
    support_threshold: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="Least cosine similarity for an answer; between it and answer_threshold a passage must also "
        "share a word with the question that is rare in the corpus. Below it, not_found.",
    )
    relevance_margin: float = Field(
        0.10, ge=0.0, le=1.0, description="Passages this far below the best one in similarity are not cited."
    )
    lexical_threshold: float = Field(
        0.15, ge=0.0, le=1.0, description="Least BM25 score (0..1) for an answer in the lexical-only mode."
    )
    lexical_weight: float = Field(1.0, ge=0.0, description="Weight of the BM25 ranking in the fusion (dense is 1).")
    lexical_trust: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of the question's words (weighted by rarity) the best BM25 passage must hold for the "
        "word ranking to take part in the fusion; 0: always.",
    )
    related_passages: int = Field(3, ge=0, le=10, description="Closest passages shown as related when not found.")
    context_chars: int = Field(300, ge=0, description="Characters of context shown around a cited passage.")

    # Fetching web sources (`assistant fetch`, `assistant add-url`): the only network access.
    fetch_timeout: float = Field(
        15.0, gt=0, description="Seconds to wait for a web server to connect, or to send the next part of a page."
    )
    fetch_max_bytes: int = Field(
        5_000_000, ge=1, description="Largest web page fetched, in bytes; reading stops past it and nothing is saved."
    )
    fetch_max_redirects: int = Field(5, ge=0, description="Most redirects followed for one web page.")

    # The Streamlit app.
    stream_pause: float = Field(
        0.05, ge=0.0, le=2.0, description="Seconds the app waits between sentences as it writes an answer; 0: at once."
    )
    paragraph_chars: int = Field(
        700, ge=0, description="Most characters of a cited passage's paragraph the app shows on each side of it."
    )
