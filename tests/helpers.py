"""Small helpers shared by the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def stop(process: subprocess.Popen, timeout: float) -> None:
    """End a server the tests started: politely, then by force if it does not go within ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def pdf_bytes(pages: list[str]) -> bytes:
    """A minimal, valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font_number = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_number} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_pdf(path: Path, pages: list[str]) -> None:
    """Write a minimal, valid PDF with one line of Helvetica text per page."""
    path.write_bytes(pdf_bytes(pages))


def write_rc4_pdf(path: Path, pages: list[str], user_password: str = "") -> None:
    """An RC4-encrypted PDF, written by pypdf itself (it needs no extra package for RC4)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    writer.write(path)


PAGES = Path(__file__).resolve().parent / "pages"


def write_aes_pdf(path: Path, locked: bool = False) -> None:
    """Copy an AES-128 encrypted PDF whose two pages read "Rest is part of the work." and "Kindness is a skill."

    pypdf writes AES only with the optional ``cryptography`` package, which
    the assistant does not need, so the two files are kept beside the tests:
    ``aes.pdf`` opens without a password, ``aes-locked.pdf`` needs "secret".
    """
    import shutil

    shutil.copyfile(PAGES / ("aes-locked.pdf" if locked else "aes.pdf"), path)
