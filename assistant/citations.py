"""Citations: links to a cited passage and the passage shown in its context."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SourceNotFoundError
from .store import Generation, SourceRecord

_SPAN_REF = re.compile(r"^(?P<source>[a-z0-9][a-z0-9._-]*):(?P<start>\d+)-(?P<end>\d+)$")


def _encode_fragment_text(text: str) -> str:
    """Percent-encode for a text directive, where '-', ',' and '&' are syntax.

    >>> _encode_fragment_text("mind-body, and you’re")
    'mind%2Dbody%2C%20and%20you%E2%80%99re'
    """
    from urllib.parse import quote

    return quote(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, quote: str, words: int = 4, short: int = 80) -> str:
    """The URL with a text fragment that makes a browser scroll to and highlight ``quote``.

    Long quotes use the ``textStart,textEnd`` form: their first and last words.

    >>> text_fragment_url("https://example.org/a#top", "Be kind.")
    'https://example.org/a#:~:text=Be%20kind.'
    >>> text_fragment_url("https://e.org/", "one two three four five six seven eight nine", words=2, short=10)
    'https://e.org/#:~:text=one%20two,eight%20nine'
    """
    base = url.split("#", 1)[0]
    parts = quote.split()
    if not parts:
        return base
    if len(quote) <= short or len(parts) <= 2 * words:
        directive = _encode_fragment_text(" ".join(parts))
    else:
        start, end = " ".join(parts[:words]), " ".join(parts[-words:])
        directive = f"{_encode_fragment_text(start)},{_encode_fragment_text(end)}"
    return f"{base}#:~:text={directive}"


def link_for(url: str, quote: str) -> str:
    """Where a reader can see the passage on the web, or "" for a local source."""
    if not url.startswith(("http://", "https://")):
        return ""
    return text_fragment_url(url, quote)


@dataclass(frozen=True)
class Passage:
    """A cited span with the text around it, for display."""

    source: SourceRecord
    start: int
    end: int
    quote: str
    before: str
    after: str
    chunk_id: str
    link: str

    def to_dict(self) -> dict:
        s = self.source
        return {
            "chunk_id": self.chunk_id,
            "source_id": s.id,
            "kind": s.kind,
            "title": s.title,
            "author": s.author,
            "date": s.date,
            "url": s.url,
            "link": self.link,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "before": self.before,
            "after": self.after,
        }


def parse_span_ref(ref: str) -> tuple[str, int, int] | None:
    """``SOURCE_ID:START-END`` to its parts, or None for anything else.

    >>> parse_span_ref("healing-from-within:10-42")
    ('healing-from-within', 10, 42)
    >>> parse_span_ref("healing-from-within:10-42:ab12") is None
    True
    """
    match = _SPAN_REF.match(ref.strip())
    if not match:
        return None
    return match["source"], int(match["start"]), int(match["end"])


def context_window(text: str, start: int, end: int, chars: int) -> tuple[str, str]:
    """Up to ``chars`` characters before and after a span, cut at word boundaries.

    >>> context_window("one two three four five", 8, 13, 6)
    ('two ', ' four')
    """
    before_start = max(0, start - chars)
    if before_start > 0:
        space = text.find(" ", before_start, start)
        before_start = space + 1 if space != -1 else before_start
    after_end = min(len(text), end + chars)
    if after_end < len(text):
        space = text.rfind(" ", end, after_end)
        after_end = space if space != -1 else after_end
    return text[before_start:start], text[end:after_end]


def resolve(generation: Generation, ref: str, context_chars: int) -> Passage:
    """A passage from a chunk id or ``SOURCE_ID:START-END``."""
    chunk = generation.chunk(ref.strip())
    if chunk is not None:
        source_id, start, end, chunk_id = chunk.source_id, chunk.start, chunk.end, chunk.id
    else:
        parsed = parse_span_ref(ref)
        if parsed is None:
            raise SourceNotFoundError(
                f"{ref!r} is neither a chunk id nor a SOURCE_ID:START-END reference. "
                "Chunk ids are shown in the citations of `assistant ask --json`."
            )
        source_id, start, end = parsed
        chunk_id = ""
    source = generation.source(source_id)
    if source is None:
        raise SourceNotFoundError(f"No source {source_id!r} in the index. `assistant sources` lists them.")
    if not 0 <= start < end <= len(source.text):
        raise SourceNotFoundError(
            f"{start}-{end} is outside {source_id!r}, whose text is {len(source.text)} characters long."
        )
    if not chunk_id:
        containing = [c for c in generation.chunks(source_id) if c.start <= start and end <= c.end]
        chunk_id = containing[0].id if containing else ""
    quote = source.text[start:end]
    before, after = context_window(source.text, start, end, context_chars)
    return Passage(source, start, end, quote, before, after, chunk_id, link_for(source.url, quote))
