"""What the Streamlit app needs besides Streamlit: text shaping for Markdown, citations and exports.

Everything here is plain Python, so the rules that matter in the app are
tested without a browser: how source text is made safe to show through
Markdown, how a cited passage is highlighted inside its paragraph or its
whole source, how an answer is cut into pieces to stream with markers that
lead to their citations, how crisis numbers become links a phone can call,
how an answer is copied and a conversation exported.

Deliberately not handled: rendering itself (``app.py`` does that), and
Markdown that a source means as Markdown: every source text is shown
literally, asterisks and all.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from assistant.answer.citations import PassageContext
from assistant.index.building import IndexReport

log = logging.getLogger(__name__)

TITLE = "Self-compassion, with sources"
# How the reader's choice of answer mode is labelled.
ANSWER_MODES = {
    "extractive": "Quotes from the sources",
    "ollama": "Written by the model (Ollama), each sentence checked",
    "openai": "Written by the model, each sentence checked",
    "local": "Written by the local model, each sentence checked",
}

# -- Markdown -------------------------------------------------------------------

# Characters that start Markdown (or Streamlit's $math$) anywhere in a line.
# Quotes, dots and dashes mid-line are plain text in CommonMark and are left
# alone so that the text stays readable.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|&])")
# Characters that only mean something at the start of a line: headings,
# quotes, lists, setext underlines, ordered lists ("1." or "1)").
_LINE_START = re.compile(r"^( ?)([-+=#>])")
_ORDERED = re.compile(r"^( ?\d+)([.)])")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
# Streamlit reads ":name:" as an emoji or icon and ":color[...]" as a
# directive, in places even with the colons escaped; an invisible word joiner
# after the colon keeps them text.
_SHORTCODE = re.compile(r":(?=[\w+-])")


def escape_markdown(text: str) -> str:
    """Text that ``st.markdown`` shows exactly as written, line breaks kept.

    >>> escape_markdown("<b>*hi*</b> self-care [1]")
    '\\\\<b\\\\>\\\\*hi\\\\*\\\\</b\\\\> self-care \\\\[1\\\\]'
    >>> escape_markdown("# One\\n1. two")
    '\\\\# One  \\n1\\\\. two'
    """
    lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line)  # runs of spaces would make an indented code block
        line = _INLINE_SPECIAL.sub(r"\\\1", line)
        line = _LINE_START.sub(r"\1\\\2", line)
        line = _ORDERED.sub(r"\1\\\2", line)
        lines.append(_SHORTCODE.sub(":\u2060", line))
    return "  \n".join(lines)


# A highlighter stroke: dark text on yellow reads clearly on the page's
# off-white, where Streamlit's own :orange-background[] is barely visible.
HIGHLIGHT_COLORS = 'foreground="#1f1f1f" background="#ffe066"'

# The only HTML the app sends: a constant stylesheet, never built from any text.
# Streamlit pads a coloured background on both sides (each wrapped line too),
# which shifts the quote's words off the paragraph's left edge and leaves a
# double-width gap after it; inside a passage the highlight gets no sideways
# padding, so the words stay exactly where the paragraph puts them.
# "Get help now" sits at the top of the sidebar; where the sidebar folds away
# (narrow screens, as Streamlit folds it below 768 px) a copy shows beside the
# chat box instead, which never scrolls away. A citation marker is a link to its citation: it keeps
# the badge's look rather than a link's underline.
MAIN_HELP_KEY = "help-main"
PAGE_STYLE = """<style>
[class*="st-key-passage-"] span.stMarkdownColoredBackground,
[class*="st-key-source-text"] span.stMarkdownColoredBackground {
  padding: 0.1em 0;
  margin: 0;
  border-radius: 0.15em;
}
@media (min-width: 768px) {
  .st-key-help-main { display: none; }
}
a[href^="#cite-"] { text-decoration: none; }
</style>"""


def highlight(text: str) -> str:
    """Escaped text marked as with a highlighter, line by line (a highlight cannot span lines).

    >>> highlight("Be kind.\\nRest.").replace(HIGHLIGHT_COLORS, "…")
    ':color[Be kind.]{…}  \\n:color[Rest.]{…}'
    """
    lines = escape_markdown(text).split("  \n")
    return "  \n".join(f":color[{line}]{{{HIGHLIGHT_COLORS}}}" if line.strip() else line for line in lines)


def marker(n: int) -> str:
    """How an answer shows its citation marker ``[n]``: ``marker(2)`` is ``':blue-badge[2]'``."""
    return f":blue-badge[{n}]"


def citation_anchor(turn_id: str, n: int) -> str:
    """The key of citation ``n`` of one answer, and the anchor its marker links to: ``cite-ab12-2``."""
    return f"cite-{turn_id}-{n}"


def marker_link(n: int, turn_id: str) -> str:
    """A marker that leads to its citation: ``marker_link(2, "ab12")`` is ``'[:blue-badge[2]](#cite-ab12-2)'``."""
    return f"[{marker(n)}](#{citation_anchor(turn_id, n)})"


_MARKER = re.compile(r"(?<!\S)\[(\d+)\](?!\S)")
_PIECE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|(?<=\])\s+")


def answer_pieces(answer: str, turn_id: str = "") -> list[str]:
    """The answer as Markdown pieces to stream, a sentence (or a marker) at a time.

    Text is escaped; ``[n]`` markers become badges, links to their citations
    when the answer's ``turn_id`` is given. Joined, the pieces are the whole answer.

    >>> answer_pieces("Rest *helps*. Kindness heals. [1] Sleep too. [2]")
    ['Rest \\\\*helps\\\\*. ', 'Kindness heals. :blue-badge[1] ', 'Sleep too. :blue-badge[2]']
    >>> answer_pieces("Rest. [1]", turn_id="ab12")
    ['Rest. [:blue-badge[1]](#cite-ab12-1)']
    """
    pieces: list[str] = []
    position = 0
    for end in [m.end() for m in _PIECE_END.finditer(answer)] + [len(answer)]:
        piece = answer[position:end]
        position = end
        if not piece:
            continue
        if _MARKER.fullmatch(piece.strip()) and pieces:
            pieces[-1] += piece  # a marker stays with the sentence it supports
        else:
            pieces.append(piece)
    return [_render_markers(p, turn_id) for p in pieces]


def _render_markers(text: str, turn_id: str) -> str:
    out, position = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        out.append(escape_markdown(text[position : m.start()]) + (marker_link(n, turn_id) if turn_id else marker(n)))
        position = m.end()
    out.append(escape_markdown(text[position:]))
    return "".join(out)


# -- help ------------------------------------------------------------------------------

# A phone number in bold, as the safety module writes them: **988**, **116 123**.
_BOLD_NUMBER = re.compile(r"\*\*(\d[\d ]{0,14}\d)\*\*")
_SAYS_TEXT = re.compile(r"\btext\s*$", re.IGNORECASE)


def dial_links(markdown: str) -> str:
    """The crisis lines' Markdown with each number a link that calls it, and one that texts it where texting is offered.

    >>> dial_links("US: call or text **988** (emergency **911**)")
    'US: call or text [**988**](tel:988) ([text](sms:988)) (emergency [**911**](tel:911))'
    >>> dial_links("Samaritans **116 123**")
    'Samaritans [**116 123**](tel:116123)'
    """

    def link(m: re.Match[str]) -> str:
        number, digits = m[1], m[1].replace(" ", "")
        texts = _SAYS_TEXT.search(markdown[max(0, m.start() - 12) : m.start()]) is not None
        return f"[**{number}**](tel:{digits})" + (f" ([text](sms:{digits}))" if texts else "")

    return _BOLD_NUMBER.sub(link, markdown)


# -- citations ----------------------------------------------------------------------


def context_markdown(quote: str, context: PassageContext | None = None) -> str:
    """A cited passage in its paragraph: the quote highlighted, everything else escaped, "…" where it goes on.

    >>> context_markdown("Be kind.", PassageContext(before="Rest. ", after=" Then", clipped_after=True))
    'Rest. :color[Be kind.]{foreground="#1f1f1f" background="#ffe066"} Then…'
    """
    if context is None:
        return highlight(quote)
    before = ("…" if context.clipped_before else "") + context.before
    after = context.after + ("…" if context.clipped_after else "")
    return escape_markdown(before) + highlight(quote) + escape_markdown(after)


def source_markdown(text: str, start: int | None = None, end: int | None = None) -> str:
    """A whole source to read, with the span ``start..end`` highlighted when one is given.

    >>> source_markdown("One.\\n\\nBe kind. Two.", 6, 14).replace(HIGHLIGHT_COLORS, "…")
    'One.  \\n  \\n:color[Be kind.]{…} Two.'
    """
    if start is None or end is None or not 0 <= start < end <= len(text):
        return escape_markdown(text)
    return escape_markdown(text[:start]) + highlight(text[start:end]) + escape_markdown(text[end:])


def citation_title(citation: Mapping[str, Any]) -> str:
    """One line naming a cited source.

    >>> citation_title({"title": "Healing", "author": "M. M.", "date": "Mar 19"})
    'Healing — M. M., Mar 19'
    """
    details = ", ".join(x for x in (citation["author"], citation["date"]) if x)
    return citation["title"] + (f" — {details}" if details else "")


def citation_label(citation: Mapping[str, Any], words: int = 9) -> str:
    """What a closed citation shows: the start of its quote and who wrote it.

    >>> citation_label({"quote": "Rest is not a reward.\\nIt is a need.", "author": "M. M.", "title": "T"}, words=6)
    '“Rest is not a reward. It…” — M. M.'
    >>> citation_label({"quote": "Be kind.", "author": "", "title": "Notes"})
    '“Be kind.” — Notes'
    """
    quoted = citation["quote"].split()
    snippet = " ".join(quoted[:words]) + ("…" if len(quoted) > words else "")
    return f"“{snippet}” — {citation['author'] or citation['title']}"


def safe_url(url: str) -> str:
    """A web address fit for a Markdown link, or "" for anything that is not http(s).

    >>> safe_url("https://example.org/a (b)#:~:text=x"), safe_url("javascript:alert(1)")
    ('https://example.org/a%20%28b%29#:~:text=x', '')
    """
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https"):
        return ""
    return quote(url.strip(), safe="/:?#[]@!$&'*+,;=%~")


def site_of(url: str) -> str:
    """``site_of("https://www.rogersbh.org/blog/x")`` is ``'rogersbh.org'``."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def read_it_on(url: str) -> str:
    """Markdown linking to a cited source on the web, saying honestly where the link lands; "" if none.

    Only a link with a text fragment opens at the passage itself.

    >>> read_it_on("https://www.example.org/p#:~:text=Rest")
    '[Read it on example.org](https://www.example.org/p#:~:text=Rest) :gray[— opens the page at this passage]'
    >>> read_it_on("https://example.org/p"), read_it_on("notes.md")
    ('[Read it on example.org](https://example.org/p) :gray[— opens the cited page]', '')
    """
    link = safe_url(url)
    if not link:
        return ""
    lands = "opens the page at this passage" if ":~:text=" in link else "opens the cited page"
    return f"[Read it on {escape_markdown(site_of(link))}]({link}) :gray[— {lands}]"


