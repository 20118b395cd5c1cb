"""Citations: links to a cited passage and the passage shown in its context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote as percent_encode

from assistant.errors import SourceNotFoundError
from assistant.index.store import ChunkRecord, Generation, SourceRecord
from assistant.ingest.chunking import paragraph_spans

# The most characters of a cited passage's paragraph kept on each side of it: enough
# to read the passage where it stands, short enough that a long paragraph does not bury it.
PARAGRAPH_CHARS = 700


class Citable(Protocol):
    """What a citation names of its source: a manifest entry or an indexed source alike."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def url(self) -> str: ...


def source_fields(source: Citable) -> dict[str, Any]:
    """The source details every citation carries, in the index and in answers alike."""
    return {
        "source_id": source.id,
        "kind": source.kind,
        "title": source.title,
        "author": source.author,
        "date": source.date,
        "url": source.url,
    }


@dataclass(frozen=True, kw_only=True)
class PassageContext:
    """The paragraph around a cited passage: its text before and after the quote, and whether it goes on."""

    before: str = ""
    after: str = ""
    clipped_before: bool = False  # the paragraph goes on before ``before``
    clipped_after: bool = False


@dataclass(frozen=True, kw_only=True)
class Citation:
    """One cited passage of an answer: its exact span in its source, and where to read it."""

    n: int
    chunk_id: str
    source_id: str
    kind: str
    title: str
    author: str
    date: str
    url: str
    quote: str
    start: int
    end: int
    score: float
    link: str  # where to read the passage: the URL with a text fragment, or "" for local sources
    context: PassageContext = field(default_factory=PassageContext)  # the paragraph it stands in


def citation_for(n: int, chunk: ChunkRecord, source: SourceRecord, score: float) -> Citation:
    """The citation of one indexed chunk: its quote is the source's own text at the chunk's offsets."""
    quote = source.text[chunk.start : chunk.end]
    return Citation(
        n=n,
        chunk_id=chunk.id,
        **source_fields(source),
        quote=quote,
        start=chunk.start,
        end=chunk.end,
        score=round(score, 4),
        link=link_for(source.url, quote, source.kind),
        context=paragraph_context(source.text, chunk.start, chunk.end),
    )


def paragraph_context(text: str, start: int, end: int, max_chars: int = PARAGRAPH_CHARS) -> PassageContext:
    """The paragraph(s) of ``text`` around ``start..end``, at most ``max_chars`` each side, cut at words.

    >>> paragraph_context("Intro.\\n\\nFirst. Be kind. Last.\\n\\nOutro.", 15, 23)
    PassageContext(before='First. ', after=' Last.', clipped_before=False, clipped_after=False)
    """
    spans = [s for s in paragraph_spans(text) if s[0] < end and start < s[1]] or [(start, end)]
    first, last = min(min(s[0] for s in spans), start), max(max(s[1] for s in spans), end)
    before, after = context_window(text, start, end, max_chars, first, last)
    return PassageContext(
        before=before, after=after, clipped_before=start - len(before) > first, clipped_after=end + len(after) < last
    )


# Offsets of at most twelve digits: a text of a trillion characters is not in any index.
_SPAN_REF = re.compile(r"^(?P<source>[a-z0-9][a-z0-9._-]{0,127}):(?P<start>\d{1,12})-(?P<end>\d{1,12})$")
# The longest reference: a source id (128) and two offsets, or a chunk id (its source id, span and hash).
MAX_REF_CHARS = 200


def text_fragment_url(url: str, quote: str) -> str:
    """The URL with a text fragment that makes a browser scroll to and highlight the quote.

    Short quotes are matched exactly; long ones, and quotes that span
    paragraphs (one fragment term cannot cross a block), as ``start,end``:
    the first and the last few words. ``-``, ``&``, ``,`` and non-ASCII are
    percent-encoded, as the URL Fragment Text Directives spec requires.

    >>> text_fragment_url("https://example.org/page", "Be kind to yourself.")
    'https://example.org/page#:~:text=Be%20kind%20to%20yourself.'
    >>> text_fragment_url("https://example.org/p#top", "self-care, rest & café")
    'https://example.org/p#top:~:text=self%2Dcare%2C%20rest%20%26%20caf%C3%A9'
    >>> text_fragment_url("https://example.org/p", "One two three four five six seven eight nine ten.")
    'https://example.org/p#:~:text=One%20two%20three%20four,seven%20eight%20nine%20ten.'
    >>> text_fragment_url("https://example.org/p", "First part.\\n\\nSecond part.")
    'https://example.org/p#:~:text=First%20part.,Second%20part.'
    """
    words_per_end = 4
    blocks = [b.split() for b in re.split(r"\n+", quote) if b.split()]
    if not blocks:
        return url
    if len(blocks) == 1 and len(blocks[0]) <= 2 * words_per_end:
        directive = _fragment_term(" ".join(blocks[0]))
    else:
        start = " ".join(blocks[0][:words_per_end])
        end = " ".join(blocks[-1][-words_per_end:])
        directive = f"{_fragment_term(start)},{_fragment_term(end)}"
    base, _, fragment = url.partition("#")
    fragment = fragment.split(":~:", 1)[0]  # replace any directive already there
    return f"{base}#{fragment}:~:text={directive}"


