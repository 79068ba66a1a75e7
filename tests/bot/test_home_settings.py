"""App Home as the settings page of every briefing the user can see, each button pressed over loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot import blocks as bk
from bot.home_actions import NOT_MEMBER, NOT_YOURS_DM, STALE
from bot.home_settings import SENSITIVITY, UNFILTER, UNSAVE, UNTHEME
from briefings.filters import add_filter
from briefings.models import Channel, ChannelFilter, SavedQuery, Subscription
from briefings.subscriptions import subscribe
from tests.bot.conftest import Harness, wait_for
from tests.bot.seed import NOW
from tests.bot.test_commands import _texts
from tests.bot.test_home import _open_home

View = dict[str, Any]


def rows(view: View) -> dict[str, dict[str, Any]]:
    """Each settings row's text → its accessory (a button or the sensitivity menu)."""
    return {
        b["text"]["text"]: b["accessory"]
        for b in view["blocks"]
        if b["type"] == "section" and "accessory" in b
    }


def press(h: Harness, element: dict[str, Any], user: str = "U7") -> View:
    """Click an element of App Home as Slack reports it, and return the view published in answer."""
    h.fake.views.pop(user, None)
    if element["type"] == "static_select":  # a menu reports the option chosen (`chosen`), not a value
        clicked = {
            "type": "static_select",
            "action_id": element["action_id"],
            "selected_option": element["chosen"],
        }
        h.user.action(element["action_id"], "", user=user, container="view", element=clicked)
    else:
        h.user.action(element["action_id"], element["value"], user=user, container="view")
    return wait_for(lambda: h.fake.views.get(user))  # type: ignore[no-any-return]


def notice(view: View) -> str:
    return str(view["blocks"][0]["text"]["text"])


@pytest.fixture
def channel(harness: Harness) -> Harness:
    """#CPUB with a company, a keyword subscription, a theme, a filter and 민감 alerts; U7 is a member."""
    h = harness
    h.fake.memberships["U7"] = ["CPUB"]
    for text in ("구독 메타", '구독 "HBM"', "테마 반도체", "제외 매체 한국경제", "알림 민감"):
        h.fake.reset()
        h.user.command(text, channel="CPUB")
        h.user.responses(1)
    return h


def test_a_channel_page_shows_every_setting_with_its_button(channel: Harness) -> None:
    channel.user.command("구독 메타", channel="DX", channel_name="directmessage", user="U7")
    view = _open_home(channel, "U7")
    found = rows(view)
    heading = next(t for t in found if t.startswith("*<#CPUB>*"))
    assert "매일 08:00" in heading
    menu = found[heading]
    assert menu["type"] == "static_select" and bk.action_kind(menu["action_id"]) == SENSITIVITY
    assert [o["text"]["text"] for o in menu["options"]] == [
        f"급증 알림: {x}" for x in ("민감", "보통", "둔감", "끔")
    ]
    assert menu["initial_option"]["text"]["text"] == "급증 알림: 민감"
    kinds = {text: bk.action_kind(el["action_id"]) for text, el in found.items() if el["type"] == "button"}
    assert kinds == {
        "*메타* · DM으로 브리핑": bk.HOME_UNSUBSCRIBE,
        "🏢 메타": bk.HOME_UNSUBSCRIBE,
        '🔎 "HBM"': UNSAVE,
        "🏷️ 테마 반도체": UNTHEME,
        "🚫 매체: 한국경제": UNFILTER,
    }
    ids = [b["accessory"]["action_id"] for b in view["blocks"] if "accessory" in b]
    assert len(ids) == len(set(ids)) == 7  # unique in the whole view: DM's 메타 and menu, #CPUB's five


@pytest.mark.parametrize(
    ("row", "done", "again", "gone"),
    [
        ("🏢 메타", "*메타* 구독을 해지했습니다.", "*메타*는 이미 해지된 구독입니다.", Subscription),
        ('🔎 "HBM"', '"HBM" 구독을 해지했습니다.', '"HBM"은 이미 해지된 구독입니다.', SavedQuery),
        (
            "🚫 매체: 한국경제",
            "제외 설정 매체: 한국경제를 해제했습니다.",
            "이미 해제되었습니다.",
            ChannelFilter,
        ),
        (
            "🏷️ 테마 반도체",
            "테마 반도체를 더 이상 따라가지 않습니다.",
            "테마 반도체는 이미 해제되었습니다.",
            None,
        ),
    ],
)
def test_each_button_removes_its_row_and_a_second_press_gets_one_line(
    channel: Harness, row: str, done: str, again: str, gone: type | None
) -> None:
    h = channel
    button = rows(_open_home(h, "U7"))[row]
    view = press(h, button)
    assert notice(view) == done
    assert row not in rows(view)
    with h.sessions() as session:
        if gone is not None:
            assert session.scalars(select(gone).where(gone.channel_id == "CPUB")).all() == []  # type: ignore[attr-defined]
        else:
            assert session.scalar(select(Channel.themes).where(Channel.channel_id == "CPUB")) == []
    stale = press(h, button)  # the same (now removed) row pressed twice
    assert again in notice(stale) and "\n" not in notice(stale)
    assert h.fake.rejections == []


