"""Fetch web sources and save their readable text as snapshots.

``assistant fetch`` downloads every manifest source that has a ``url`` and
saves ``snapshots/<snapshot-id>.txt`` (the main text, normalised) beside a
``.json`` sidecar (where the text came from, when, and its hash). The index
then treats each snapshot as a source of kind "web snapshot", so a citation
always points at the text as it was fetched, not at whatever the page says
today. A reference entry keeps being indexed from its citation line; its page
becomes the extra source ``<id>-page``. A "web snapshot" entry is its page.

:class:`~assistant.ingest.web.WebClient` is the only code in the assistant that
uses the network, and it fetches only from public addresses unless a network
is allowed. A failed download never touches the previous snapshot, and
``add-url`` adds a URL to the manifest only once its page has been saved. A
user name and password in a URL are never sent, stored or shown.

What is fetched: HTML (main text via trafilatura), plain text, and PDF (text
via the PDF loader, one paragraph per page; page numbers are not kept in a
snapshot). Anything else is refused by content type before its body is read.

Not handled on purpose: JavaScript-rendered pages (the text must be in the
HTML), logins and cookies, robots.txt (only pages a person names are fetched),
and a server trickling bytes just fast enough to beat the read timeout (the
size limit still bounds what is read).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.config import Settings
from assistant.errors import ConfigError, FetchError, LoaderError, SourceNotFoundError
from assistant.files import write_atomic
from assistant.ingest.corpus import (
    MANIFEST,
    SNAPSHOT_DIR,
    SOURCE_ID,
    Source,
    read_manifest,
    slugify,
    without_credentials,
)
from assistant.ingest.html import visible_html
from assistant.ingest.loaders import Loaded, decode, decode_bom, decode_declared, load_pdf
from assistant.ingest.web import HTML_TYPES, WebClient, check_url
from assistant.text import normalise

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


# --- Pure functions ---------------------------------------------------------


def snapshot_id(source: Source) -> str:
    """The id of the snapshot that holds a manifest source's page.

    >>> snapshot_id(Source(id="rogers-2025", kind="reference"))
    'rogers-2025-page'
    >>> snapshot_id(Source(id="my-page", kind="web snapshot"))
    'my-page'
    """
    return source.id if source.kind == "web snapshot" else f"{source.id}-page"


def text_hash(text: str) -> str:
    """SHA-256 of the snapshot text, as stored in the sidecar's ``content_hash``.

    >>> text_hash("kind")[:12]
    '0b27c158feb3'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def url_id(url: str) -> str:
    """A source id made from a URL, for ``add-url`` without ``--id``.

    >>> url_id("https://www.example.org/blog/Be-Kind/?utm=x")
    'example-org-blog-be-kind'
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return slugify(f"{host} {parts.path}")[:80].strip("-")


def declared_charsets(body: bytes, header: str = "") -> list[str]:
    """The charsets a page names, the HTTP header's first, then its ``<meta>``'s.

    >>> declared_charsets(b'<meta charset="windows-1252"><p>x</p>', "ISO-8859-1")
    ['ISO-8859-1', 'windows-1252']
    """
    meta = _META_CHARSET.search(body[:4096])
    return [label for label in (header.strip(), meta.group(1).decode("ascii") if meta else "") if label]


def decode_page(body: bytes, declared: str = "") -> str:
    """Bytes of a page to text: BOM, then the declared charset (header, then
    ``<meta>``), then detection.

    >>> decode_page("caf\u00e9 \u201cok\u201d".encode("cp1252"), "iso-8859-1")
    'café “ok”'
    >>> decode_page(b'<meta charset="windows-1252"><p>na\\xefve</p>')
    '<meta charset="windows-1252"><p>naïve</p>'
    """
    marked = decode_bom(body)
    if marked is not None:
        return marked
    text = decode_declared(body, declared_charsets(body, declared))
    if text is not None:
        return text
    try:
        return decode(body, "page")
    except LoaderError as e:
        raise FetchError(_about_page(e)) from e


def encoding_note(body: bytes, declared: str = "") -> str:
    """What a person should know about a page that is not UTF-8: its text was converted.

    >>> encoding_note("caf\u00e9".encode("utf-8")), encoding_note("caf\u00e9".encode("cp1252"), "iso-8859-1")
    ('', 'the page is encoded as iso-8859-1, not UTF-8; its text was converted')
    >>> encoding_note(b'<meta charset="windows-1252"><p>na\\xefve</p>')
    'the page is encoded as windows-1252, not UTF-8; its text was converted'
    """
    try:
        body.decode("utf-8")
        return ""
    except UnicodeDecodeError:
        pass
    label = next(iter(declared_charsets(body, declared)), "")
    named = f"encoded as {label.lower()}" if label else "in an undeclared encoding (detected)"
    return f"the page is {named}, not UTF-8; its text was converted"


def extract_html(html: str, url: str = "") -> Loaded:
    """The main text of an HTML page, one paragraph per block, and its metadata.

    Navigation, cookie banners, scripts, sidebars and footers are left out by
    trafilatura; what a reader cannot see is removed before it sees the page
    (:func:`assistant.ingest.html.visible_html`, the rule corpus files follow too).

    >>> page = ("<html><head><title>Rest</title></head><body><nav><a href='/'>Home</a></nav>"
    ...         "<article><p>Rest is part of the work, and it is allowed.</p><p hidden>secret</p>"
    ...         "<p>Kindness to yourself\u200b is a skill you can practise.</p></article>"
    ...         "<footer>Copyright</footer></body></html>")
    >>> extract_html(page).text
    'Rest is part of the work, and it is allowed.\\n\\nKindness to yourself is a skill you can practise.'
    """
    import lxml.html
    from lxml.etree import ParserError
    from trafilatura import bare_extraction

    # Encoded and re-parsed as UTF-8 so that an XML declaration or a <meta>
    # charset in the text cannot make lxml decode it a second time.
    try:
        visible = visible_html(html)
        tree = lxml.html.fromstring(visible.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except ParserError:  # an empty document
        return Loaded(text="")
    doc = bare_extraction(
        tree,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        # Less text rather than a menu or a banner quoted as if the author wrote it.
        favor_precision=True,
        include_images=False,
        include_links=False,
        # Only a date the page states in its markup; never a guess from the text.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None or isinstance(doc, dict) or doc.body is None:  # a dict only with as_dict=True
        return Loaded(text="")
    text = normalise("\n\n".join(b for b in _blocks(doc.body) if b))
    return Loaded(
        text=text,
        title=normalise(doc.title or ""),
        author=normalise(doc.author or ""),
        date=normalise(doc.date or ""),
    )


# trafilatura's output elements that hold other blocks rather than text.
_CONTAINERS = {"body", "main", "div", "quote", "list", "table"}


def _blocks(element: Any) -> Iterable[str]:
    """Paragraph texts of trafilatura's XML: one per <p>, <head>, <item>, row..."""
    for child in element:
        if child.tag == "row":
            yield " ".join(_inline(cell).strip() for cell in child)
        elif child.tag in _CONTAINERS and len(child):
            yield from _blocks(child)
        else:
            yield _inline(child)


