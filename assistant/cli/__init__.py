"""The ``assistant`` command line.

Errors the user can act on arrive as :class:`AssistantError` and are printed
as one clear line (exit 1); usage mistakes exit 2 (click's convention);
anything else is an internal failure, reported without a traceback unless
``--verbose`` is given.
"""

from __future__ import annotations

import logging
import sys

import click

from assistant.cli.ask import ask, cite
from assistant.cli.evaluate import evaluate
from assistant.cli.feedback import feedback
from assistant.cli.fetch import add_url, fetch
from assistant.cli.index import export_model, index, sources
from assistant.config import Settings


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


for command in (index, sources, ask, cite, evaluate, fetch, add_url, feedback, export_model):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="assistant")