def indexed_when(stamp: str) -> str:
    """A catalog timestamp as a person reads it.

    >>> indexed_when("2025-11-05T19:04:07Z"), indexed_when("soon")
    ('5 Nov 2025', 'soon')
    """
    try:
        parsed = time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return stamp
    return time.strftime("%d %b %Y", parsed).lstrip("0")


def report_summary(report: IndexReport) -> str:
    """What a re-index changed, in one sentence.

    >>> report_summary(IndexReport(added=1, unchanged=2, chunks_embedded=5, chunks_total=30, seconds=1.25))
    'Re-indexed: 1 added, 0 updated, 2 unchanged, 0 deleted; 5 passages embedded, 30 in the index (1.2 s).'
    """
    return (
        f"Re-indexed: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.deleted} deleted; {report.chunks_embedded} passages embedded, "
        f"{report.chunks_total} in the index ({report.seconds:.1f} s)."
    )


# -- feedback -------------------------------------------------------------------------

THUMBS = {0: "down", 1: "up"}


def rating_of(value: int | None) -> str:
    """``st.feedback("thumbs")`` gives 0 or 1 (or None); the store keeps "down", "up" or ""."""
    return THUMBS.get(value, "") if value is not None else ""


# -- conversation export --------------------------------------------------------------


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in escape_markdown(text).split("  \n"))