def _inline(element: Any) -> str:
    # trafilatura trims whitespace inside text, so a newline left in a text node
    # separates blocks (its fallback extractors join paragraphs that way);
    # a <br> arrives as <lb/> and stays a line break.
    parts = [(element.text or "").replace("\n", "\n\n")]
    for child in element:
        parts.append("\n" if child.tag == "lb" else _inline(child))
        parts.append((child.tail or "").replace("\n", "\n\n"))
    return "\n".join(" ".join(line.split()) for line in "".join(parts).split("\n")).strip()


def extract(body: bytes, media: str, charset: str = "", url: str = "") -> Loaded:
    """The text of a downloaded body, by media type; raise :class:`FetchError`."""
    if media in HTML_TYPES:
        extracted = extract_html(decode_page(body, charset), url)
    elif media == "application/pdf":
        try:
            loaded = load_pdf(body, "page")
        except LoaderError as e:
            raise FetchError(_about_page(e)) from e
        # Page boundaries are not kept: a snapshot is saved as plain text.
        extracted = Loaded(text=loaded.text, title=loaded.title, author=loaded.author, date=loaded.date)
    elif media == "text/plain":
        extracted = Loaded(text=normalise(decode_page(body, charset)))
    else:
        raise FetchError(f"the server sent {media}, which is not a web page; only HTML, plain text and PDF are saved.")
    if not extracted.text:
        raise FetchError("no readable text was found on the page.")
    return extracted


