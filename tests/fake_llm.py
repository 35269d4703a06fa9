"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol from a script."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = (
    "http_500",  # 500 with an OpenAI-style error body
    "context_length",  # 400 context_length_exceeded, as OpenAI and vLLM send it
    "unauthorized",  # 401 whose message echoes the bearer token, as some servers do
    "hang",  # accept the request, then send nothing
    "hang_mid_stream",  # send one delta, then nothing
    "malformed",  # an SSE data line that is not JSON
    "no_choices",  # well-formed chunks without choices
    "empty",  # a stream that finishes with no text
    "close",  # close the connection without a response
    "close_mid_stream",  # send one delta, then close without finishing the body
    "truncated",  # end the stream cleanly after one delta, with no finish_reason, as an HTTP/1.0 close looks
    "length",  # stop at the token limit: finish_reason "length", then [DONE]
)


class Fault:
    """A scripted misbehaviour, one of FAULTS."""

    def __init__(self, kind: str) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        self.kind = kind


class Bare(str):
    """A scripted reply streamed without a finish_reason before its [DONE]."""


class FakeLLM:
    """Answers each POST /v1/chat/completions with the next scripted reply; records every request."""

    def __init__(self, hang_seconds: float = 30.0) -> None:
        self.script: list[str | Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self.hang_seconds = hang_seconds
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        """The base URL as OpenAI clients take it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reply(self, *texts: str) -> None:
        self.script.extend(texts)

    def reply_without_finish_reason(self, text: str) -> None:
        """Stream `text` and end with data: [DONE] alone, as llama.cpp's server and some proxies do."""
        self.script.append(Bare(text))

    def fail(self, kind: str) -> None:
        self.script.append(Fault(kind))

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self) -> str | Fault:
        return self.script.pop(0) if self.script else Fault("http_500")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake: FakeLLM = self.server.fake  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        fake.requests.append(body)
        fake.authorizations.append(self.headers.get("Authorization", ""))
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._error(404, f"no route {self.path}", "not_found")
        step = fake._next()
        try:
            if isinstance(step, Fault):
                self._misbehave(fake, step.kind, body)
            elif body.get("stream"):
                self._stream(body, _deltas(step), None if isinstance(step, Bare) else "stop")
            else:
                self._json(200, _completion(body, step))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, which is what timeout tests want

    def _misbehave(self, fake: FakeLLM, kind: str, body: dict[str, Any]) -> None:
        if kind == "http_500":
            self._error(500, "The server had an error while processing your request.", None)
        elif kind == "context_length":
            self._error(
                400,
                "This model's maximum context length is 4096 tokens. However, your messages resulted in "
                "9120 tokens. Please reduce the length of the messages.",
                "context_length_exceeded",
            )
        elif kind == "unauthorized":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            self._error(401, f"Incorrect API key provided: {token}.", "invalid_api_key")
        elif kind == "hang":
            fake._stop.wait(fake.hang_seconds)
            self.close_connection = True
        elif kind == "hang_mid_stream":
            self._start_stream()
            self._event(_chunk(body, {"role": "assistant", "content": "Partial"}))
            fake._stop.wait(fake.hang_seconds)
            self.close_connection = True
        elif kind == "malformed":
            self._start_stream()
            self._event(_chunk(body, {"role": "assistant", "content": "Hello"}))
            self._send_chunk(b'data: {"choices": [{"delta": {"content": "oops"\n\n')
            self._end_stream()
        elif kind == "no_choices":
            self._start_stream()
            for _ in range(3):
                self._event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": "fake"})
            self._end_stream()
        elif kind == "empty":
            self._stream(body, [])
        elif kind == "close":
            self.close_connection = True
        elif kind == "truncated":
            self._start_stream()
            self._event(_chunk(body, {"role": "assistant", "content": "The government funds [1]"}))
            self._end_stream()
        elif kind == "length":
            self._stream(body, _deltas("The government funds research and"), "length")
        elif kind == "close_mid_stream":
            self._start_stream()
            self._event(_chunk(body, {"role": "assistant", "content": "Partial"}))
            self.wfile.flush()
            self.close_connection = True

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _error(self, status: int, message: str, code: str | None) -> None:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        self._json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})

    def _stream(self, body: dict[str, Any], deltas: list[str], finish_reason: str | None = "stop") -> None:
        self._start_stream()
        self._event(_chunk(body, {"role": "assistant", "content": ""}))
        for delta in deltas:
            self._event(_chunk(body, {"content": delta}))
        if finish_reason:
            self._event(_chunk(body, {}, finish_reason=finish_reason))
        self._send_chunk(b"data: [DONE]\n\n")
        self._end_stream()

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()

    def _event(self, payload: dict[str, Any]) -> None:
        self._send_chunk(f"data: {json.dumps(payload)}\n\n".encode())

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self.close_connection = True


def _deltas(text: str) -> list[str]:
    """Split a reply the way models stream it: a word or so at a time."""
    return re.findall(r"\s*\S+", text) + ([text[len(text.rstrip()) :]] if text != text.rstrip() else [])


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