def conversation_markdown(turns: Iterable[Mapping[str, Any]], title: str = TITLE) -> str:
    """A conversation as a Markdown document, each answer followed by its citations.

    ``turns`` are ``{"question": str, "answer": Answer.to_dict()}``.

    >>> print(conversation_markdown([{"question": "Why *rest*?", "answer": {"status": "answered",
    ...     "answer": "Rest heals. [1]", "resources": "", "related": [], "citations": [{"n": 1,
    ...     "title": "T", "author": "A", "date": "", "quote": "Rest heals.", "link": "", "url": ""}]}}]), end="")
    # Self-compassion, with sources
    <BLANKLINE>
    ## You
    <BLANKLINE>
    Why \\*rest\\*?
    <BLANKLINE>
    ## Assistant
    <BLANKLINE>
    Rest heals. \\[1\\]
    <BLANKLINE>
    **Sources**
    <BLANKLINE>
    1. T — A
    <BLANKLINE>
       > Rest heals.
    """
    parts = [f"# {escape_markdown(title)}"]
    for turn in turns:
        answer = turn["answer"]
        parts += ["## You", escape_markdown(turn["question"]), "## Assistant"]
        trusted = answer["status"] == "crisis"  # the crisis message is the app's own Markdown
        parts.append(answer["answer"].strip() if trusted else escape_markdown(answer["answer"]))
        for heading, citations in (("Sources", answer["citations"]), ("Related (not an answer)", answer["related"])):
            if not citations:
                continue
            parts.append(f"**{heading}**")
            for c in citations:
                entry = f"{c['n']}. {escape_markdown(citation_title(c))}"
                link = safe_url(c["link"] or c["url"])
                if link:
                    entry += f" — <{link}>"
                parts.append(entry + "\n\n" + "\n".join("   " + line for line in _quoted(c["quote"]).split("\n")))
        if answer["resources"] and not trusted:
            parts.append(answer["resources"].strip())
    return "\n\n".join(parts) + "\n"


