"""Split normalised text into citable chunks with exact character offsets.

A chunk is one or a few consecutive sentences of one paragraph, at most
``max_chars`` long, so that a citation points at a sentence or a short
passage rather than a page. ``text[chunk.start:chunk.end] == chunk.text``
always holds; offsets address the normalised text the loaders produce.

Not handled on purpose: sentence boundaries inside quotations spanning
paragraphs, and abbreviations beyond a small common list (an unknown
abbreviation only makes a chunk end one sentence early).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Bump when the output of this module changes for the same input, so that an
# index built by an older chunker is detected and rebuilt.
CHUNKER_VERSION = "sentences-v2"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# End of a sentence: terminal punctuation, optional closing quotes/brackets,
# then whitespace. Whether it really ends a sentence is decided in code.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+|\n+")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig no vol pp ed eds approx dept inc ltd co jan feb mar apr "
    "jun jul aug sep sept oct nov dec".split()
)
_OPENERS = "\"'“‘(["


@dataclass(frozen=True, kw_only=True)
class Chunk:
    """A span of the source text: ``text == source[start:end]``."""

    start: int
    end: int
    text: str
    paragraph: int  # 0-based index of the paragraph the chunk lies in
    section: str  # the nearest heading above it, or ""


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: blocks separated by blank lines, trimmed.

    >>> paragraph_spans("One.\\n\\n  Two\\nlines.\\n")
    [(0, 4), (8, 18)]
    """
    spans = []
    position = 0
    for part in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = part.start() if part else len(text)
        span = _trim(text, position, end)
        if span[0] < span[1]:
            spans.append(span)
        if part:
            position = part.end()
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _ends_sentence(text: str, dot: int, after: int, end: int) -> bool:
    """Whether the punctuation at ``dot`` really ends a sentence."""
    if text[dot] == "\n":
        return True
    if after >= end:
        return True
    following = text[after]
    if following in _OPENERS and after + 1 < end:
        following = text[after + 1]
    if not (following.isupper() or following.isdigit()):
        return False
    if text[dot] != ".":
        return True
    word = re.search(r"([\w.]+)$", text[max(0, dot - 12) : dot])
    if word is None:
        return True
    token = word.group(1).lower()
    # "P." in "Tucker, P. (2024" is an initial, not the end of a sentence.
    return not (token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, offsets into ``text``.

    >>> s = "It helps. Dr. Lee agrees! Does it? Yes"
    >>> [s[a:b] for a, b in sentence_spans(s)]
    ['It helps.', 'Dr. Lee agrees!', 'Does it?', 'Yes']
    """
    end = len(text) if end is None else end
    spans = []
    position = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _ends_sentence(text, match.start(), match.end(), end):
            span = _trim(text, position, match.end())
            if span[0] < span[1]:
                spans.append(span)
            position = match.end()
    span = _trim(text, position, end)
    if span[0] < span[1]:
        spans.append(span)
    return spans


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a span longer than ``max_chars`` at clause or word boundaries.

    >>> _split_long("aaa, bbb ccc", 0, 12, 6)
    [(0, 4), (5, 8), (9, 12)]
    """
    pieces = []
    while end - start > max_chars:
        window = text[start : start + max_chars + 1]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        cut = cut + 1 if cut > 0 else window.rfind(" ")
        if cut <= 0:
            cut = max_chars
        piece = _trim(text, start, start + cut)
        if piece[0] < piece[1]:
            pieces.append(piece)
        start = _trim(text, start + cut, end)[0]
    if start < end:
        pieces.append((start, end))
    return pieces


def is_heading(text: str) -> bool:
    """A paragraph that reads as a heading: one short line without a sentence end.

    >>> is_heading("References:"), is_heading("It helps. A lot.")
    (True, False)
    """
    return "\n" not in text and len(text) <= 100 and not text.endswith((".", "!", "?", "…", '"', "”"))


def chunk_text(text: str, max_chars: int = 320) -> list[Chunk]:
    """Pack whole sentences of each paragraph into chunks of at most ``max_chars``.

    >>> [c.text for c in chunk_text("Title\\n\\nOne. Two is here. Three.", max_chars=14)]
    ['Title', 'One.', 'Two is here.', 'Three.']
    >>> [(c.paragraph, c.section) for c in chunk_text("Title\\n\\nOne. Two.")]
    [(0, ''), (1, 'Title')]
    """
    chunks: list[Chunk] = []
    section = ""
    for number, (p_start, p_end) in enumerate(paragraph_spans(text)):
        pieces: list[tuple[int, int]] = []
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            pieces.extend(_split_long(text, s_start, s_end, max_chars))
        current: tuple[int, int] | None = None
        for piece in pieces:
            if current is not None and piece[1] - current[0] <= max_chars:
                current = (current[0], piece[1])
                continue
            if current is not None:
                chunks.append(
                    Chunk(
                        start=current[0],
                        end=current[1],
                        text=text[current[0] : current[1]],
                        paragraph=number,
                        section=section,
                    )
                )
            current = piece
        if current is not None:
            chunks.append(
                Chunk(
                    start=current[0],
                    end=current[1],
                    text=text[current[0] : current[1]],
                    paragraph=number,
                    section=section,
                )
            )
        paragraph = text[p_start:p_end]
        if is_heading(paragraph):
            section = paragraph.rstrip(":").strip()
    return chunks


def chunk_id(source_id: str, start: int, end: int, text: str) -> str:
    """Deterministic id from the source, the offsets and the content.

    >>> chunk_id("article", 0, 5, "Hello")
    'article:0-5:1627ddf602a9'
    """
    digest = hashlib.sha256(f"{source_id}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()
    return f"{source_id}:{start}-{end}:{digest[:12]}"


def passage_text(text: str, section: str, title: str) -> str:
    r"""What the retrievers see for a chunk: the chunk under its heading.

    The heading gives a short sentence its context ("References" for a
    citation line); the stored text and its offsets stay exactly the chunk.

    >>> passage_text("Tucker, P. (2024).", "References", "Healing")
    'References\nTucker, P. (2024).'
    """
    heading = section or title
    return f"{heading}\n{text}" if heading and heading != text else text
