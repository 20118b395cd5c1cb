"""The chat model behind each generated answer mode, and its reply as a stream of text.

``ollama`` and ``openai`` use LangChain's own integrations (langchain-ollama,
langchain-openai) with retries off and the configured timeout, so a server
that is down or slow costs one timeout, not several; ``local`` is the
in-process GGUF model of ``llm.local``. Every failure, whatever library
raised it, leaves here as a :class:`BackendError` whose message says what
went wrong in words a reader can act on, and never holds the API key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.errors import AssistantError, BackendError, ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import BaseMessage

log = logging.getLogger(__name__)

GENERATED_MODES = ("ollama", "openai", "local")
DEFAULT_BASE_URLS = {"ollama": "http://127.0.0.1:11434", "openai": "http://127.0.0.1:8080/v1"}


def base_url(settings: Settings, mode: str) -> str:
    return (settings.llm_base_url or DEFAULT_BASE_URLS.get(mode, "")).rstrip("/")


def chat_model(settings: Settings, mode: str) -> BaseChatModel:
    """The LangChain chat model for ``mode``; nothing is contacted or loaded yet."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    if mode == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as e:
            raise ConfigError("The ollama mode needs langchain-ollama: run `pip install langchain-ollama`.") from e
        if not settings.llm_model:
            raise ConfigError("The ollama mode needs a model name: set ASSISTANT_LLM_MODEL (for example llama3.2).")
        client: dict[str, object] = {"timeout": settings.llm_timeout}
        if key:
            client["headers"] = {"Authorization": f"Bearer {key}"}
        return ChatOllama(
            base_url=base_url(settings, mode), model=settings.llm_model, temperature=0.0,
            num_predict=settings.llm_max_tokens, client_kwargs=client,
        )  # fmt: skip
    if mode == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as e:
            raise ConfigError("The openai mode needs langchain-openai: run `pip install langchain-openai`.") from e
        from pydantic import SecretStr

        # A local server wants no key, but the client insists on one: a placeholder that means nothing.
        return ChatOpenAI(
            base_url=base_url(settings, mode), api_key=SecretStr(key or "none"), model=settings.llm_model or "default",
            temperature=0.0, max_tokens=settings.llm_max_tokens, timeout=settings.llm_timeout, max_retries=0,
            stream_usage=False,
        )  # fmt: skip
    if mode == "local":
        from assistant.llm.local import LocalChatModel, resolve_gguf

        return LocalChatModel(
            model_path=resolve_gguf(settings.llm_model_path), cache_dir=settings.data_dir / "models",
            max_new_tokens=settings.llm_max_tokens, threads=settings.llm_threads,
        )  # fmt: skip
    raise ConfigError(f"Unknown answer mode {mode!r}: use extractive, ollama, openai or local.")


def unavailable(settings: Settings, mode: str) -> str:
    """Why ``mode`` cannot run here, or "" when it can (servers are not contacted: only settings and files)."""
    if mode == "extractive":
        return ""
    if mode in ("ollama", "openai") and not settings.llm_base_url:
        return "no server configured (ASSISTANT_LLM_BASE_URL)"
    if mode == "local":
        import importlib.util

        missing = [name for name in ("transformers", "gguf", "accelerate") if importlib.util.find_spec(name) is None]
        if missing:
            return f"missing {', '.join(missing)}: run `pip install {' '.join(missing)}` (or `make install`)"
    try:
        chat_model(settings, mode)
    except AssistantError as e:
        return str(e)
    return ""


def available_modes(settings: Settings) -> dict[str, str]:
    """Each answer mode, mapped to "" when it can run here or to the reason it cannot (for a mode picker).

    A server mode counts only when it is the configured one: one address cannot serve both protocols.
    """
    reasons = {"extractive": ""}
    for mode in GENERATED_MODES:
        if mode in ("ollama", "openai") and settings.answer_mode != mode:
            reasons[mode] = f"not the configured answer mode (set ASSISTANT_ANSWER_MODE={mode})"
        else:
            reasons[mode] = unavailable(settings, mode)
    return reasons


def reply_text(model: BaseChatModel, messages: Sequence[BaseMessage], stream: bool, timeout: float) -> Iterator[str]:
    """The model's reply, piece by piece as it arrives (or whole when ``stream`` is off).

    Raises :class:`BackendError` for every failure, before or during the reply.
    """
    try:
        if stream:
            for chunk in model.stream(list(messages)):
                if chunk.text:
                    yield chunk.text
        else:
            yield model.invoke(list(messages)).text
    except BackendError:
        raise
    except Exception as e:
        message = describe_failure(e, timeout)
        log.warning("model call failed error=%s message=%r", e.__class__.__name__, message)
        raise BackendError(message) from e


def describe_failure(error: BaseException, timeout: float) -> str:
    """A failure of any model library in words; the library's own text is left out, as it may echo a request.

    >>> describe_failure(TimeoutError(), 5.0)
    'the model server did not answer within 5 s'
    >>> describe_failure(ValueError("bad json"), 5.0)
    "the model server's reply could not be read"
    """
    names = {cls.__name__ for cls in type(error).__mro__}
    status = getattr(error, "status_code", None)
    if names & {"APITimeoutError", "TimeoutException", "TimeoutError", "ReadTimeout", "ConnectTimeout"}:
        return f"the model server did not answer within {timeout:g} s"
    if status in (401, 403) or names & {"AuthenticationError", "PermissionDeniedError"}:
        return f"the model server refused the API key (HTTP {status or 401})"
    if status == 404 or "NotFoundError" in names:
        return "the model server does not know this model (HTTP 404): check ASSISTANT_LLM_MODEL"
    if isinstance(status, int):
        return f"the model server answered with an error (HTTP {status})"
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "RemoteProtocolError", "NetworkError"}:
        return "could not reach the model server"
    if names & {
        "ValueError",
        "KeyError",
        "TypeError",
        "ValidationError",
        "JSONDecodeError",
        "APIResponseValidationError",
    }:
        return "the model server's reply could not be read"
    return f"the model failed ({error.__class__.__name__})"
