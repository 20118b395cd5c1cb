"""One settings object for the whole assistant.

Defaults live here; every field can be overridden by an environment variable
with the ``ASSISTANT_`` prefix (``ASSISTANT_INDEX_DIR=/tmp/idx``). Settings are
built once at the edge (CLI, app, tests) and passed in; nothing below reads the
environment itself.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder with the source documents and sources.toml.")
    index_dir: Path = Field(Path("index"), description="Folder holding the Chroma index generations.")
    data_dir: Path = Field(Path("data"), description="Folder for local state such as feedback.")
    collection: str = Field("passages", description="Name of the Chroma collection.")

    chunk_max_chars: int = Field(320, ge=40, description="Longest chunk, in characters; chunks end at sentences.")
    max_file_bytes: int = Field(20_000_000, ge=1, description="Corpus files larger than this are skipped.")
    embed_batch_size: int = Field(64, ge=1, description="Texts embedded per model call while indexing.")
    keep_generations: int = Field(2, ge=1, description="Index generations kept on disk (the current one included).")

    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted, in characters.")
    top_k: int = Field(4, ge=1, le=20, description="Most passages cited in one answer.")
    candidates: int = Field(20, ge=1, description="Passages each retriever proposes before fusion.")

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / "sources.toml"
