"""`assistant eval`: the quality figures, printed from the question sets."""

from __future__ import annotations

from pathlib import Path

import click

from assistant.cli.output import echo_json, handle_errors
from assistant.config import Settings


@click.command("eval")
@click.option(
    "--questions", "question_sets", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
    default=[
        Path(f"eval/{name}.jsonl")
        for name in ("questions", "independent", "unseen", "common", "heldout", "layout_heldout")
    ],
    show_default=True, help="Question set (JSON lines); repeat for several.",
)  # fmt: skip
@click.option(
    "--crisis", "crisis_sets", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
    default=[Path("eval/crisis_sealed.jsonl")],
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
    from assistant.evaluation import run_full_eval

    report = run_full_eval(
        settings, question_sets, crisis_sets, progress=None if as_json else lambda s: click.echo(s, err=True)
    )
    if as_json:
        echo_json(report)
        return
    click.echo(report["text"])
    if failures:
        for question_set in report["sets"]:
            for row in question_set["metrics"]:
                click.echo(f"\n{question_set['path']}, {row['name']}: {len(row['failures'])} misses")
                for line in row["failures"]:
                    click.echo(f"  {line}")
