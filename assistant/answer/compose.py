"""Composition: which retrieved passages make the answer, and the answer text with its markers.

Every quote is the source's own text at its offsets; composition chooses and
orders passages, it never rewrites them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import replace

from assistant.answer.citations import Citation, citation_for
from assistant.answer.retrieval import Hit
from assistant.answer.sources import describe
from assistant.index.store import ChunkRecord, SourceRecord
from assistant.ingest.chunking import is_heading
from assistant.text import tokenize


def not_found_message(sources: Sequence[SourceRecord]) -> str:
    """What a reader is told when the corpus does not answer: it names the corpus from the manifest.

    >>> a = SourceRecord(id="a", kind="article", title="Healing from Within", author="", date="", url="", extra={},
    ...                  content_hash="h", text="", chunks=1, indexed_at="")
    >>> not_found_message([a])
    "The sources don't cover this. I can only answer from “Healing from Within” and the sources it references, and none of them answers this question."
    >>> not_found_message([])
    "The sources don't cover this. I can only answer from the documents in this assistant's corpus, and none of them answers this question."
    """
    articles = [s.title for s in sources if s.kind == "article" and s.title]
    if len(articles) == 1:
        held = f"“{articles[0]}” and the sources it references"
    elif articles:
        held = "the articles " + ", ".join(f"“{t}”" for t in articles) + " and the sources they reference"
    else:
        held = "the documents in this assistant's corpus"
    return f"The sources don't cover this. I can only answer from {held}, and none of them answers this question."


def _overlap(a: str, b: str) -> float:
    """Share of the shorter passage's words that the other one also has.

    >>> _overlap("kind to ourselves", "we are kind to ourselves daily")
    1.0
    """
    x, y = set(tokenize(a)), set(tokenize(b))
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


def select_passages(
    hits: Sequence[Hit], margin: float, limit: int, score=lambda h: h.dense, names_it=lambda h: False
) -> list[Hit]:
    """The passages an answer is made of, in retrieval order.

    The first passage that says something leads: not a heading (a title is
    only an answer to "what is it called?") and not a reference line (it
    answers "what does the article cite?"); the source questions handle both.
    A reference line stays only when the question names something in it
    (``names_it``: "Secure Minds Psychology") or nothing else was found.
    Others follow when they are not much weaker than the best (``margin``)
    and do not repeat a passage already kept.
    """
    usable = [h for h in hits if len(h.chunk.text) >= 20 and not is_heading(h.chunk.text)]
    usable = [h for h in usable if not is_bibliographic(h) or names_it(h)] or usable[:1]
    if not usable:
        return []
    best = max(score(h) for h in usable)
    chosen = [usable[0]]
    for hit in usable[1:]:
        if len(chosen) == limit:
            break
        if score(hit) < best - margin:
            continue
        if any(_overlap(hit.chunk.text, c.chunk.text) > 0.6 for c in chosen):
            continue
        chosen.append(hit)
    return chosen


def related_passages(hits: Sequence[Hit], limit: int) -> list[Hit]:
    """The closest passages to offer beside "not found": each says something (no heading, byline or
    reference line) and none repeats one already offered."""
    offered: list[Hit] = []
    for hit in hits:
        if len(offered) == limit:
            break
        if is_heading(hit.chunk.text) or is_bibliographic(hit):
            continue
        if any(_overlap(hit.chunk.text, o.chunk.text) > 0.6 for o in offered):
            continue
        offered.append(hit)
    return offered


# Words that open a sentence pointing back at the one before it: without that sentence it reads as a fragment.
POINTS_BACK = ("this", "these", "that", "those", "it", "its", "they", "their", "such", "both", "in turn", "as a result")
_POINTS_BACK = re.compile(r"^(?:" + "|".join(re.escape(w) for w in POINTS_BACK) + r")\b", re.IGNORECASE)
_SENTENCE_START = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


def with_antecedent(hit: Hit, chunks: Sequence[ChunkRecord], taken: Collection[str] = ()) -> Hit:
    """A passage that opens by pointing back ("This shift…", "It also…"), quoted from the sentence it points
    to: the last sentence of the chunk just before it in the same paragraph of ``chunks`` (the source's), or
    that whole chunk when it is ``taken`` (chosen for the answer too: the two become one quote).

    >>> text = "We shift to nurture. This shift is powerful."
    >>> source = SourceRecord(id="a", kind="article", title="T", author="", date="", url="", extra={},
    ...     content_hash="h", text=text, chunks=2, indexed_at="now")
    >>> first = ChunkRecord(id="a:0", source_id="a", start=0, end=20, paragraph=1, section="", page=0, text=text[:20])
    >>> second = ChunkRecord(id="a:1", source_id="a", start=21, end=44, paragraph=1, section="", page=0, text=text[21:])
    >>> hit = Hit(chunk=second, source=source, dense=0.5, lexical=0.0, fused=0.5)
    >>> with_antecedent(hit, [first, second]).chunk.text
    'We shift to nurture. This shift is powerful.'
    """
    chunk = hit.chunk
    if not _POINTS_BACK.match(chunk.text.lstrip()):
        return hit
    before = [
        c for c in chunks
        if c.source_id == chunk.source_id and c.paragraph == chunk.paragraph and c.end <= chunk.start
    ]  # fmt: skip
    if not before:
        return hit
    previous = max(before, key=lambda c: c.end)
    text = hit.source.text
    if text[previous.end : chunk.start].strip():
        return hit
    starts = [previous.start] + [previous.start + m.end() for m in _SENTENCE_START.finditer(previous.text.rstrip())]
    start = previous.start if previous.id in taken else starts[-1]
    return replace(hit, chunk=replace(chunk, start=start, text=text[start : chunk.end]))


def without_contained(hits: Sequence[Hit]) -> list[Hit]:
    """The passages in order, less any whose text an earlier one, or a longer one, already quotes whole."""

    def span(h: Hit) -> tuple[str, int, int]:
        return h.chunk.source_id, h.chunk.start, h.chunk.end

    kept = []
    for i, hit in enumerate(hits):
        sid, start, end = span(hit)
        covered = any(
            o_sid == sid and o_start <= start and end <= o_end and ((o_start, o_end) != (start, end) or j < i)
            for j, (o_sid, o_start, o_end) in enumerate(map(span, hits))
            if j != i
        )
        if not covered:
            kept.append(hit)
    return kept


def is_bibliographic(hit: Hit) -> bool:
    """A reference line or a byline: it answers what is cited, or who wrote it and when, and no other claim.

    >>> byline = "Writer: Marissa Mireles\\nMar 19\\n3 min read"
    >>> from assistant.index.store import ChunkRecord
    >>> source = SourceRecord(id="a", kind="article", title="T", author="Marissa Mireles", date="Mar 19", url="",
    ...     extra={}, content_hash="h", text=byline, chunks=1, indexed_at="now")
    >>> chunk = ChunkRecord(id="a:0-9:x", source_id="a", start=0, end=9, paragraph=0, section="T", page=0, text=byline)
    >>> is_bibliographic(Hit(chunk=chunk, source=source, dense=0.5, lexical=0.0, fused=0.5))
    True
    """
    text = hit.chunk.text
    byline = len(text) < 160 and bool(hit.source.author) and hit.source.author in text
    return (
        byline
        or hit.source.kind == "reference"
        or hit.chunk.section.lower() in {"references", "bibliography", "sources"}
    )


def inline(text: str) -> str:
    """A passage as it reads inside an answer: line breaks become separators.

    >>> inline("Writer: A. B.\\nMar 19")
    'Writer: A. B. · Mar 19'
    """
    return " · ".join(line.strip() for line in text.splitlines() if line.strip())


# Sources the article's reader did not choose: the answer says where such a quote comes from.
_ADDED = {"user file": "a file added to this corpus", "web snapshot": "a saved web page"}


def provenance(citation: Citation) -> str:
    """Words that say a quote comes from a file or page added to the corpus, or "" for the article itself.

    >>> c = Citation(n=1, chunk_id="", source_id="notes", kind="user file", title="My notes", author="", date="",
    ...              url="", quote="q", start=0, end=1, score=1.0, link="")
    >>> provenance(c)
    'From “My notes”, a file added to this corpus: '
    """
    added = _ADDED.get(citation.kind)
    return f"From “{citation.title or citation.source_id}”, {added}: " if added else ""


def lead_in(citation: Citation, first: bool, weak: bool = False, repeat: bool = False) -> str:
    """The words before a quote: the first one says where it comes from (and, for a weak fit, that it only
    comes close; for a follow-up that found nothing new, that it says no more); later ones are offered as
    also relevant.

    >>> c = Citation(n=1, chunk_id="", source_id="a", kind="article", title="T", author="", date="", url="",
    ...              quote="q", start=0, end=1, score=1.0, link="")
    >>> lead_in(c, first=True), lead_in(c, first=True, weak=True), lead_in(c, first=False)
    ('The article says: ', 'The closest the article comes is: ', 'Also relevant: ')
    >>> lead_in(c, first=True, repeat=True)
    'The sources say no more on this than what was quoted for your previous question: '
    """
    if repeat and first:
        return "The sources say no more on this than what was quoted for your previous question: "
    if added := provenance(citation):
        return added if first else f"Also relevant, {added[0].lower()}{added[1:]}"
    if not first:
        return "Also relevant: "
    where = "the article" if citation.kind == "article" else "one of the article's references"
    return f"The closest {where} comes is: " if weak else f"{where[0].upper()}{where[1:]} says: "


def compose(passages: Sequence[Hit], weak: bool = False, repeat: bool = False) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers, and the citations it uses, in that order.

    Each quote is set in quotation marks after a few words that say where it
    comes from (:func:`lead_in`); ``weak``: the best passage only comes close
    to the question, and the answer says so; ``repeat``: a follow-up found
    only what the previous question found. Text in any source is quoted as
    data, never followed as an instruction.
    """
    citations = [citation_for(n, h.chunk, h.source, h.dense or h.fused) for n, h in enumerate(passages, start=1)]
    text = " ".join(f"{lead_in(c, first=i == 0, weak=weak, repeat=repeat)}{quoted(c)}" for i, c in enumerate(citations))
    return text, citations


def quoted(citation: Citation) -> str:
    """A citation's quote as an answer shows it: in quotation marks, then its marker."""
    return f"“{inline(citation.quote)}” [{citation.n}]"


def compose_about(fields: Sequence[str], passages: Sequence[Hit]) -> tuple[str, list[Citation]]:
    """The answer to a question about the sources: a sentence saying what was asked, backed by the
    passages quoted after it (the byline, the reference lines); just the quotes when no sentence fits."""
    text, citations = compose(passages)
    if not passages:
        return text, citations
    source = passages[0].source
    sentence = describe(fields, source, "\n".join(h.chunk.text for h in passages), count=len(passages))
    if not sentence:
        return text, citations
    quotes = " ".join(quoted(c) for c in citations)
    reads = "It reads: " if len(citations) == 1 and "references" not in fields[:1] else ""
    return f"{sentence} {reads}{quotes}", citations


def defines(text: str, term: str) -> bool:
    """Whether a passage says what ``term`` is ("X involves…", "X is…", "X means…").

    >>> defines("At its core, self-compassion involves treating ourselves kindly.", "self compassion")
    True
    >>> defines("Self-compassion also enables us to build resilience.", "self-compassion")
    False
    >>> defines("One aspect of self-compassion is its role in growth.", "self-compassion")
    False
    """
    words = [re.escape(w) for w in re.split(r"[\s-]+", term.strip()) if w]
    if not words:
        return False
    pattern = r"[\s-]+".join(words) + r"\s+(?:is|are|involves|means|refers\s+to|describes)\b"
    # The term opens a sentence or a clause: "aspects of X is" says nothing of what X is.
    return re.search(r"(?:^|[.,;:!?]\s+)" + pattern, text, re.IGNORECASE | re.MULTILINE) is not None


def definitions_first(term: str, hits: Sequence[Hit]) -> list[Hit]:
    """For "what is X?", passages that say what ``term`` X is come first; the rest keep their order."""
    return sorted(hits, key=lambda h: not defines(h.chunk.text, term))
