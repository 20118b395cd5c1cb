"""Loaders turn each kind of file into the text a reader sees."""

from __future__ import annotations

import pytest

from assistant.errors import LoaderError
from assistant.loaders import load_file
from tests.helpers import write_pdf

MAX = 1_000_000


def test_html_keeps_readable_text_and_drops_hidden_parts(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Kindness</title><style>p{color:red}</style>"
        '<meta name="author" content="A. Writer"></head><body>'
        "<nav>Home</nav><p>Be <em>kind</em> to yourself.</p>"
        '<p style="display: none">SECRET one</p><div hidden>SECRET two</div>'
        '<span aria-hidden="true">SECRET three</span><script>var SECRET = 4</script>'
        "<p>Second para\u200bgraph.</p></body></html>",
        encoding="utf-8",
    )
    loaded = load_file(page, MAX)
    assert "Be kind to yourself." in loaded.text
    assert "Second paragraph." in loaded.text
    assert "SECRET" not in loaded.text
    assert "\u200b" not in loaded.text
    assert (loaded.title, loaded.author) == ("Kindness", "A. Writer")


def test_markdown_is_read_as_text_with_its_title(tmp_path):
    note = tmp_path / "note.md"
    note.write_text("---\nauthor: Sam\n---\n# Rest\n\nSleep **helps** recovery.\n", encoding="utf-8")
    loaded = load_file(note, MAX)
    assert loaded.text == "Rest\n\nSleep helps recovery."
    assert (loaded.title, loaded.author) == ("Rest", "Sam")


def test_pdf_text_is_read_page_by_page(tmp_path):
    pdf = tmp_path / "guide.pdf"
    write_pdf(pdf, ["First page about rest.", "Second page about kindness."])
    loaded = load_file(pdf, MAX)
    assert [loaded.text[a:b] for a, b in loaded.pages] == ["First page about rest.", "Second page about kindness."]


def test_text_in_a_legacy_encoding_is_decoded(tmp_path):
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("Soyez indulgent envers vous-même, café et crème brûlée, à bientôt.".encode("cp1252"))
    assert "vous-même" in load_file(legacy, MAX).text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "no readable text"),
        ("binary.txt", b"\x00\x01\x02\xffELF" * 20, "binary"),
        ("fake.pdf", b"this is not a pdf at all", "not a PDF"),
        ("broken.pdf", b"%PDF-1.4\n garbage without objects", "could not be read"),
        ("data.xyz", b"whatever", "unsupported file type"),
    ],
)
def test_unreadable_files_are_refused_with_their_name(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoaderError) as error:
        load_file(path, MAX)
    assert name in str(error.value)
    assert reason in str(error.value)


def test_files_over_the_size_limit_are_refused(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("kind words " * 200, encoding="utf-8")
    with pytest.raises(LoaderError, match=r"big.txt.*over the 100-byte limit"):
        load_file(big, 100)
