"""The plain-Python rules behind the pages: escaping, highlighting, markers, phone links, exports, settings files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assistant import ui
from assistant.answer.citations import paragraph_context
from assistant.safety import CRISIS_MESSAGE, CRISIS_RESOURCES

ROOT = Path(__file__).resolve().parent.parent

NASTY = [
    "<script>alert(1)</script>",
    "*stars* _under_ **bold** `code` ~~gone~~ $x^2$",
    "[link](https://example.org) ![img](x.png) <https://example.org>",
    "# heading\n- item\n+ item\n1. one\n2) two\n> quote\n---\n===",
    "a | b\n-|-\n&amp; &lt; \\ backslash",
    "    indented code\n\ttabbed",
    ":smile: :red[x] :material/home: 10:30 Note: fine",
]


@pytest.mark.parametrize("text", NASTY)
def test_escaped_text_renders_as_exactly_that_text(text):
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(ui.escape_markdown(text))
    assert html.count("<p>") == 1  # no heading, list, quote, code block or table
    inner = re.sub(r"<br />\n?", "\n", html.removeprefix("<p>").removesuffix("</p>\n"))
    assert "<" not in inner.replace("&lt;", "")  # no element at all
    unescaped = (
        inner.replace("\u2060", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    assert unescaped == "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))


def test_a_quote_is_highlighted_inside_its_own_paragraph_only():
    text = "Title\n\nFirst thought. Be kind to yourself. Last thought.\n\nNext paragraph."
    start = text.index("Be kind")
    end = start + len("Be kind to yourself.")
    context = paragraph_context(text, start, end)
    assert (context.before, context.after) == ("First thought. ", " Last thought.")
    assert (
        ui.context_markdown(text[start:end], context)
        == f"First thought. :color[Be kind to yourself.]{{{ui.HIGHLIGHT_COLORS}}} Last thought."
    )


def test_long_paragraphs_are_clipped_at_words():
    text = "word " * 400 + "THE QUOTE." + " more" * 400
    start = text.index("THE QUOTE.")
    context = paragraph_context(text, start, start + 10, max_chars=50)
    assert context.clipped_before and context.clipped_after
    assert len(context.before) <= 50 and context.before.startswith("word")
    shown = ui.context_markdown("THE QUOTE.", context)
    assert shown.startswith("…word") and shown.endswith("more…")


def test_a_whole_source_shows_every_word_and_highlights_only_the_passage():
    text = "# Title\n\nFirst *thought*. Be kind to yourself. Last.\n\nNext <b>paragraph</b>."
    start = text.index("Be kind")
    shown = ui.source_markdown(text, start, start + len("Be kind to yourself."))
    assert shown.count(":color[") == 1 and ":color[Be kind to yourself.]" in shown
    assert re.sub(r"\\(.)", r"\1", re.sub(r":color\[(.*?)\]\{[^}]*\}", r"\1", shown)).replace("  \n", "\n") == text
    assert ":color[" not in ui.source_markdown(text, 5, 2)  # a span that is not one is ignored


@pytest.mark.parametrize("text", [CRISIS_RESOURCES, CRISIS_MESSAGE])
def test_every_crisis_number_can_be_called_from_a_phone(text):
    numbers = re.findall(r"\*\*(\d[\d ]*\d)\*\*", text)
    assert numbers  # the crisis texts name their numbers in bold
    linked = ui.dial_links(text)
    for number in numbers:
        assert f"[**{number}**](tel:{number.replace(' ', '')})" in linked
    assert "(sms:988)" in linked  # 988 takes texts too
    assert re.sub(r"\[(\*\*[^]]*\*\*)\]\(tel:\d+\)| \(\[text\]\(sms:\d+\)\)", r"\1", linked) == text


def test_markers_link_to_the_citation_of_their_own_answer():
    pieces = ui.answer_pieces("Rest heals. [1] Sleep too. [2]", turn_id="t1")
    assert "".join(pieces) == "Rest heals. [:blue-badge[1]](#cite-t1-1) Sleep too. [:blue-badge[2]](#cite-t1-2)"
    assert ui.citation_anchor("t1", 2) == "cite-t1-2"


def test_the_conversation_download_keeps_every_citation():
    turns = [
        {
            "question": "Who <b>wrote</b> it?",
            "answer": {
                "status": "answered", "answer": "Writer: Marissa Mireles [1]", "resources": "", "related": [],
                "citations": [{
                    "n": 1, "title": "Healing from Within", "author": "Marissa Mireles", "date": "Mar 19",
                    "quote": "Writer: Marissa Mireles", "url": "https://example.org/a", "link": "https://example.org/a#:~:text=Writer",
                }],
            },
        },
        {"question": "I want to die", "answer": {"status": "crisis", "answer": "**Call 988**", "resources": "x", "citations": [], "related": []}},
    ]  # fmt: skip
    document = ui.conversation_markdown(turns)
    assert "Who \\<b\\>wrote\\</b\\> it?" in document
    assert "1. Healing from Within — Marissa Mireles, Mar 19 — <https://example.org/a#:~:text=Writer>" in document
    assert "   > Writer: Marissa Mireles" in document
    assert "**Call 988**" in document


def test_the_streamlit_config_keeps_readers_away_from_developer_tools_and_follows_the_system_theme():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["toolbarMode"] == "minimal"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["fileWatcherType"] == "none"  # it would walk the whole virtualenv
    # Both themes and no fixed base: Streamlit follows the system's light or dark preference.
    assert "base" not in config.get("theme", {})
    assert {"light", "dark"} <= set(config["theme"])
