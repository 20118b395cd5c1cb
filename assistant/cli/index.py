"""`assistant index` and `assistant sources`: build the index and list what it holds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.cli.output import echo_json, handle_errors
from assistant.config import Settings


@click.command()
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
    from assistant.index.building import Indexer

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
        echo_json(report.as_dict())
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


@click.command("export-model")
@click.option(
    "--to", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder to write the ONNX files into (default: the model_dir setting, models/).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_obj
@handle_errors
def export_model(settings: Settings, folder: Path | None, as_json: bool) -> None:
    """Export the shipped model to ONNX (fp32 and int8) for the onnx backends; needs torch, no download.

    \b
    Example:
        assistant export-model                       # writes models/model.onnx, models/model-int8.onnx
        ASSISTANT_EMBEDDING_BACKEND=onnx-int8 assistant index --full
    """
    from assistant.index.export import export_model as export

    report = export(folder or settings.model_dir)
    if as_json:
        echo_json({"folder": str(report.folder), "files": report.files, "least_cosine": report.least_cosine})
        return
    for name, size in report.files.items():
        click.echo(f"{report.folder / name}  {size / 2**20:.1f} MB")
    click.echo("least cosine to the original on the check sentences: " + json.dumps(report.least_cosine))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@click.pass_obj
@handle_errors
def sources(settings: Settings, as_json: bool) -> None:
    """List the indexed sources with their metadata.

    \b
    Example:
        assistant sources --json
    """
    from assistant.index.library import Library

    rows = Library(settings).sources()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']}  [{row['kind']}]  {row['title']}")
        details = ", ".join(x for x in (row["author"], row["date"], row["url"]) if x)
        if details:
            click.echo(f"    {details}")
        click.echo(f"    {row['chunks']} chunks, hash {row['content_hash'][:12]}, indexed {row['indexed_at']}")
