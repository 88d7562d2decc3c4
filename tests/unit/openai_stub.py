"""A stub OpenAI-compatible server for tests: real HTTP on 127.0.0.1 (a free port), in a thread.

It lists models and answers chat completions with scripted contents, and can be told to misbehave
the way real servers do: 429 then OK, 5xx, an HTML page, a slow answer, a JSON that is no chat
completion, no choices, a refused response_format. It records every request it receives. No model
runs behind it: the contents it answers are the test's.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# what the next chat requests get, one a request; when the plan is empty: "ok"
BEHAVIOURS = ("ok", "429", "429-long", "500", "html", "slow", "shape", "empty", "echo-key")


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StubServer:
    """Scripted answers; see `BEHAVIOURS`."""

    models: list[str] = field(default_factory=lambda: ["stub-vlm"])
    contents: list[str] = field(default_factory=list)  # answered in order; the last one repeats
    plan: list[str] = field(default_factory=list)
    reject_format: bool = False  # answer 400 to a request with response_format, as some do
    reject_audio: bool = False  # answer 400 to a request with an input_audio part (a deaf model)
    slow_s: float = 2.0
    usage: dict[str, int] = field(
        default_factory=lambda: {"prompt_tokens": 321, "completion_tokens": 12}
    )
    received: list[Received] = field(default_factory=list)
    scheme: str = "http"
    _answered: int = 0
    _release: threading.Event = field(default_factory=threading.Event)
    _http: ThreadingHTTPServer | None = None

    def start(self, tls: tuple[Path, Path] | None = None) -> StubServer:
        """Listen on 127.0.0.1, on a port the system picks; with ``tls`` (certificate, key
        files), HTTPS."""
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                stub.handle(self, json.loads(self.rfile.read(length) or b"null"))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._http.socket = context.wrap_socket(self._http.socket, server_side=True)
            self.scheme = "https"
        threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving (and let a slow answer go)."""
        self._release.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    @property
    def url(self) -> str:
        """The API base, ``http://127.0.0.1:PORT/v1``."""
        assert self._http is not None
        return f"{self.scheme}://127.0.0.1:{self._http.server_address[1]}/v1"

    @property
    def chats(self) -> list[Received]:
        """The chat-completion requests received."""
        return [r for r in self.received if r.path == "/v1/chat/completions"]

    def handle(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        """Record the request and answer it."""
        path = handler.path
        self.received.append(
            Received(
                method=handler.command, path=path, headers=dict(handler.headers.items()), body=body
            )
        )
        try:
            if handler.command == "GET" and path == "/v1/models":
                data = [{"id": m, "object": "model", "owned_by": "stub"} for m in self.models]
                self._json(handler, 200, {"object": "list", "data": data})
            elif handler.command == "POST" and path == "/v1/chat/completions":
                self._chat(handler, body)
            else:
                self._json(handler, 404, {"error": {"message": f"no route {path}"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _chat(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        behaviour = self.plan.pop(0) if self.plan else "ok"
        parts = [p for m in body.get("messages", []) if isinstance(m.get("content"), list)
                 for p in m["content"]]  # fmt: skip
        if self.reject_audio and any(p.get("type") == "input_audio" for p in parts):
            message = "this model does not support audio input"
            self._json(handler, 400, {"error": {"message": message, "type": "invalid_request"}})
        elif self.reject_format and "response_format" in body:
            message = "'response_format' of type 'json_schema' is not supported"
            self._json(handler, 400, {"error": {"message": message, "type": "invalid_request"}})
        elif behaviour == "429":
            self._json(handler, 429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"})
        elif behaviour == "429-long":
            self._json(handler, 429, {"error": {"message": "busy"}}, {"Retry-After": "3600"})
        elif behaviour == "500":
            self._json(handler, 500, {"error": {"message": "internal error"}})
        elif behaviour == "echo-key":  # a careless server that repeats the request's headers
            echoed = handler.headers.get("Authorization", "")
            self._json(handler, 500, {"error": {"message": f"failed for {echoed}"}})
        elif behaviour == "html":
            page = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"
            self._send(handler, 200, page, "text/html; charset=utf-8")
        elif behaviour == "shape":
            self._json(handler, 200, {"result": "hello"})
        elif behaviour == "empty":
            self._json(handler, 200, {"id": "c", "object": "chat.completion", "choices": []})
        else:
            if behaviour == "slow":
                self._release.wait(self.slow_s)
            content = self.contents[min(self._answered, len(self.contents) - 1)]
            self._answered += 1
            self._json(
                handler,
                200,
                {
                    "id": f"chatcmpl-{self._answered}",
                    "object": "chat.completion",
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {**self.usage, "total_tokens": sum(self.usage.values())},
                },
            )

    def _json(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        value: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(handler, status, json.dumps(value).encode(), "application/json", headers)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        kind: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
