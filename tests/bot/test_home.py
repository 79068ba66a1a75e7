"""App Home: personal subscriptions with 해지 buttons, visible channels' subscriptions, latest stories."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot import blocks as bk
from briefings.models import Subscription
from tests.bot.conftest import Harness, wait_for
from tests.bot.test_commands import _texts


def _open_home(h: Harness, user: str, team: str = "T0001") -> dict:  # type: ignore[type-arg]
    h.fake.views.pop(user, None)
    resp = h.user.event(
        {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}, team=team
    )
    assert resp.status_code == 200
    return wait_for(lambda: h.fake.views.get(user))  # type: ignore[no-any-return]


def test_home_shows_personal_and_visible_channel_subscriptions_and_latest_news(harness: Harness) -> None:
    h = harness
    h.fake.memberships["U7"] = ["CPUB"]
    for text, kw in (
        ("구독 화웨이", {"channel": "DX", "channel_name": "directmessage", "user": "U7"}),
        ("구독 메타", {"channel": "CPUB"}),
        ("구독 애플", {"channel": "CSECRET"}),
        ("구독 삼성전자", {"channel": "DY", "channel_name": "directmessage", "user": "U8"}),
        ("구독 LG전자", {"channel": "CPUB", "team": "TOTHER"}),
    ):
        h.fake.reset()
        h.user.command(text, **kw)
        h.user.responses(1)
    view = _open_home(h, "U7")
    assert view["type"] == "home"
    text = _texts(view["blocks"])
    assert "*화웨이* · DM으로 브리핑" in text
    assert "*<#CPUB>* · 매일 08:00" in text and "🏢 메타" in text
    assert "애플" not in text.replace("애플 ", "")  # CSECRET is not one of U7's channels
    assert "삼성전자" not in text  # U8's personal subscription
    assert "LG전자" not in text  # another workspace
    assert "화웨이, 새 AI 칩 어센드 공개" in text  # latest top stories for U7's companies
    unsub = [
        json.loads(b["accessory"]["value"])["ch"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id", "").startswith(bk.HOME_UNSUBSCRIBE + ":")
    ]
    assert sorted(unsub) == ["CPUB", "D7"]  # 화웨이 in U7's DM, 메타 in #CPUB


def test_home_unsubscribe_button_removes_only_your_own_personal_subscription(harness: Harness) -> None:
    h = harness
    h.user.command("구독 화웨이", channel="DX", channel_name="directmessage", user="U7")
    h.user.responses(1)
    value = json.dumps({"ch": "D7", "c": h.world.ids["화웨이"]})
    h.fake.views.clear()
    h.user.action(bk.HOME_UNSUBSCRIBE, value, user="U8", container="view")  # not U8's subscription
    wait_for(lambda: h.fake.views.get("U8"))
    with h.sessions() as session:
        assert session.scalars(select(Subscription.channel_id)).all() == ["D7"]
    h.user.action(bk.HOME_UNSUBSCRIBE, value, user="U7", container="view")
    view = wait_for(lambda: h.fake.views.get("U7"))
    assert "개인 구독이 없습니다" in _texts(view["blocks"])
    with h.sessions() as session:
        assert session.scalars(select(Subscription.channel_id)).all() == []


def test_home_is_the_settings_page_of_the_dm_briefing(harness: Harness) -> None:
    from bot.home_settings import UNFILTER, UNSAVE
    from briefings.models import ChannelFilter, SavedQuery

    h = harness
    dm = {"channel": "DX", "channel_name": "directmessage", "user": "U7"}
    for text in ("구독 화웨이", "제외 매체 한국경제", "구독 삼성 +계열사", "주기 평일 07:30"):
        h.fake.reset()
        h.user.command(text, **dm)
        h.user.responses(1)
    view = _open_home(h, "U7")
    text = _texts(view["blocks"])
    assert "내 브리핑 설정" in text and "평일 07:30" in text
    assert "매체: 한국경제" in text and "삼성 +계열사" in text
    buttons = {
        el["action_id"].split(":")[0]: el["value"]
        for b in view["blocks"]
        if (el := b.get("accessory")) and el.get("type") == "button"
    }
    # Another user's click changes nothing; the owner's removes the row.
    h.fake.views.clear()
    h.user.action(UNFILTER + ":0", buttons[UNFILTER], user="U8", container="view")
    wait_for(lambda: h.fake.views.get("U8"))
    with h.sessions() as session:
        assert len(session.scalars(select(ChannelFilter)).all()) == 1
    h.user.action(UNFILTER + ":0", buttons[UNFILTER], user="U7", container="view")
    wait_for(lambda: h.fake.views.get("U7"))
    h.fake.views.clear()
    h.user.action(UNSAVE + ":0", buttons[UNSAVE], user="U7", container="view")
    view = wait_for(lambda: h.fake.views.get("U7"))
    with h.sessions() as session:
        assert session.scalars(select(ChannelFilter)).all() == []
        assert session.scalars(select(SavedQuery)).all() == []
    assert "삼성 +계열사 구독을 해지했습니다." in _texts(view["blocks"][:1])
    assert "🔎 삼성 +계열사" not in _texts(view["blocks"])
