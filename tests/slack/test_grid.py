"""Enterprise Grid: a workspace of an organisation, and an org-wide install, get their briefings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.deliver import DeliverOptions, deliver_due
from briefings.models import Channel, Delivery, Subscription
from briefings.subscriptions import subscribe
from tests.fakes.slack_auth import Install
from tests.slack.conftest import NOW, OAuthSlack, bearer, command_from, complete_oauth

# The day after the subscription, 08:30 KST: the first briefing is due.
NEXT_MORNING = NOW + timedelta(hours=23, minutes=30)


def _deliver(s: OAuthSlack) -> None:
    options = DeliverOptions(worker_id="w1", channel_interval=0.0, backoff=0.01)
    outcomes = deliver_due(s.sessions, now=NEXT_MORNING, settings=s.settings, options=options)
    assert [o.status for o in outcomes] == ["posted"], outcomes


def _installed_token(s: OAuthSlack) -> str:
    [token] = [t for t, issued in s.fake.issued.items() if not issued.refresh]
    return token


@pytest.mark.parametrize("org_wide", [False, True], ids=["grid-workspace", "org-wide"])
def test_a_grid_install_gets_its_briefing_with_its_own_token(oauth_slack: OAuthSlack, org_wide: bool) -> None:
    s = oauth_slack
    s.fake.install = Install(
        team_id="TG1", enterprise_id="E1", is_enterprise_install=org_wide, bot_token="xoxb-grid-e1"
    )
    done = complete_oauth(s.user.http, s.server.url)
    assert done.status_code == 200, done.text
    assert s.fake.calls_to("oauth.v2.access")
    token = _installed_token(s)
    # Another, unrelated workspace is installed too: its token must never post E1's briefing.
    s.fake.install = Install(team_id="TZ", bot_token="xoxb-other")
    assert complete_oauth(s.user.http, s.server.url).status_code == 200

    # A member of workspace TG1 (in organisation E1) subscribes their channel.
    answer = command_from(s.user, "구독 화웨이", team="TG1", enterprise="E1", org_wide=org_wide, channel="CG")
    assert answer.status_code == 200
    assert "구독" in str(s.user.responses(1)[0])
    with s.sessions() as session:
        sub = session.scalars(select(Subscription)).one()
        channel = session.scalars(select(Channel)).one()
    assert (sub.team_id, sub.enterprise_id) == ("TG1", "E1")
    assert channel.enterprise_id == "E1"

    s.fake.reset()
    _deliver(s)
    posts = [c for c in s.fake.calls_to("chat.postMessage") if c.args.get("channel") == "CG"]
    assert [bearer(p.headers) for p in posts] == [token] * len(posts)  # the briefing and its thread
    assert len([p for p in posts if "thread_ts" not in p.args]) == 1
    with s.sessions() as session:
        delivery = session.scalars(select(Delivery)).one()
    assert (delivery.team_id, delivery.enterprise_id, delivery.status) == ("TG1", "E1", "posted")


def test_a_grid_workspace_subscribed_before_organisations_were_recorded_still_gets_its_token(
    oauth_slack: OAuthSlack,
) -> None:
    s = oauth_slack
    s.fake.install = Install(team_id="TG2", enterprise_id="E2", bot_token="xoxb-grid-e2")
    assert complete_oauth(s.user.http, s.server.url).status_code == 200
    # A subscription made by an older version, which did not record the organisation.
    with s.sessions.begin() as session:
        subscribe(session, "TG2", "CG", s.world.ids["화웨이"], now=NOW, user_id="U1")
    s.fake.reset()
    _deliver(s)
    posts = s.fake.calls_to("chat.postMessage")
    assert posts and {bearer(p.headers) for p in posts} == {"xoxb-grid-e2"}
