"""`/news` over the real HTTP endpoint: lookups, every subcommand, and the bad inputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from briefings.models import Channel, Subscription
from tests.bot.conftest import Harness


def _texts(blocks: list[dict[str, Any]]) -> str:
    out = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text.get("text", ""))
        for el in block.get("elements", []) or []:
            if isinstance(el, dict) and isinstance(el.get("text"), (str, dict)):
                t = el["text"]
                out.append(t if isinstance(t, str) else t.get("text", ""))
    return "\n".join(out)


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """action_id -> value of every button (the last one wins for repeated ids)."""
    found: dict[str, str] = {}
    for block in blocks:
        for el in block.get("elements", []) or []:
            if el.get("type") == "button":
                found[el["action_id"]] = el.get("value", "")
    return found


def _answer(h: Harness, text: str, **kw: Any) -> dict[str, Any]:
    resp = h.user.command(text, **kw)
    assert resp.status_code == 200
    assert resp.content == b""  # acknowledged at once; the answer comes through the response URL
    return h.user.responses(1)[-1]


def _subs(h: Harness) -> list[tuple[str, str, str, bool]]:
    with h.sessions() as session:
        rows = session.execute(
            select(Subscription.team_id, Subscription.channel_id, Subscription.company_id, Subscription.is_dm)
        ).all()
    names = {v: k for k, v in h.world.ids.items()}
    return sorted((t, c, names[cid], dm) for t, c, cid, dm in rows)


def test_news_company_answers_ephemerally_with_top_stories_and_buttons(harness: Harness) -> None:
    body = _answer(harness, "화웨이")
    assert body["response_type"] == "ephemeral"
    blocks = body["blocks"]
    text = _texts(blocks)
    assert blocks[0]["type"] == "header" and "화웨이" in blocks[0]["text"]["text"]
    first = blocks[1]["text"]["text"]
    assert "화웨이, 새 AI 칩 어센드 공개" in first and "<https://news.example.com/" in first
    assert "연합뉴스 외 11개 매체" in first
    assert "9시간 전" not in first and "3시간 전" in first  # 09:00 KST now, published 06:00 KST
    assert "`#AI`" in first and "`#반도체`" in first
    assert "*[단독]*" in text or "[단독]" in text
    assert "화웨이 오래된 기사" not in text  # older than 7 days
    assert "삼성전자 갤럭시" not in text  # 화웨이 only mentioned in passing there
    buttons = _buttons(blocks)
    assert set(buttons) == {"news_subscribe", "news_share", "news_more"}
    assert json.loads(buttons["news_more"])["o"] == 5


@pytest.mark.parametrize("query", ["화훼이", "Huawei", "华为", "화 웨 이"])
def test_news_resolves_typos_english_and_chinese_names(harness: Harness, query: str) -> None:
    body = _answer(harness, query)
    assert "화웨이" in body["blocks"][0]["text"]["text"]


def test_news_ticker(harness: Harness) -> None:
    body = _answer(harness, "005930")
    assert "삼성전자" in body["blocks"][0]["text"]["text"]
    assert "삼성전자 갤럭시 판매 호조" in _texts(body["blocks"])


def test_ambiguous_group_offers_candidate_buttons(harness: Harness) -> None:
    body = _answer(harness, "삼성")
    labels = [el["text"]["text"] for b in body["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert any(label.startswith("삼성전자") for label in labels)
    assert any(label.startswith("삼성 (") or label == "삼성" for label in labels)
    ids = [el["action_id"] for b in body["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert all(i.startswith("news_pick:") for i in ids) and len(set(ids)) == len(ids)


@pytest.mark.kiwi
def test_unknown_company_falls_back_or_says_nothing_found(harness: Harness) -> None:
    body = _answer(harness, "완전히없는회사이름")
    assert "찾지 못했습니다" in _texts(body["blocks"])


def test_subscribe_unsubscribe_list_in_korean_and_english(harness: Harness) -> None:
    h = harness
    assert "구독을 시작했습니다" in _texts(_answer(h, "구독 화웨이")["blocks"])
    h.fake.reset()
    assert "*화웨이*는 이미 구독 중" in _texts(_answer(h, "subscribe huawei")["blocks"])
    h.fake.reset()
    _answer(h, "subscribe 005930")
    assert _subs(h) == [("T0001", "C1", "삼성전자", False), ("T0001", "C1", "화웨이", False)]
    h.fake.reset()
    listing = _texts(_answer(h, "목록")["blocks"])
    assert "화웨이" in listing and "삼성전자" in listing and "08:00" in listing
    h.fake.reset()
    assert "해지했습니다" in _texts(_answer(h, "해지 화웨이")["blocks"])
    h.fake.reset()
    assert "*화웨이*는 구독 중이 아닙니다" in _texts(_answer(h, "unsubscribe 화웨이")["blocks"])
    h.fake.reset()
    _answer(h, "list")
    assert _subs(h) == [("T0001", "C1", "삼성전자", False)]


def test_subscribe_to_a_group_name_asks_which_company(harness: Harness) -> None:
    body = _answer(harness, "구독 LG")
    buttons = [el for b in body["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert buttons and all(el["action_id"].startswith("news_subscribe:") for el in buttons)
    assert _subs(harness) == []


def test_personal_subscription_from_a_dm_goes_to_the_app_dm(harness: Harness) -> None:
    _answer(harness, "구독 메타", channel="DXYZ", channel_name="directmessage", user="U7")
    assert _subs(harness) == [("T0001", "D7", "메타", True)]
    assert harness.fake.calls_to("conversations.open")[0].args["users"] == "U7"


def test_time_and_theme_settings(harness: Harness) -> None:
    h = harness
    assert "07:30" in _texts(_answer(h, "시간 7:30")["blocks"])
    h.fake.reset()
    assert "추가했습니다" in _texts(_answer(h, "테마 반도체")["blocks"])
    h.fake.reset()
    _answer(h, "theme AI")
    h.fake.reset()
    assert "M&amp;A" in _texts(_answer(h, "테마 M&amp;A")["blocks"])  # Slack sends & as &amp;
    h.fake.reset()
    _answer(h, "테마 m&a")  # and off again
    h.fake.reset()
    assert "해제했습니다" in _texts(_answer(h, "테마 반도체")["blocks"])
    with h.sessions() as session:
        channel = session.scalars(select(Channel)).one()
    assert (channel.team_id, channel.channel_id, channel.briefing_time, channel.themes) == (
        "T0001",
        "C1",
        "07:30",
        ["ai"],
    )


def test_help(harness: Harness) -> None:
    for word in ("도움말", "help"):
        harness.fake.reset()
        text = _texts(_answer(harness, word)["blocks"])
        assert "/news 구독" in text and "/news 시간" in text
        assert "`/news 주기 하루두번 08:00 17:00`" in text and "첫 브리핑 이후의 새 소식" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "회사 이름을 입력"),
        ("   ", "회사 이름을 입력"),
        ("가" * 200, "너무 깁니다"),
        ("화웨이\x07", "제어 문자"),
        ("화웨이\n삼성", "줄바꿈"),
        ("구독", "구독할 회사 이름"),
        ("subscribe   ", "구독할 회사 이름"),
        ("해지", "구독 해지할 회사"),
        ("시간", "HH:MM"),
        ("테마", "테마 이름"),
    ],
)
def test_bad_input_gets_a_short_korean_explanation_in_the_ack(
    harness: Harness, text: str, expected: str
) -> None:
    resp = harness.user.command(text)
    assert resp.status_code == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral" and expected in body["text"]
    assert "Traceback" not in body["text"]
    assert _subs(harness) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("시간 25:00", "HH:MM"),
        ("time 8:61", "HH:MM"),
        ("테마 없는테마", "알 수 없는 테마"),
        ("구독 없는회사이름이다", "찾지 못했습니다"),
    ],
)
def test_bad_arguments_get_a_korean_explanation(harness: Harness, text: str, expected: str) -> None:
    body = _answer(harness, text)
    shown = body.get("text", "") + _texts(body.get("blocks") or [])
    assert expected in shown
    with harness.sessions() as session:
        assert session.scalars(select(Channel.briefing_time)).all() == []  # no channel row was made
    assert _subs(harness) == []


def test_subscribing_a_private_channel_without_the_app_asks_for_an_invite(harness: Harness) -> None:
    h = harness
    h.fake.private_channels.add("GPRIV")  # the app is not a member: Slack hides the channel from it
    blocks = _answer(h, "구독 화웨이", channel="GPRIV")["blocks"]
    assert "구독을 시작했습니다" in _texts(blocks) and "/invite @Briefings" in _texts(blocks)
    h.fake.reset()
    assert "/invite" not in _texts(_answer(h, "구독 메타", channel="CPUBLIC")["blocks"])


def test_the_subcommand_may_follow_the_company_name() -> None:
    from bot.answers import Command, parse_command

    assert parse_command("삼성전자 구독") == Command("subscribe", "삼성전자")
    assert parse_command("LG 전자 해지") == Command("unsubscribe", "LG 전자")
    assert parse_command("화웨이 목록") == Command("lookup", "화웨이 목록")  # only 구독/해지 may trail


@pytest.mark.parametrize(
    ("text", "cadence", "time"),
    [
        ("주기 평일 08:30", "weekdays", "08:30"),
        ("주기 매주 월", "weekly:0", "08:00"),
        ("주기 하루두번 07:30 17:00", "twice:07:30,17:00", "07:30"),
        ("주기 하루 두번 8시 18:30", "twice:08:00,18:30", "08:00"),
    ],
)
def test_cadence_is_stored_for_the_channel(harness: Harness, text: str, cadence: str, time: str) -> None:
    body = _answer(harness, text)
    assert "브리핑을" in body["text"] and "보내 드립니다" in body["text"]
    with harness.sessions() as session:
        channel = session.scalars(select(Channel)).one()
    assert (channel.cadence, channel.briefing_time) == (cadence, time)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("주기 가끔", "알 수 없는 주기"),
        ("주기 하루두번", "시간을 두 개 입력해"),
        ("주기 하루두번 08:00", "시간을 두 개 입력해"),
        ("주기 하루두번 08:00 12:00 17:00", "시간을 두 개 입력해"),
        ("주기 하루두번 08:00 08:00", "두 시간이 같습니다"),
        ("주기 하루두번 17:00 08:00", "이르게 입력해"),
        ("주기 하루두번 08:00 24:00", "HH:MM 형식"),
        ("주기 하루두번 아침 17:00", "HH:MM 형식"),
    ],
)
def test_bad_cadence_gets_one_line(harness: Harness, text: str, says: str) -> None:
    body = _answer(harness, text)
    assert says in body["text"] and "\n" not in body["text"] and not body.get("blocks")
    with harness.sessions() as session:
        assert session.scalars(select(Channel.cadence)).all() in ([], ["daily"])


@pytest.mark.parametrize(
    ("cadence", "shown"),
    [
        (None, "브리핑: 매일 08:00"),
        ("주기 평일 07:30", "브리핑: 평일 07:30"),
        ("주기 매주 금 09:00", "브리핑: 매주 금요일 09:00"),
        ("주기 하루두번 08:00 17:00", "브리핑: 하루 두 번 08:00·17:00"),
    ],
)
def test_list_shows_the_channels_real_cadence(harness: Harness, cadence: str | None, shown: str) -> None:
    h = harness
    _answer(h, "구독 화웨이")
    if cadence:
        h.fake.reset()
        _answer(h, cadence)
    h.fake.reset()
    listing = _texts(_answer(h, "목록")["blocks"])
    assert shown in listing and ("매일" in listing) == (cadence is None)


def test_time_of_a_twice_daily_channel_is_changed_with_its_cadence(harness: Harness) -> None:
    h = harness
    _answer(h, "주기 하루두번 08:00 17:00")
    h.fake.reset()
    body = _answer(h, "시간 09:00")
    assert "하루 두 번(08:00, 17:00)" in body["text"] and "\n" not in body["text"] and not body.get("blocks")
    h.fake.reset()
    _answer(h, "주기 매주 월")
    h.fake.reset()
    assert "매주 월요일 09:30" in _texts(_answer(h, "시간 9:30")["blocks"])  # not "매일"
    with h.sessions() as session:
        channel = session.scalars(select(Channel)).one()
    assert (channel.cadence, channel.briefing_time) == ("weekly:0", "09:30")
