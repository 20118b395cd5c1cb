"""Passage questions: for a source's passages, the questions a reader might ask that each one answers.

A reader's everyday wording ("why am I my own worst critic") often shares few
words, and little of an embedding, with the sentence that answers it ("We
often reserve kindness ... while being our harshest critics"). Questions
written for each passage bridge that gap: retrieval matches a reader's
question against them as well as against the passage text
(:mod:`assistant.answer.retrieval`).

They are data beside the corpus, one file per source in
``passage-questions/<source id>.toml``::

    [[passage]]
    quote = "We often reserve kindness, understanding, and forgiveness for others, ..."
    questions = ["why am i my own worst critic", "Why are we kinder to others than to ourselves?"]

A ``quote`` must appear word for word in the source's text; one that does not
(the source was edited since) is skipped with a problem message, and the rest
of the file is used. Files are read when an index is opened; they change no
vector in the index.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

QUESTIONS_DIR = "passage-questions"


@dataclass(frozen=True)
class PassageQuestion:
    """A question that the passage at ``start:end`` of source ``source_id`` answers."""

    source_id: str
    start: int
    end: int
    question: str


def parse_questions(data: str, source_id: str, text: str, name: str = "") -> tuple[list[PassageQuestion], list[str]]:
    """The questions of one file for the source whose text is ``text``, and a message per entry skipped.

    >>> found, problems = parse_questions(
    ...     '[[passage]]\\nquote = "be kind"\\nquestions = ["how should I treat myself?"]\\n'
    ...     '[[passage]]\\nquote = "not in the text"\\nquestions = ["lost?"]\\n', "s", "Always be kind.")
    >>> found
    [PassageQuestion(source_id='s', start=7, end=14, question='how should I treat myself?')]
    >>> problems
    ["passage 2: its quote is not in the source's text ('not in the text'); skipped."]
    """
    prefix = f"{name}: " if name else ""
    try:
        passages = tomllib.loads(data).get("passage", [])
    except tomllib.TOMLDecodeError as e:
        return [], [f"{prefix}not valid TOML ({e}); no passage questions used."]
    if not isinstance(passages, list):
        return [], [f"{prefix}`passage` must be a list of [[passage]] tables; no passage questions used."]
    found: list[PassageQuestion] = []
    problems: list[str] = []
    for number, passage in enumerate(passages, start=1):
        quote = passage.get("quote") if isinstance(passage, dict) else None
        questions = passage.get("questions") if isinstance(passage, dict) else None
        if not isinstance(quote, str) or not quote.strip() or not isinstance(questions, list):
            problems.append(f"{prefix}passage {number}: needs a `quote` and a list of `questions`; skipped.")
            continue
        start = text.find(quote)
        if start == -1:
            problems.append(
                f"{prefix}passage {number}: its quote is not in the source's text ({quote[:40]!r}); skipped."
            )
            continue
        found += [
            PassageQuestion(source_id, start, start + len(quote), q.strip())
            for q in questions
            if isinstance(q, str) and q.strip()
        ]
    return found, problems


def load_questions(corpus_dir: Path, texts: Mapping[str, str]) -> tuple[list[PassageQuestion], list[str]]:
    """Every passage question kept beside the corpus for the sources in ``texts`` (source id -> text)."""
    folder = corpus_dir / QUESTIONS_DIR
    found: list[PassageQuestion] = []
    problems: list[str] = []
    for source_id, text in texts.items():
        path = folder / f"{source_id}.toml"
        try:
            data = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"{QUESTIONS_DIR}/{path.name}: cannot be read ({e}); no passage questions used.")
            continue
        questions, skipped = parse_questions(data, source_id, text, f"{QUESTIONS_DIR}/{path.name}")
        found += questions
        problems += skipped
    return found, problems
