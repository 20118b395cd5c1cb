"""The corpus: which sources exist, and their text and metadata.

``sources.toml`` lists the curated sources (the article and its references).
A reference entry without a file is indexed from its citation line, exactly
as the article lists it. Web pages saved by ``assistant fetch`` live under
``snapshots/`` with a JSON sidecar of metadata. Every other supported file in
the corpus folder is a user file.

Every file in the folder that is not indexed gets a message naming it, except
hidden files (and everything in hidden folders), ``sources.toml`` itself and
the snapshots' ``.json`` sidecars. Links are followed only to what lies inside
the corpus folder: a link to a file or folder outside it, a dangling link, a
link to a folder, and a link to a file the corpus holds under its own name are
each skipped with a message. A manifest entry whose path leads out through a
link is skipped too; one that names a path outside (``../notes.txt``) is the
owner's explicit choice and is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import ConfigError, LoaderError
from assistant.ingest.loaders import SUPPORTED_SUFFIXES, load_file
from assistant.text import normalise

log = logging.getLogger(__name__)

KINDS = ("article", "reference", "web snapshot", "user file")
SNAPSHOT_DIR = "snapshots"
MANIFEST = "sources.toml"
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


@dataclass(frozen=True, kw_only=True)
class Source:
    """A source as the manifest or the folder describes it, before reading."""

    id: str
    kind: str
    title: str = ""
    author: str = ""
    date: str = ""
    url: str = ""
    path: Path | None = None  # None for a reference entry indexed from `citation`
    citation: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """A source with its normalised text: what gets chunked and indexed."""

    source: Source
    text: str
    pages: tuple[tuple[int, int], ...] = ()
    notes: tuple[str, ...] = ()  # what the person should know about a file read anyway

    @property
    def content_hash(self) -> str:
        """Hash of the text and the metadata that chunks carry."""
        s = self.source
        meta = json.dumps([s.kind, s.title, s.author, s.date, s.url, sorted(s.extra.items())], ensure_ascii=False)
        return hashlib.sha256(f"{self.text}\x00{meta}".encode()).hexdigest()


@dataclass
class CorpusScan:
    documents: list[Document] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one message per file that could not be read
    notes: list[str] = field(default_factory=list)  # files read with a caveat (text that is not valid UTF-8)


def slugify(value: str) -> str:
    """A source id made from a file path.

    >>> slugify("Notes/My File (2).md")
    'notes-my-file-2-md'
    >>> slugify("Über Çafé.txt")
    'uber-cafe-txt'
    """
    import unicodedata

    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:100] or "source"


# Fields of a [[source]] entry that the assistant reads; every other field is kept as text.
_FIELDS = ("id", "kind", "file", "title", "author", "date", "url", "citation")


def kind_of(value: object) -> str:
    """What a TOML value is, in words, for a message.

    >>> kind_of(5), kind_of(["a"]), kind_of({"k": 1}), kind_of("x")
    ('an integer', 'a list', 'a table', 'text')
    """
    import datetime

    names: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "true or false"), (int, "an integer"), (float, "a number"), (str, "text"), (list, "a list"),
        (dict, "a table"), ((datetime.date, datetime.time), "a date or time"),
    ]  # fmt: skip
    return next((name for types, name in names if isinstance(value, types)), type(value).__name__)


def _entry_fields(path: Path, number: int, entry: object) -> dict[str, str]:
    """A [[source]] entry's fields as text; raise :class:`ConfigError` naming the entry and the field."""
    import datetime

    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: source #{number} must be a [[source]] table, not {kind_of(entry)}.")
    sid = entry.get("id", "")
    if not isinstance(sid, str):
        raise ConfigError(f"{path}: source #{number}: `id` must be text, not {kind_of(sid)}.")
    label = f"source #{number} ({sid!r})" if sid else f"source #{number}"
    fields: dict[str, str] = {}
    for key, value in entry.items():
        # A TOML date (date = 2024-05-14) is as good as the same date in quotes.
        if key == "date" and isinstance(value, datetime.date | datetime.datetime):
            value = value.isoformat()
        readable = isinstance(value, str) or (key not in _FIELDS and isinstance(value, int | float | bool))
        if not readable:
            raise ConfigError(f"{path}: {label}: `{key}` must be text, not {kind_of(value)}.")
        fields[key] = str(value)
    return fields


