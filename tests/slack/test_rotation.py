"""Rotating tokens: Slack's 12-hour bot tokens are refreshed before they expire, by the bot and the worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from bot.deliver import DeliverOptions, deliver_due
from bot.tokens import BotTokens
from briefings.models import Subscription
from tests.bot.conftest import SlackUser
from tests.fakes.slack_auth import Install
from tests.slack.conftest import NOW, OAuthSlack, bearer, command_from, complete_oauth, wait_for

START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


def _fresh_user(s: OAuthSlack, http: httpx.Client) -> SlackUser:
    return SlackUser(s.server.url, s.fake, http)


def _install_rotating(s: OAuthSlack) -> str:
    """Install workspace TR through OAuth with token rotation on; its first bot token."""
    s.fake.install = Install(team_id="TR", rotating=True)
    assert complete_oauth(s.user.http, s.server.url).status_code == 200
    first = _bot_token(s)
    assert first is not None and first.startswith("xoxe.xoxb-")
    return first


def _bot_token(s: OAuthSlack) -> str | None:
    bot = s.store.find_bot(enterprise_id=None, team_id="TR")
    return None if bot is None else bot.bot_token


def test_news_and_the_worker_refresh_an_expiring_bot_token(
    clock: time_machine.Traveller, oauth_slack: OAuthSlack
) -> None:
    s = oauth_slack
    first = _install_rotating(s)
    installed = s.store.find_installation(enterprise_id=None, team_id="TR")
    assert installed is not None and installed.bot_refresh_token

    # Within the first 12 hours, /news uses the token it was given.
    assert command_from(s.user, "구독 화웨이", team="TR", channel="C1").status_code == 200
    wait_for(lambda: s.fake.calls_to("conversations.info"))
    assert bearer(s.fake.calls_to("conversations.info")[-1].headers) == first

    # 13 hours later the token has expired: Slack refuses it, and /news refreshes it first.
    clock.shift(timedelta(hours=13))
    s.fake.reset()
    with httpx.Client(timeout=30) as http:  # the server closed the idle keep-alive connection meanwhile
        user = _fresh_user(s, http)
        assert command_from(user, "구독 메타", team="TR", channel="C1").status_code == 200
        wait_for(lambda: s.fake.calls_to("conversations.info"))
    refreshes = [c for c in s.fake.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    second = _bot_token(s)
    assert second not in (None, first)
    assert bearer(s.fake.calls_to("conversations.info")[-1].headers) == second
    with s.sessions() as session:
        assert len(session.scalars(select(Subscription)).all()) == 2

    # Another 13 hours: the worker refreshes before posting the briefing, and saves the new token.
    clock.shift(timedelta(hours=13))
    s.fake.reset()
    options = DeliverOptions(worker_id="w1", channel_interval=0.0, backoff=0.01)
    outcomes = deliver_due(
        s.sessions, now=NOW + timedelta(hours=23, minutes=30), settings=s.settings, options=options
    )
    assert [o.status for o in outcomes] == ["posted"], outcomes
    third = _bot_token(s)
    assert third not in (None, first, second)
    posts = s.fake.calls_to("chat.postMessage")  # Monday's briefing: the message and its chart thread
    assert posts and {bearer(p.headers) for p in posts} == {third}
    assert (
        s.fake.token_error("chat.postMessage", {"authorization": f"Bearer {second}"}, {}) == "token_expired"
    )


def test_a_token_far_from_expiry_is_not_refreshed(
    clock: time_machine.Traveller, oauth_slack: OAuthSlack
) -> None:
    s = oauth_slack
    first = _install_rotating(s)
    clock.shift(timedelta(hours=9))  # 3 hours left: more than the 2-hour margin
    tokens = BotTokens(s.settings, s.sessions, store=s.store)
    assert tokens.token_for("TR") == first
    clock.shift(timedelta(hours=1, minutes=30))  # 90 minutes left: refreshed now
    assert tokens.token_for("TR") not in (None, first)
    assert not s.fake.calls_to("oauth.v2.access")[-1].args.get("code")
