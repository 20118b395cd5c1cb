"""Turn a corpus file into normalised text.

Each loader returns a :class:`Loaded` whose ``text`` is what the index stores
and what citation offsets address. HTML is reduced to the text a reader sees:
scripts, styles, templates and hidden elements never reach the index. PDFs
are read page by page and the page boundaries are kept.

Text that is not valid UTF-8 is still read (in the page's declared charset,
else as UTF-8 with the bad bytes replaced, else in a detected legacy
encoding) and :attr:`Loaded.notes` says so, naming the file.

What counts as hidden in HTML is decided in :mod:`assistant.ingest.html`,
for corpus files and fetched pages alike.

Not handled on purpose: OCR of scanned PDFs (they yield no text and are
reported as empty), password-protected PDFs (reported and skipped; so are
AES-encrypted ones unless the optional ``cryptography`` package is installed),
and encodings that cannot be detected with confidence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import LoaderError
from assistant.ingest.html import html_to_text
from assistant.text import normalise

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


@dataclass(frozen=True, kw_only=True)
class Loaded:
    """Normalised text of one file, with what the file says about itself."""

    text: str
    title: str = ""
    author: str = ""
    date: str = ""
    # (start, end) of each PDF page in ``text``; empty for other formats.
    pages: tuple[tuple[int, int], ...] = field(default_factory=tuple)
    # What the person should know about a file that was read anyway, each naming it.
    notes: tuple[str, ...] = ()


def decode(data: bytes, name: str) -> str:
    """Bytes to text: UTF-8 first, then a detected encoding; binary is refused.

    >>> decode("caf\u00e9".encode("cp1252"), "x.txt")
    'café'
    """
    return decode_noting(data, name)[0]


# WHATWG: pages labelled Latin-1 or ASCII are decoded as Windows-1252; Python's latin-1
# would turn its curly quotes and dashes (0x80-0x9f) into control characters instead.
_CP1252_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp1252", "windows-1252"}


def decode_declared(data: bytes, labels: Iterable[str]) -> str | None:
    """The text in the first charset named (a header, a ``<meta>``) that decodes it, or None.

    >>> decode_declared("caf\u00e9 \u201cok\u201d".encode("cp1252"), ["", "iso-8859-1"])
    'café “ok”'
    >>> decode_declared(b"caf\\xe9", ["no-such-charset", "utf-8"]) is None
    True
    """
    for label in labels:
        label = label.strip().lower()
        if not label:
            continue
        try:
            return data.decode("cp1252" if label in _CP1252_LABELS else label)
        except (LookupError, UnicodeError):
            # An unknown or wrong label: the next one, or what the bytes say. UnicodeError,
            # not only UnicodeDecodeError: codecs such as punycode raise the base class.
            continue
    return None


# Byte order marks, the longest first: a UTF-32 LE mark begins like a UTF-16 LE one.
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16"),
)  # fmt: skip
# Shares of characters above which bytes are not text: control characters hardly
# ever occur in text; undecodable bytes do where a file mixes encodings, but not this often.
MAX_CONTROL_SHARE = 0.02
MAX_GARBLED_SHARE = 0.2


def decode_bom(data: bytes) -> str | None:
    """The text of bytes that start with a byte order mark, in the encoding it names; None without one.

    >>> decode_bom("\ufeffcafé".encode("utf-16-le")), decode_bom(b"plain") is None
    ('café', True)
    """
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            return data.decode(encoding, errors="replace")
    return None


def garbled(text: str) -> str:
    """Why decoded bytes are not text ('' when they are): too many control characters or undecodable bytes.

    >>> garbled("kind words \ufffd"), garbled("a\x07b\x1bc\x02")
    ('', '50% of it is control characters')
    >>> garbled("\ufffd\ufffdx")
    '67% of it is control characters or bytes that no encoding explains'
    """
    import unicodedata

    if not text:
        return ""
    controls = sum(1 for c in text if c not in "\t\n\r\f\v" and unicodedata.category(c) in {"Cc", "Cn", "Co", "Cs"})
    replaced = text.count("\ufffd")
    if controls > MAX_CONTROL_SHARE * len(text):
        return f"{controls / len(text):.0%} of it is control characters"
    if controls + replaced > MAX_GARBLED_SHARE * len(text):
        return f"{(controls + replaced) / len(text):.0%} of it is control characters or bytes that no encoding explains"
    return ""


# Characters of Western European text beyond ASCII: the Latin-1 letters and the
# signs and typographic punctuation Windows-1252 adds.
_WESTERN_LETTERS = {chr(c) for c in range(0xC0, 0x100)} - {"×", "÷"} | set("ŠšŽžŒœŸƒ")
_WESTERN_SIGNS = {chr(c) for c in range(0xA0, 0xC0)} | set("€‚„…†‡ˆ‰‹‘’“”•–—˜™›×÷")


def looks_western(text: str) -> bool:
    """Whether text reads as a Western European language: few letters beyond ASCII, and only Latin-1 ones.

    Cyrillic or Greek read as Windows-1252 is all accented letters; Polish shows
    signs inside words (``³``, ``¹``). Either is not taken for Western text.

    >>> looks_western("Une amie naïve, le café."), looks_western("Ñîñòðàäàíèå"), looks_western("Pi¹æ mi³o")
    (True, False, False)
    """
    letters = [c for c in text if c.isalpha()]
    beyond = [c for c in letters if not c.isascii()]
    if not letters or len(beyond) > 0.3 * len(letters):
        return False
    for i, c in enumerate(text):
        if c.isascii():
            continue
        if c not in _WESTERN_LETTERS and c not in _WESTERN_SIGNS:
            return False
        inside_a_word = 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()
        if inside_a_word and c not in _WESTERN_LETTERS:
            return False
    return True


def decode_noting(data: bytes, name: str, declared: str = "") -> tuple[str, str]:
    """Bytes to text, and a note naming the file when they were not valid UTF-8 ('' when they were).

    ``declared`` is the charset the file itself names (an HTML ``<meta>``);
    text read in its declared charset, or after a byte order mark, needs no
    note. Binary, and text that is mostly control characters or undecodable
    bytes, is refused.

    >>> decode_noting(b"caf\\xe9 noir", "x.txt")
    ('café noir', 'x.txt: not valid UTF-8; read as windows-1252, so some characters may be wrong. Save it as UTF-8 to be sure.')
    >>> decode_noting("caf\u00e9 ".encode() * 3 + b"\\xff", "y.txt")[0]
    'café café café \ufffd'
    """
    text, note = _decode(data, name, declared)
    if reason := garbled(text):
        raise LoaderError(f"{name}: does not look like text ({reason}); skipped.")
    return text, note


def _decode(data: bytes, name: str, declared: str) -> tuple[str, str]:
    marked = decode_bom(data)
    if marked is not None:
        return marked, ""
    if b"\x00" in data[:8192]:
        raise LoaderError(f"{name}: looks like a binary file, not text; skipped.")
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    # UTF-8 failed above, so a "utf-8" label fails here too and the bytes decide.
    as_declared = decode_declared(data, [declared])
    if as_declared is not None:
        return as_declared, ""
    # Multi-byte UTF-8 sequences hardly ever occur by chance in a legacy encoding:
    # where there are some, the file is UTF-8 with a few damaged bytes.
    lenient = data.decode("utf-8", errors="replace")
    if any(ord(c) > 0x7F and c != "\ufffd" for c in lenient):
        bad = lenient.count("\ufffd")
        return lenient, (
            f"{name}: not valid UTF-8 in {bad} place{'s' if bad > 1 else ''}, shown as \ufffd; "
            "the rest was read as UTF-8."
        )
    text, encoding = "", ""
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = ""
    # A Western reading that fits comes before a detector's guess, which can turn
    # "naïve" into "naďve": both encodings are plausible for such bytes.
    if western and (len(data) < 64 or looks_western(western)):
        text, encoding = western, "cp1252"
    elif len(data) >= 64:  # detection needs some text to go on
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            text, encoding = str(best), best.encoding
    if not encoding:
        if not western:
            raise LoaderError(f"{name}: the text encoding could not be recognised; skipped.")
        text, encoding = western, "cp1252"
    shown = re.sub(r"^cp(125\d)$", r"windows-\1", encoding)
    return text, (
        f"{name}: not valid UTF-8; read as {shown}, so some characters may be wrong. Save it as UTF-8 to be sure."
    )


def _notes(note: str) -> tuple[str, ...]:
    return (note,) if note else ()


def load_text(data: bytes, name: str) -> Loaded:
    text, note = decode_noting(data, name)
    return Loaded(text=normalise(text), notes=_notes(note))


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def load_markdown(data: bytes, name: str) -> Loaded:
    """Markdown rendered and reduced to text; YAML front matter gives metadata."""
    source, note = decode_noting(data, name)
    source = source.replace("\r\n", "\n")
    meta: dict[str, object] = {}
    match = _FRONT_MATTER.match(source)
    if match:
        import yaml

        try:
            parsed = yaml.safe_load(match.group(1))
        except yaml.YAMLError as e:
            raise LoaderError(f"{name}: its front matter is not valid YAML ({e.__class__.__name__}); skipped.") from e
        meta = parsed if isinstance(parsed, dict) else {}
        source = source[match.end() :]
    from markdown_it import MarkdownIt

    # Raw HTML inside Markdown is escaped, never interpreted.
    html = MarkdownIt("commonmark", {"html": False}).render(source)
    text, _, _, _ = html_to_text(html)
    heading = re.search(r"^#\s+(.+)$", source, re.MULTILINE)
    title = str(meta.get("title") or (heading.group(1).strip() if heading else ""))
    return Loaded(
        text=text,
        title=normalise(title),
        author=str(meta.get("author", "")),
        date=str(meta.get("date", "")),
        notes=_notes(note),
    )


def load_html(data: bytes, name: str) -> Loaded:
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(data, is_html=True) or ""
    html, note = decode_noting(data, name, declared)
    text, title, author, date = html_to_text(html)
    return Loaded(text=text, title=title, author=author, date=date, notes=_notes(note))


def load_pdf(data: bytes, name: str) -> Loaded:
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if not data.startswith(b"%PDF"):
        raise LoaderError(f"{name}: is not a PDF file (it does not start with %PDF); skipped.")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        # An encrypted PDF with an empty user password opens without one.
        reader = PdfReader(io.BytesIO(data))
        raw_pages = [page.extract_text() or "" for page in reader.pages]
        meta: Mapping[str, Any] = reader.metadata or {}
    except FileNotDecryptedError as e:
        raise LoaderError(
            f"{name}: is encrypted and password-protected; save a copy without the password to index it; skipped."
        ) from e
    except DependencyError as e:
        # pypdf reads RC4 on its own, but AES only with the optional `cryptography` package.
        if "AES" in str(e):
            raise LoaderError(
                f"{name}: is encrypted with AES, which needs the optional cryptography package to read "
                "(pip install cryptography); skipped."
            ) from e
        raise LoaderError(f"{name}: the PDF needs an optional package to be read ({e}); skipped.") from e
    except Exception as e:  # pypdf raises many types (and RecursionError) on malformed files
        raise LoaderError(f"{name}: the PDF could not be read ({e.__class__.__name__}); skipped.") from e
    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    offset = 0
    for raw in raw_pages:
        page_text = normalise(raw)
        if not page_text:
            continue
        if parts:
            offset += 2  # the "\n\n" joining pages
        pages.append((offset, offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text)
    return Loaded(
        text="\n\n".join(parts),
        title=normalise(str(meta.get("/Title") or "")),
        author=normalise(str(meta.get("/Author") or "")),
        pages=tuple(pages),
    )


LOADERS: dict[str, Callable[[bytes, str], Loaded]] = {
    **{s: load_text for s in TEXT_SUFFIXES},
    **{s: load_markdown for s in MARKDOWN_SUFFIXES},
    **{s: load_html for s in HTML_SUFFIXES},
    **{s: load_pdf for s in PDF_SUFFIXES},
}


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else raises :class:`LoaderError`.

    Opened without blocking and checked on the open file: a FIFO or a device
    named in the manifest is refused at once instead of stalling the index.
    """
    import os
    import stat

    name = path.name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise LoaderError(f"{name}: not a regular file (a pipe, socket or device); skipped.")
            if info.st_size > max_bytes:
                raise LoaderError(f"{name}: {info.st_size:,} bytes is over the {max_bytes:,}-byte limit; skipped.")
            data = file.read(max_bytes + 1)
    except OSError as e:
        raise LoaderError(f"{name}: could not be read ({e.strerror or e}); skipped.") from e
    if len(data) > max_bytes:  # it grew while being read
        raise LoaderError(f"{name}: over the {max_bytes:,}-byte limit; skipped.")
    return data


def load_file(path: Path, max_bytes: int) -> Loaded:
    """Read and normalise one file, or raise :class:`LoaderError` naming it, whatever went wrong."""
    name = path.name
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoaderError(f"{name}: unsupported file type {path.suffix or '(none)'}; skipped.")
    data = read_regular_file(path, max_bytes)
    try:
        loaded = loader(data, name)
    except LoaderError:
        raise
    except Exception as e:
        # A bug or a surprise in a parsing library must cost this one file, not the corpus.
        log.debug("unexpected failure file=%s", name, exc_info=True)  # shown with --verbose
        detail = f"{e.__class__.__name__}: {e}" if str(e) else e.__class__.__name__
        raise LoaderError(f"{name}: could not be read ({detail}); skipped.") from e
    if not loaded.text.strip():
        raise LoaderError(f"{name}: contains no readable text; skipped.")
    return loaded
