"""A model server on 127.0.0.1 for the tests: OpenAI chat completions and Ollama's /api/chat, scripted per test.

It speaks the real wire formats (JSON, server-sent events for a streamed
OpenAI reply, newline-delimited JSON for Ollama), records every request it
receives, and answers each with the next script: a reply text (or a function
of the request that writes one), an HTTP error, a delay, a malformed body.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FENCE = re.compile(r"<<<PASSAGE (\d+)>>>\n(?:\(from: [^\n]*\)\n)?(.*?)\n<<<END PASSAGE \1>>>", re.DOTALL)


def passages_in(request: dict[str, Any]) -> dict[int, str]:
    """The fenced, numbered passages of a chat request, as a model would read them."""
    text = "\n".join(str(m.get("content", "")) for m in request["body"]["messages"])
    return {int(n): body for n, body in FENCE.findall(text)}


@dataclass
class Script:
    reply: str | Callable[[dict[str, Any]], str] = ""
    status: int = 200
    delay: float = 0.0  # seconds before the first byte
    raw: bytes | None = None  # sent as the body instead of a well-formed reply
    hold: threading.Event | None = None  # a streamed reply waits for it after its first sentence


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


def pieces(text: str, size: int = 3) -> list[str]:
    """A reply cut into pieces of a few words, as a model streams it."""
    words = re.split(r"(?<=\s)", text)
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)] or [""]


class ScriptedServer:
    def __init__(self) -> None:
        self.scripts: deque[Script] = deque()
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._send(404, b"{}", "application/json")

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Request(path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, raw=raw)
                with contextlib.suppress(ValueError):
                    request.body = json.loads(raw)
                server.requests.append(request)
                script = server.scripts.popleft() if server.scripts else Script(status=500)
                time.sleep(script.delay)
                if script.raw is not None:
                    return self._send(script.status, script.raw, "application/json")
                if script.status != 200:
                    error = {"error": {"message": "scripted failure", "type": "server_error", "code": None}}
                    if self.path.startswith("/api/"):
                        error = {"error": "scripted failure"}
                    return self._send(script.status, json.dumps(error).encode(), "application/json")
                text = script.reply(request.__dict__) if callable(script.reply) else script.reply
                ollama = self.path.startswith("/api/chat")
                streamed = request.body.get("stream", ollama)
                if not streamed:
                    return self._send(200, json.dumps(_whole(text, ollama, request.body)).encode(), "application/json")
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                first_sentence_sent = False
                for piece in pieces(text):
                    self._chunk(piece, ollama, request.body, done=False)
                    if script.hold is not None and not first_sentence_sent and re.search(r"\]\.?\s*$", piece):
                        first_sentence_sent = True
                        script.hold.wait(timeout=30)
                self._chunk("", ollama, request.body, done=True)
                self.close_connection = True

            def _chunk(self, text: str, ollama: bool, body: dict[str, Any], done: bool) -> None:
                model = body.get("model", "")
                if ollama:
                    line = {
                        "model": model, "created_at": "2026-01-01T00:00:00Z",
                        "message": {"role": "assistant", "content": text}, "done": done,
                    }  # fmt: skip
                    if done:
                        line |= {"done_reason": "stop", "total_duration": 1, "eval_count": 1, "prompt_eval_count": 1}
                    data = json.dumps(line).encode() + b"\n"
                else:
                    event = {
                        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                        "choices": [{"index": 0, "delta": {} if done else {"content": text},
                                     "finish_reason": "stop" if done else None}],
                    }  # fmt: skip
                    data = b"data: " + json.dumps(event).encode() + b"\n\n"
                    if done:
                        data += b"data: [DONE]\n\n"
                try:
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:  # the client gave up (a timeout test)
                    pass

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def script(self, *scripts: Script) -> None:
        self.scripts.extend(scripts)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _whole(text: str, ollama: bool, body: dict[str, Any]) -> dict[str, Any]:
    model = body.get("model", "")
    if ollama:
        return {
            "model": model, "created_at": "2026-01-01T00:00:00Z", "message": {"role": "assistant", "content": text},
            "done": True, "done_reason": "stop",
        }  # fmt: skip
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip
