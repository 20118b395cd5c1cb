"""The app as a reader uses it: `streamlit run` and a real headless Chromium.

One end-to-end test: ask, watch the answer arrive in pieces, open a citation,
see the highlighted quote, download the conversation, rate the answer and
export the feedback, ask again. It records two timings: from `streamlit run`
to the first complete answer on screen (cold: server start, model, index),
and from pressing Enter on a second question to its complete answer (warm).
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
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
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
# Records the length of the answer's text (the message's first Markdown, outside the spinner and the citations)
# in chat message `index` at every change of the page, to tell an answer written in pieces from one drawn at once.
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


def chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
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


def rgb(css: str) -> tuple[int, ...]:
    """``rgb("rgb(255, 224, 102)")`` is ``(255, 224, 102)``; the alpha of ``rgba()`` is dropped."""
    return tuple(int(float(x)) for x in re.findall(r"[\d.]+", css)[:3])


def words(text: str) -> str:
    """Text as a reader compares it: Markdown escapes and quote marks (">") dropped, spaces squeezed."""
    lines = (re.sub(r"^\s*>", "", line) for line in re.sub(r"\\(.)", r"\1", text).split("\n"))
    return " ".join(" ".join(lines).split())


def downloaded(page, button) -> str:
    with page.expect_download(timeout=30_000) as download:
        button.click()
    return Path(download.value.path()).read_text(encoding="utf-8")


def test_ask_open_a_citation_and_ask_again(settings, indexer, tmp_path, record_property):
    executable = chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (no /usr/bin/chromium, no `chromium` on PATH): apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    indexer.run()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "streamlit.log"
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    started = time.perf_counter()
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(url, server, log)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1300}, accept_downloads=True)
                dialogs: list[str] = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(url)
                box = page.get_by_test_id("stChatInputTextArea")
                box.wait_for(timeout=180_000)
                page.evaluate(WATCH_INPUT)
                sidebar = page.get_by_test_id("stSidebar")
                help_now = sidebar.get_by_test_id("stExpander").first
                sync_api.expect(help_now).to_contain_text("Get help now")
                sync_api.expect(help_now).to_be_in_viewport()  # at the top of the sidebar, without scrolling

                question = "Does being kind to myself do anything for my immune system?"
                box.fill(question)
                page.evaluate(WATCH_ANSWER, 1)
                box.press("Enter")
                feedback = page.get_by_test_id("stFeedback")
                feedback.first.wait_for(timeout=120_000)  # drawn once the answer is complete
                cold = time.perf_counter() - started
                answer = page.get_by_test_id("stChatMessage").nth(1)
                assert "improve immune function" in answer.inner_text()
                assert page.evaluate("window.inputWasDisabled"), "the chat input stayed enabled while answering"
                sync_api.expect(box).to_be_enabled()
                final, seen = page.evaluate("window.answerLength()"), page.evaluate("window.answerLengths")
                assert final > 0 and any(0 < n < final for n in seen), f"the answer did not arrive in pieces: {seen}"

                citation = answer.get_by_test_id("stExpander").first
                citation.locator("summary").click()
                quote = citation.locator(".stMarkdownColoredBackground").first
                sync_api.expect(quote).to_be_visible()
                assert "improve immune function" in quote.inner_text()
                look = quote.evaluate(HIGHLIGHT_LOOK)
                background, page_background = rgb(look["background"]), rgb(look["page"])
                assert max(abs(a - b) for a, b in zip(background, page_background, strict=True)) >= 100, look
                assert max(rgb(look["color"])) <= 64, look  # dark text on the highlight
                assert look["padding"] == look["margin"] == ["0px", "0px"], look  # nothing shifts the words
                sync_api.expect(citation.get_by_role("button", name="This citation is wrong")).to_be_visible()
                page.wait_for_timeout(800)  # let the expander finish opening
                page.screenshot(path=tmp_path / "answer.png", full_page=True)

                conversation = downloaded(page, sidebar.get_by_role("button", name="Download as Markdown"))
                assert question in conversation
                assert "improve immune function" in conversation
                assert words(quote.inner_text()) in words(conversation)

                feedback.first.get_by_role("radio", name="Thumbs down").click()
                sync_api.expect(answer.get_by_text("Anything to add?")).to_be_visible()
                exported = downloaded(page, sidebar.get_by_role("button", name="Export feedback (CSV)"))
                rows = list(csv.DictReader(io.StringIO(exported)))
                assert [(r["question"], r["rating"]) for r in rows] == [(question, "down")]

                box.fill("How does self-compassion help me grow?")
                pressed = time.perf_counter()
                box.press("Enter")
                feedback.nth(1).wait_for(timeout=60_000)
                warm = time.perf_counter() - pressed
                assert page.get_by_test_id("stChatMessage").count() == 4

                box.fill("I want to kill myself")
                box.press("Enter")
                sync_api.expect(page.get_by_test_id("stChatMessage").nth(5)).to_contain_text("988")
                help_lines = sidebar.get_by_text("Samaritans")
                sync_api.expect(help_lines).to_contain_text("116 123")

                box.fill("<script>alert(1)</script>")
                box.press("Enter")
                said = page.get_by_test_id("stChatMessage").nth(6).get_by_test_id("stMarkdownContainer")
                sync_api.expect(said).to_have_text("<script>alert(1)</script>")
                page.get_by_test_id("stChatMessage").nth(7).scroll_into_view_if_needed()
                sync_api.expect(help_lines).to_be_in_viewport()  # the crisis lines stay in view as the chat goes on
                assert dialogs == []
                page.screenshot(path=tmp_path / "conversation.png", full_page=True)
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    print(f"\nbrowser timings: cold start to first answer {cold:.2f} s; warm question to answer {warm:.2f} s")
    print(f"screenshots: {tmp_path / 'answer.png'} {tmp_path / 'conversation.png'}")
    record_property("cold_start_to_first_answer_s", round(cold, 3))
    record_property("warm_question_to_answer_s", round(warm, 3))
