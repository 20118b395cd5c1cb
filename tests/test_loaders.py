"""Loaders turn each kind of file into the text a reader sees."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from assistant.errors import LoaderError
from assistant.ingest.loaders import load_file
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
    (corpus_dir / "legacy.txt").write_bytes("Une pause bienveillante aide, même brève.".encode("cp1252"))
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    result = run("index", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    skipped = report["skipped"]
    expected = ["bad-date.md: could not be read", "locked.pdf: is encrypted and password-protected"]
    # Indexed, and the person is told.
    assert [n for n in report["notes"] if n.startswith("legacy.txt: not valid UTF-8; read as windows-1252")]
    if not HAS_CRYPTOGRAPHY:
        expected.append("aes.pdf: is encrypted with AES")
    assert len(skipped) == len(expected)
    assert all(any(m.startswith(prefix) for m in skipped) for prefix in expected), skipped
    listed = {s["id"] for s in json.loads(run("sources", "--json").stdout)}
    assert {"healing-from-within", "rogers-2025", "tucker-2024", "open-pdf", "note-md", "legacy-txt"} <= listed
    assert not {"locked-pdf", "bad-date-md"} & listed
    human = run("index")
    assert human.returncode == 0 and "Traceback" not in human.stderr
    assert "skipped: locked.pdf: is encrypted and password-protected" in human.stderr
    assert "note: legacy.txt: not valid UTF-8; read as windows-1252" in human.stderr


def _html_text(tmp_path, body: str, head: str = "") -> str:
    page = tmp_path / "page.html"
    page.write_text(f"<html><head>{head}</head><body><p>Visible words.</p>{body}</body></html>", encoding="utf-8")
    text = load_file(page, MAX).text
    assert "Visible words." in text
    return text


@pytest.mark.parametrize(
    "style",
    [
        "DISPLAY:NONE",
        "Display: None",
        "display :\n none !important",
        "color: red; VISIBILITY:Hidden",
        "opacity: 0.0",
        "opacity:0%",
        "font-size: 0PX",
        "display: /* a comment */ none",
    ],
)
def test_an_inline_style_hides_text_whatever_its_case_and_spacing(tmp_path, style):
    assert "SECRET" not in _html_text(tmp_path, f'<p style="{style}">SECRET words</p>')


@pytest.mark.parametrize(
    "style", ["opacity: 0.5", "font-size: 0.9em", "display: none; display: block", "display: nonesuch"]
)
def test_an_inline_style_that_shows_text_keeps_it(tmp_path, style):
    assert "Shown words" in _html_text(tmp_path, f'<p style="{style}">Shown words</p>')


@pytest.mark.parametrize(
    ("css", "body"),
    [
        (".sr{display:none}", '<p class="note sr">SECRET</p>'),
        ("#aside { DISPLAY: NONE }", '<div id="aside"><p>SECRET</p></div>'),
        ("p.x, .y { visibility: hidden }", '<p class="x">SECRET one</p><span class="y">SECRET two</span>'),
        ("main .tiny{font-size:0}", '<main><p class="tiny">SECRET</p></main>'),
        ("/* hide */ .a { color: red } .b { opacity: 0 }", '<p class="b">SECRET</p>'),
        (".sr{display:none} .sr.shown{display:block} .sr.sr{display:none}", '<p class="sr shown">SECRET</p>'),
    ],
)
def test_text_hidden_by_the_pages_own_stylesheet_is_dropped(tmp_path, css, body):
    assert "SECRET" not in _html_text(tmp_path, body, head=f"<style>{css}</style>")


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ("<style>.tab{display:none} .tab.active{display:block}</style>", '<p class="tab active">Shown words</p>'),
        ("<style>.sr{display:none}</style>", '<p class="sr" style="display: block">Shown words</p>'),
        ("<style>@media print { .screen { display: none } }</style>", '<p class="screen">Shown words</p>'),
        ('<style media="print">.screen { display: none }</style>', '<p class="screen">Shown words</p>'),
        (
            "<style>.icon::before { display: none } .x:hover { display: none }</style>",
            '<p class="icon x">Shown words</p>',
        ),
        ("<style>.sr{display:none}</style>", '<p class="SR">Shown words</p>'),  # class names are case-sensitive
    ],
)
def test_text_the_stylesheet_leaves_visible_is_kept(tmp_path, head, body):
    assert "Shown words" in _html_text(tmp_path, body, head=head)


def test_valid_utf8_is_read_without_a_note(tmp_path):
    note = tmp_path / "fine.txt"
    note.write_text("Soyez indulgent envers vous-même.", encoding="utf-8")
    assert load_file(note, MAX).notes == ()


@pytest.mark.parametrize(
    ("data", "expected", "note"),
    [
        # Mostly ASCII with bytes that are UTF-8 nowhere: read in a legacy encoding, and said so.
        (b"Self-kindness matters \xff\xfe\xc3( and so does rest.", "Self-kindness matters", "not valid UTF-8; read as"),
        (
            "Soyez indulgent envers vous-même, café et crème brûlée.".encode("cp1252"),
            "vous-même",
            "read as windows-1252",
        ),
        # UTF-8 with one damaged byte: the accents stay right, the bad byte shows as U+FFFD.
        ("Soyez indulgent envers vous-même, café et crème. ".encode() * 2 + b"\xff end", "vous-même, café", "\ufffd"),
    ],
)
def test_text_that_is_not_valid_utf8_is_read_with_a_note_naming_the_file(tmp_path, data, expected, note):
    path = tmp_path / "odd bytes.txt"
    path.write_bytes(data)
    loaded = load_file(path, MAX)
    assert expected in loaded.text
    assert len(loaded.notes) == 1
    assert loaded.notes[0].startswith("odd bytes.txt: not valid UTF-8")
    assert note in loaded.notes[0]


def test_html_that_declares_its_legacy_charset_is_read_without_a_note(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes('<meta charset="windows-1252"><p>Le café refroidit.</p>'.encode("cp1252"))
    loaded = load_file(page, MAX)
    assert (loaded.text, loaded.notes) == ("Le café refroidit.", ())


def test_a_large_page_with_many_blocks_and_style_rules_is_read_in_seconds(tmp_path):
    # Both used to be quadratic: about 90 s for this page, so indexing one saved forum thread stalled.
    css = "".join(f".c{i} {{ display: {'none' if i % 50 == 0 else 'block'} }}\n" for i in range(400))
    blocks = "".join(f'<div class="c{i % 450}"><p>Note {i} on rest.</p></div>' for i in range(20_000))
    page = tmp_path / "thread.html"
    page.write_text(f"<html><head><style>{css}</style></head><body>{blocks}</body></html>", encoding="utf-8")
    started = time.perf_counter()
    text = load_file(page, 20_000_000).text
    assert time.perf_counter() - started < 20
    assert "Note 1 on rest." in text and "Note 0 on rest." not in text  # .c0 is hidden


HIDDEN_CASES = tomllib.loads((Path(__file__).parent / "hidden_html.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", HIDDEN_CASES["hidden"], ids=lambda case: case["name"])
def test_text_a_reader_cannot_see_is_not_indexed(tmp_path, case):
    head = f"<style>{case['style']}</style>" if "style" in case else ""
    text = _html_text(tmp_path, case["html"], head=head)
    assert "SECRET" not in text


@pytest.mark.parametrize("case", HIDDEN_CASES["visible"], ids=lambda case: case["name"])
def test_text_a_reader_can_see_is_indexed(tmp_path, case):
    head = f"<style>{case['style']}</style>" if "style" in case else ""
    assert "Shown words" in _html_text(tmp_path, case["html"], head=head)


def test_random_bytes_without_a_nul_are_refused_not_indexed_as_garbage(tmp_path):
    noise = tmp_path / "noise.txt"
    rng = random.Random(7)
    noise.write_bytes(bytes(rng.randrange(1, 256) for _ in range(80_000)))  # no NUL byte
    with pytest.raises(LoaderError, match=r"^noise\.txt: does not look like text \(\d+% of it"):
        load_file(noise, MAX)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_text_with_a_byte_order_mark_is_read_in_its_encoding(tmp_path, encoding):
    text = "Soyez indulgente envers vous-même : une amie naïve, un cœur patient. 自分への思いやり"
    path = tmp_path / "marked.txt"
    bom = {"utf-16-be": "\ufeff", "utf-32-be": "\ufeff"}.get(encoding, "")  # the -be codecs write none
    path.write_bytes((bom + text).encode(encoding))
    loaded = load_file(path, MAX)
    assert (loaded.text, loaded.notes) == (text, ())


@pytest.mark.parametrize(
    "text",
    [
        "A naïve reader may think self-compassion is weakness. It is not: it is the ground of change, déjà vu.",
        "Selbstmitgefühl heißt, freundlich mit sich zu sein, auch wenn man scheitert. Übung hilft.",
        "El autocuidado no es egoísmo; la compasión hacia uno mismo ayuda. ¿Por qué no? Mañana será otro día.",
    ],
)
def test_a_latin1_file_keeps_its_letters(tmp_path, text):
    path = tmp_path / "latin1.txt"
    path.write_bytes(text.encode("latin-1"))
    loaded = load_file(path, MAX)
    assert loaded.text == text
    assert loaded.notes[0].startswith("latin1.txt: not valid UTF-8; read as windows-1252")


def test_cyrillic_in_a_legacy_encoding_is_not_taken_for_a_western_one(tmp_path):
    text = "Сострадание к себе помогает пережить неудачу и начать снова. " * 3
    path = tmp_path / "ru.txt"
    path.write_bytes(text.encode("cp1251"))
    assert "к себе помогает пережить неудачу" in load_file(path, MAX).text


def test_a_fifo_is_refused_at_once_not_read_forever(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(LoaderError, match=r"^pipe\.txt: not a regular file"):
        load_file(fifo, MAX)
    assert time.monotonic() - started < 5
