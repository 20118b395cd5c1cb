"""Documents a maintainer adds to the corpus from the app.

An uploaded file is read by the same loader that will index it, under its own
name, before it is kept: a file the loader cannot read is refused with the
loader's own message (the one a re-index would report) and nothing is
written to the corpus. Readable files go to the ``uploads/`` folder of the
corpus, where the next re-index finds them as user files.

Not handled on purpose: metadata (title, author, date) beyond what the file
says about itself; a maintainer who wants more adds an entry to sources.toml.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.loaders import SUPPORTED_SUFFIXES, load_file

log = logging.getLogger(__name__)

UPLOAD_DIR = "uploads"
# The file types the app's upload accepts: those the loaders read.
UPLOAD_TYPES = sorted(SUPPORTED_SUFFIXES)

_UNSAFE = re.compile(r"[^\w.() -]+")


def safe_name(name: str) -> str:
    """A file name that stays inside the uploads folder and hides nothing.

    >>> safe_name("../../etc/notes on <kindness>.md"), safe_name(".hidden.txt"), safe_name("..")
    ('notes on -kindness-.md', 'hidden.txt', 'upload')
    """
    base = _UNSAFE.sub("-", Path(name.replace("\\", "/")).name).strip(" .")
    return base or "upload"


@dataclass(frozen=True, kw_only=True)
class Added:
    """A file kept in the corpus, and what to tell the maintainer about it."""

    path: Path
    message: str
    notes: tuple[str, ...] = ()  # what the loader noticed about a file it read anyway


def add_upload(corpus_dir: Path, name: str, data: bytes, max_bytes: int) -> Added:
    """Keep an uploaded file in the corpus, or raise :class:`LoaderError` with the loader's message."""
    clean = safe_name(name)
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        trial = Path(folder) / clean
        trial.write_bytes(data)
        loaded = load_file(trial, max_bytes)  # raises LoaderError naming the file
    target_dir = corpus_dir / UPLOAD_DIR
    target = target_dir / clean
    if target.exists() and target.read_bytes() == data:
        return Added(path=target, message=f"{clean}: already in the corpus, unchanged.", notes=loaded.notes)
    replaced = target.exists()
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target_dir / f".{clean}.part"
    partial.write_bytes(data)
    partial.replace(target)  # a re-index running now never reads half a file
    log.info("upload kept file=%s bytes=%s replaced=%s", target.name, len(data), replaced)
    verb = "replaced the earlier file of that name" if replaced else "added"
    return Added(path=target, message=f"{clean}: {verb}.", notes=loaded.notes)