def _fragment_term(text: str) -> str:
    # quote() never encodes "-", but in a text directive it marks a prefix or suffix.
    return percent_encode(text, safe="").replace("-", "%2D")


def link_for(url: str, quote: str, kind: str = "") -> str:
    """Where a reader can see the passage on the web, or "" for a local source.

    A reference entry's quote is the article's citation line, which the cited
    page does not contain: its link opens the page without pointing at a passage.

    >>> link_for("https://example.org/p", "Rest heals.")
    'https://example.org/p#:~:text=Rest%20heals.'
    >>> link_for("https://example.org/p", "Doe, J. (2024). Rest.", kind="reference"), link_for("notes.md", "Rest.")
    ('https://example.org/p', '')
    """
    if not url.startswith(("http://", "https://")):
        return ""
    return url if kind == "reference" else text_fragment_url(url, quote)


@dataclass(frozen=True, kw_only=True)
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
        return {
            "chunk_id": self.chunk_id,
            **source_fields(self.source),
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


def context_window(text: str, start: int, end: int, chars: int, lo: int = 0, hi: int | None = None) -> tuple[str, str]:
    """Up to ``chars`` characters before and after a span, within ``lo..hi``, cut at word boundaries.

    >>> context_window("one two three four five", 8, 13, 6)
    ('two ', ' four')
    >>> context_window("one two three four five", 8, 13, 6, lo=8, hi=18)
    ('', ' four')
    """
    hi = len(text) if hi is None else hi
    before_start = max(lo, start - chars)
    if before_start > lo:
        space = text.find(" ", before_start, start)
        before_start = space + 1 if space != -1 else before_start
    after_end = min(hi, end + chars)
    if after_end < hi:
        space = text.rfind(" ", end, after_end)
        after_end = space if space != -1 else after_end
    return text[before_start:start], text[end:after_end]


def shown(ref: str, chars: int = 40) -> str:
    """A reference as a message quotes it: on one line, cut short.

    >>> shown("healing:1-2"), shown("x" * 100, 8)
    ("'healing:1-2'", "'xxxxxxxx…' (100 characters)")
    """
    if len(ref) <= chars:
        return repr(ref)
    return f"{ref[:chars]!r}"[:-1] + f"…' ({len(ref):,} characters)"


def check_ref(ref: str) -> str:
    """A reference's text to look up, or raise :class:`SourceNotFoundError` for one of the wrong size or shape.

    >>> check_ref(" healing-from-within:10-42 ")
    'healing-from-within:10-42'
    """
    ref = ref.strip()
    if len(ref) > MAX_REF_CHARS or not ref.isprintable() or not ref:
        raise SourceNotFoundError(
            f"{shown(ref)} is not a reference: a chunk id or SOURCE_ID:START-END is one line of at most "
            f"{MAX_REF_CHARS} characters."
        )
    return ref


def resolve(generation: Generation, ref: str, context_chars: int) -> Passage:
    """A passage from a chunk id or ``SOURCE_ID:START-END``."""
    ref = check_ref(ref)
    chunk = generation.chunk(ref)
    if chunk is not None:
        source_id, start, end, chunk_id = chunk.source_id, chunk.start, chunk.end, chunk.id
    else:
        parsed = parse_span_ref(ref)
        if parsed is None:
            raise SourceNotFoundError(
                f"{shown(ref)} is neither a chunk id nor a SOURCE_ID:START-END reference. "
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
    return Passage(
        source=source,
        start=start,
        end=end,
        quote=quote,
        before=before,
        after=after,
        chunk_id=chunk_id,
        link=link_for(source.url, quote, source.kind),
    )