def without_credentials(url: str) -> str:
    """The URL without a user name or password: they are never stored, sent or shown.

    >>> without_credentials("https://reader:hunter2@Example.org:8443/a?b#c"), without_credentials("notes.md")
    ('https://Example.org:8443/a?b#c', 'notes.md')
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def read_manifest(path: Path) -> list[Source]:
    """Parse sources.toml; raise :class:`ConfigError` naming the entry or the line at fault."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML ({e}). Fix the file and index again.") from e
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: `source` must be a list of [[source]] tables, not {kind_of(entries)}.")
    sources = []
    seen: set[str] = set()
    for number, raw in enumerate(entries, start=1):
        entry = _entry_fields(path, number, raw)
        sid = entry.get("id", "")
        if not SOURCE_ID.match(sid):
            raise ConfigError(f"{path}: source #{number} needs an id of lowercase letters, digits, '-', '.' or '_'.")
        if sid in seen:
            raise ConfigError(f"{path}: the id {sid!r} is used twice.")
        seen.add(sid)
        kind = entry.get("kind", "article")
        if kind not in KINDS:
            raise ConfigError(f"{path}: source {sid!r} has kind {kind!r}; expected one of {', '.join(KINDS)}.")
        file = entry.get("file")
        # A web snapshot entry may be just an id and a url: `assistant fetch` saves its page.
        if not file and not entry.get("citation") and not (kind == "web snapshot" and entry.get("url")):
            raise ConfigError(f"{path}: source {sid!r} needs a `file` or a `citation` (a web snapshot: a `url`).")
        sources.append(
            Source(
                id=sid,
                kind=kind,
                title=entry.get("title", ""),
                author=entry.get("author", ""),
                date=entry.get("date", ""),
                url=without_credentials(entry.get("url", "")),
                path=path.parent / file if file else None,
                citation=entry.get("citation", ""),
                extra={k: v for k, v in entry.items() if k not in _FIELDS},
            )
        )
    return sources


def _snapshot_source(sidecar: Path, page: Path) -> Source:
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise LoaderError(f"{sidecar.name}: the snapshot's metadata is not readable JSON; skipped.") from e
    sid = str(meta.get("id") or slugify(page.stem))
    known = {"id", "title", "author", "date", "url"}
    return Source(
        id=sid,
        kind="web snapshot",
        title=str(meta.get("title") or page.stem),
        author=str(meta.get("author") or ""),
        date=str(meta.get("date") or ""),
        url=without_credentials(str(meta.get("url") or "")),
        path=page,
        extra={k: str(v) for k, v in meta.items() if k not in known and isinstance(v, str | int | float)},
    )


def discover(corpus_dir: Path) -> tuple[list[Source], list[str]]:
    """Every source in the corpus folder, and a message per entry that cannot be used."""
    root = corpus_dir.resolve()
    problems: list[str] = []
    manifest = []
    for source in read_manifest(corpus_dir / MANIFEST):
        if source.path is not None and (problem := _escapes(source.path, corpus_dir)):
            problems.append(f"{source.path.relative_to(corpus_dir)}: {problem}")
            continue
        manifest.append(source)
    claimed = {s.path.resolve() for s in manifest if s.path}
    # An entry with neither file nor citation is a URL to fetch: its snapshot is the source.
    sources = [s for s in manifest if s.path or s.citation]
    ids = {s.id for s in sources}
    entries = sorted(_entries(corpus_dir))
    # Files the corpus holds under their own name: a link to one would index the same text twice.
    read_anyway = claimed | {p.resolve() for p in entries if not p.is_symlink() and p.is_file()}
    for path in entries:
        relative = path.relative_to(corpus_dir)
        if path.is_symlink():
            if problem := _escapes(path, corpus_dir):
                problems.append(f"{relative}: {problem}")
                continue
            target = path.resolve()
            if target.is_dir():
                problems.append(f"{relative}: a link to a folder, which is not followed; skipped.")
                continue
            if target in read_anyway:
                problems.append(
                    f"{relative}: a link to {target.relative_to(root)}, in the corpus under its own name; skipped."
                )
                continue
        if not path.is_file():
            problems.append(f"{relative}: not a regular file; skipped.")
            continue
        if path.resolve() in claimed or relative == Path(MANIFEST):
            continue
        if relative.parts[0] == SNAPSHOT_DIR:
            if path.suffix == ".json":
                continue
            sidecar = path.with_suffix(".json")
            if not sidecar.exists():
                problems.append(f"{relative}: a snapshot without its .json metadata; skipped.")
                continue
            try:
                source = _snapshot_source(sidecar, path)
            except LoaderError as e:
                problems.append(str(e))
                continue
        else:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                problems.append(f"{relative}: unsupported file type {path.suffix or '(none)'}; skipped.")
                continue
            source = Source(id=slugify(str(relative)), kind="user file", path=path)
        sid = source.id
        if sid in ids:
            sid = f"{sid}-{hashlib.sha256(str(relative).encode()).hexdigest()[:6]}"
            source = Source(**{**source.__dict__, "id": sid})
        ids.add(sid)
        sources.append(source)
    return sources, problems


