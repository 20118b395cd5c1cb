"""Turn a corpus file into normalised text.

Each loader returns a :class:`Loaded` whose ``text`` is what the index stores
and what citation offsets address. HTML is reduced to the text a reader sees:
scripts, styles, templates and hidden elements never reach the index. PDFs
are read page by page and the page boundaries are kept.

Text that is not valid UTF-8 is still read (in the page's declared charset,
else as UTF-8 with the bad bytes replaced, else in a detected legacy
encoding) and :attr:`Loaded.notes` says so, naming the file.

An element is hidden by the ``hidden`` attribute, ``aria-hidden="true"``, or
``display: none``, ``visibility: hidden``, ``opacity: 0`` or ``font-size: 0``
set in its ``style`` attribute or by a rule of the page's own ``<style>``
blocks. For those rules the cascade is followed (``!important``, inline style,
specificity, order), so ``.tab{display:none} .tab.active{display:block}``
keeps the active tab.

Not handled on purpose: OCR of scanned PDFs (they yield no text and are
reported as empty), password-protected PDFs (reported and skipped; so are
AES-encrypted ones unless the optional ``cryptography`` package is installed),
and encodings that cannot be detected with confidence. Of a stylesheet, only
top-level rules whose selectors are tags, classes and ids, alone or joined by
a space (descendant) or ``>`` (child), are evaluated: rules inside
``@media`` or ``@supports``, selectors with attributes, pseudo-classes,
pseudo-elements, ``+`` or ``~``, linked stylesheets, ``<style media="print">``
and styles set by scripts are ignored; so are the rules past the first
:data:`MAX_STYLE_RULES` that set one of those four properties. A child that sets
``visibility: visible`` inside a hidden parent is dropped with its parent, and
a hiding ``style`` attribute hides even where an ``!important`` rule would not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import LoaderError
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


def decode_noting(data: bytes, name: str, declared: str = "") -> tuple[str, str]:
    """Bytes to text, and a note naming the file when they were not valid UTF-8 ('' when they were).

    ``declared`` is the charset the file itself names (an HTML ``<meta>``);
    text read in its declared charset needs no note. Binary is refused.

    >>> decode_noting(b"caf\\xe9 noir", "x.txt")
    ('café noir', 'x.txt: not valid UTF-8; read as windows-1252, so some characters may be wrong. Save it as UTF-8 to be sure.')
    >>> decode_noting("caf\u00e9 ".encode() + b"\\xff", "y.txt")[0]
    'café \ufffd'
    """
    if b"\x00" in data[:8192]:
        raise LoaderError(f"{name}: looks like a binary file, not text; skipped.")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    # UTF-8 failed above, so a "utf-8" label fails here too and the bytes decide.
    as_declared = decode_declared(data, [declared])
    if as_declared is not None:
        return as_declared, ""
    # Multi-byte UTF-8 sequences hardly ever occur by chance in a legacy encoding:
    # where there are some, the file is UTF-8 with a few damaged bytes.
    lenient = data.decode("utf-8-sig", errors="replace")
    if any(ord(c) > 0x7F and c != "\ufffd" for c in lenient):
        bad = lenient.count("\ufffd")
        return lenient, (
            f"{name}: not valid UTF-8 in {bad} place{'s' if bad > 1 else ''}, shown as \ufffd; "
            "the rest was read as UTF-8."
        )
    encoding = ""
    # Detection needs some text to go on; short files are most often Windows-1252.
    if len(data) >= 64:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            text, encoding = str(best), best.encoding
    if not encoding:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as e:
            raise LoaderError(f"{name}: the text encoding could not be recognised; skipped.") from e
    shown = re.sub(r"^cp(125\d)$", r"windows-\1", encoding)
    return text, (
        f"{name}: not valid UTF-8; read as {shown}, so some characters may be wrong. Save it as UTF-8 to be sure."
    )


# Elements whose content a reader never sees as page text.
_INVISIBLE_TAGS = ["script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object"]
# A declaration that takes an element's text off the screen, in any case and
# spacing: "DISPLAY : None", "opacity: 0.0", "font-size:0px" (not "opacity: 0.5").
HIDDEN_STYLE = re.compile(
    r"(?<![\w-])(?:display\s*:\s*none(?![\w-])|visibility\s*:\s*hidden(?![\w-])"
    r"|opacity\s*:\s*(?:0+\.?0*|\.0+)%?(?![\w.%])|font-size\s*:\s*(?:0+\.?0*|\.0+)(?:[a-z]+|%)?(?![\w.%]))",
    re.IGNORECASE,
)
_HIDING_PROPERTIES = {"display", "visibility", "opacity", "font-size"}
# Style rules evaluated per page, so that a hostile stylesheet cannot stall indexing.
MAX_STYLE_RULES = 500
# Block elements end a paragraph; everything else flows inline.
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "li", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "td", "th", "br", "hr",
    "figure", "figcaption", "dd", "dt", "dl", "address", "details", "summary",
}  # fmt: skip


def declarations(css: Any) -> dict[str, tuple[str, bool]]:
    """The value and ``!important`` flag that win for each property able to hide text.

    >>> declarations("color: red; DISPLAY: None !important; display: block; opacity: /* x */ 0")
    {'display': ('None', True), 'opacity': ('0', False)}
    """
    import tinycss2

    found: dict[str, tuple[str, bool]] = {}
    for item in tinycss2.parse_declaration_list(css, skip_comments=True, skip_whitespace=True):
        if item.type != "declaration" or item.lower_name not in _HIDING_PROPERTIES:
            continue
        value = tinycss2.serialize(t for t in item.value if t.type != "comment").strip()
        # Within one block an !important declaration beats any later plain one.
        if item.important or not found.get(item.lower_name, ("", False))[1]:
            found[item.lower_name] = (value, item.important)
    return found


def _hides(prop: str, value: str) -> bool:
    return bool(HIDDEN_STYLE.fullmatch(f"{prop}:{value}"))


def is_hidden(tag) -> bool:
    """Hidden by its own attributes: ``hidden``, ``aria-hidden`` or its ``style``."""
    attrs = tag.attrs or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    style = str(attrs.get("style", ""))
    return bool(style) and any(_hides(p, v) for p, (v, _) in declarations(style).items())


# A selector this module evaluates: compounds of a tag, classes and ids, joined
# by descendant or child combinators. Anything else is ignored (see the module docstring).
_COMPOUND = re.compile(r"(?:[a-z][a-z0-9-]*|\*)?(?:[.#]-?[_a-z][\w-]*)*", re.IGNORECASE)
_COMBINATOR = re.compile(r"\s*>\s*|\s+")


def _specificity(selector: str) -> tuple[int, int, int] | None:
    """(ids, classes, tags) of a simple selector, or None for one this module does not evaluate.

    >>> _specificity("main > p.note.sr"), _specificity("#aside"), _specificity("a:hover")
    ((0, 2, 2), (1, 0, 0), None)
    """
    compounds = _COMBINATOR.split(selector.strip())
    if not all(c and _COMPOUND.fullmatch(c) for c in compounds):
        return None
    tags = sum(1 for c in compounds if c[0].isalpha())
    return (selector.count("#"), selector.count("."), tags)


def _style_rules(soup) -> list[tuple[str, tuple[int, int, int], dict[str, tuple[str, bool]]]]:
    """The page's own rules that set a hiding property: (selector, specificity, declarations), in order."""
    import tinycss2

    rules = []
    for style in soup.find_all("style"):
        if str(style.get("media", "all")).strip().lower() not in {"", "all", "screen"}:
            continue
        if style.find_parent(["template", "noscript"]) is not None:
            continue  # never applied to the page
        for rule in tinycss2.parse_stylesheet(style.get_text(), skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":
                continue  # @media, @supports and the like apply only sometimes
            found = declarations(rule.content)
            if not found:
                continue
            prelude = tinycss2.serialize(t for t in rule.prelude if t.type != "comment")
            for selector in prelude.split(","):
                specificity = _specificity(selector)
                if specificity is not None:
                    rules.append((selector.strip(), specificity, found))
    return rules


def _rule_key(selector: str) -> str:
    """What an element needs for the selector to match it: the rightmost id, class or tag.

    >>> _rule_key("main > p.note"), _rule_key("#a .b"), _rule_key("div p"), _rule_key("*")
    ('.note', '.b', 'p', '*')
    """
    last = _COMBINATOR.split(selector.strip())[-1]
    if match := re.search(r"#([\w-]+)", last):
        return f"#{match.group(1)}"
    if match := re.search(r"\.([\w-]+)", last):
        return f".{match.group(1)}"
    return last.lower() if last[:1].isalpha() else "*"


def _keys(tag) -> list[str]:
    classes = tag.get("class") or []
    ids = [f"#{tag['id']}"] if tag.get("id") else []
    return [*ids, *(f".{c}" for c in classes), tag.name.lower(), "*"]


def hidden_by_stylesheet(soup) -> list[Any]:
    """Elements that the page's own ``<style>`` rules hide, the cascade followed.

    >>> from bs4 import BeautifulSoup
    >>> page = "<style>.a{display:none} .a.b{display:block}</style><p class=a>x</p><p class='a b'>y</p>"
    >>> [p.get_text() for p in hidden_by_stylesheet(BeautifulSoup(page, "lxml"))]
    ['x']
    """
    import soupsieve

    rules = _style_rules(soup)
    if not any(_hides(p, v) for _, _, found in rules for p, (v, _) in found.items()):
        return []
    if len(rules) > MAX_STYLE_RULES:
        log.info("style rules past the first %d ignored count=%d", MAX_STYLE_RULES, len(rules))
        rules = rules[:MAX_STYLE_RULES]
    # Rules filed under what they require, so each element is tried only against
    # rules that could match it (as browsers do), not against every rule.
    by_key: dict[str, list[tuple[int, Any, tuple[int, int, int], dict[str, tuple[str, bool]]]]] = {}
    for order, (selector, specificity, found) in enumerate(rules):
        compiled = soupsieve.compile(selector)
        by_key.setdefault(_rule_key(selector), []).append((order, compiled, specificity, found))
    hidden = []
    for tag in soup.find_all(True):
        matched = [r for key in _keys(tag) for r in by_key.get(key, ()) if r[1].match(tag)]
        if not any(_hides(p, v) for *_, found in matched for p, (v, _) in found.items()):
            continue
        # The cascade: !important first, then the style attribute, then specificity, then order.
        candidates = [
            ((imp, False, spec, order), p, v) for order, _, spec, found in matched for p, (v, imp) in found.items()
        ]
        inline = declarations(str(tag.get("style", ""))) if tag.get("style") else {}
        candidates += [((imp, True, (0, 0, 0), 0), p, v) for p, (v, imp) in inline.items()]
        winners: dict[str, tuple[tuple[Any, ...], str]] = {}
        for precedence, prop, value in candidates:
            if prop not in winners or precedence >= winners[prop][0]:
                winners[prop] = (precedence, value)
        if any(_hides(prop, value) for prop, (_, value) in winners.items()):
            hidden.append(tag)
    return hidden


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
    # Matched before anything is removed: selectors address the page as its reader gets it.
    styled_away = hidden_by_stylesheet(soup)
    for tag in soup.find_all(_INVISIBLE_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in [*styled_away, *soup.find_all(is_hidden)]:
        if not tag.decomposed:  # an ancestor may have gone already
            tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        # Inside the tag, not around it: the same text, without insert_before's
        # sibling search, which made a page of many blocks take minutes.
        tag.insert(0, "\n\n")
        tag.append("\n\n")
    body = soup.body or soup
    # Inside a paragraph, source line breaks are only layout: fold them.
    blocks = [" ".join(part.split()) for part in body.get_text().split("\n\n")]
    return normalise("\n\n".join(b for b in blocks if b)), normalise(title), normalise(author), normalise(date)


def _meta(soup, name: str) -> str:
    tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
    return str(tag.get("content", "")).strip() if tag else ""


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
