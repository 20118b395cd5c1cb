"""`assistant fetch` and `add-url` against a real HTTP server on 127.0.0.1.

The server serves the pages in tests/pages (copied, so a test can edit them)
and a few routes that misbehave: a redirect, a loop, a slow answer, an
endless body, a 500.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import tomlkit

from assistant.index.library import Library
from assistant.ingest.corpus import discover, read_manifest
from assistant.ingest.fetch import Fetcher
from assistant.text import normalise
from tests.helpers import write_rc4_pdf

PAGES = Path(__file__).parent / "pages"
SLOW_SECONDS = 3.0
ENDLESS_BYTES = 64_000_000
CHROME = (
    "NAV-LINK-TEXT", "Meet the team", "COOKIE-BANNER-TEXT", "Accept all cookies", "SCRIPT-SECRET", "dataLayer",
    "SIDEBAR-TEXT", "Related posts", "FOOTER-TEXT", "Privacy policy", "HIDDEN-ATTRIBUTE-TEXT", "HIDDEN-STYLE-TEXT",
)  # fmt: skip


class Site:
    """A local web site: files from a folder plus misbehaving routes."""

    def __init__(self, root: Path, host: str = "127.0.0.1") -> None:
        self.root = root
        self.sent: dict[str, int] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, headers) of every request received
        self.redirects = {"/moved": "/article.html", "/loop-a": "/loop-b", "/loop-b": "/loop-a"}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.handle(self)

        self.host = host
        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server.server_port}{path}"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        self.requests.append((path, dict(request.headers)))
        if path in self.redirects:
            return self.reply(request, 302, b"", {"Location": self.redirects[path]})
        if match := re.fullmatch(r"/chain/(\d+)", path):
            return self.reply(request, 302, b"", {"Location": f"/chain/{int(match[1]) + 1}"})
        if path == "/broken":
            return self.reply(request, 500, b"<h1>Internal Server Error</h1>", {"Content-Type": "text/html"})
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
            return self.reply(request, 200, (self.root / "article.html").read_bytes(), {"Content-Type": "text/html"})
        if path == "/endless":
            return self.endless(request)
        if path == "/declared-huge":
            return self.reply(request, 200, b"<p>x</p>", {"Content-Type": "text/html", "Content-Length": "10000000000"})
        file = self.root / path.lstrip("/")
        if not path.strip("/") or not file.is_file():
            return self.reply(request, 404, b"<h1>Not Found</h1>", {"Content-Type": "text/html"})
        types = {
            ".html": "text/html; charset=utf-8",
            ".pdf": "application/pdf",
            ".png": "image/png",
        }
        content_type = types.get(file.suffix, "application/octet-stream")
        if file.name == "latin1.html":
            content_type = "text/html; charset=iso-8859-1"
        elif file.name == "meta-1252.html":
            content_type = "text/html"  # the charset is only in the page's <meta>
        elif file.name == "punycode.html":
            content_type = "text/html; charset=punycode"  # a codec that raises UnicodeError, not a decode error
        return self.reply(request, 200, file.read_bytes(), {"Content-Type": content_type})

    @staticmethod
    def reply(request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            request.send_response(status)
            headers.setdefault("Content-Length", str(len(body)))
            for name, value in headers.items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should for /declared-huge and /slow

    def endless(self, request: BaseHTTPRequestHandler) -> None:
        # No Content-Length: the client only learns the size by reading.
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.end_headers()
        piece = b"<p>" + b"kindness " * 7000 + b"</p>\n"
        sent = 0
        try:
            while sent < ENDLESS_BYTES:
                request.wfile.write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.sent["/endless"] = sent


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(PAGES, root)
    write_rc4_pdf(root / "locked.pdf", ["Locked with a password."], user_password="secret")
    server = Site(root)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def set_urls(corpus_dir: Path, urls: dict[str, str]) -> None:
    """Point manifest entries at URLs; an id not in the manifest becomes a web snapshot entry."""
    path = corpus_dir / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    entries = {entry["id"]: entry for entry in document["source"]}
    for sid, url in urls.items():
        if sid in entries:
            entries[sid]["url"] = url
        else:
            entry = tomlkit.table()
            entry.update({"id": sid, "kind": "web snapshot", "url": url})
            document["source"].append(entry)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


# The test server's address: private, so each test allows it explicitly, as a maintainer would.
LOCAL = "127.0.0.1/32"


def fetch(settings, ids=(), **overrides):
    overrides.setdefault("fetch_allowed_networks", [LOCAL])
    fetcher = Fetcher(settings.model_copy(update=overrides))
    try:
        return {r.source_id: r for r in fetcher.fetch(ids)}
    finally:
        fetcher.close()


def files(corpus_dir: Path, snapshot: str) -> dict[str, tuple[bytes, int]]:
    """Bytes and modification time of a snapshot's two files."""
    paths = [corpus_dir / "snapshots" / f"{snapshot}{suffix}" for suffix in (".txt", ".json")]
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_FETCH_ALLOWED_NETWORKS": json.dumps([LOCAL]),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_only_the_main_text_of_a_page_is_saved(settings, corpus_dir, site):
    set_urls(corpus_dir, {"rogers-2025": site.url("/article.html"), "tucker-2024": site.url("/moved")})
    results = fetch(settings)
    assert [r.status for r in results.values()] == ["added", "added"]
    text = (corpus_dir / "snapshots/rogers-2025-page.txt").read_text(encoding="utf-8")
    assert text.startswith("Kindness Toward Yourself After a Setback\n\nWhen a plan falls apart")
    assert "exaggerating or suppressing them.\n\nPeople who practise" in text
    assert text.endswith("one small step at a time.")
    for chrome in CHROME:
        assert chrome not in text
    assert "Self-compassion offers another route" in text  # the zero-width characters are gone
    assert "bounce back" in text
    assert not re.search("[\u200b-\u200f\u2060\ufeff]", text)
    assert text == normalise(text)
    meta = json.loads((corpus_dir / "snapshots/rogers-2025-page.json").read_text(encoding="utf-8"))
    assert meta["id"] == "rogers-2025-page" and meta["of"] == "rogers-2025"
    assert meta["title"] == "Kindness Toward Yourself After a Setback"
    assert "Lena Okafor" in meta["author"]
    assert meta["date"] == "2024-05-14"
    assert meta["url"] == meta["final_url"] == site.url("/article.html")
    assert meta["content_hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["fetched_at"])


def test_a_redirect_records_the_final_url(settings, corpus_dir, site):
    set_urls(corpus_dir, {"moved": site.url("/moved")})
    result = fetch(settings, ["moved"])["moved"]
    assert (result.status, result.final_url) == ("added", site.url("/article.html"))
    meta = json.loads((corpus_dir / "snapshots/moved.json").read_text(encoding="utf-8"))
    assert (meta["url"], meta["final_url"]) == (site.url("/moved"), site.url("/article.html"))


FAILURES = {
    "404": ("/missing.html", "the server answered HTTP 404 Not Found"),
    "500": ("/broken", "the server answered HTTP 500 Internal Server Error"),
    "redirect-loop": ("/loop-a", "redirects in a loop"),
    "too-many-redirects": ("/chain/0", "redirects more than 3 times"),
    "timeout": ("/slow", "no response from 127.0.0.1"),
    "endless-body": ("/endless", "over the 100,000-byte limit; stopped reading"),
    "declared-too-big": ("/declared-huge", "10,000,000,000 bytes, over the 100,000-byte limit"),
    "image": ("/image.png", "the server sent image/png, which is not a web page"),
    "unreachable": (None, "could not connect to 127.0.0.1"),
    "aes-pdf": ("/aes.pdf", "the page is encrypted with AES"),
    "password-pdf": ("/locked.pdf", "the page is encrypted and password-protected"),
    # Once trafilatura's parser failed on it; the hidden-text pass now hands it a whole document.
    "svg-only": ("/svg-root.html", "no readable text was found on the page"),
}
# pypdf reads AES only with the optional `cryptography` package.
HAS_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None


def case_param(case: str) -> object:
    readable = case == "aes-pdf" and HAS_CRYPTOGRAPHY
    return pytest.param(case, marks=pytest.mark.skipif(readable, reason="cryptography is installed: AES is read"))


UNREADABLE = [case_param(case) for case in ("aes-pdf", "password-pdf", "svg-only")]


@pytest.mark.parametrize("case", [case_param(case) for case in FAILURES])
def test_a_failed_fetch_says_why_keeps_the_snapshot_and_the_rest_still_fetch(settings, corpus_dir, site, case):
    path, reason = FAILURES[case]
    set_urls(corpus_dir, {"bad": site.url("/article.html"), "good": site.url("/article.html")})
    assert {r.status for r in fetch(settings, ["bad", "good"]).values()} == {"added"}
    before = files(corpus_dir, "bad")
    url = site.url(path) if path else f"http://127.0.0.1:{free_port()}/page"
    set_urls(corpus_dir, {"bad": url})
    started = time.monotonic()
    results = fetch(settings, ["bad", "good"], fetch_timeout=0.5, fetch_max_bytes=100_000, fetch_max_redirects=3)
    assert time.monotonic() - started < SLOW_SECONDS
    assert (results["bad"].status, results["good"].status) == ("failed", "unchanged")
    message = results["bad"].message
    assert message.startswith(f"bad: {url}: ")
    assert reason in message
    assert message.endswith("the previous snapshot is kept.")
    assert files(corpus_dir, "bad") == before
    if case == "endless-body":
        assert site.sent["/endless"] < ENDLESS_BYTES  # the client stopped reading


@pytest.mark.parametrize("case", UNREADABLE)
def test_a_page_that_cannot_be_read_fails_alone_and_the_next_page_is_saved(settings, corpus_dir, site, case):
    path, reason = FAILURES[case]
    set_urls(corpus_dir, {"bad": site.url(path), "good": site.url("/article.html")})
    results = fetch(settings, ["bad", "good"])
    assert (results["bad"].status, results["good"].status) == ("failed", "added")
    assert results["bad"].message.startswith(f"bad: {site.url(path)}: {reason}")
    assert results["bad"].message.endswith("; nothing was saved.")
    assert not any((corpus_dir / "snapshots").glob("bad.*"))
    saved = (corpus_dir / "snapshots/good.txt").read_text(encoding="utf-8")
    assert saved.startswith("Kindness Toward Yourself After a Setback")


def test_a_page_declaring_an_unusable_charset_is_decoded_by_detection(settings, corpus_dir, site):
    html = (site.root / "article.html").read_text(encoding="utf-8")
    (site.root / "punycode.html").write_text(html, encoding="utf-8")
    set_urls(corpus_dir, {"odd": site.url("/punycode.html"), "good": site.url("/article.html")})
    results = fetch(settings, ["odd", "good"])
    assert (results["odd"].status, results["good"].status) == ("added", "added")
    assert files(corpus_dir, "odd")["odd.txt"][0] == files(corpus_dir, "good")["good.txt"][0]


def test_a_snapshot_that_cannot_be_saved_is_reported_per_source(settings, corpus_dir, site):
    (corpus_dir / "snapshots").write_text("a file where the snapshots folder should be", encoding="utf-8")
    set_urls(corpus_dir, {"one": site.url("/article.html"), "two": site.url("/latin1.html")})
    results = fetch(settings, ["one", "two"])
    assert [r.status for r in results.values()] == ["failed", "failed"]
    assert results["one"].message.startswith(f"one: {site.url('/article.html')}: the snapshot could not be saved (")
    assert results["two"].message.startswith(f"two: {site.url('/latin1.html')}: the snapshot could not be saved (")


def test_a_first_fetch_that_fails_saves_nothing(settings, corpus_dir, site):
    set_urls(corpus_dir, {"gone": site.url("/missing.html")})
    result = fetch(settings, ["gone"])["gone"]
    assert result.status == "failed"
    assert result.message.endswith("HTTP 404 Not Found; nothing was saved.")
    assert not any((corpus_dir / "snapshots").glob("gone.*"))


def test_a_pdf_is_saved_as_its_text(settings, corpus_dir, site):
    set_urls(corpus_dir, {"report": site.url("/report.pdf")})
    assert fetch(settings, ["report"])["report"].status == "added"
    text = (corpus_dir / "snapshots/report.txt").read_text(encoding="utf-8")
    assert text == "Self-compassion steadies the mind after a setback.\n\nThe lantern practice takes four slow breaths."
    assert json.loads((corpus_dir / "snapshots/report.json").read_text())["content_type"] == "application/pdf"


@pytest.mark.parametrize("page", ["latin1.html", "meta-1252.html"])
def test_a_page_in_a_legacy_encoding_is_decoded_by_its_declared_charset(settings, corpus_dir, site, page):
    set_urls(corpus_dir, {"legacy": site.url(f"/{page}")})
    result = fetch(settings, ["legacy"])["legacy"]
    assert result.status == "added"
    assert result.message.endswith("not UTF-8; its text was converted.")  # the person is told
    text = (corpus_dir / "snapshots/legacy.txt").read_text(encoding="utf-8")
    assert "Le café refroidit pendant que l’on se répète “je n’y arriverai jamais”." in text
    assert "la main sur le cœur" in text and "une amie naïve et courageuse — quelque chose" in text
    assert "Accueil" not in text and "Exemple" not in text


def test_refetching_changes_only_what_changed_and_the_index_follows(indexer, settings, corpus_dir, site):
    set_urls(corpus_dir, {"rogers-2025": site.url("/article.html"), "tucker-2024": site.url("/latin1.html")})
    assert {r.status for r in fetch(settings).values()} == {"added"}
    first = indexer.run()
    assert (first.added, first.skipped) == (5, [])
    listed = {s["id"]: s for s in Library(settings).sources()}
    assert listed["rogers-2025-page"]["kind"] == "web snapshot"
    assert listed["rogers-2025-page"]["url"] == site.url("/article.html")
    assert listed["rogers-2025"]["kind"] == "reference"  # still indexed from its citation line
    before = files(corpus_dir, "rogers-2025-page")

    article = site.root / "article.html"
    html = article.read_text(encoding="utf-8")
    article.write_text(html.replace("FOOTER-TEXT © 2024", "FOOTER-TEXT © 2025"), encoding="utf-8")
    again = fetch(settings)
    assert {r.status for r in again.values()} == {"unchanged"}
    assert files(corpus_dir, "rogers-2025-page") == before

    article.write_text(html.replace("exactly seven breaths", "exactly nine breaths"), encoding="utf-8")
    changed = fetch(settings)
    assert (changed["rogers-2025"].status, changed["tucker-2024"].status) == ("updated", "unchanged")
    text = (corpus_dir / "snapshots/rogers-2025-page.txt").read_text(encoding="utf-8")
    assert "exactly nine breaths" in text and "seven breaths" not in text
    meta = json.loads((corpus_dir / "snapshots/rogers-2025-page.json").read_text(encoding="utf-8"))
    assert meta["content_hash"] == hashlib.sha256(text.encode()).hexdigest() == changed["rogers-2025"].content_hash
    report = indexer.run()
    assert (report.added, report.updated, report.unchanged, report.deleted) == (0, 1, 4, 0)
    assert "nine breaths" in Library(settings).generation().source("rogers-2025-page").text


def test_fetch_command_prints_every_result_and_exits_1_on_any_failure(settings, corpus_dir, site):
    set_urls(corpus_dir, {"rogers-2025": site.url("/article.html"), "tucker-2024": site.url("/broken")})
    result = cli(settings, "fetch", "--json")
    assert result.returncode == 1, result.stderr
    rows = {row["source_id"]: row for row in json.loads(result.stdout)}
    assert (rows["rogers-2025"]["status"], rows["tucker-2024"]["status"]) == ("added", "failed")
    assert "HTTP 500" in rows["tucker-2024"]["message"]
    human = cli(settings, "fetch")
    assert human.returncode == 1
    assert "unchanged  rogers-2025-page" in human.stdout
    assert "tucker-2024: " in human.stdout and "HTTP 500" in human.stdout
    assert "Traceback" not in human.stderr
    set_urls(corpus_dir, {"tucker-2024": site.url("/article.html")})
    assert cli(settings, "fetch", "tucker-2024").returncode == 0
    unknown = cli(settings, "fetch", "nope")
    assert unknown.returncode == 1 and "'nope'" in unknown.stderr and "Traceback" not in unknown.stderr


def test_add_url_adds_a_web_snapshot_entry_and_keeps_the_manifest_comments(settings, corpus_dir, site):
    manifest = corpus_dir / "sources.toml"
    original = manifest.read_text(encoding="utf-8")
    url = site.url("/article.html")
    result = cli(settings, "add-url", url, "--id", "heron", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "added"
    updated = manifest.read_text(encoding="utf-8")
    assert updated.startswith(original)  # every comment and entry as it was
    assert updated[len(original) :] == f'\n[[source]]\nid = "heron"\nkind = "web snapshot"\nurl = "{url}"\n'
    entry = next(s for s in read_manifest(manifest) if s.id == "heron")
    assert (entry.kind, entry.url, entry.path) == ("web snapshot", url, None)
    sources, problems = discover(corpus_dir)
    assert problems == []
    heron = [s for s in sources if s.id.startswith("heron")]
    assert [(s.id, s.path) for s in heron] == [("heron", corpus_dir / "snapshots/heron.txt")]  # the snapshot only

    again = cli(settings, "add-url", url.replace("/article.html", "/article.html/"))
    assert again.returncode == 1
    assert "already in sources.toml as 'heron'" in again.stderr and "assistant fetch heron" in again.stderr
    taken = cli(settings, "add-url", site.url("/latin1.html"), "--id", "heron")
    assert taken.returncode == 1 and "'heron' is already used" in taken.stderr
    assert manifest.read_text(encoding="utf-8") == updated


def _has_ask_command() -> bool:
    from assistant.cli import cli as group

    return "ask" in group.commands


@pytest.mark.skipif(not _has_ask_command(), reason="needs assistant ask")
def test_a_fetched_page_answers_a_question_with_a_link_to_the_quote(settings, corpus_dir, site):
    url = site.url("/article.html")
    assert cli(settings, "add-url", url, "--id", "heron").returncode == 0
    assert cli(settings, "index").returncode == 0
    result = cli(settings, "ask", "--json", "How many breaths does the harbor heron exercise take?")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "answered"
    cited = [c for c in answer["citations"] if c["source_id"] == "heron"]
    assert cited, answer
    assert cited[0]["url"] == url and cited[0]["kind"] == "web snapshot"
    assert cited[0]["link"].startswith(f"{url}#:~:text=")
    assert any("seven breaths" in c["quote"] for c in cited)


HIDDEN_CASES = tomllib.loads((Path(__file__).parent / "hidden_html.toml").read_text(encoding="utf-8"))


def _page_with(site, case: dict[str, str]) -> str:
    """The article with the case's stylesheet in its head and its HTML after the byline; its URL."""
    html = (site.root / "article.html").read_text(encoding="utf-8")
    html = html.replace("</head>", f"<style>{case.get('style', '')}</style></head>", 1)
    html = re.sub(r'(<p class="byline">.*?</p>)', lambda m: m[1] + case["html"], html, count=1)
    (site.root / "case.html").write_text(html, encoding="utf-8")
    return site.url("/case.html")


@pytest.mark.parametrize("case", HIDDEN_CASES["hidden"], ids=lambda case: case["name"])
def test_text_a_reader_cannot_see_is_not_saved(settings, corpus_dir, site, case):
    set_urls(corpus_dir, {"case": _page_with(site, case)})
    assert fetch(settings, ["case"])["case"].status == "added"
    text = (corpus_dir / "snapshots/case.txt").read_text(encoding="utf-8")
    assert "When a plan falls apart" in text and "SECRET" not in text


@pytest.mark.parametrize("case", HIDDEN_CASES["visible"], ids=lambda case: case["name"])
def test_text_a_reader_can_see_is_saved(settings, corpus_dir, site, case):
    set_urls(corpus_dir, {"case": _page_with(site, case)})
    assert fetch(settings, ["case"])["case"].status == "added"
    assert "Shown words" in (corpus_dir / "snapshots/case.txt").read_text(encoding="utf-8")


PRIVATE = {
    "localhost": ("localhost", "loopback"),
    "loopback": ("127.0.0.1", "loopback"),
    "unspecified": ("0.0.0.0", "unspecified"),
    "loopback as a number": ("2130706433", "loopback"),
    "IPv6 loopback": ("[::1]", "loopback"),
    "IPv4 mapped into IPv6": ("[::ffff:127.0.0.1]", "loopback"),
    "private": ("10.0.0.1", "private"),
    "unique-local": ("[fd00::1]", "unique-local"),
    "link-local (cloud metadata)": ("169.254.169.254", "link-local"),
}


@pytest.fixture
def connections(monkeypatch):
    """Every address the process tries to connect to (the real connect still runs)."""
    tried: list[object] = []
    original = socket.socket.connect

    def recording(self, address):
        tried.append(address)
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    return tried


@pytest.mark.parametrize("case", PRIVATE)
def test_a_private_address_is_refused_before_any_connection(settings, corpus_dir, site, connections, case):
    host, kind = PRIVATE[case]
    url = f"http://{host}:{site.server.server_port}/article.html"
    set_urls(corpus_dir, {"inside": url})
    result = fetch(settings, ["inside"], fetch_allowed_networks=[], fetch_timeout=2)["inside"]
    assert result.status == "failed"
    assert f"a {kind} address" in result.message and "--allow-network" in result.message
    assert connections == [] and site.requests == []
    assert not (corpus_dir / "snapshots").exists()


def test_an_allowed_network_is_fetched(settings, corpus_dir, site):
    set_urls(corpus_dir, {"local": f"http://localhost:{site.server.server_port}/article.html"})
    refused = fetch(settings, ["local"], fetch_allowed_networks=[])["local"]
    assert refused.status == "failed" and site.requests == []
    assert fetch(settings, ["local"], fetch_allowed_networks=["127.0.0.0/8", "::1"])["local"].status == "added"


def test_a_redirect_into_a_private_address_is_refused_unless_allowed(settings, corpus_dir, site, connections):
    # The site on 127.0.0.1 stands for a public one: the only network allowed.
    inner = Site(site.root, host="127.0.0.2")
    inner.thread.start()
    try:
        site.redirects["/to-inside"] = inner.url("/article.html")
        set_urls(corpus_dir, {"hop": site.url("/to-inside")})
        result = fetch(settings, ["hop"], fetch_allowed_networks=["127.0.0.1"])["hop"]
        assert result.status == "failed"
        assert f"redirects to {inner.url('/article.html')}, which is a loopback address (127.0.0.2)" in result.message
        assert inner.requests == [] and not any(a[0] == "127.0.0.2" for a in connections)
        allowed = fetch(settings, ["hop"], fetch_allowed_networks=["127.0.0.1", "127.0.0.2"])["hop"]
        assert (allowed.status, allowed.final_url) == ("added", inner.url("/article.html"))
    finally:
        inner.server.shutdown()
        inner.server.server_close()


def test_add_url_refuses_a_private_address_without_the_option_and_fetches_it_with_it(settings, corpus_dir, site):
    manifest = corpus_dir / "sources.toml"
    before = manifest.read_text(encoding="utf-8")
    url = f"http://localhost:{site.server.server_port}/article.html"
    refused = cli(settings, "add-url", url, "--id", "local", ASSISTANT_FETCH_ALLOWED_NETWORKS="[]")
    assert refused.returncode == 1
    assert "a loopback address" in refused.stdout + refused.stderr and "Traceback" not in refused.stderr
    assert manifest.read_text(encoding="utf-8") == before and site.requests == []
    allowed = cli(
        settings, "add-url", url, "--id", "local", "--allow-network", "127.0.0.1", ASSISTANT_FETCH_ALLOWED_NETWORKS="[]"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert 'id = "local"' in manifest.read_text(encoding="utf-8")


def test_credentials_in_a_url_are_never_stored_sent_or_shown(settings, corpus_dir, site):
    url = site.url("/article.html").replace("http://", "http://reader:hunter2@")
    result = cli(settings, "add-url", url, "--id", "heron", "--json")
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert "user name and password" in json.loads(result.stdout)["message"]
    assert cli(settings, "index").returncode == 0
    stored = [corpus_dir / "sources.toml", *(corpus_dir / "snapshots").iterdir()]
    stored += [p for p in settings.index_dir.rglob("*") if p.is_file()]
    assert not [p for p in stored if b"hunter2" in p.read_bytes()]
    assert read_manifest(corpus_dir / "sources.toml")[-1].url == site.url("/article.html")
    assert all("authorization" not in {k.lower() for k in headers} for _, headers in site.requests)
    listed = json.loads(cli(settings, "sources", "--json").stdout)
    assert [s["url"] for s in listed if s["id"] == "heron"] == [site.url("/article.html")]


def test_a_url_whose_first_fetch_fails_is_not_added(settings, corpus_dir, site):
    manifest = corpus_dir / "sources.toml"
    before = manifest.read_text(encoding="utf-8")
    result = cli(settings, "add-url", site.url("/missing.html"), "--id", "gone")
    assert result.returncode == 1
    assert "HTTP 404" in result.stdout + result.stderr
    assert f"Not added to {manifest}" in result.stderr
    assert manifest.read_text(encoding="utf-8") == before
    assert cli(settings, "add-url", site.url("/article.html"), "--id", "gone").returncode == 0  # free to try again
