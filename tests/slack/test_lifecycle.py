"""Uninstall and token revocation: acknowledged at once, cleaned up once, and never twice."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.deliver import DeliverOptions, deliver_due
from bot.server import start_server
from briefings.models import Channel, Delivery, Subscription
from briefings.subscriptions import subscribe
from tests.bot.conftest import SlackUser, make_settings
from tests.bot.seed import seed_world
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import NOW, OAuthSlack, event_body, install, send, wait_for


def _seed_workspaces(s: OAuthSlack) -> None:
    install(s.store, "TA", "xoxb-a", user_id="U1", user_token="xoxp-a-u1")
    install(s.store, "TA", "xoxb-a", user_id="U9", user_token="xoxp-a-u9")
    install(s.store, "TB", "xoxb-b")
    ids = s.world.ids
    with s.sessions.begin() as session:
        subscribe(session, "TA", "C1", ids["화웨이"], now=NOW, user_id="U1")
        subscribe(session, "TA", "D9", ids["메타"], now=NOW, user_id="U9", is_dm=True)
        subscribe(session, "TA", "D1", ids["애플"], now=NOW, user_id="U1", is_dm=True)
        subscribe(session, "TB", "C1", ids["화웨이"], now=NOW, user_id="U1")
        for team, channel, status in (
            ("TA", "C1", "posted"),
            ("TA", "C1", "retry"),
            ("TA", "D9", "claimed"),
            ("TB", "C1", "retry"),
        ):
            day = date(2026, 11, 21 if status == "posted" else 22)
            session.add(
                Delivery(team_id=team, channel_id=channel, briefing_date=day, status=status, attempts=1)
            )


def _rows(s: OAuthSlack) -> dict[str, list[tuple[str, ...]]]:
    with s.sessions() as session:
        return {
            "subs": sorted((r.team_id, r.channel_id) for r in session.scalars(select(Subscription))),
            "channels": sorted((r.team_id, r.channel_id) for r in session.scalars(select(Channel))),
            "deliveries": sorted(
                (r.team_id, r.channel_id, r.status) for r in session.scalars(select(Delivery))
            ),
        }


def test_uninstall_removes_the_workspace_and_a_retry_after_reinstall_removes_nothing(
    oauth_slack: OAuthSlack, caplog: pytest.LogCaptureFixture
) -> None:
    s = oauth_slack
    _seed_workspaces(s)
    body = event_body({"type": "app_uninstalled"}, event_id="EvUNINSTALL1", team="TA")
    answer = send(s.user, body)
    assert answer.status_code == 200
    wait_for(lambda: ("TA", "C1") not in _rows(s)["subs"])
    rows = _rows(s)
    assert rows["subs"] == [("TB", "C1")]
    assert rows["channels"] == [("TB", "C1")]
    # Pending briefings of TA are gone; its posted history stays so a reinstall never repeats a day.
    assert rows["deliveries"] == [("TA", "C1", "posted"), ("TB", "C1", "retry")]
    assert s.store.find_bot(enterprise_id=None, team_id="TA") is None
    assert s.store.find_installation(enterprise_id=None, team_id="TA") is None
    assert s.store.find_bot(enterprise_id=None, team_id="TB") is not None
    # The next morning's briefings go to TB only, with TB's own token.
    options = DeliverOptions(worker_id="w1", channel_interval=0.0, backoff=0.01)
    outcomes = deliver_due(
        s.sessions, now=NOW + timedelta(hours=23, minutes=30), settings=s.settings, options=options
    )
    assert {o.team_id for o in outcomes} == {"TB"}
    posts = s.fake.calls_to("chat.postMessage")
    assert posts and {c.headers["authorization"] for c in posts} == {"Bearer xoxb-b"}

    # The workspace reinstalls, then Slack's retry of the old event arrives: it changes nothing.
    install(s.store, "TA", "xoxb-a2")
    with s.sessions.begin() as session:
        subscribe(session, "TA", "C2", s.world.ids["메타"], now=NOW, user_id="U1")
    caplog.set_level("INFO", logger="bot.lifecycle")
    assert send(s.user, body, retry=1).status_code == 200
    wait_for(lambda: "EvUNINSTALL1 already handled" in caplog.text)
    bot = s.store.find_bot(enterprise_id=None, team_id="TA")
    assert bot is not None and bot.bot_token == "xoxb-a2"
    assert ("TA", "C2") in _rows(s)["subs"]


def test_revoked_user_token_removes_only_that_users_personal_subscriptions(oauth_slack: OAuthSlack) -> None:
    s = oauth_slack
    _seed_workspaces(s)
    body = event_body(
        {"type": "tokens_revoked", "tokens": {"oauth": ["U9"], "bot": []}}, event_id="EvREVOKE1", team="TA"
    )
    assert send(s.user, body).status_code == 200
    wait_for(lambda: ("TA", "D9") not in _rows(s)["subs"])
    rows = _rows(s)
    assert rows["subs"] == [("TA", "C1"), ("TA", "D1"), ("TB", "C1")]
    assert ("TA", "D9") not in rows["channels"] and ("TA", "D1") in rows["channels"]
    assert ("TA", "D9", "claimed") not in rows["deliveries"]
    assert ("TA", "C1", "retry") in rows["deliveries"]
    assert s.store.find_installation(enterprise_id=None, team_id="TA", user_id="U9") is None
    u1 = s.store.find_installation(enterprise_id=None, team_id="TA", user_id="U1")
    assert u1 is not None and u1.user_token == "xoxp-a-u1"
    bot = s.store.find_bot(enterprise_id=None, team_id="TA")
    assert bot is not None and bot.bot_token == "xoxb-a"


def test_revoked_bot_token_is_an_uninstall_for_the_bot(oauth_slack: OAuthSlack) -> None:
    s = oauth_slack
    _seed_workspaces(s)
    body = event_body(
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}, event_id="EvREVOKE2", team="TA"
    )
    assert send(s.user, body).status_code == 200
    wait_for(lambda: s.store.find_bot(enterprise_id=None, team_id="TA") is None)
    wait_for(lambda: _rows(s)["subs"] == [("TB", "C1")])
    assert s.store.find_installation(enterprise_id=None, team_id="TA") is None


def test_org_wide_uninstall_removes_every_workspace_of_the_organisation(oauth_slack: OAuthSlack) -> None:
    s = oauth_slack
    install(s.store, None, "xoxb-org", enterprise_id="E1", org_wide=True)
    install(s.store, "TX", "xoxb-x")
    ids = s.world.ids
    with s.sessions.begin() as session:
        subscribe(session, "TG1", "C1", ids["화웨이"], now=NOW, enterprise_id="E1")
        subscribe(session, "TG2", "C7", ids["메타"], now=NOW, enterprise_id="E1")
        subscribe(session, "TX", "C1", ids["화웨이"], now=NOW)
        session.add(
            Delivery(team_id="TG2", channel_id="C7", briefing_date=date(2026, 11, 22), status="retry")
        )
    body = event_body(
        {"type": "app_uninstalled"}, event_id="EvORG1", team="TG1", enterprise="E1", org_wide=True
    )
    assert send(s.user, body).status_code == 200
    wait_for(lambda: _rows(s)["subs"] == [("TX", "C1")])
    assert _rows(s)["deliveries"] == []
    assert s.store.find_bot(enterprise_id="E1", team_id=None, is_enterprise_install=True) is None
    assert s.store.find_bot(enterprise_id=None, team_id="TX") is not None


def test_uninstall_of_the_single_workspace_app_removes_its_rows(
    fake: FakeSlack, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        world = seed_world(session)
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    app = build_app(make_settings(fake, url), sessions=sessions, clock=lambda: NOW)
    with sessions.begin() as session:
        subscribe(session, "T0001", "C1", world.ids["화웨이"], now=NOW, user_id="U1")
    with start_server(app) as server, httpx.Client(timeout=30) as http:
        user = SlackUser(server.url, fake, http)
        body = event_body({"type": "app_uninstalled"}, event_id="EvSINGLE1", team="T0001")
        assert send(user, body).status_code == 200
        wait_for(lambda: not _rows_of(sessions))


def _rows_of(sessions: sessionmaker[Session]) -> list[Subscription]:
    with sessions() as session:
        return list(session.scalars(select(Subscription)))
