"""The ``assistant`` command line.

Errors the user can act on arrive as :class:`AssistantError` and are printed
as one clear line (exit 1); usage mistakes exit 2 (click's convention);
anything else is an internal failure, reported without a traceback unless
``--verbose`` is given.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from .config import Settings
from .errors import AssistantError

log = logging.getLogger(__name__)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into a message and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssistantError as e:
            raise click.ClickException(str(e)) from e
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as e:
            log.debug("internal failure", exc_info=True)
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            raise click.ClickException(
                f"Internal error ({e.__class__.__name__}: {e}). Run again with --verbose for details."
            ) from e

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens, with tracebacks on internal errors.")
@click.version_option(package_name="self-compassion-assistant")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Answer questions about self-compassion from a cited corpus, offline.

    \b
    Example:
        assistant index
        assistant ask "How does self-compassion help with stress?"
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = Settings()


@cli.command()
@click.option("--full", is_flag=True, help="Re-embed everything into a fresh index, swapped in when complete.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_obj
@handle_errors
def index(settings: Settings, full: bool, as_json: bool) -> None:
    """Index the corpus incrementally: only new or changed text is embedded.

    \b
    Example:
        assistant index          # after editing or adding files in corpus/
        assistant index --full   # rebuild from scratch
    """
    from .indexing import Indexer

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if as_json or total == 0:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="chunk", desc="Embedding", file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()

    try:
        report = Indexer(settings).run(full=full, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        _echo_json(report.as_dict())
        return
    for message in report.skipped:
        click.echo(f"skipped: {message}", err=True)
    for message in report.notes:
        click.echo(f"note: {message}", err=True)
    click.echo(
        f"Indexed {settings.corpus_dir}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.deleted} deleted; {report.chunks_embedded} chunks embedded, "
        f"{report.chunks_total} in the index; {report.seconds:.2f} s."
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.pass_obj
@handle_errors
def sources(settings: Settings, as_json: bool) -> None:
    """List the indexed sources with their metadata.

    \b
    Example:
        assistant sources --json
    """
    from .library import Library

    rows = Library(settings).sources()
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']}  [{row['kind']}]  {row['title']}")
        details = ", ".join(x for x in (row["author"], row["date"], row["url"]) if x)
        if details:
            click.echo(f"    {details}")
        click.echo(f"    {row['chunks']} chunks, hash {row['content_hash'][:12]}, indexed {row['indexed_at']}")


def _format_citation(c: dict[str, Any], prefix: str = "") -> str:
    details = ", ".join(x for x in (c["author"], c["date"]) if x)
    lines = [f"{prefix}[{c['n']}] {c['title']}" + (f" — {details}" if details else "")]
    lines += [f"    “{line}”" for line in c["quote"].splitlines()]
    where = c["link"] or c["url"]
    lines.append(f"    {where}   (cite: {c['chunk_id']})" if where else f"    cite: {c['chunk_id']}")
    return "\n".join(lines)


def format_answer(answer: dict[str, Any]) -> str:
    """An answer as a person reads it in a terminal."""
    parts = [answer["answer"]]
    if answer["citations"]:
        parts.append("Sources:\n" + "\n".join(_format_citation(c) for c in answer["citations"]))
    if answer["related"]:
        parts.append(
            "Related passages (not an answer to the question):\n"
            + "\n".join(_format_citation(c) for c in answer["related"])
        )
    if answer["resources"] and answer["status"] != "crisis":
        parts.append(answer["resources"])
    return "\n\n".join(parts)


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


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object; without QUESTION, one per stdin line.")
@click.option("--after", "history", multiple=True, help="A previous question of the conversation (repeatable).")
@click.option("--top-k", type=click.IntRange(1, 10), default=None, help="Most passages to cite.")
@click.option(
    "--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid", show_default=True,
    help="Retrieval: both retrievers fused, or one alone (for comparison).",
)  # fmt: skip
@click.pass_obj
@handle_errors
def ask(
    settings: Settings, question: str | None, as_json: bool, history: tuple[str, ...], top_k: int | None, mode: str
) -> None:
    """Answer a question from the corpus, citing the exact passages.

    \b
    Examples:
        assistant ask "How does self-compassion help with stress?"
        assistant ask --after "How does it help with stress?" "what about the body?"
        printf 'Who wrote the article?\nWhat is self-compassion?\n' | assistant ask --json
    """
    from .answering import Assistant

    assistant = Assistant(settings)
    if question is None:
        if not as_json:
            raise click.UsageError("Give a QUESTION, or use --json to read one question per line from stdin.")
        for line in sys.stdin:
            raw, line_history = _read_batch_line(line)
            result = assistant.ask(raw, line_history or list(history), mode=mode, top_k=top_k)  # type: ignore[arg-type]
            _echo_json(result.to_dict())
            sys.stdout.flush()
        return
    result = assistant.ask(question, list(history), mode=mode, top_k=top_k)  # type: ignore[arg-type]
    if as_json:
        _echo_json(result.to_dict())
    else:
        click.echo(format_answer(result.to_dict()))


@cli.command()
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
    from .citations import resolve
    from .library import Library

    library = Library(settings)
    passage = resolve(library.generation(), ref, settings.context_chars)
    data = passage.to_dict()
    if as_json:
        _echo_json(data)
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


@cli.command("eval")
@click.option(
    "--questions", "question_sets", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
    default=[Path(f"eval/{name}.jsonl") for name in ("questions", "independent", "unseen", "common", "heldout")],
    show_default=True, help="Question set (JSON lines); repeat for several.",
)  # fmt: skip
@click.option(
    "--crisis", "crisis_sets", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
    default=[Path("eval/crisis.jsonl"), Path("eval/crisis_heldout.jsonl")],
    show_default=True, help="Labelled crisis expressions (JSON lines); repeat for several.",
)  # fmt: skip
@click.option("--failures", is_flag=True, help="List the questions each pipeline gets wrong.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.pass_obj
@handle_errors
def evaluate(
    settings: Settings, question_sets: tuple[Path, ...], crisis_sets: tuple[Path, ...], failures: bool, as_json: bool
) -> None:
    """Measure retrieval, answers, refusals and the crisis check on the question sets.

    Builds a fresh index of the corpus in a temporary folder; `index/` is not touched.

    \b
    Example:
        assistant eval --failures
    """
    from .evaluation import run_full_eval

    report = run_full_eval(
        settings, question_sets, crisis_sets, progress=None if as_json else lambda s: click.echo(s, err=True)
    )
    if as_json:
        _echo_json(report)
        return
    click.echo(report["text"])
    if failures:
        for question_set in report["sets"]:
            for row in question_set["metrics"]:
                click.echo(f"\n{question_set['path']}, {row['name']}: {len(row['failures'])} misses")
                for line in row["failures"]:
                    click.echo(f"  {line}")


def main() -> None:
    cli(prog_name="assistant")


def _register_optional_commands() -> None:
    from .cli_fetch import add_url, fetch

    cli.add_command(fetch)
    cli.add_command(add_url)


_register_optional_commands()


@cli.group()
def feedback() -> None:
    """Readers' feedback on answers, which the app keeps in DATA_DIR/feedback.sqlite3.

    \b
    Example:
        assistant feedback export --format csv --output feedback.csv
    """


@feedback.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
    help="CSV with a header row (chunk ids separated by spaces), or one JSON array of objects.",
)  # fmt: skip
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
    help="File to write. Without it, the export goes to standard output.",
)  # fmt: skip
@click.pass_obj
@handle_errors
def feedback_export(settings: Settings, fmt: str, output: Path | None) -> None:
    """Export every rating, note and flagged citation, for whoever maintains the corpus.

    Each row holds the question, the answer, its status and cited chunk ids, the
    rating ("up", "down" or empty), the note, the chunk id flagged as wrong, the
    time and a random id of the app session; nothing else about the reader.

    \b
    Examples:
        assistant feedback export > feedback.csv
        assistant feedback export --format json --output feedback.json
    """
    from .feedback import WRITERS, FeedbackStore, default_path

    path = default_path(settings.data_dir)
    records = FeedbackStore(path).all() if path.exists() else []
    write = WRITERS[fmt]
    if output is None:
        write(records, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as file:
            write(records, file)
    where = f" to {output}" if output else ""
    click.echo(f"Exported {len(records)} feedback rows from {path}{where}.", err=True)
