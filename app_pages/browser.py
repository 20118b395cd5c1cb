"""The two pieces of the page that run in the reader's browser, as Streamlit components.

The page helper (mounted once per page, drawing nothing):

- keeps the browser key in a cookie, so that a reload or a later visit lists
  this browser's conversations (the server reads it from ``st.context.cookies``);
- makes a citation marker open its citation: a marker is a link to
  ``#cite-<answer>-<n>``, the key of that citation's expander, and a click
  opens the expander and scrolls to it;
- tells the server when a paste into the chat box is longer than a question
  may be (the box refuses it, and would otherwise say nothing);
- on the page that shows a whole source, scrolls to the highlighted passage.

The copy button copies an answer and its sources as plain text.

They receive only data the server already shows on the page (or the
browser's own key) and send back nothing but the length of a refused paste.
"""

from __future__ import annotations

import streamlit as st

from assistant.conversations import is_key, new_key

BROWSER_COOKIE = "assistant_browser"
COOKIE_MAX_AGE_S = 400 * 86400  # the longest a browser keeps a cookie

_PAGE_JS = """
export default function ({ parentElement, data, setTriggerValue }) {
  const doc = parentElement.ownerDocument || document;
  const win = doc.defaultView || window;
  win.__assistantReport = setTriggerValue;
  win.__assistantMaxChars = data.maxChars;
  if (!win.__assistantPaste) {
    win.__assistantPaste = true;
    doc.addEventListener("paste", (event) => {
      const box = event.target.closest ? event.target.closest('[data-testid="stChatInputTextArea"]') : null;
      const max = win.__assistantMaxChars;
      if (!box || !max || !event.clipboardData) return;
      const pasted = event.clipboardData.getData("text");
      const length = box.value.length - (box.selectionEnd - box.selectionStart) + pasted.length;
      if (length > max) win.__assistantReport("too_long", length);
    }, true);
  }
  const has = doc.cookie.split("; ").some((c) => c.startsWith(data.cookie + "="));
  if (data.key && !has) {
    const secure = win.location.protocol === "https:" ? "; Secure" : "";
    doc.cookie = `${data.cookie}=${data.key}; path=/; max-age=${data.maxAge}; SameSite=Strict${secure}`;
  }
  if (!win.__assistantMarkers) {
    win.__assistantMarkers = true;
    doc.addEventListener("click", (event) => {
      const link = event.target.closest ? event.target.closest('a[href^="#cite-"]') : null;
      if (!link) return;
      event.preventDefault();
      const box = doc.querySelector(".st-key-" + CSS.escape(link.getAttribute("href").slice(1)));
      if (!box) return;
      const details = box.querySelector("details");
      if (details && !details.open) box.querySelector("summary").click();
      box.scrollIntoView({ block: "start" });
    }, true);
  }
  if (data.scrollToHighlight && !win.__assistantScrolled) {
    let tries = 0;
    const timer = win.setInterval(() => {
      const mark = doc.querySelector('[class*="st-key-source-text"] .stMarkdownColoredBackground');
      if (mark || ++tries > 100) {
        win.clearInterval(timer);
        if (mark) {
          win.__assistantScrolled = true;
          mark.scrollIntoView({ block: "center" });
        }
      }
    }, 100);
  }
}
"""

_COPY_HTML = '<button type="button" class="copy" title="Copy the answer and its sources">Copy</button>'
_COPY_CSS = """
.copy {
  font: inherit; font-size: 0.85rem; color: inherit; background: transparent; cursor: pointer;
  border: 1px solid rgba(128, 128, 128, 0.45); border-radius: 0.5rem; padding: 0.15rem 0.7rem;
}
.copy:hover { border-color: rgba(128, 128, 128, 0.9); }
"""
_COPY_JS = """
export default function ({ parentElement, data }) {
  const button = parentElement.querySelector("button");
  button.onclick = async () => {
    try {
      await navigator.clipboard.writeText(data.text);
    } catch (error) {
      // Pages served over plain http (not localhost) have no clipboard API: copy the old way.
      const doc = parentElement.ownerDocument || document;
      const area = doc.createElement("textarea");
      area.value = data.text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      doc.body.appendChild(area);
      area.select();
      doc.execCommand("copy");
      area.remove();
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  };
}
"""

_page_helper = st.components.v2.component("assistant_page_helper", js=_PAGE_JS)
_copy = st.components.v2.component("assistant_copy", html=_COPY_HTML, css=_COPY_CSS, js=_COPY_JS)


def browser_key() -> str:
    """This browser's key: from its cookie, or a new one that the page helper will keep."""
    state = st.session_state
    if "browser" not in state:
        cookie = st.context.cookies.get(BROWSER_COOKIE)
        state.browser = cookie if is_key(cookie) else new_key()
    return str(state.browser)


def page_helper(*, max_chars: int = 0, scroll_to_highlight: bool = False) -> int:
    """Mount the page helper; returns the length of a paste the chat box just refused, else 0."""
    data = {
        "cookie": BROWSER_COOKIE, "key": browser_key(), "maxAge": COOKIE_MAX_AGE_S, "maxChars": max_chars,
        "scrollToHighlight": scroll_to_highlight,
    }  # fmt: skip
    result = _page_helper(key="page-helper", data=data, height=0, on_too_long_change=lambda: None)
    refused = getattr(result, "too_long", None)
    return refused if isinstance(refused, int) else 0


def copy_button(key: str, text: str) -> None:
    _copy(key=key, data={"text": text}, width="content")
