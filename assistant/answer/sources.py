"""Questions about the sources themselves: who wrote them, when, their titles.

"Who wrote the article?" shares no words and little meaning with the byline
"Writer: Marissa Mireles", so similarity search alone answers it poorly. Such
questions ask for a metadata field; when the value of that field appears in
the source's own text (the byline, a reference line), the passage holding it
is the answer and its citation. A value that appears nowhere in the text is
not answered this way: it could not be quoted.

Not handled on purpose: questions that compare sources ("which is newer?").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.index.store import ChunkRecord, SourceRecord
from assistant.text import tokenize, words

# Which metadata field a question asks for, most specific first.
_FIELDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("url", r"\b(?:link|url|web ?site|web ?page|online|on the (?:web|internet)|where (?:can|could|do|should|would) (?:i|we|one|you) (?:read|find|see|access|view)|(?:full|original) (?:text|version))\b"),
        ("updated", r"\b(?:updated?|revised?|edited|revision|changed since)\b"),
        ("reading_time", r"\b(?:how long (?:does it take to read|would it take to read|is (?:it|the (?:article|piece|post|essay)|this (?:article|piece|post|essay)) to read|is it(?!\s+(?:going|gonna|until|till|before|to|for|since|taking))|is (?:the|this) (?:article|piece|post|essay))|reading time|long read|quick read|min(?:ute)?s? read)\b"),
        ("date", r"\b(?:when|what date|what year|how recent)\b.*\b(?:publish\w*|post\w*|written|wrote|come out|came out|released?|appear\w*)\b|\bpublication date\b|\bdated?\b"),
        ("title", r"\b(?:title|titled|what is it called|name of the (?:article|piece|post))\b"),
        ("author", r"\bwho(?:'s| is)? (?:wrote|writes|written|authored|published|penned|is behind|'s behind|behind)\b|\b(?:author|writer)\b|\b(?:written|penned) by\b|\bwhich person (?:wrote|penned|published)\b|\bwhose (?:article|piece|post|essay|words)\b"),
        ("references", r"\b(?:sources?|references?|cites?|cited|citations?|bibliography|back(?:s|ed|ing)?(?: \w+){0,3} up|evidence (?:is |are )?(?:behind|for|supporting) (?:it|this|that|her|his|the \w+)|what (?:is|are) (?:it|this|that|her \w+|the \w+) based on)\b"),
    )
)  # fmt: skip
_ORDINALS = {"first": 0, "second": 1, "third": 2, "last": -1}


def asked_fields(question: str) -> list[str]:
    """The metadata fields a question asks for, most specific first.

    >>> asked_fields("Who wrote Healing from Within, then?")
    ['author']
    >>> asked_fields("When was the Rogers piece published?")
    ['date']
    >>> asked_fields("How does self-compassion help with stress?")
    []

    Each field names a class of questions; examples of each:

    >>> [asked_fields(q)[0] for q in ("Is the piece available on the web?", "Where could I see the full text?",
    ...                               "Is there an original version somewhere?")]
    ['url', 'url', 'url']
    >>> [asked_fields(q)[0] for q in ("Does she back that claim up with anything?",
    ...                               "What evidence is behind the piece?", "What is this based on?")]
    ['references', 'references', 'references']
    >>> [asked_fields(q)[0] for q in ("Who's behind this essay?", "Which person penned it?", "Name of the writer?")]
    ['author', 'author', 'author']
    >>> [asked_fields(q)[0] for q in ("What year did it come out?", "When did this essay appear?",
    ...                               "Has it been revised since?")]
    ['date', 'date', 'updated']
    """
    return [name for name, pattern in _FIELDS if pattern.search(question)]


@dataclass(frozen=True)
class Target:
    source: SourceRecord
    field: str


def _distinctive(source: SourceRecord, others: Sequence[SourceRecord]) -> set[str]:
    """Words of a source's author and title that the other sources' titles and authors lack."""
    own = set(tokenize(f"{source.author} {source.title}"))
    common = set()
    for other in others:
        if other.id != source.id:
            common |= set(tokenize(f"{other.author} {other.title}"))
    return own - common


def named_source(question: str, sources: Sequence[SourceRecord]) -> SourceRecord | None:
    """The source a question names by its author or title, if exactly one fits best."""
    words = set(tokenize(question))
    scored = [(len(words & _distinctive(s, sources)), s) for s in sources]
    scored = [(n, s) for n, s in scored if n > 0]
    if not scored:
        return None
    scored.sort(key=lambda item: item[0], reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return scored[0][1]


def _ordinal(question: str) -> int | None:
    match = re.search(r"\b(first|second|third|last)\b", question, re.IGNORECASE)
    return _ORDINALS[match.group(1).lower()] if match else None


def _value(source: SourceRecord, field: str) -> str:
    if field == "updated":
        return source.extra.get("updated", "")
    if field == "reading_time":
        return source.extra.get("reading_time", "")
    if field == "author":
        # "P. Tucker, Secure Minds Psychology": the surname is what the text carries.
        names = [part for part in re.split(r"[,.]\s*", source.author) if len(part) > 2]
        return names[0] if names else source.author
    return {"url": source.url, "date": source.date, "title": source.title}.get(field, "")


def _quoting(chunks: Sequence[ChunkRecord], source: SourceRecord, needle: str) -> ChunkRecord | None:
    for chunk in chunks:
        if chunk.source_id == source.id and needle and needle in chunk.text:
            return chunk
    return None


def _date_forms(source: SourceRecord) -> list[str]:
    """The date as stored and as a reference line writes it: 2024-07-23 -> "2024, July 23"."""
    forms = [source.date]
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", source.date)
    if match:
        import calendar

        year, month, day = match.groups()
        forms.append(f"{year}, {calendar.month_name[int(month)]} {int(day)}")
    return forms


def metadata_passages(
    fields: Sequence[str],
    question: str,
    history: Sequence[str],
    sources: Sequence[SourceRecord],
    chunks: Sequence[ChunkRecord],
) -> list[ChunkRecord]:
    """Passages quoting the metadata ``fields`` a question asks for (see :func:`asked_fields`).

    ``question`` is the question alone; ``history`` the previous questions, used
    for "the second one" after a question about the references.
    """
    if not fields:
        return []
    articles = [s for s in sources if s.kind == "article"]
    references = [s for s in sources if s.kind == "reference"]
    target = named_source(question, sources) or (named_source(history[-1], sources) if history else None)
    position = _ordinal(question)
    follows_references = bool(history) and "references" in asked_fields(history[-1])
    if (
        target is None
        and position is not None
        and follows_references
        and -len(references) <= position < len(references)
    ):
        target = references[position]
    if target is None and "references" in fields and articles:
        cited = [r for r in references if r.extra.get("cited_by", articles[0].id) == articles[0].id]
        found = [_quoting(chunks, r, r.text[:40]) for r in cited]
        return [c for c in found if c is not None]
    target = target or (articles[0] if articles else None)
    if target is None:
        return []
    for field in fields:
        needles = _date_forms(target) if field == "date" else [_value(target, field)]
        for needle in needles:
            chunk = _quoting(chunks, target, needle)
            if chunk is not None:
                return [chunk]
    return []


_SAYS = re.compile(
    r"\b(?:say|says|said|recommend\w*|suggest\w*|advis\w*|argu\w*|claim\w*|find|found|finds|mean|describe\w*|explain\w*"
    r"|think|thinks|list\w*|offer\w*|propos\w*|tips?|ways?|steps?|about)\b",
    re.IGNORECASE,
)


def unheld_reference_note(question: str, sources: Sequence[SourceRecord]) -> str | None:
    """A note when a question asks what a cited page says and the corpus holds only its citation.

    The reference entries are the article's citation lines; the pages' text
    arrives only with ``assistant fetch``. The page is recognised by words of
    its author ("Tucker", "Rogers Behavioral Health"), not by ordinary words of
    its title, so "what are the benefits of self-compassion?" stays a question
    about the article.

    >>> ref = SourceRecord(id="t", kind="reference", title="Kindness when low", author="P. Tucker, Secure Minds",
    ...     date="2024", url="https://x/k", extra={}, content_hash="h", text="Tucker, P. (2024). Kindness when low.",
    ...     chunks=1, indexed_at="now")
    >>> unheld_reference_note("What does Tucker recommend?", [ref])[:52]
    'The corpus holds only the citation of “Kindness when'
    >>> page = SourceRecord(id="p", kind="web snapshot", title="Kindness", author="", date="", url="https://x/k",
    ...     extra={}, content_hash="h", text="…", chunks=4, indexed_at="now")
    >>> unheld_reference_note("What does Tucker recommend?", [ref, page]) is None
    True
    """
    if not _SAYS.search(question):
        return None
    asked = set(words(question))
    held = {s.url for s in sources if s.kind != "reference"} | {
        s.extra.get("final_url", "") for s in sources if s.kind != "reference"
    }

    def author_words(source: SourceRecord) -> set[str]:
        return {w for w in words(source.author) if len(w) > 2}

    named = [s for s in sources if s.kind == "reference" and s.url not in held and asked & author_words(s)]
    if not named:
        return None  # most questions: no need to read the other sources' text
    # Words the other sources use outside their citation lines ("health", "mind") name nothing.
    citations = [s.text for s in sources if s.kind == "reference"]
    others: set[str] = set()
    for other in sources:
        if other.kind != "reference":
            body = functools.reduce(lambda text, line: text.replace(line, " "), citations, other.text)
            others |= set(words(body))
    for source in named:
        if asked & (author_words(source) - others):
            return (
                f"The corpus holds only the citation of “{source.title}” ({source.author}), not the page's text; "
                "the maintainer can add the page where its site is reachable."
            )
    return None


def describe(fields: Sequence[str], source: SourceRecord, quoted: str, count: int = 1) -> str:
    """A sentence answering a question about ``source``, from its metadata, saying only what the quoted
    passage (``quoted``) also shows, so that the citation backs every word; "" when it shows nothing asked.
    ``count``: how many reference lines are quoted, for a question about the references.

    >>> a = SourceRecord(id="a", kind="article", title="Healing", author="Marissa Mireles", date="Mar 19", url="",
    ...     extra={"updated": "Mar 22"}, content_hash="h", text="", chunks=1, indexed_at="now")
    >>> byline = "Writer: Marissa Mireles\\nMar 19\\n3 min read\\nUpdated: Mar 22"
    >>> describe(["author"], a, byline)
    'The article was written by Marissa Mireles, published on Mar 19 and updated on Mar 22.'
    >>> describe(["date"], a, "Writer: Marissa Mireles\\nMar 19")
    'The article was published on Mar 19.'
    >>> describe(["references"], a, "", count=3)
    'The article cites 3 sources:'
    """
    name = "The article" if source.kind == "article" else f"“{source.title}”" if source.title else "The source"
    field = fields[0] if fields else ""
    if field == "references":  # the reference lines quoted are those of the article that cites them
        cites = "The article" if source.kind in ("article", "reference") else name
        return f"{cites} cites {count} source{'' if count == 1 else 's'}:" if count else ""
    if field == "title" and source.title and source.title in quoted:
        return f"{name} is titled “{source.title}”."
    if field == "url" and source.url and source.url in quoted:
        return f"{name} can be read at {source.url}."
    reading = source.extra.get("reading_time", "")
    if field == "reading_time" and reading and reading in quoted:
        return f"{name} is a {reading}."
    facts = []
    if field == "author" and source.author and _value(source, "author") in quoted:
        facts.append(f"written by {source.author}")
    if field in ("author", "date") and source.date and source.date in quoted:
        facts.append(f"published on {source.date}")
    updated = source.extra.get("updated", "")
    if field in ("author", "date", "updated") and updated and updated in quoted:
        facts.append(f"updated on {updated}")
    if not facts:
        return ""
    listed = facts[0] if len(facts) == 1 else f"{', '.join(facts[:-1])} and {facts[-1]}"
    return f"{name} was {listed}."
