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
        for name in (
            "questions", "independent", "unseen", "common", "heldout", "layout_heldout", "answers_heldout",
            "answers_heldout_v2",
        )
    ],
    show_default=True, help="Question set (JSON lines); repeat for several.",
)  # fmt: skip
@click.option(
    "--crisis", "crisis_sets", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
    default=[
        Path(f"eval/{name}.jsonl")
        for name in ("crisis_sealed_v8", "ordinary_v8", "crisis_sealed_v7", "ordinary_v7", "crisis_sealed_v6", "ordinary_v6", "crisis_sealed_v5", "ordinary_v5", "crisis_sealed_v4", "ordinary_v4", "crisis_sealed_v3", "ordinary_v3", "crisis_sealed_v2", "crisis_sealed")
    ],
    show_default=True, help="Labelled crisis expressions (JSON lines); repeat for several.",
)  # fmt: skip
@click.option(
    "--modes", default="available", show_default=True,
    help="Answer modes to evaluate, comma-separated (extractive, local, ollama, openai), or 'available': "
    "extractive and every generated mode that can run here.",
)  # fmt: skip
@click.option(
    "--generated-questions", type=click.IntRange(0), default=5, show_default=True,
    help="Questions per set, evenly spread, that each generated mode answers (0: all; a small local model "
    "takes tens of seconds an answer).",
)  # fmt: skip
@click.option("--failures", is_flag=True, help="List the questions each pipeline gets wrong.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.pass_obj
@handle_errors
def evaluate(
    settings: Settings,
    question_sets: tuple[Path, ...],
    crisis_sets: tuple[Path, ...],
    modes: str,
    generated_questions: int,
    failures: bool,
    as_json: bool,
) -> None:
    """Measure retrieval, answers, refusals and the crisis check on the question sets.

    Builds a fresh index of the corpus in a temporary folder; `index/` is not touched. Generated answer
    modes answer a subset of each set (--generated-questions) beside the extractive pipeline on the same
    subset, with the share of generated sentences verification kept.

    \b
    Example:
        assistant eval --failures
        assistant eval --modes extractive,local --generated-questions 10
    """
    from assistant.evaluation import run_full_eval
    from assistant.llm.backends import available_modes

    reasons = available_modes(settings)
    if modes == "available":
        chosen = [mode for mode, reason in reasons.items() if not reason]
        for mode, reason in reasons.items():
            if reason:
                click.echo(f"Not evaluating {mode}: {reason}", err=True)
    else:
        chosen = [m.strip() for m in modes.split(",") if m.strip()]
        unknown = [m for m in chosen if m not in reasons]
        if unknown:
            raise click.BadParameter(f"unknown mode {unknown[0]!r}", param_hint="--modes")
    report = run_full_eval(
        settings, question_sets, crisis_sets, progress=None if as_json else lambda s: click.echo(s, err=True),
        modes=chosen, generated_questions=generated_questions,
    )  # fmt: skip
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
