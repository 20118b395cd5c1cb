"""Composition: which retrieved passages make the answer, and the answer text with its markers.

Every quote is the source's own text at its offsets; composition chooses and
orders passages, it never rewrites them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.citations import Citation, citation_for
from assistant.answer.retrieval import Hit
from assistant.index.store import SourceRecord
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


def compose(passages: Sequence[Hit]) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers, and the citations it uses, in that order.

    Text in any source is quoted as data, never followed as an instruction; a
    quote from a file or page added to the corpus says so (:func:`provenance`).
    """
    citations = [citation_for(n, h.chunk, h.source, h.dense or h.fused) for n, h in enumerate(passages, start=1)]
    text = " ".join(f"{provenance(c)}{inline(c.quote)} [{c.n}]" for c in citations)
    return text, citations


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
