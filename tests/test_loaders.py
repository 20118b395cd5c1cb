"""Loaders turn each kind of file into the text a reader sees."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from assistant.errors import LoaderError
from assistant.loaders import load_file
from tests.helpers import write_aes_pdf, write_pdf, write_rc4_pdf

MAX = 1_000_000
# pypdf decrypts RC4 by itself; AES needs the optional `cryptography` package.
HAS_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None


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


ENCRYPTED = {
    # name: (writer, user password, what a person is told; None when the text is read)
    "aes.pdf": (
        lambda path, pages, user_password: write_aes_pdf(path),
        "",
        None if HAS_CRYPTOGRAPHY else "is encrypted with AES",
    ),
    "aes-locked.pdf": (
        lambda path, pages, user_password: write_aes_pdf(path, locked=True),
        "secret",
        "encrypted and password-protected",
    ),
    "rc4.pdf": (write_rc4_pdf, "", None),
    "rc4-locked.pdf": (write_rc4_pdf, "secret", "encrypted and password-protected"),
}


@pytest.mark.parametrize("name", ENCRYPTED)
def test_an_encrypted_pdf_is_read_if_it_opens_without_a_password_or_refused_saying_why(tmp_path, name):
    write, password, reason = ENCRYPTED[name]
    pdf = tmp_path / name
    write(pdf, ["Rest is part of the work.", "Kindness is a skill."], user_password=password)
    if reason is None:
        assert load_file(pdf, MAX).text == "Rest is part of the work.\n\nKindness is a skill."
        return
    with pytest.raises(LoaderError) as error:
        load_file(pdf, MAX)
    assert str(error.value).startswith(f"{name}: ")
    assert reason in str(error.value) and str(error.value).endswith("skipped.")
    if "AES" in reason:
        assert "pip install cryptography" in str(error.value)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        # PyYAML raises ValueError for an impossible date and RecursionError for deep nesting.
        ("bad-date.md", "---\ndate: 2024-02-30\n---\n# Rest\n\nSleep helps.\n", "ValueError: day is out of range"),
        ("deep.md", "---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n# Rest\n", "RecursionError"),
    ],
)
def test_a_surprise_inside_a_parser_is_refused_with_the_file_name(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LoaderError) as error:
        load_file(path, MAX)
    assert str(error.value).startswith(f"{name}: could not be read (")
    assert reason in str(error.value)


def test_unreadable_files_are_skipped_and_the_rest_of_the_corpus_is_indexed(settings, corpus_dir):
    write_aes_pdf(corpus_dir / "aes.pdf")
    write_rc4_pdf(corpus_dir / "locked.pdf", ["Locked words."], user_password="secret")
    write_rc4_pdf(corpus_dir / "open.pdf", ["Breathing slowly calms the body."], user_password="")
    (corpus_dir / "bad-date.md").write_text("---\ndate: 2024-02-30\n---\n# Rest\n\nSleep helps.\n")
    (corpus_dir / "note.md").write_text("# Walks\n\nA short walk after a setback helps.\n", encoding="utf-8")
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    result = run("index", "--json")
    assert result.returncode == 0, result.stderr
    skipped = json.loads(result.stdout)["skipped"]
    expected = ["bad-date.md: could not be read", "locked.pdf: is encrypted and password-protected"]
    if not HAS_CRYPTOGRAPHY:
        expected.append("aes.pdf: is encrypted with AES")
    assert len(skipped) == len(expected)
    assert all(any(m.startswith(prefix) for m in skipped) for prefix in expected), skipped
    listed = {s["id"] for s in json.loads(run("sources", "--json").stdout)}
    assert {"healing-from-within", "rogers-2025", "tucker-2024", "open-pdf", "note-md"} <= listed
    assert not {"locked-pdf", "bad-date-md"} & listed
    human = run("index")
    assert human.returncode == 0 and "Traceback" not in human.stderr
    assert "skipped: locked.pdf: is encrypted and password-protected" in human.stderr
