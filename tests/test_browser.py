"""The app as a reader uses it: `streamlit run` and a real headless Chromium.

One end-to-end test: ask, watch the answer arrive, open a citation, see the
highlighted quote, ask again. It records two timings: from `streamlit run`
to the first complete answer on screen (cold: server start, model, index),
and from pressing Enter on a second question to its complete answer (warm).
"""

from __future__ import annotations

import os
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
                page = browser.new_page(viewport={"width": 1280, "height": 1300})
                dialogs: list[str] = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(url)
                box = page.get_by_test_id("stChatInputTextArea")
                box.wait_for(timeout=180_000)
                page.evaluate(WATCH_INPUT)

                box.fill("Does being kind to myself do anything for my immune system?")
                box.press("Enter")
                feedback = page.get_by_test_id("stFeedback")
                feedback.first.wait_for(timeout=120_000)  # drawn once the answer is complete
                cold = time.perf_counter() - started
                answer = page.get_by_test_id("stChatMessage").nth(1)
                assert "improve immune function" in answer.inner_text()
                assert page.evaluate("window.inputWasDisabled"), "the chat input stayed enabled while answering"
                sync_api.expect(box).to_be_enabled()

                citation = answer.get_by_test_id("stExpander").first
                citation.locator("summary").click()
                quote = citation.locator(".stMarkdownColoredBackground").first
                sync_api.expect(quote).to_be_visible()
                assert "improve immune function" in quote.inner_text()
                sync_api.expect(citation.get_by_role("button", name="This citation is wrong")).to_be_visible()
                page.wait_for_timeout(800)  # let the expander finish opening
                page.screenshot(path=tmp_path / "answer.png", full_page=True)

                box.fill("How does self-compassion help me grow?")
                pressed = time.perf_counter()
                box.press("Enter")
                feedback.nth(1).wait_for(timeout=60_000)
                warm = time.perf_counter() - pressed
                assert page.get_by_test_id("stChatMessage").count() == 4

                box.fill("<script>alert(1)</script>")
                box.press("Enter")
                said = page.get_by_test_id("stChatMessage").nth(4).get_by_test_id("stMarkdownContainer")
                sync_api.expect(said).to_have_text("<script>alert(1)</script>")
                page.get_by_test_id("stChatMessage").nth(5).wait_for()
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