def _entries(folder: Path) -> Iterator[Path]:
    """Files, links and anything else in the folder that is not a folder or hidden."""
    for path in folder.rglob("*"):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        # rglob does not descend into linked folders; the link itself is reported.
        if path.is_symlink() or not path.is_dir():
            yield path


def _escapes(path: Path, corpus_dir: Path) -> str:
    """Why a path that lies in the corpus folder leads out of it through a link ('' if it does not).

    Checked on the path as written, then on where its links lead, so an
    explicit ``../notes.txt`` in the manifest is left to the owner.
    """
    import os

    written = Path(os.path.normpath(path.absolute()))
    if not written.is_relative_to(Path(os.path.normpath(corpus_dir.absolute()))):
        return ""
    target = path.resolve()
    if not target.exists():
        return f"a link to {target}, which does not exist; skipped." if path.is_symlink() else ""
    if target.is_relative_to(corpus_dir.resolve()):
        return ""
    return f"a link to {target}, which is outside the corpus folder; skipped."


def reference_text(source: Source) -> str:
    """The text of a reference entry: its citation exactly as the article lists it."""
    return normalise(source.citation)


def load(source: Source, max_bytes: int) -> Document:
    """Read one source; raise :class:`LoaderError` naming the file if it cannot be."""
    if source.path is None:
        return Document(source=source, text=reference_text(source))
    if not source.path.exists():
        raise LoaderError(f"{source.path.name}: listed in {MANIFEST} as {source.id!r} but missing; skipped.")
    loaded = load_file(source.path, max_bytes)
    # The file's own title, author and date fill in what the manifest leaves out.
    filled = Source(
        **{
            **source.__dict__,
            "title": source.title or loaded.title or source.path.stem,
            "author": source.author or loaded.author,
            "date": source.date or loaded.date,
        }
    )
    return Document(source=filled, text=loaded.text, pages=loaded.pages, notes=loaded.notes)


def scan(corpus_dir: Path, max_bytes: int) -> CorpusScan:
    """Load every source; unreadable ones become messages, never exceptions."""
    if not corpus_dir.is_dir():
        raise ConfigError(f"The corpus folder {corpus_dir} does not exist.")
    sources, problems = discover(corpus_dir)
    result = CorpusScan(skipped=problems)
    for source in sources:
        try:
            document = load(source, max_bytes)
            result.documents.append(document)
            for note in document.notes:
                log.info("read with a caveat source=%s note=%s", source.id, note)
            result.notes.extend(document.notes)
        except LoaderError as e:
            log.warning("skipped source=%s reason=%s", source.id, e)
            result.skipped.append(str(e))
        except Exception as e:
            # Never let one file stop the whole index; the traceback goes to the log.
            name = source.path.name if source.path else source.id
            detail = f"{e.__class__.__name__}: {e}" if str(e) else e.__class__.__name__
            log.warning("skipped source=%s reason=%s", source.id, detail)
            log.debug("unexpected failure source=%s", source.id, exc_info=True)  # shown with --verbose
            result.skipped.append(f"{name}: could not be read ({detail}); skipped.")
    return result
