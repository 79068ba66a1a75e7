"""HTTP mode: `/slack/events`, `/slack/install`, `/slack/oauth_redirect` and `/healthz` on a WSGI server.

Bolt's WSGI adapter does the Slack part (signature and timestamp checks, OAuth pages); the server is
the standard library's threaded WSGI server, which is enough behind a TLS-terminating proxy: a
slash command is acknowledged in milliseconds and answered from Bolt's worker threads.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are a few kilobytes; refuse anything absurd up front.

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def make_wsgi_app(app: App) -> WSGIApp:
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"payload too large"]
        return slack(environ, start_response)

    return wsgi


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


@dataclass
class RunningServer:
    """A server running in a background thread (tests, `briefings run`); `close()` stops it cleanly."""

    server: WSGIServer
    thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_server(app: App, host: str = "0.0.0.0", port: int = 3000) -> WSGIServer:
    return make_server(
        host, port, make_wsgi_app(app), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )


def start_server(app: App, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    server = create_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="briefings-http", daemon=True)
    thread.start()
    return RunningServer(server, thread)


def serve(app: App, host: str = "0.0.0.0", port: int = 3000) -> None:
    """Serve until interrupted (`briefings web`)."""
    server = create_server(app, host, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
