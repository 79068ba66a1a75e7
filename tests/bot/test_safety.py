"""Forged and replayed requests, escaping, workspace isolation, Web API failures."""

from __future__ import annotations

import json
import time

import httpx
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, select

from bot import blocks as bk
from bot.app import REINSTALL, build_app
from bot.oauth import installation_store
from bot.server import start_server
from briefings.db import make_sessionmaker
from briefings.models import Subscription
from tests.bot.conftest import Harness, SlackUser, make_settings, wait_for
from tests.bot.seed import NOW, seed_world
from tests.bot.test_commands import _texts
from tests.fakes.slack_api import FakeSlack, Reply


def _count_subs(h: Harness) -> int:
    with h.sessions() as session:
        return len(session.scalars(select(Subscription.id)).all())


def test_forged_signature_is_refused(harness: Harness) -> None:
    h = harness
    body = h.user.command_body("구독 화웨이")
    resp = h.user.post(body, "application/x-www-form-urlencoded", secret="not-the-secret")
    assert resp.status_code == 401
    resp = h.user.post(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert resp.status_code == 401
    fresh = h.user.post(h.user.command_body("목록"), "application/x-www-form-urlencoded")
    assert fresh.status_code == 200
    (only,) = h.user.responses(1)  # answered after anything the refused requests could have started
    assert _count_subs(h) == 0 and "구독한 회사가 없습니다" in str(only)


def test_replayed_request_older_than_five_minutes_is_refused(harness: Harness) -> None:
    h = harness
    body = h.user.command_body("구독 화웨이")
    old = int(time.time()) - 6 * 60
    resp = h.user.post(
        body, "application/x-www-form-urlencoded", timestamp=old
    )  # correctly signed, but stale
    assert resp.status_code == 401
    future = int(time.time()) + 6 * 60
    assert h.user.post(body, "application/x-www-form-urlencoded", timestamp=future).status_code == 401
    fresh = h.user.post(body, "application/x-www-form-urlencoded")
    assert fresh.status_code == 200
    h.user.responses(1)  # the refused copies started nothing: one answer, one subscription
    assert _count_subs(h) == 1 and len(h.fake.responses) == 1


def test_tampered_body_is_refused(harness: Harness) -> None:
    h = harness
    ts = int(time.time())
    from tests.bot.conftest import sign

    good = h.user.command_body("화웨이")
    signature = sign(good, ts)
    evil = h.user.command_body("구독 화웨이")
    assert (
        h.user.post(evil, "application/x-www-form-urlencoded", timestamp=ts, signature=signature).status_code
        == 401
    )


def test_channel_ping_in_headlines_outlets_and_queries_is_escaped(harness: Harness) -> None:
    h = harness
    h.user.command("애플")
    body = h.user.responses(1)[0]
    text = json.dumps(body, ensure_ascii=False)
    assert "<!channel>" not in text and "<@U123>" not in text and "<!here>" not in text
    assert "<https://evil.example|" not in text
    assert "&lt;!channel&gt;" in _texts(body["blocks"]) and "&lt;!here&gt;" in _texts(body["blocks"])
    h.fake.reset()
    h.user.command("구독 <!channel> <@U123>")
    body = h.user.responses(1)[0]
    shown = json.dumps(body, ensure_ascii=False)
    assert "<!channel>" not in shown and "<@U123>" not in shown
    assert "&lt;!channel&gt;" in shown
    h.fake.reset()
    h.user.command("구독 &lt;!channel&gt;")  # how Slack itself encodes the text
    shown = json.dumps(h.user.responses(1)[0], ensure_ascii=False)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown and "&amp;lt;" not in shown


def test_workspaces_never_see_each_others_subscriptions(harness: Harness) -> None:
    h = harness
    h.user.command("구독 화웨이", team="TA", channel="C1")
    h.user.responses(1)
    h.fake.reset()
    h.user.command("목록", team="TB", channel="C1")
    listing = _texts(h.user.responses(1)[0]["blocks"])
    assert "화웨이" not in listing and "구독한 회사가 없습니다" in listing
    h.fake.reset()
    h.user.command("해지 화웨이", team="TB", channel="C1")
    assert "구독 중이 아닙니다" in _texts(h.user.responses(1)[0]["blocks"])
    h.fake.reset()
    h.user.command("시간 06:00", team="TB", channel="C1")
    h.user.responses(1)
    with h.sessions() as session:
        rows = session.execute(select(Subscription.team_id, Subscription.channel_id)).all()
        from briefings.models import Channel

        channels = {(c.team_id, c.briefing_time) for c in session.scalars(select(Channel))}
    assert [tuple(r) for r in rows] == [("TA", "C1")]
    assert channels == {("TA", "08:00"), ("TB", "06:00")}
    h.fake.reset()
    h.user.action(
        bk.UNSUBSCRIBE, json.dumps({"c": h.world.ids["화웨이"], "o": 0, "d": 7}), team="TB", channel="C1"
    )
    h.user.responses(1)
    assert _count_subs(h) == 1


def test_rate_limited_share_is_retried_after_retry_after(harness: Harness) -> None:
    h = harness
    h.fake.script("chat.postMessage", Reply(429, retry_after=1))
    h.user.action(bk.SHARE, json.dumps({"c": h.world.ids["화웨이"], "o": 0, "d": 7}), channel="C3")
    assert "공유했습니다" in h.user.responses(1)[0]["text"]
    calls = h.fake.calls_to("chat.postMessage")
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 0.9
    assert len(h.fake.posted("C3")) == 1


def test_server_errors_are_retried(harness: Harness) -> None:
    h = harness
    h.fake.script("chat.postMessage", Reply(500), Reply(503))
    h.fake.script("conversations.open", Reply(500))
    h.user.action(bk.SHARE, json.dumps({"c": h.world.ids["화웨이"], "o": 0, "d": 7}), channel="C3")
    assert "공유했습니다" in h.user.responses(1)[0]["text"]
    assert len(h.fake.calls_to("chat.postMessage")) == 3 and len(h.fake.posted("C3")) == 1
    h.fake.reset()
    h.fake.script("conversations.open", Reply(500))
    h.user.command("구독 화웨이", channel="DX", channel_name="directmessage", user="U5")
    h.user.responses(1)
    assert len(h.fake.calls_to("conversations.open")) == 2
    with h.sessions() as session:
        assert session.scalars(select(Subscription.channel_id)).all() == ["D5"]


def test_persistent_failure_gets_a_korean_apology(harness: Harness) -> None:
    h = harness
    h.fake.script("chat.postMessage", Reply(500), Reply(500), Reply(500), Reply(500))
    h.user.action(bk.SHARE, json.dumps({"c": h.world.ids["화웨이"], "o": 0, "d": 7}), channel="C3")
    body = h.user.responses(1)[0]
    assert "죄송합니다" in body["text"]
    assert h.fake.posted("C3") == []


def test_health_and_unknown_paths(harness: Harness) -> None:
    h = harness
    assert h.user.http.get(h.user.url + "/healthz").text == "ok"
    assert h.user.http.get(h.user.url + "/slack/install").status_code == 404  # single-workspace mode
    assert h.user.http.post(h.user.url + "/nope", content=b"x").status_code == 404


def test_oauth_workspaces_use_their_own_tokens_and_unknown_ones_are_refused(
    fake: FakeSlack, bot_engine: Engine, sqlite_url: str
) -> None:
    sessions = make_sessionmaker(bot_engine)
    with sessions() as session:
        world = seed_world(session)
    settings = make_settings(
        fake, sqlite_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    store = installation_store("111.222", bot_engine)
    for team, token in (("TA", "xoxb-team-a"), ("TB", "xoxb-team-b")):
        store.save(
            Installation(
                app_id="A0001",
                team_id=team,
                user_id="U1",
                bot_token=token,
                bot_id="B" + team,
                bot_user_id="UBOT" + team,
                bot_scopes=["commands"],
            )
        )
    app = build_app(settings, sessions=sessions, clock=lambda: NOW)
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        user.command("구독 메타", team="TA", channel="CDM", channel_name="directmessage", user="U9")
        user.responses(1)
        assert fake.calls_to("conversations.open")[0].headers["authorization"] == "Bearer xoxb-team-a"
        fake.reset()
        user.command("구독 메타", team="TB", channel="CDM", channel_name="directmessage", user="U9")
        user.responses(1)
        assert fake.calls_to("conversations.open")[0].headers["authorization"] == "Bearer xoxb-team-b"
        fake.reset()
        refused = user.command("구독 메타", team="TC", channel="C1")
        assert refused.status_code == 200
        assert user.responses(1)[0]["text"] == REINSTALL  # in Korean, not Bolt's English apology
        with sessions() as session:
            teams = sorted(session.scalars(select(Subscription.team_id)).all())
        assert teams == ["TA", "TB"]
        assert world.ids["메타"]
        # The install page and the OAuth redirect run against the fake's oauth.v2.access.
        page = http.get(server.url + "/slack/install")
        assert page.status_code == 200 and "slack.com/oauth/v2/authorize" in page.text
        state = wait_for(lambda: page.headers.get("set-cookie"))
        cookie = state.split(";")[0]
        state_value = cookie.split("=", 1)[1]
        done = http.get(
            server.url + "/slack/oauth_redirect",
            params={"code": "abc", "state": state_value},
            headers={"Cookie": cookie},
        )
        assert done.status_code == 200, done.text
        assert fake.calls_to("oauth.v2.access")
        bot = store.find_bot(enterprise_id=None, team_id=fake.team_id)
        assert bot is not None and bot.bot_token == "xoxb-fake-installed"
