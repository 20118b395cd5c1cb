"""A large real-text corpus that every machine with this project has offline.

The docstrings of Python's standard library, then of the installed packages
(in the virtualenv `make` creates), read with ``ast`` (nothing is imported),
one text file per module: its dotted name as the heading, then each
documented module, class and function with its docstring. Files are taken in
a fixed order until the corpus holds the number of chunks asked for, so a
given size is the same text on every run of the same installation.

    python bench/corpus.py /tmp/corpus-10k 10000
"""

from __future__ import annotations

import ast
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.ingest.chunking import chunk_text  # noqa: E402


def module_files() -> Iterator[tuple[str, Path]]:
    """(dotted module name, file) for the standard library, then for site-packages, each in sorted order."""
    paths = sysconfig.get_paths()
    for base in (Path(paths["stdlib"]), Path(paths["purelib"])):
        for path in sorted(base.rglob("*.py")):
            relative = path.relative_to(base)
            if any(part in ("test", "tests", "site-packages", "idlelib") for part in relative.parts[:-1]):
                continue
            yield ".".join(relative.with_suffix("").parts), path


def docstrings(path: Path) -> list[str]:
    """The module's docstrings, each headed by what it documents; [] when it has none or does not parse."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []
    found = []
    for node in [tree, *ast.walk(tree)]:
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            text = ast.get_docstring(node)
            if text and len(text) > 80:
                name = getattr(node, "name", "")
                found.append(f"{name}\n\n{text}" if name else text)
    return found


def build_corpus(target: Path, chunks: int, chunk_chars: int = 320) -> tuple[int, int]:
    """Write module files into ``target`` until they hold at least ``chunks`` chunks; (files, chunks)."""
    target.mkdir(parents=True, exist_ok=True)
    total = files = 0
    for name, path in module_files():
        parts = docstrings(path)
        if not parts:
            continue
        text = f"{name}\n\n" + "\n\n".join(parts) + "\n"
        (target / f"{name}.txt").write_text(text, encoding="utf-8")
        files += 1
        total += len(chunk_text(text, chunk_chars))
        if total >= chunks:
            break
    return files, total


if __name__ == "__main__":
    folder, wanted = Path(sys.argv[1]), int(sys.argv[2])
    made = build_corpus(folder, wanted)
    print(f"{folder}: {made[0]} files, about {made[1]} chunks")