def _about_page(error: LoaderError) -> str:
    """A loader's message, said of a downloaded page.

    >>> _about_page(LoaderError("page: looks like a binary file, not text; skipped."))
    'the page looks like a binary file, not text.'
    >>> _about_page(LoaderError("page: the text encoding could not be recognised; skipped."))
    "the page's text encoding could not be recognised."
    """
    reason = _reason(error)
    return f"the page's {reason.removeprefix('the ')}." if reason.startswith("the ") else f"the page {reason}."


def _reason(error: LoaderError) -> str:
    """A loader's message without its file name and its "skipped".

    >>> _reason(LoaderError("page: looks like a binary file, not text; skipped."))
    'looks like a binary file, not text'
    """
    return str(error).split(": ", 1)[-1].removesuffix("; skipped.").rstrip(".")


def _describe(error: Exception) -> str:
    """An unexpected error's type and message, for a one-line report.

    >>> _describe(ValueError("bad date")), _describe(AssertionError())
    ('ValueError: bad date', 'AssertionError')
    """
    name = error.__class__.__name__
    return f"{name}: {error}" if str(error) else name


# --- Use case ---------------------------------------------------------------


@dataclass(kw_only=True)
class FetchResult:
    """What happened to one source: added, updated, unchanged or failed."""

    source_id: str
    snapshot_id: str
    url: str
    status: str
    message: str = ""
    final_url: str = ""
    path: str = ""
    chars: int = 0
    content_hash: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Sidecar fields that describe the page; a re-fetch that changes none of them
# (nor the text) leaves the snapshot untouched, ``fetched_at`` included.
_DESCRIBING = ("id", "of", "title", "author", "date", "url", "final_url", "content_type")


