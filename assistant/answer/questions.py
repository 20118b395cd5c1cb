"""Turning what a person typed into a question the assistant can work with.

The cleaner is deliberately conservative: it removes only what a reader could
not see (control, zero-width, tag and bidirectional characters) and tidies
whitespace. It does not escape or strip HTML, because the question is only
ever displayed as text; escaping here would make ``<`` show up as ``&lt;``.
It never truncates: a question cut in half can change its meaning, so an
over-long question is refused with a message saying by how much.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import InvalidQuestionError
from assistant.text import strip_invisible

DEFAULT_MAX_CHARS = 1000

# Lone surrogates cannot be encoded as UTF-8, so they would crash logging or
# rendering later; they can arrive from badly decoded JSON or form data.
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_question(raw: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    r"""Return the question as one tidy line, or raise :class:`InvalidQuestionError`.

    >>> clean_question("  What is\u200b self-compassion?\n\n ")
    'What is self-compassion?'
    >>> clean_question("<b>kind</b>  words")
    '<b>kind</b> words'
    """
    if raw is None:
        raise InvalidQuestionError("Please type a question.")
    if not isinstance(raw, str):
        raise InvalidQuestionError("Please type your question as plain text.")
    text = unicodedata.normalize("NFC", _SURROGATES.sub("", strip_invisible(raw)))
    # str.split() with no argument splits on every Unicode whitespace
    # character, newlines included, so a pasted paragraph becomes one line.
    text = " ".join(text.split())
    if not text:
        raise InvalidQuestionError("Please type a question.")
    if len(text) > max_chars:
        raise InvalidQuestionError(
            f"Your question is {len(text):,} characters long; the limit is {max_chars:,}. "
            "Please shorten it and ask again."
        )
    return text
