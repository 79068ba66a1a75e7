"""Socket Mode against a WebSocket server that speaks Slack's protocol: hello, envelopes, acks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import blocks as bk
from bot.app import build_app
from bot.socket import start_socket_mode
from briefings.models import Subscription
from briefings.subscriptions import subscribe
from tests.bot.conftest import block_actions, make_settings, wait_for
from tests.bot.seed import NOW, World, seed_world
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.slack.conftest import bearer

APP_TOKEN = "xapp-1-A0001-test"


@pytest.fixture
def socket_server() -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as server:
        yield server


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions() as session:
        return seed_world(session)


@pytest.fixture
def connected(
    fake: FakeSlack, socket_server: FakeSocketMode, sessions: sessionmaker[Session], world: World
) -> Iterator[FakeSocketMode]:
    fake.socket_url = socket_server.url
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = make_settings(fake, url, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    app = build_app(settings, sessions=sessions, clock=lambda: NOW)
    handler = start_socket_mode(app, settings, block=False)
    try:
        socket_server.wait_connected()
        yield socket_server
    finally:
        handler.close()  # type: ignore[no-untyped-call]


def _command(fake: FakeSlack, text: str, key: str) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": "T0001",
        "team_domain": "t0001",
        "channel_id": "C1",
        "channel_name": "general",
        "user_id": "U1",
        "user_name": "u1",
        "command": "/news",
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": fake.response_url(key),
        "trigger_id": "1.2.3",
    }


def test_the_app_connects_with_its_app_token(fake: FakeSlack, connected: FakeSocketMode) -> None:
    [opened] = fake.calls_to("apps.connections.open")
    assert bearer(opened.headers) == APP_TOKEN


def test_slash_commands_are_acknowledged_with_a_payload_or_answered_after(
    fake: FakeSlack, connected: FakeSocketMode
) -> None:
    # A subscription without a company is answered in the acknowledgement itself.
    refused = connected.send("slash_commands", _command(fake, "구독", "k1"), accepts_response_payload=True)
    ack = connected.ack(refused)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "회사 이름" in ack["payload"]["text"]
    # A lookup is acknowledged empty, then answered through the response URL.
    lookup = connected.send("slash_commands", _command(fake, "화웨이", "k2"), accepts_response_payload=True)
    assert "payload" not in connected.ack(lookup) or not connected.ack(lookup)["payload"]
    answer = wait_for(lambda: [c for c in fake.calls_to("response_url") if c.path.endswith("/k2")])
    assert "화웨이" in json.dumps(answer[0].args, ensure_ascii=False)


def test_a_button_click_is_acknowledged_and_shares_the_answer(
    fake: FakeSlack, connected: FakeSocketMode, world: World
) -> None:
    payload = block_actions(
        bk.SHARE,
        json.dumps({"c": world.ids["화웨이"], "o": 0, "d": 7}),
        channel="C3",
        channel_name="random",
        response_url=fake.response_url("k3"),
    )
    envelope = connected.send("interactive", payload)
    assert connected.ack(envelope)["envelope_id"] == envelope
    wait_for(lambda: fake.posted("C3"))
    [post] = [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == "C3"]
    assert bearer(post.headers) == "xoxb-test"


def test_app_uninstalled_is_acknowledged_and_cleans_up_once(
    fake: FakeSlack,
    connected: FakeSocketMode,
    sessions: sessionmaker[Session],
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="bot.lifecycle")
    with sessions.begin() as session:
        subscribe(session, "T0001", "C1", world.ids["화웨이"], now=NOW, user_id="U1")
    body = {
        "token": "legacy",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event": {"type": "app_uninstalled", "event_ts": "1.1"},
        "type": "event_callback",
        "event_id": "EvSOCKET1",
        "event_time": 1,
        "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
    }
    first = connected.send("events_api", body)
    assert connected.ack(first) == {"envelope_id": first}

    def subscriptions() -> list[Subscription]:
        with sessions() as session:
            return list(session.scalars(select(Subscription)))

    wait_for(lambda: not subscriptions())
    # The workspace subscribes again; Slack's retry of the old event must not remove it.
    with sessions.begin() as session:
        subscribe(session, "T0001", "C2", world.ids["메타"], now=NOW, user_id="U1")
    retry = connected.send("events_api", body, retry_attempt=1, retry_reason="timeout")
    assert connected.ack(retry) == {"envelope_id": retry}
    wait_for(lambda: "EvSOCKET1 already handled" in caplog.text)
    assert [s.channel_id for s in subscriptions()] == ["C2"]