class Fetcher:
    """Fetch manifest sources into ``snapshots/``; one failure never stops the rest."""

    def __init__(self, settings: Settings, client: WebClient | None = None) -> None:
        self.settings = settings
        self.client = client or WebClient.from_settings(settings)

    @property
    def snapshot_dir(self) -> Path:
        return self.settings.corpus_dir / SNAPSHOT_DIR

    def web_sources(self, ids: Iterable[str] = ()) -> list[Source]:
        """Manifest sources with a URL, or exactly the ones asked for."""
        with_url = [s for s in read_manifest(self.settings.manifest_path) if s.url]
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return with_url
        by_id = {s.id: s for s in with_url}
        unknown = [sid for sid in wanted if sid not in by_id]
        if unknown:
            known = ", ".join(by_id) or "none"
            raise SourceNotFoundError(
                f"No source with a url in {MANIFEST} has the id {', '.join(map(repr, unknown))} (known: {known})."
            )
        return [by_id[sid] for sid in wanted]

    def fetch(self, ids: Iterable[str] = ()) -> list[FetchResult]:
        return [self.fetch_source(source) for source in self.web_sources(ids)]

    def fetch_source(self, source: Source) -> FetchResult:
        sid = snapshot_id(source)
        page = self.snapshot_dir / f"{sid}.txt"
        sidecar = page.with_suffix(".json")
        result = FetchResult(source_id=source.id, snapshot_id=sid, url=source.url, status="failed")
        kept = "the previous snapshot is kept" if page.exists() else "nothing was saved"
        try:
            download = self.client.get(source.url)
            extracted = extract(download.body, download.media_type, download.charset, download.final_url)
        except FetchError as e:
            result.message = f"{source.id}: {source.url}: {str(e).rstrip('.')}; {kept}."
            log.info("fetch failed source=%s url=%s reason=%s", source.id, source.url, e)
            return result
        except Exception as e:
            # A surprise in a parser costs this source only; the traceback goes to the log.
            result.message = f"{source.id}: {source.url}: the page could not be read ({_describe(e)}); {kept}."
            log.warning("fetch failed source=%s url=%s reason=%s", source.id, source.url, _describe(e))
            log.debug("unexpected failure source=%s", source.id, exc_info=True)  # shown with --verbose
            return result
        meta: dict[str, str] = {"id": sid, "of": source.id}
        for key in ("title", "author", "date"):
            if value := getattr(extracted, key):
                meta[key] = value
        final_url = without_credentials(download.final_url)
        meta |= {"url": source.url, "final_url": final_url, "content_type": download.media_type}
        digest = text_hash(extracted.text)
        if download.media_type == "text/html" and (note := encoding_note(download.body, download.charset)):
            result.message = f"{source.id}: {source.url}: {note}."
        result.final_url, result.chars, result.content_hash = final_url, len(extracted.text), digest
        result.path = str(page.relative_to(self.settings.corpus_dir))
        previous = _read_sidecar(sidecar)
        same_text = page.exists() and previous.get("content_hash") == digest
        if same_text and all(previous.get(k, "") == meta.get(k, "") for k in _DESCRIBING):
            result.status = "unchanged"
        else:
            result.status = "updated" if page.exists() else "added"
            meta |= {"fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "content_hash": digest}
            try:
                self.snapshot_dir.mkdir(parents=True, exist_ok=True)
                # The text first: a sidecar never describes text that is not there yet.
                if not same_text:
                    write_atomic(page, extracted.text.encode("utf-8"))
                write_atomic(sidecar, (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
            except OSError as e:
                result.status = "failed"
                result.message = f"{source.id}: {source.url}: the snapshot could not be saved ({e.strerror or e})."
                log.warning("fetch failed source=%s url=%s reason=%s", source.id, source.url, e)
                return result
        log.info("fetched source=%s status=%s chars=%d url=%s", source.id, result.status, result.chars, source.url)
        return result

    def add_url(self, url: str, sid: str | None = None) -> FetchResult:
        """Fetch ``url`` and, only if that worked, add a "web snapshot" entry for it to the manifest.

        A user name and password in the URL are dropped first: never sent, stored or shown.
        """
        source = new_entry(self.settings.manifest_path, url, sid)
        result = self.fetch_source(source)
        if result.ok:
            add_to_manifest(self.settings.manifest_path, source)
        if source.url != url.strip():
            dropped = (
                f"{source.id}: the user name and password in the URL were left out; they are never sent or stored."
            )
            result.message = f"{result.message} {dropped}".strip()
        return result

    def close(self) -> None:
        self.client.close()


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def new_entry(manifest: Path, url: str, sid: str | None = None) -> Source:
    """The "web snapshot" entry ``add-url`` would add, its URL without credentials.

    Raises :class:`ConfigError` for a URL that is not http(s), or a URL or id that is already there.
    """
    try:
        check_url(url)
    except FetchError as e:
        raise ConfigError(f"Cannot add {without_credentials(url)!r}: not an http(s) URL.") from e
    url = without_credentials(url.strip())
    sid = sid or url_id(url)
    if not SOURCE_ID.match(sid):
        raise ConfigError(f"{sid!r} cannot be a source id: use lowercase letters, digits, '-', '.' or '_' (--id).")
    existing = read_manifest(manifest)  # validates the file as the indexer will
    for source in existing:
        if source.url and _same_url(source.url, url):
            raise ConfigError(
                f"{url} is already in {MANIFEST} as {source.id!r}; run `assistant fetch {source.id}` to fetch it again."
            )
    taken = {s.id for s in existing} | {snapshot_id(s) for s in existing if s.url}
    if sid in taken:
        raise ConfigError(f"The id {sid!r} is already used in {MANIFEST}; choose another with --id.")
    return Source(id=sid, kind="web snapshot", url=url)


def add_to_manifest(manifest: Path, source: Source) -> None:
    """Append ``[[source]]`` with the entry's ``id``, ``kind`` and ``url``, keeping the file's comments."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    new_entry(manifest, source.url, source.id)  # still free: the manifest may have changed meanwhile
    text = manifest.read_text(encoding="utf-8") if manifest.exists() else ""
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as e:
        raise ConfigError(f"{manifest}: not valid TOML ({e}).") from e
    entry = tomlkit.table()
    entry.update({"id": source.id, "kind": source.kind, "url": source.url})
    if text and not text.endswith("\n\n"):
        entry.trivia.indent = "\n"  # a blank line before the new [[source]], like the others
    if "source" in document:
        document["source"].append(entry)
    else:
        entries = tomlkit.aot()
        entries.append(entry)
        document["source"] = entries
    try:
        manifest.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(manifest, tomlkit.dumps(document).encode("utf-8"))
    except OSError as e:
        raise ConfigError(
            f"{manifest} could not be written ({e.strerror or e}); the page was saved but not added."
        ) from e
    log.info("added source=%s url=%s manifest=%s", source.id, source.url, manifest)


def _same_url(a: str, b: str) -> bool:
    """Equal but for case in scheme and host and a trailing slash.

    >>> _same_url("https://Example.org/a/", "https://example.org/a")
    True
    """

    def key(url: str) -> tuple[str, str, str, str]:
        p = urlsplit(url.strip())
        return (p.scheme.lower(), p.netloc.lower(), p.path.rstrip("/") or "/", p.query)

    return key(a) == key(b)
