"""An OAuth (many-workspace) app on loopback against the fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.server import RunningServer, start_server
from bot.tokens import engine_of, store_for
from briefings.config import Settings
from tests.bot.conftest import SECRET, SlackUser, make_settings, sign, wait_for
from tests.bot.seed import NOW, World, seed_world
from tests.fakes.slack_api import FakeSlack

CLIENT_ID = "111.222"

__all__ = [
    "NOW",
    "SECRET",
    "OAuthSlack",
    "bearer",
    "command_from",
    "complete_oauth",
    "event_body",
    "install",
    "send",
    "wait_for",
]


def oauth_settings(fake: FakeSlack, sessions: sessionmaker[Session], **overrides: Any) -> Settings:
    url = engine_of(sessions).url.render_as_string(hide_password=False)
    values: dict[str, Any] = {
        "slack_bot_token": None,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": "shh",
    }
    values.update(overrides)
    return make_settings(fake, url, **values)


def install(
    store: InstallationStore,
    team_id: str | None,
    token: str,
    *,
    enterprise_id: str | None = None,
    user_id: str = "U1",
    user_token: str | None = None,
    org_wide: bool = False,
) -> None:
    store.save(
        Installation(
            app_id="A0001",
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            user_token=user_token,
            bot_token=token,
            bot_id="B" + (team_id or enterprise_id or ""),
            bot_user_id="UBOT",
            bot_scopes=["commands", "chat:write"],
            is_enterprise_install=org_wide,
        )
    )


def event_body(
    event: dict[str, Any],
    *,
    event_id: str,
    team: str | None = "T0001",
    enterprise: str | None = None,
    org_wide: bool = False,
) -> bytes:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "enterprise_id": enterprise,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "is_ext_shared_channel": False,
            "authorizations": [
                {
                    "enterprise_id": enterprise,
                    "team_id": None if org_wide else team,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": org_wide,
                }
            ],
        }
    ).encode()


def send(user: SlackUser, body: bytes, *, retry: int | None = None) -> httpx.Response:
    """POST an event as Slack does, a retry with its X-Slack-Retry-Num/Reason headers."""
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts, SECRET),
    }
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return user.http.post(user.url + "/slack/events", content=body, headers=headers)


@dataclass
class OAuthSlack:
    fake: FakeSlack
    sessions: sessionmaker[Session]
    settings: Settings
    store: InstallationStore
    server: RunningServer
    user: SlackUser
    world: World


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def run_oauth_app(
    fake: FakeSlack, sessions: sessionmaker[Session], **overrides: Any
) -> tuple[Settings, InstallationStore, Any]:
    settings = oauth_settings(fake, sessions, **overrides)
    store = store_for(settings, engine_of(sessions))
    return settings, store, build_app(settings, sessions=sessions, clock=lambda: NOW)


@pytest.fixture
def oauth_slack(fake: FakeSlack, sessions: sessionmaker[Session]) -> Iterator[OAuthSlack]:
    with sessions() as session:
        world = seed_world(session)
    settings, store, app = run_oauth_app(fake, sessions)
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        yield OAuthSlack(fake, sessions, settings, store, server, SlackUser(server.url, fake, http), world)


def complete_oauth(http: httpx.Client, url: str) -> httpx.Response:
    """Click "Add to Slack": the install page sets the state cookie, Slack redirects back with a code."""
    page = http.get(url + "/slack/install")
    assert page.status_code == 200, page.text
    cookie = page.headers["set-cookie"].split(";")[0]
    state = cookie.split("=", 1)[1]
    return http.get(
        url + "/slack/oauth_redirect", params={"code": "code-1", "state": state}, headers={"Cookie": cookie}
    )


def command_from(
    user: SlackUser,
    text: str,
    *,
    team: str,
    enterprise: str | None = None,
    org_wide: bool = False,
    channel: str = "C1",
) -> httpx.Response:
    """A slash command from a workspace, with the Enterprise Grid fields Slack adds in an organisation."""
    body = user.command_body(text, team=team, channel=channel)
    if enterprise is not None:
        extra = {"enterprise_id": enterprise, "is_enterprise_install": "true" if org_wide else "false"}
        body += b"&" + urlencode(extra).encode()
    return user.post(body, "application/x-www-form-urlencoded")


def bearer(call_headers: dict[str, str]) -> str:
    return call_headers.get("authorization", "").removeprefix("Bearer ")
