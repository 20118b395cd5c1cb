"""Property-based tests: arbitrary text never breaks the chunker or the cleaner's guarantees."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import chunk_text, paragraph_spans, sentence_spans
from assistant.text import normalise

# Text with the characters that matter here: sentence ends, line breaks,
# quotes, abbreviations, invisible and combining characters, any Unicode.
pieces = st.sampled_from(
    [
        ". ",
        "! ",
        "? ",
        "\n",
        "\n\n",
        "\n \n",
        "Dr. ",
        "e.g. ",
        "P. ",
        "“",
        "”",
        "’",
        "…",
        "\u200b",
        "\u0301",
        " ",
        "A",
        "a",
    ]
)
texty = st.lists(st.one_of(pieces, st.text(min_size=1, max_size=12)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(texty, st.integers(min_value=40, max_value=400))
def test_chunks_always_address_the_exact_text(raw, max_chars):
    text = normalise(raw)
    chunks = chunk_text(text, max_chars)
    previous_end = 0
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        assert len(chunk.text) <= max_chars
        assert chunk.start >= previous_end  # in order, never overlapping
        previous_end = chunk.end
    # Nothing but whitespace is left out.
    covered = "".join(c.text for c in chunks)
    assert "".join(covered.split()) == "".join(text.split())


@settings(max_examples=300, deadline=None)
@given(texty)
def test_sentences_tile_each_paragraph(raw):
    text = normalise(raw)
    for start, end in paragraph_spans(text):
        spans = sentence_spans(text, start, end)
        assert all(start <= a < b <= end for a, b in spans)
        assert "".join("".join(text[a:b].split()) for a, b in spans) == "".join(text[start:end].split())


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalising_is_idempotent_and_drops_invisible_characters(raw):
    once = normalise(raw)
    assert normalise(once) == once
    assert not any(ch in once for ch in "\u200b\u200c\u200d\u2060\ufeff\u202e\u2066\x00\x07")
