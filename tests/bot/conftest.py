"""The app's real HTTP endpoint on loopback, against the fake Slack Web API, with a seeded database.

Requests are signed the way Slack signs them (slack_sdk's SignatureVerifier scheme), so the app's
signature and timestamp checks run exactly as in production.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.server import RunningServer, start_server
from briefings.config import Settings
from briefings.db import make_engine, make_sessionmaker
from tests.bot.seed import NOW, World, seed_world
from tests.fakes.block_kit import check_message
from tests.fakes.slack_api import FakeSlack

SECRET = "test-signing-secret"


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll until the app's background answer has arrived (not a speed assertion: a generous bound)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("the app did not answer in time")


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    return SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)


def block_actions(
    action_id: str,
    value: str,
    *,
    response_url: str,
    team: str = "T0001",
    user: str = "U1",
    channel: str | None = "C1",
    channel_name: str = "general",
    element: dict[str, Any] | None = None,
    ephemeral: bool = True,
) -> dict[str, Any]:
    """A click as Slack sends it: in a message in `channel` (an ephemeral answer unless `ephemeral` is
    False: a posted briefing or alert), or in App Home (None). A button by default; `element` is what
    another element reports instead (a select's `selected_option`, feedback buttons' `value`)."""
    clicked = element or {"type": "button", "action_id": action_id, "value": value}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0001",
        "trigger_id": "1.2.3",
        "actions": [{"block_id": "b", "action_ts": "1.1", **clicked}],
    }
    if channel is None:
        payload["container"] = {"type": "view", "view_id": "V1"}
        payload["view"] = {"id": "V1", "type": "home", "team_id": team}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": "1.1",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        payload["channel"] = {"id": channel, "name": channel_name}
        payload["response_url"] = response_url
    return payload


@dataclass
class SlackUser:
    """Sends what Slack would send: slash commands, button clicks and events, signed."""

    url: str
    fake: FakeSlack
    http: httpx.Client
    keys: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        signature: str | None = None,
        path: str = "/slack/events",
    ) -> httpx.Response:
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts, secret),
        }
        return self.http.post(self.url + path, content=body, headers=headers)

    def command_body(
        self,
        text: str,
        *,
        team: str = "T0001",
        channel: str = "C1",
        channel_name: str = "general",
        user: str = "U1",
        key: str | None = None,
    ) -> bytes:
        key = key or f"c{next(self.keys)}"
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user.lower(),
            "command": "/news",
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.fake.response_url(key),
            "trigger_id": "1.2.3",
        }
        return urlencode(form).encode()

    def command(self, text: str, **kw: Any) -> httpx.Response:
        resp = self.post(self.command_body(text, **kw), "application/x-www-form-urlencoded")
        if resp.status_code == 200 and resp.content:
            # An acknowledgement that carries an answer is a message too: Slack checks it the same way.
            refusal = check_message(resp.json(), response_url=True)
            assert refusal is None, f"Slack would refuse the acknowledgement: {refusal}"
        return resp

    def action(
        self,
        action_id: str,
        value: str,
        *,
        team: str = "T0001",
        channel: str = "C1",
        channel_name: str = "general",
        user: str = "U1",
        container: str = "message",
        element: dict[str, Any] | None = None,
        ephemeral: bool = True,
    ) -> httpx.Response:
        key = f"a{next(self.keys)}"
        payload = block_actions(
            action_id,
            value,
            team=team,
            user=user,
            channel=None if container == "view" else channel,
            channel_name=channel_name,
            response_url=self.fake.response_url(key),
            element=element,
            ephemeral=ephemeral,
        )
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], *, team: str = "T0001") -> httpx.Response:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": "A0001",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(self.keys)}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            }
        ).encode()
        return self.post(body, "application/json")

    def responses(self, n: int = 1) -> list[dict[str, Any]]:
        """The first `n` bodies the app POSTed to response URLs (waits for them)."""
        return wait_for(lambda: list(self.fake.responses) if len(self.fake.responses) >= n else None)


@dataclass
class Harness:
    user: SlackUser
    fake: FakeSlack
    sessions: sessionmaker[Session]
    world: World
    settings: Settings
    server: RunningServer


def make_settings(fake: FakeSlack, db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.api_url,
        "database_url": db_url,
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def bot_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def harness(fake: FakeSlack, bot_engine: Engine, sqlite_url: str) -> Iterator[Harness]:
    sessions = make_sessionmaker(bot_engine)
    with sessions() as session:
        world = seed_world(session)
    settings = make_settings(fake, sqlite_url)
    app = build_app(settings, sessions=sessions, clock=lambda: NOW)
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        yield Harness(user, fake, sessions, world, settings, server)
