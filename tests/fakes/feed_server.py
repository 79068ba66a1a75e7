"""A loopback HTTP server that serves feeds, article pages and every fault a real feed server commits.

Real sockets on 127.0.0.1 and a random port, so the gatherer's HTTP code runs exactly as in
production. Routes are canned `Answer`s keyed by path (query included); every request is recorded
so tests can assert on the headers the gatherer sent (User-Agent, conditional GET).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass
class Answer:
    """A canned answer. The fault knobs combine: a slow gzip body, a hanging 500 …"""

    body: bytes = b""
    status: int = 200
    content_type: str | None = RSS_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False  # compress the body (Content-Encoding: gzip)
    encoded: bytes | None = None  # already-compressed bytes to send as they are (e.g. a bomb)
    chunked: bool = False  # no Content-Length: the size cap must hold while streaming
    drip: float | None = None  # seconds between chunks: a slow drip that never trips a read timeout
    drip_bytes: int = 16
    hang: float | None = None  # seconds of silence before anything is sent
    location: str | None = None  # redirect target (with a 3xx status)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]


Handler = Callable[["_Handler"], Answer]


class FeedServer:
    """Start with `start()` (or as a context manager), stop with `stop()`; `url(path)` addresses it."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer | Handler] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---
    def start(self) -> FeedServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.feed_server = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # --- routes ---
    def add(self, path: str, answer: Answer | Handler) -> str:
        self.routes[path] = answer
        return self.url(path)

    def feed(self, path: str, body: bytes, **kwargs: Any) -> str:
        return self.add(path, Answer(body=body, **kwargs))

    def redirect(self, path: str, to: str, status: int = 301) -> str:
        return self.add(path, Answer(status=status, location=to, content_type=None))

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- used by the handler ---
    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._lock:
            (self._open.add if add else self._open.discard)(sock)

    def wait(self, seconds: float) -> bool:
        """Sleep that ends early when the server stops; True if stopped."""
        return self._stop.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close joins handler threads: nothing outlives a test
    block_on_close = True
    request_queue_size = 512  # the default backlog of 5 drops connections of a busy cycle
    feed_server: FeedServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes: without this, Nagle waits for a delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.feed_server._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.feed_server._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client gave up (a timeout under test): nothing to report
            self.close_connection = True

    def do_GET(self) -> None:
        fs = self.server.feed_server
        fs._record(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = fs.routes.get(self.path)
        if route is None:
            answer = Answer(status=404, body=b"not found", content_type="text/plain")
        elif isinstance(route, Answer):
            answer = route
        else:
            answer = route(self)
        try:
            self._answer(fs, answer)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            self.close_connection = True

    def _answer(self, fs: FeedServer, answer: Answer) -> None:
        if answer.hang and fs.wait(answer.hang):
            self.close_connection = True
            return
        if self._not_modified(answer):
            self.send_response(304)
            if answer.etag:
                self.send_header("ETag", answer.etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = answer.body
        encoding = None
        if answer.encoded is not None:
            body, encoding = answer.encoded, "gzip"
        elif answer.gzip:
            body, encoding = gzip.compress(body), "gzip"
        self.send_response(answer.status)
        if answer.content_type:
            self.send_header("Content-Type", answer.content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        if answer.etag:
            self.send_header("ETag", answer.etag)
        if answer.last_modified:
            self.send_header("Last-Modified", answer.last_modified)
        if answer.location:
            self.send_header("Location", answer.location)
        for key, value in answer.headers.items():
            self.send_header(key, value)
        if answer.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if answer.drip is None:
            self.wfile.write(body)
            return
        for start in range(0, len(body), answer.drip_bytes):
            self.wfile.write(body[start : start + answer.drip_bytes])
            self.wfile.flush()
            if fs.wait(answer.drip):
                self.close_connection = True
                return

    def _not_modified(self, answer: Answer) -> bool:
        if answer.status != 200:
            return False
        tag = self.headers.get("If-None-Match")
        if answer.etag and tag:
            return tag == answer.etag
        since = self.headers.get("If-Modified-Since")
        return bool(answer.last_modified and since == answer.last_modified)


@cache
def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed to about a thousandth of that."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    parts.append(compressor.compress(bytes(size & ((1 << 20) - 1))))
    parts.append(compressor.flush())
    return b"".join(parts)
