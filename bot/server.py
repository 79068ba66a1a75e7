"""HTTP mode: `/slack/events`, `/slack/install`, `/slack/oauth_redirect` and `/healthz` on waitress.

The public story and company pages and their charts (`briefings.pages`), when given, are answered
before Bolt's adapter sees the request.

Bolt's WSGI adapter does the Slack part (signature and timestamp checks, OAuth pages); waitress is the
production server. Its event loop buffers each request completely before a worker thread sees it, so a
slow or idle client holds a socket, never a thread; idle connections are closed after
`channel_timeout`, and at most `connection_limit` are open at once. Bodies over 1 MiB and oversized
headers are refused before they are read. A body that is not what Slack sends (an interactive
`payload` that is not a JSON object, a JSON body that is not one) is answered 400 before Bolt sees it.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import BaseWSGIServer, create_server

from briefings.pages.app import Pages

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are a few kilobytes; refuse anything absurd up front.

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Limits:
    """What one `briefings web` process accepts; the defaults suit one small instance."""

    threads: int = 16  # request threads: acknowledgements are quick, answers run in Bolt's own pool
    connection_limit: int = 1000  # open sockets, idle ones included; past it, new ones wait in the backlog
    channel_timeout: int = 30  # seconds an idle or stalled connection is kept
    cleanup_interval: int = 5  # how often idle connections are looked for
    max_header: int = 64 * 1024
    max_body: int = MAX_BODY


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode("utf-8")]


def malformed(body: bytes, content_type: str) -> str | None:
    """Why a POST to /slack/events cannot be one of Slack's, or None when it may be."""
    if not body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if "application/json" in content_type:
        try:
            return None if isinstance(json.loads(text), dict) else "JSON body is not an object"
        except ValueError:
            return "JSON body does not parse"
    payloads = parse_qs(text, keep_blank_values=True).get("payload")
    if payloads is None:
        return None
    try:
        return None if isinstance(json.loads(payloads[0]), dict) else "payload is not a JSON object"
    except ValueError:
        return "payload does not parse"


def make_wsgi_app(app: App, *, max_body: int = MAX_BODY, pages: Pages | None = None) -> WSGIApp:
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _plain(start_response, "200 OK", "ok")
        if pages is not None and pages.handles(path):
            return pages(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > max_body:
            return _plain(start_response, "413 Payload Too Large", "payload too large")
        if environ.get("REQUEST_METHOD") == "POST" and path == "/slack/events":
            body = environ["wsgi.input"].read(length) if length else b""
            why = malformed(body, str(environ.get("CONTENT_TYPE", "")))
            if why is not None:
                log.info("refused a malformed request: %s", why)
                return _plain(start_response, "400 Bad Request", "bad request")
            environ["wsgi.input"] = io.BytesIO(body)
        return slack(environ, start_response)

    return wsgi


def create(
    app: App,
    host: str = "0.0.0.0",
    port: int = 3000,
    limits: Limits | None = None,
    pages: Pages | None = None,
) -> BaseWSGIServer:
    """A bound waitress server (port 0: any free port), not yet serving."""
    limits = limits or Limits()
    server: BaseWSGIServer = create_server(
        make_wsgi_app(app, max_body=limits.max_body, pages=pages),
        host=host,
        port=port,
        threads=limits.threads,
        connection_limit=limits.connection_limit,
        channel_timeout=limits.channel_timeout,
        cleanup_interval=limits.cleanup_interval,
        max_request_header_size=limits.max_header,
        max_request_body_size=limits.max_body,
        asyncore_use_poll=True,  # select() stops at 1024 descriptors
        clear_untrusted_proxy_headers=True,
        expose_tracebacks=False,
        ident="Briefings",
    )
    return server


def _loop(server: BaseWSGIServer, stop: threading.Event) -> None:
    while not stop.is_set():
        server.asyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)


def _shutdown(server: BaseWSGIServer) -> None:
    for channel in list(server._map.values()):
        if channel is not server:
            channel.close()
    server.close()
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)


@dataclass
class RunningServer:
    """A server running in a background thread (tests, `briefings run`); `close()` stops it cleanly."""

    server: BaseWSGIServer
    thread: threading.Thread = field(repr=False)
    stop: threading.Event = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.server.effective_host}:{self.server.effective_port}"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        _shutdown(self.server)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_server(
    app: App,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: Limits | None = None,
    pages: Pages | None = None,
) -> RunningServer:
    server = create(app, host, port, limits, pages)
    stop = threading.Event()
    thread = threading.Thread(target=_loop, args=(server, stop), name="briefings-http", daemon=True)
    thread.start()
    return RunningServer(server, thread, stop)


def serve(
    app: App,
    host: str = "0.0.0.0",
    port: int = 3000,
    limits: Limits | None = None,
    pages: Pages | None = None,
) -> None:
    """Serve until interrupted (`briefings web`)."""
    server = create(app, host, port, limits, pages)
    try:
        server.run()
    finally:
        _shutdown(server)
