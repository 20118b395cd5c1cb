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


def main() -> None:
    cli(prog_name="assistant")


def _register_optional_commands() -> None:
    from .cli_fetch import add_url, fetch

    cli.add_command(fetch)
    cli.add_command(add_url)


_register_optional_commands()