def test_the_sensitivity_menu_sets_the_channels_alerts(channel: Harness) -> None:
    h = channel
    found = rows(_open_home(h, "U7"))
    menu = next(el for el in found.values() if el["type"] == "static_select")
    (off,) = [o for o in menu["options"] if o["text"]["text"] == "급증 알림: 끔"]
    view = press(h, {**menu, "chosen": off})
    assert notice(view) == "급증 알림 민감도를 *끔*으로 정했습니다."
    with h.sessions() as session:
        assert session.scalar(select(Channel.alert_sensitivity).where(Channel.channel_id == "CPUB")) == "끔"
    menu = next(el for el in rows(view).values() if el["type"] == "static_select")
    assert menu["initial_option"]["text"]["text"] == "급증 알림: 끔"
    bad = {**off, "value": json.dumps({"ch": "CPUB", "s": "아주민감"})}
    assert "민감, 보통, 둔감, 끔 중 하나" in notice(press(h, {**menu, "chosen": bad}))


def test_only_members_change_a_channel_and_only_the_owner_a_dm(channel: Harness) -> None:
    h = channel
    button = rows(_open_home(h, "U7"))["🏢 메타"]
    assert notice(press(h, button, user="U8")) == NOT_MEMBER  # U8 is not in #CPUB
    h.user.command("구독 화웨이", channel="DX", channel_name="directmessage", user="U7")
    h.user.responses(1)
    personal = next(el for t, el in rows(_open_home(h, "U7")).items() if t.startswith("*화웨이*"))
    assert notice(press(h, personal, user="U8")) == NOT_YOURS_DM
    with h.sessions() as session:
        assert sorted(session.scalars(select(Subscription.channel_id)).all()) == ["CPUB", "D7"]


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (UNFILTER + ":0", "not json"),
        (UNFILTER + ":0", "{}"),
        (UNFILTER + ":0", json.dumps({"ch": "CPUB", "k": "story", "v": "1"})),
        (bk.HOME_UNSUBSCRIBE + ":3", json.dumps({"ch": "CPUB", "c": "메타"})),
        (UNSAVE + ":0", json.dumps({"ch": "CPUB", "l": 42})),
        (UNTHEME + ":9", json.dumps({"ch": ["CPUB"], "t": "x"})),
    ],
)
def test_forged_or_stale_values_get_one_korean_line(channel: Harness, action_id: str, value: str) -> None:
    h = channel
    view = press(h, {"type": "button", "action_id": action_id, "value": value})
    assert notice(view) == STALE
    with h.sessions() as session:
        assert len(session.scalars(select(ChannelFilter)).all()) == 1
        assert len(session.scalars(select(Subscription)).all()) == 1


def test_many_channels_and_settings_stay_within_the_views_limits(harness: Harness) -> None:
    h = harness
    channels = [f"CBIG{i:02d}" for i in range(12)]
    h.fake.memberships["U7"] = channels
    company_ids = list(h.world.ids.values())
    with h.sessions.begin() as session:
        for ch in channels:
            for cid in company_ids:
                subscribe(session, "T0001", ch, cid, now=NOW)
            for n in range(40):
                add_filter(session, "T0001", ch, "outlet", f"매체{n:02d}", now=NOW)
    view = _open_home(h, "U7")  # the fake refuses more than 100 blocks
    assert len(view["blocks"]) <= 100
    notes = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert f"… 외 {len(company_ids) - 6}개 · 모두 보기: `/news 목록`" in notes
    assert "… 외 34개 · 모두 보기: `/news 제외 목록`" in notes
    assert any(n.startswith("… 외 ") and "개 채널 · 각 채널에서 `/news 목록`" in n for n in notes)
    assert "*<#CBIG00>*" in _texts(view["blocks"])
    assert h.fake.rejections == []


def test_a_dm_with_only_a_keyword_subscription_is_a_page_too(harness: Harness) -> None:
    h = harness
    dm = {"channel": "DX", "channel_name": "directmessage", "user": "U7"}
    for text in ('구독 "HBM"', "제외 스포츠"):
        h.fake.reset()
        h.user.command(text, **dm)
        h.user.responses(1)
    view = _open_home(h, "U7")
    found = rows(view)
    assert "구독한 회사가 없습니다" in _texts(view["blocks"])  # no company followed, yet a briefing
    assert any(t.startswith("*내 브리핑 설정*") for t in found)
    view = press(h, found['🔎 "HBM"'])
    assert notice(view) == '"HBM" 구독을 해지했습니다.'
    with h.sessions() as session:
        assert session.scalars(select(SavedQuery)).all() == []


def test_the_menu_of_a_channel_gone_meanwhile_gets_one_line(harness: Harness) -> None:
    h = harness
    h.fake.memberships["U7"] = ["CGONE"]
    value = json.dumps({"ch": "CGONE", "s": "끔"})
    menu = {"type": "static_select", "action_id": SENSITIVITY + ":0"}
    option = {"text": {"type": "plain_text", "text": "급증 알림: 끔"}, "value": value}
    assert notice(press(h, {**menu, "chosen": option})) == "이 채널의 설정을 더 이상 찾을 수 없습니다."
    with h.sessions() as session:
        assert session.scalars(select(Channel)).all() == []