_COMMAND_SENTENCE = re.compile(r"[^.!?;]*`[^`]+`[^.!?]*[.!?]?\s*")
_LEFT_FOR_MAINTAINER = "The maintainer can put this right; please try again later."


def for_readers(message: str) -> str:
    """An error message as a reader sees it: the sentences that tell a maintainer what to run are left out
    (the maintainer's page, the command line and the server log keep them whole).

    >>> for_readers("The index was built with another model. Rebuild it with `assistant index --full`.")
    'The index was built with another model. The maintainer can put this right; please try again later.'
    >>> for_readers("The question is empty.")
    'The question is empty.'
    """
    kept = _COMMAND_SENTENCE.sub("", message).strip()
    if kept == message.strip():
        return message
    return f"{kept} {_LEFT_FOR_MAINTAINER}" if kept else _LEFT_FOR_MAINTAINER


def verification_note(answer: Mapping[str, Any]) -> str:
    """What a reader is told of a written answer's checks ("" for quotes, and for a written answer that fell back).

    >>> verification_note({"mode": "openai", "verification": {"kept": 2, "dropped": 1, "fell_back": False}})
    'Written by a language model from the passages below. 2 sentences matched the passages they cite; 1 that did not was left out.'
    >>> verification_note({"mode": "extractive"})
    ''
    """
    checked = answer.get("verification")
    if answer.get("mode", "extractive") == "extractive" or not checked or checked.get("fell_back"):
        return ""
    kept, dropped = checked.get("kept", 0), checked.get("dropped", 0)
    note = (
        f"Written by a language model from the passages below. {kept} sentence{'' if kept == 1 else 's'} "
        f"matched the passage{'' if kept == 1 else 's'} {'it cites' if kept == 1 else 'they cite'}"
    )
    if dropped:
        note += f"; {dropped} that did not {'was' if dropped == 1 else 'were'} left out"
    return note + "."


def answer_text(answer: Mapping[str, Any]) -> str:
    """An answer as plain text to paste elsewhere: what it says, then the sources its markers name.

    >>> print(answer_text({"answer": "Rest heals. [1]", "related": [], "citations": [{"n": 1, "title": "T",
    ...     "author": "A", "date": "", "quote": "Rest heals.", "link": "https://example.org/p", "url": ""}]}))
    Rest heals. [1]
    <BLANKLINE>
    Sources:
    [1] T — A: “Rest heals.” https://example.org/p
    """
    parts = [answer["answer"].strip()]
    for heading, citations in (("Sources", answer["citations"]), ("Related (not an answer)", answer["related"])):
        if citations:
            lines = [f"{heading}:"]
            for c in citations:
                where = c["link"] or c["url"]
                quote = " ".join(c["quote"].split())
                lines.append(f"[{c['n']}] {citation_title(c)}: “{quote}”" + (f" {where}" if where else ""))
            parts.append("\n".join(lines))
    return "\n\n".join(parts)
