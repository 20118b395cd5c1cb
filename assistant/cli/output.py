"""What every command shares: JSON output, errors turned into one-line messages, answers as text."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from assistant.errors import AssistantError

log = logging.getLogger(__name__)


def echo_json(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    try:
        click.echo(text)
    except UnicodeEncodeError:  # an output encoding that cannot show every character gets \\u escapes
        click.echo(json.dumps(value))


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
        except BrokenPipeError:
            # The reader went away (`| head -1`): stop quietly, as command-line tools do. Output
            # still buffered goes nowhere instead of failing again when Python exits.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(141) from None  # 128 + SIGPIPE, what the shell reports for such tools
        except Exception as e:
            log.debug("internal failure", exc_info=True)
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            raise click.ClickException(
                f"Internal error ({e.__class__.__name__}: {e}). Run again with --verbose for details."
            ) from e

    return wrapper


def _format_citation(c: dict[str, Any], prefix: str = "") -> str:
    details = ", ".join(x for x in (c["author"], c["date"]) if x)
    lines = [f"{prefix}[{c['n']}] {c['title']}" + (f" — {details}" if details else "")]
    lines += [f"    “{line}”" for line in c["quote"].splitlines()]
    where = c["link"] or c["url"]
    # The span quoted, which may reach back past its chunk (a sentence it points back to).
    span = f"{c['source_id']}:{c['start']}-{c['end']}"
    lines.append(f"    {where}   (cite: {span})" if where else f"    cite: {span}")
    return "\n".join(lines)


def format_answer(answer: dict[str, Any]) -> str:
    """An answer as a person reads it in a terminal (``answer`` None: the sources only, the text already shown)."""
    parts = [] if answer["answer"] is None else [answer["answer"]]
    if answer.get("note") and answer["answer"] is not None:
        parts.insert(0, answer["note"])
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
