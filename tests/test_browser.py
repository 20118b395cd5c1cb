"""The app as readers and a maintainer use it: `streamlit run serve.py` and a real headless Chromium.

One server for the whole module (over a private copy of the corpus, with a
maintainer token set), one browser, and a fresh browser context (cookies,
storage, viewport) per reader. Each test writes screenshots of the states it
reaches to ``SCREENSHOTS_DIR`` when that is set (``make screenshots`` sets it
to ``docs/screenshots``), else to a temporary folder.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import copy_shipped_corpus
from tests.helpers import stop

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "a-maintainer-token-for-the-browser"
QUESTION = "Does being kind to myself do anything for my immune system?"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Set when the chat input is disabled at any moment; read after the answer is complete.
WATCH_INPUT = """() => {
    window.inputWasDisabled = false;
    const check = () => {
        const box = document.querySelector('[data-testid="stChatInputTextArea"]');
        if (box && box.disabled) window.inputWasDisabled = true;
    };
    new MutationObserver(check).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""
# Records the length of the answer's text in chat message `index` at every change of the page,
# to tell an answer written in pieces from one drawn at once.
WATCH_ANSWER = """(index) => {
    window.answerLength = () => {
        const message = document.querySelectorAll('[data-testid="stChatMessage"]')[index];
        const text = message && [...message.querySelectorAll('[data-testid="stMarkdownContainer"]')].find(
            (m) => !m.closest('[data-testid="stSpinner"], [data-testid="stExpander"]'));
        return text ? text.innerText.trim().length : 0;
    };
    window.answerLengths = [];
    new MutationObserver(() => window.answerLengths.push(window.answerLength())).observe(
        document.body, {subtree: true, childList: true, characterData: true});
}"""
# The highlighted quote's colours and sideways padding, and the page's background.
HIGHLIGHT_LOOK = """(quote) => {
    const style = getComputedStyle(quote);
    const page = getComputedStyle(document.querySelector('[data-testid="stApp"]'));
    return {background: style.backgroundColor, color: style.color, padding: [style.paddingLeft, style.paddingRight],
            margin: [style.marginLeft, style.marginRight], page: page.backgroundColor};
}"""
# A paste into the chat box, as the browser delivers one.
PASTE = """(text) => {
    const box = document.querySelector('[data-testid="stChatInputTextArea"]');
    const data = new DataTransfer();
    data.setData('text/plain', text);
    box.focus();
    box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
}"""
# Whether an element's top lies inside the viewport.
IN_VIEW = "(e) => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }"


def chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rgb(css: str) -> tuple[int, ...]:
    """``rgb("rgb(255, 224, 102)")`` is ``(255, 224, 102)``; the alpha of ``rgba()`` is dropped."""
    return tuple(int(float(x)) for x in re.findall(r"[\d.]+", css)[:3])


def words(text: str) -> str:
    """Text as a reader compares it: Markdown escapes and quote marks (">") dropped, spaces squeezed."""
    lines = (re.sub(r"^\s*>", "", line) for line in re.sub(r"\\(.)", r"\1", text).split("\n"))
    return " ".join(" ".join(lines).split())


@dataclass
class Server:
    url: str
    log: Path
    data_dir: Path
    corpus_dir: Path
    ready_before_any_visit: bool
    seconds_to_ready: float  # from `streamlit run` to the log saying the model and the index are ready


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"streamlit did not answer on {url} within {timeout} s:\n{log.read_text(errors='replace')}")


def _ready_in_log(log: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(r"assistant\.services: ready seconds=", log.read_text(errors="replace")):
            return True
        time.sleep(0.3)
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder) -> Iterator[Server]:
    if chromium() is None:
        pytest.skip("Chromium is not installed (no /usr/bin/chromium, no `chromium` on PATH): apt-get install chromium")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from assistant.config import Settings
    from assistant.index.building import Indexer

    base = tmp_path_factory.mktemp("browser")
    settings = Settings(
        corpus_dir=copy_shipped_corpus(base / "corpus"), index_dir=base / "index", data_dir=base / "data"
    )
    Indexer(settings, embedder).run()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = base / "streamlit.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")},
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_ADMIN_TOKEN": TOKEN,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(url, process, log)
        # No page is opened until the log says the model and the index are ready, or a while has passed.
        ready = _ready_in_log(log, timeout=150)
        yield Server(url, log, settings.data_dir, settings.corpus_dir, ready, time.perf_counter() - started)
    finally:
        stop(process, timeout=15)


