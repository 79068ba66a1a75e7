"""The production HTTP server: bounded connections and timeouts, 400 for what Slack never sends."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.server import Limits, RunningServer, start_server
from briefings.db import make_engine, make_sessionmaker
from tests.bot.conftest import SlackUser, make_settings, wait_for
from tests.bot.seed import NOW, seed_world
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def bot_sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        seed_world(session)
    yield sessions
    engine.dispose()


def _serve(fake: FakeSlack, sessions: sessionmaker[Session], limits: Limits) -> RunningServer:
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    app = build_app(make_settings(fake, url), sessions=sessions, clock=lambda: NOW)
    return start_server(app, limits=limits)


def _address(server: RunningServer) -> tuple[str, int]:
    parts = urlsplit(server.url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (urlencode({"payload": "{not json"}).encode(), "application/x-www-form-urlencoded"),
        (urlencode({"payload": "[1, 2]"}).encode(), "application/x-www-form-urlencoded"),
        (b"payload=%FF%FE", "application/x-www-form-urlencoded"),
        (b"{broken", "application/json"),
        (b'"a string"', "application/json"),
    ],
)
def test_a_malformed_body_is_answered_400_not_500(
    fake: FakeSlack, bot_sessions: sessionmaker[Session], body: bytes, ctype: str
) -> None:
    with _serve(fake, bot_sessions, Limits(threads=2)) as server, httpx.Client(timeout=10) as http:
        answer = SlackUser(server.url, fake, http).post(body, ctype)
        assert answer.status_code == 400
        # A well-formed interactive payload still goes through to Bolt (an unknown action: 404 there).
        good = SlackUser(server.url, fake, http).post(
            urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode(),
            "application/x-www-form-urlencoded",
        )
        assert good.status_code != 400


def test_slow_clients_hold_sockets_not_threads(fake: FakeSlack, bot_sessions: sessionmaker[Session]) -> None:
    # Two request threads and twenty clients that send half a request and stall: with one thread per
    # connection they would take every thread; here the command is still acknowledged and answered.
    with _serve(fake, bot_sessions, Limits(threads=2, channel_timeout=60)) as server:
        slow = []
        for _ in range(20):
            sock = socket.create_connection(_address(server))
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\ntoken=")
            slow.append(sock)
        try:
            with httpx.Client(timeout=10) as http:
                user = SlackUser(server.url, fake, http)
                assert user.command("화웨이").status_code == 200
                assert "화웨이" in json.dumps(user.responses(1)[0], ensure_ascii=False)
        finally:
            for sock in slow:
                sock.close()


def test_an_idle_connection_is_closed_after_the_channel_timeout(
    fake: FakeSlack, bot_sessions: sessionmaker[Session]
) -> None:
    with _serve(fake, bot_sessions, Limits(threads=2, channel_timeout=1, cleanup_interval=1)) as server:
        sock = socket.create_connection(_address(server))
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        sock.settimeout(15)
        try:
            assert sock.recv(1024) == b""  # closed by the server (our own timeout would raise)
        finally:
            sock.close()


def test_oversized_bodies_are_refused(fake: FakeSlack, bot_sessions: sessionmaker[Session]) -> None:
    with (
        _serve(fake, bot_sessions, Limits(threads=2, max_body=4096)) as server,
        httpx.Client(timeout=10) as http,
    ):
        answer = SlackUser(server.url, fake, http).post(
            b"x=" + b"a" * 5000, "application/x-www-form-urlencoded"
        )
        assert answer.status_code == 413
        assert wait_for(lambda: http.get(server.url + "/healthz").text == "ok")
