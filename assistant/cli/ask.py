"""`assistant ask` and `assistant cite`: answers with their citations, and a cited passage in context."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from assistant.cli.output import echo_json, format_answer, handle_errors
from assistant.config import Settings

MODES = ("extractive", "ollama", "openai", "local")


def _read_batch_line(line: str) -> tuple[Any, list[str]]:
    """A batch line: plain text, or a JSON object with "question" and optional "history"."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            row = json.loads(stripped)
        except ValueError:
            return line, []
        if isinstance(row, dict):
            history = row.get("history") or []
            return row.get("question"), [h for h in history if isinstance(h, str)] if isinstance(history, list) else []
    return line.rstrip("\n"), []


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
        printf 'Who wrote the article?\nWhat is self-compassion?\n' | assistant ask --json
        ASSISTANT_LLM_BASE_URL=http://127.0.0.1:11434 ASSISTANT_LLM_MODEL=llama3.2 assistant ask --mode ollama "..."
        assistant ask --mode local "How do I stop being so hard on myself?"
    """
    from assistant.answer.assistant import Assistant

    if mode:
        settings = settings.model_copy(update={"answer_mode": mode})
    if unverified:
        settings = settings.model_copy(update={"show_unverified": True})
    assistant = Assistant(settings)
    if question is None:
        if not as_json:
            raise click.UsageError("Give a QUESTION, or use --json to read one question per line from stdin.")
        for line in sys.stdin:
            raw, line_history = _read_batch_line(line)
            result = assistant.ask(raw, line_history or list(history), top_k=top_k)
            echo_json(result.to_dict())
            sys.stdout.flush()
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
