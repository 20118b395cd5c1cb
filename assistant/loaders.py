"""Turn a corpus file into normalised text.

Each loader returns a :class:`Loaded` whose ``text`` is what the index stores
and what citation offsets address. HTML is reduced to the text a reader sees:
scripts, styles, templates and hidden elements never reach the index. PDFs
are read page by page and the page boundaries are kept.

Not handled on purpose: OCR of scanned PDFs (they yield no text and are
reported as empty), password-protected PDFs (reported and skipped; so are
AES-encrypted ones unless the optional ``cryptography`` package is installed),
and encodings that cannot be detected with confidence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LoaderError
from .text import normalise

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


@dataclass(frozen=True)
class Loaded:
    """Normalised text of one file, with what the file says about itself."""

    text: str
    title: str = ""
    author: str = ""
    date: str = ""
    # (start, end) of each PDF page in ``text``; empty for other formats.
    pages: tuple[tuple[int, int], ...] = field(default_factory=tuple)


def decode(data: bytes, name: str) -> str:
    """Bytes to text: UTF-8 first, then a detected encoding; binary is refused.

    >>> decode("caf\u00e9".encode("cp1252"), "x.txt")
    'café'
    """
    if b"\x00" in data[:8192]:
        raise LoaderError(f"{name}: looks like a binary file, not text; skipped.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Detection needs some text to go on; short files are most often Windows-1252.
    if len(data) >= 64:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as e:
        raise LoaderError(f"{name}: the text encoding could not be recognised; skipped.") from e


# Elements whose content a reader never sees as page text.
_INVISIBLE_TAGS = ["script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object"]
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?![.\d])|font-size\s*:\s*0(?![.\d])"
)
# Block elements end a paragraph; everything else flows inline.
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "li", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "td", "th", "br", "hr",
    "figure", "figcaption", "dd", "dt", "dl", "address", "details", "summary",
}  # fmt: skip


def is_hidden(tag) -> bool:
    attrs = tag.attrs or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    return bool(HIDDEN_STYLE.search(str(attrs.get("style", ""))))


def html_to_text(html: str) -> tuple[str, str, str, str]:
    """Readable text, title, author and date of an HTML page.

    >>> html_to_text('<title>T</title><p>One <b>two</b></p><p hidden>x</p><script>y</script><p>Three</p>')[0]
    'One two\\n\\nThree'
    """
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(html, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    h1 = soup.find("h1")
    if not title and h1 is not None:
        title = h1.get_text(" ", strip=True)
    author = _meta(soup, "author")
    date = _meta(soup, "article:published_time") or _meta(soup, "date")
    for tag in soup.find_all(_INVISIBLE_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(is_hidden):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    body = soup.body or soup
    # Inside a paragraph, source line breaks are only layout: fold them.
    blocks = [" ".join(part.split()) for part in body.get_text().split("\n\n")]
    return normalise("\n\n".join(b for b in blocks if b)), normalise(title), normalise(author), normalise(date)


def _meta(soup, name: str) -> str:
    tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
    return str(tag.get("content", "")).strip() if tag else ""


def load_text(data: bytes, name: str) -> Loaded:
    return Loaded(text=normalise(decode(data, name)))


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def load_markdown(data: bytes, name: str) -> Loaded:
    """Markdown rendered and reduced to text; YAML front matter gives metadata."""
    source = decode(data, name).replace("\r\n", "\n")
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
    return Loaded(text=text, title=normalise(title), author=str(meta.get("author", "")), date=str(meta.get("date", "")))


def load_html(data: bytes, name: str) -> Loaded:
    text, title, author, date = html_to_text(decode(data, name))
    return Loaded(text=text, title=title, author=author, date=date)


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


def load_file(path: Path, max_bytes: int) -> Loaded:
    """Read and normalise one file, or raise :class:`LoaderError` naming it, whatever went wrong."""
    name = path.name
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoaderError(f"{name}: unsupported file type {path.suffix or '(none)'}; skipped.")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoaderError(f"{name}: {size:,} bytes is over the {max_bytes:,}-byte limit; skipped.")
        data = path.read_bytes()
    except OSError as e:
        raise LoaderError(f"{name}: could not be read ({e.strerror or e}); skipped.") from e
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