@pytest.fixture(scope="module")
def browser(server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def reader(browser, server) -> Iterator[Any]:
    """A new browser context (its own cookies) for one reader, with the clipboard allowed."""
    contexts = []

    def open_context(**options: Any) -> Any:
        context = browser.new_context(
            **{"viewport": {"width": 1280, "height": 1000}, "accept_downloads": True, **options}
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def open_page(context: Any, url: str) -> Any:
    page = context.new_page()
    page.on("dialog", lambda d: pytest.fail(f"the page opened a dialog: {d.message}"))
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").or_(page.get_by_text("Maintain the assistant")).first.wait_for(
        timeout=120_000
    )
    return page


def ask(page: Any, question: str, index: int) -> Any:
    """Ask, and wait for the answer in chat message ``index`` to be complete."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(index)
    answer.get_by_test_id("stFeedback").or_(answer.get_by_test_id("stAlertContainer")).first.wait_for(timeout=120_000)
    return answer


def downloaded(page: Any, button: Any) -> str:
    with page.expect_download(timeout=30_000) as download:
        button.click()
    return Path(download.value.path()).read_text(encoding="utf-8")


def user_bubbles(page: Any) -> list[str]:
    return page.locator('[data-testid="stChatMessage"] [data-testid="stText"]').all_inner_texts()


# -- the tests ------------------------------------------------------------------------------------------------


def test_the_model_is_ready_before_the_first_visitor(server, reader, shots, record_property):
    assert server.ready_before_any_visit, "the server did not get ready on its own:\n" + server.log.read_text()
    print(f"\nbrowser timings: streamlit run to model and index ready {server.seconds_to_ready:.2f} s")
    record_property("server_start_to_ready_s", round(server.seconds_to_ready, 3))
    page = open_page(reader(), server.url)
    page.wait_for_timeout(500)
    assert not page.get_by_text("Getting ready").count()
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stSidebar").get_by_text("Healing from Within").first).to_be_visible()
    expect(page.locator(".st-key-starters").get_by_role("button")).to_have_count(5)
    page.screenshot(path=shots / "first-load.png")


def test_a_reader_asks_opens_a_citation_from_its_marker_copies_and_reads_the_source(
    server, reader, shots, record_property
):
    from playwright.sync_api import expect

    context = reader()
    page = open_page(context, server.url)
    page.evaluate(WATCH_INPUT)
    page.evaluate(WATCH_ANSWER, 1)
    answer = ask(page, QUESTION, 1)
    assert "improve immune function" in answer.inner_text()
    assert page.evaluate("window.inputWasDisabled"), "the chat input stayed enabled while answering"
    final, seen = page.evaluate("window.answerLength()"), page.evaluate("window.answerLengths")
    assert final > 0 and any(0 < n < final for n in seen), f"the answer did not arrive in pieces: {seen}"
    assert "c=" in page.url

    # The second marker in the answer opens the second citation and brings it into view.
    citation = answer.get_by_test_id("stExpander").nth(1)
    expect(citation.get_by_role("button", name="This citation is wrong")).to_be_hidden()
    answer.locator('a[href*="#cite-"]').nth(1).click()
    expect(citation.get_by_role("button", name="This citation is wrong")).to_be_visible()
    assert citation.evaluate(IN_VIEW)
    quote = citation.locator(".stMarkdownColoredBackground").first
    look = quote.evaluate(HIGHLIGHT_LOOK)
    assert max(abs(a - b) for a, b in zip(rgb(look["background"]), rgb(look["page"]), strict=True)) >= 100, look
    assert max(rgb(look["color"])) <= 64, look  # dark text on the highlight
    assert look["padding"] == look["margin"] == ["0px", "0px"], look  # nothing shifts the words
    page.wait_for_timeout(500)
    page.screenshot(path=shots / "answer.png")

    answer.get_by_role("button", name="Copy").click()
    expect(answer.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    shown = answer.get_by_test_id("stMarkdownContainer").first.inner_text()
    assert copied.startswith(shown[:40]) and "\nSources:\n[1] Healing from Within" in copied

    # The whole source, in a new tab, scrolled to the passage, highlighted.
    with context.expect_page() as opened:
        citation.get_by_role("link", name="Read the whole source").click()
    source = opened.value
    source.wait_for_load_state()
    marked = source.locator(".st-key-source-text .stMarkdownColoredBackground").first
    marked.wait_for(timeout=60_000)
    expect(source.get_by_role("heading", name="Healing from Within")).to_be_attached()
    assert words(quote.inner_text())[:60] in words(marked.inner_text())
    source.wait_for_function(IN_VIEW, arg=marked.element_handle(), timeout=10_000)
    assert len(source.locator(".st-key-source-text").inner_text()) > 5 * len(marked.inner_text())
    source.screenshot(path=shots / "source.png")

    # The conversation download holds the question, the answer and the quotes.
    conversation = downloaded(page, page.get_by_role("button", name="Download as Markdown"))
    assert QUESTION in conversation and words(quote.inner_text()) in words(conversation)

    # A reload keeps the conversation; a new one keeps the old one listed.
    page.reload()
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2, timeout=60_000)
    assert user_bubbles(page) == [QUESTION]
    page.get_by_role("button", name="New conversation").click()
    expect(page.get_by_test_id("stChatMessage")).to_have_count(0)
    pressed = time.perf_counter()
    ask(page, "How does self-compassion help me grow?", 1)
    warm = time.perf_counter() - pressed
    print(f"\nbrowser timings: Enter to the complete answer {warm:.2f} s")
    record_property("warm_question_to_answer_s", round(warm, 3))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name=QUESTION)).to_be_visible()
    sidebar.get_by_role("button", name=QUESTION).click()
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text(QUESTION)
    assert user_bubbles(page) == [QUESTION]


def test_readers_never_see_each_others_words_and_have_no_maintainer_control(server, reader):
    from playwright.sync_api import expect

    first = open_page(reader(), server.url)
    answer = ask(first, QUESTION, 1)
    answer.get_by_test_id("stFeedback").get_by_role("radio", name="Thumbs down").click()
    answer.get_by_role("textbox", name="Anything to add? (optional)").fill("Only mine to see.")
    answer.get_by_role("button", name="Send note").click()
    expect(answer.get_by_text("Thank you, your note was saved.")).to_be_visible()

    second = open_page(reader(), server.url)
    expect(second.get_by_test_id("stChatMessage")).to_have_count(0)
    assert not second.get_by_text(QUESTION).count()
    ask(second, "What is the capital of France?", 1)
    mine = downloaded(second, second.get_by_role("button", name="Download as Markdown"))
    assert "capital of France" in mine and QUESTION not in mine and "Only mine" not in mine
    for page in (first, second):  # no maintainer control anywhere on a reader's page
        text = page.locator("body").inner_text()
        assert not re.search(r"re-index|export|upload|maintain", text, re.IGNORECASE), text
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
    first.reload()
    expect(first.get_by_test_id("stChatMessage")).to_have_count(2, timeout=60_000)
    assert user_bubbles(first) == [QUESTION]
    assert first.get_by_text("Thank you, your note was saved.").count() == 1  # their own feedback, kept

    # The maintainer's address shows a reader nothing but the token form.
    gate = open_page(reader(), f"{server.url}/maintain")
    expect(gate.get_by_text("Maintainer token", exact=True)).to_be_visible()
    gate.get_by_label("Maintainer token").fill("not-the-token-at-all")
    gate.get_by_role("button", name="Continue").click()
    expect(gate.get_by_text("That is not the maintainer token.")).to_be_visible()
    assert not gate.get_by_role("button", name=re.compile("Export|Re-index")).count()


def test_the_maintainer_exports_feedback_reindexes_and_uploads(server, reader, shots, tmp_path):
    from playwright.sync_api import expect

    rater = open_page(reader(), server.url)
    answer = ask(rater, "How does self-compassion help with stress?", 1)
    answer.get_by_test_id("stFeedback").get_by_role("radio", name="Thumbs up").click()
    expect(answer.get_by_role("textbox", name="Anything to add? (optional)")).to_be_visible()

    page = open_page(reader(), f"{server.url}/maintain")
    page.get_by_label("Maintainer token").fill(TOKEN)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Re-index corpus")).to_be_visible()
    rows = list(csv.DictReader(io.StringIO(downloaded(page, page.get_by_role("button", name="Export feedback (CSV)")))))
    assert ("How does self-compassion help with stress?", "up") in {(r["question"], r["rating"]) for r in rows}

    good = tmp_path / "steady.md"
    good.write_text("# Steady\n\nA kind word to oneself steadies a hard day.\n", encoding="utf-8")
    bad = tmp_path / "noise.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files([good, bad])
    expect(page.get_by_text("noise.txt", exact=True)).to_be_visible()
    page.get_by_role("button", name="Add to the corpus").click()
    expect(page.get_by_text("steady.md: added.")).to_be_visible()
    expect(page.get_by_text("noise.txt: looks like a binary file, not text; skipped.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Re-indexed: 1 added"))).to_be_visible(timeout=120_000)
    assert (server.corpus_dir / "uploads" / "steady.md").exists()
    assert not (server.corpus_dir / "uploads" / "noise.txt").exists()
    page.get_by_role("button", name="Re-index corpus").click()
    expect(page.get_by_text(re.compile(r"^Re-indexed: 0 added, 0 updated"))).to_be_visible(timeout=120_000)
    page.mouse.move(0, 0)  # no tooltip in the picture
    page.wait_for_timeout(500)
    page.screenshot(path=shots / "maintainer.png", full_page=True)


def test_blank_and_over_long_input_draw_nothing_and_markup_is_shown_as_typed(server, reader):
    from playwright.sync_api import expect

    page = open_page(reader(), server.url)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("   ")
    box.press("Enter")
    expect(page.locator(".st-key-notice")).to_contain_text("Please type a question.")
    assert page.get_by_test_id("stChatMessage").count() == 0

    page.evaluate(PASTE, "x" * 5000)
    expect(page.locator(".st-key-notice")).to_contain_text("That text is 5,000 characters long")
    assert box.input_value() == "" and page.get_by_test_id("stChatMessage").count() == 0
    box.fill("y" * 990)
    expect(page.get_by_test_id("InputInstructions")).to_contain_text("990/1000")  # the counter near the limit

    typed = "How does <b>self-compassion</b> affect **stress**? <script>alert(1)</script>"
    answer = ask(page, typed, 1)
    assert user_bubbles(page) == [typed]  # exactly what was typed, no invisible characters
    expect(answer.get_by_text(re.compile("^Sources:"))).to_be_visible()


def test_a_phone_shows_get_help_now_and_numbers_to_call(server, reader, shots):
    from playwright.sync_api import expect

    phone = reader(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = open_page(phone, server.url)
    help_now = page.locator(".st-key-help-main").get_by_role("button", name=re.compile("Get help now"))
    expect(help_now).to_be_in_viewport()  # without opening the sidebar
    expect(page.get_by_test_id("stSidebar").get_by_text("Conversations")).not_to_be_in_viewport()  # folded away
    page.screenshot(path=shots / "phone.png")
    help_now.click()
    lines = page.get_by_test_id("stPopoverBody")
    expect(lines.locator('a[href="tel:988"]')).to_be_visible()
    expect(lines.locator('a[href="sms:988"]')).to_be_visible()
    expect(lines.locator('a[href="tel:116123"]')).to_be_visible()
    page.keyboard.press("Escape")

    answer = ask(page, "I want to kill myself", 1)
    expect(answer.locator('a[href="tel:988"]')).to_be_visible()
    expect(answer.locator('a[href="sms:988"]')).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=shots / "crisis.png")
    wide = open_page(reader(), server.url)
    expect(wide.locator(".st-key-help-main")).to_be_hidden()  # on a wide screen help is in the sidebar
    expect(wide.get_by_test_id("stSidebar").get_by_text("Get help now")).to_be_in_viewport()


def test_the_theme_follows_the_systems_light_or_dark_preference(server, reader, shots):
    backgrounds = {}
    for scheme in ("light", "dark"):
        page = open_page(reader(color_scheme=scheme), server.url)
        page.wait_for_timeout(500)
        backgrounds[scheme] = rgb(page.get_by_test_id("stApp").evaluate("e => getComputedStyle(e).backgroundColor"))
        if scheme == "dark":
            page.screenshot(path=shots / "dark.png")
    assert sum(backgrounds["light"]) > 600 and sum(backgrounds["dark"]) < 150, backgrounds
