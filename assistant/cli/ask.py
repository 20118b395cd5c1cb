"""`assistant ask` and `assistant cite`: answers with their citations, and a cited passage in context.

Batch mode (``ask --json`` without a question) reads one question per line
and never stops at a bad line: each line is decoded on its own (bytes that
are not UTF-8 become U+FFFD), parsed on its own and answered on its own, and
whatever goes wrong with one line becomes an ``invalid`` answer saying why,
in its place. Every output line carries its input line number. A history
longer than :data:`MAX_HISTORY_TURNS` turns, or with a turn longer than a
question may be, is refused rather than read.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from assistant.cli.output import echo_json, format_answer, handle_errors
from assistant.config import Settings
from assistant.errors import AssistantError, InvalidQuestionError

log = logging.getLogger(__name__)

# Earlier questions of a conversation read with one question; a follow-up needs only the last few.
MAX_HISTORY_TURNS = 20

MODES = ("extractive", "ollama", "openai", "local")


def history_problem(history: Sequence[Any], max_chars: int, max_turns: int = MAX_HISTORY_TURNS) -> str:
    """Why a conversation's earlier questions cannot be read ('' when they can).

    >>> history_problem(["What is it?"], 1000), history_problem("What is it?", 1000)
    ('', 'the history must be a list of earlier questions, not text.')
    >>> history_problem(["a"] * 30, 1000)
    'the history holds 30 turns; at most 20 are read. Send only the last ones.'
    >>> history_problem(["x" * 5000], 1000)
    'turn 1 of the history is 5,000 characters long; a turn may have at most 1,000 characters.'
    """
    if not isinstance(history, list) or not all(isinstance(turn, str) for turn in history):
        shown = "text" if isinstance(history, str) else type(history).__name__
        return f"the history must be a list of earlier questions, not {shown}."
    if len(history) > max_turns:
        return f"the history holds {len(history):,} turns; at most {max_turns} are read. Send only the last ones."
    for number, turn in enumerate(history, start=1):
        if len(turn) > max_chars:
            return (
                f"turn {number} of the history is {len(turn):,} characters long; "
                f"a turn may have at most {max_chars:,} characters."
            )
    return ""


@dataclass(frozen=True)
class BatchLine:
    """One line of batch input: the question and its history, or why it cannot be asked."""

    number: int
    question: Any = None
    history: list[str] = field(default_factory=list)
    problem: str = ""


def read_batch_line(number: int, raw: bytes, max_chars: int) -> BatchLine:
    """A batch line: plain text, or a JSON object with "question" and an optional "history".

    >>> read_batch_line(3, b'{"question": "Why rest?", "history": ["Hi"]}\\n', 1000)
    BatchLine(number=3, question='Why rest?', history=['Hi'], problem='')
    >>> read_batch_line(4, b"caf\\xe9?\\n", 1000).question
    'caf\ufffd?'
    >>> read_batch_line(5, b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}", 1000).problem
    'line 5: the JSON is nested too deeply to read.'
    """
    line = raw.decode("utf-8", errors="replace")
    stripped = line.strip()
    if not stripped.startswith("{"):
        return BatchLine(number, line.rstrip("\r\n"))
    try:
        row = json.loads(stripped)
    except RecursionError:
        return BatchLine(number, problem=f"line {number}: the JSON is nested too deeply to read.")
    except ValueError:
        return BatchLine(number, line.rstrip("\r\n"))  # text that happens to start with a brace
    if not isinstance(row, dict):
        return BatchLine(number, line.rstrip("\r\n"))
    history = row.get("history", [])
    if problem := history_problem(history, max_chars):
        return BatchLine(number, problem=f"line {number}: {problem}")
    return BatchLine(number, row.get("question"), history)


def _invalid(message: str) -> dict[str, Any]:
    from assistant.answer.assistant import Answer

    return Answer(question="", status="invalid", answer=message).to_dict()


def warn_about_the_index(library: Any) -> None:
    """Say on stderr when an older generation answers because the current one is missing or damaged."""
    try:
        warning = library.warning
    except AssistantError:
        return  # no usable index: the command itself says so
    if warning:
        click.echo(warning, err=True)


def answer_line(assistant: Any, line: BatchLine, history: list[str], top_k: int | None = None) -> dict[str, Any]:
    """The answer to one batch line, as its output object; what goes wrong with the line is an invalid answer."""
    number = line.number
    if line.problem:
        row = _invalid(line.problem)
    else:
        try:
            row = assistant.ask(line.question, line.history or history, top_k=top_k).to_dict()
        except InvalidQuestionError as e:
            row = _invalid(f"line {number}: {e}")
        except AssistantError:
            raise  # about the index, not this line: every line would fail alike
        except Exception as e:
            # A line no answer can be made of costs only itself; the traceback goes to the log.
            log.debug("batch line failed line=%d", number, exc_info=True)
            row = _invalid(f"line {number}: could not be answered ({e.__class__.__name__}).")
    return {"line": number, **row}


def _answer_batch(assistant: Any, settings: Settings, history: list[str], top_k: int | None) -> None:
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        echo_json(answer_line(assistant, read_batch_line(number, raw, settings.max_question_chars), history, top_k))
        sys.stdout.flush()


@click.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object; without QUESTION, one per stdin line.")
@click.option("--after", "history", multiple=True, help="A previous question of the conversation (repeatable).")
@click.option("--top-k", type=click.IntRange(1, 10), default=None, help="Most passages to cite.")
@click.option(
    "--mode", type=click.Choice(MODES), default=None,
    help="How the answer is written (default: ASSISTANT_ANSWER_MODE, else extractive). Generated sentences are "
    "shown only once verified against the passages they cite.",
)  # fmt: skip
@click.option("--unverified", is_flag=True, help="Show generated sentences that fail verification, marked, too.")
@click.pass_obj
@handle_errors
def ask(
    settings: Settings,
    question: str | None,
    as_json: bool,
    history: tuple[str, ...],
    top_k: int | None,
    mode: str | None,
    unverified: bool,
) -> None:
    """Answer a question from the corpus, citing the exact passages.

    \b
    Examples:
        assistant ask "How does self-compassion help with stress?"
        assistant ask --after "How does it help with stress?" "what about the body?"
        printf 'Who wrote the article?\\nWhat is self-compassion?\\n' | assistant ask --json
        ASSISTANT_LLM_BASE_URL=http://127.0.0.1:11434 ASSISTANT_LLM_MODEL=llama3.2 assistant ask --mode ollama "..."
        assistant ask --mode local "How do I stop being so hard on myself?"
    """
    from assistant.answer.assistant import Assistant

    if mode:
        settings = settings.model_copy(update={"answer_mode": mode})
    if unverified:
        settings = settings.model_copy(update={"show_unverified": True})
    assistant = Assistant(settings)
    warn_about_the_index(assistant.library)
    if question is None:
        if not as_json:
            raise click.UsageError("Give a QUESTION, or use --json to read one question per line from stdin.")
        if problem := history_problem(list(history), settings.max_question_chars):
            raise click.UsageError(f"--after: {problem}")
        _answer_batch(assistant, settings, list(history), top_k)
        return
    if problem := history_problem(list(history), settings.max_question_chars):
        data = _invalid(f"--after: {problem}")
        echo_json(data) if as_json else click.echo(format_answer(data))
        return
    if as_json:
        echo_json(assistant.ask(question, list(history), top_k=top_k).to_dict())
        return
    # Verified sentences are printed as they pass; the sources follow once the answer is complete.
    stream = assistant.stream(question, list(history), top_k=top_k)
    if settings.answer_mode == "extractive":
        click.echo(format_answer(stream.answer.to_dict()))
        return
    for text in stream:
        click.echo(text, nl=False)
    click.echo("")
    click.echo(format_answer({**stream.answer.to_dict(), "answer": None}))


@click.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
@handle_errors
def cite(settings: Settings, ref: str, as_json: bool) -> None:
    """Show a cited passage in its context, with its source.

    REF is a chunk id from an answer's citations, or SOURCE_ID:START-END.

    \b
    Example:
        assistant cite healing-from-within:2046-2161
    """
    from assistant.answer.citations import resolve
    from assistant.index.library import Library

    library = Library(settings)
    warn_about_the_index(library)
    passage = resolve(library.generation(), ref, settings.context_chars)
    data = passage.to_dict()
    if as_json:
        echo_json(data)
        return
    details = ", ".join(x for x in (data["author"], data["date"]) if x)
    click.echo(f"{data['title']}" + (f" — {details}" if details else "") + f"  [{data['kind']}]")
    if data["url"]:
        click.echo(data["link"] or data["url"])
    click.echo("")
    before = "…" + data["before"] if data["start"] - len(data["before"]) > 0 else data["before"]
    after = data["after"] + "…" if data["end"] + len(data["after"]) < len(passage.source.text) else data["after"]
    click.echo(before + click.style(data["quote"], bold=True, underline=True) + after)
    click.echo(f"\n{data['source_id']}:{data['start']}-{data['end']}")
