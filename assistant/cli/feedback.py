"""`assistant feedback export`: readers' ratings and notes, for whoever maintains the corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assistant.cli.output import handle_errors
from assistant.config import Settings


@click.group()
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
    from assistant.feedback import WRITERS, FeedbackStore, default_path

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
