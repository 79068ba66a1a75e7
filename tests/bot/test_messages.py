"""The Messages tab: a DM to the app is answered like `/news`; the app never answers itself or edits."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.messages import dm_text, is_person_writing
from briefings.models import Subscription
from tests.bot.conftest import Harness, wait_for
from tests.bot.test_commands import _texts


def _dm(text: str, user: str = "U7", channel: str = "D7", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": "1764547200.000100",
        "event_ts": "1764547200.000100",
        **extra,
    }


def _answer_in(h: Harness, channel: str, n: int = 1) -> dict[str, Any]:
    return wait_for(lambda: h.fake.posted(channel)[n - 1] if len(h.fake.posted(channel)) >= n else None)  # type: ignore[no-any-return]


def test_typing_a_company_in_the_dm_gives_the_news_answer(harness: Harness) -> None:
    h = harness
    assert h.user.event(_dm("화웨이")).status_code == 200
    posted = _answer_in(h, "D7")
    h.user.command("화웨이", channel="D7", channel_name="directmessage", user="U7")
    slash = h.user.responses(1)[0]
    assert posted["blocks"] == slash["blocks"] and posted["text"] == slash["text"]
    assert "화웨이, 새 AI 칩 어센드 공개" in _texts(posted["blocks"])
    assert posted["unfurl_links"] in (False, "false")
    assert h.fake.calls_to("chat.postMessage")[0].headers["authorization"] == "Bearer xoxb-test"


def test_company_then_subscribe_in_the_dm_subscribes_personally(harness: Harness) -> None:
    h = harness
    h.user.event(_dm("삼성전자 구독"))
    posted = _answer_in(h, "D7")
    assert "*삼성전자* 구독을 시작했습니다. DM으로 매일 브리핑을 받습니다." in _texts(posted["blocks"])
    with h.sessions() as session:
        rows = session.execute(
            select(Subscription.channel_id, Subscription.is_dm, Subscription.created_by)
        ).all()
    assert [tuple(r) for r in rows] == [("D7", True, "U7")]


def test_bad_input_in_the_dm_gets_its_one_line_explanation(harness: Harness) -> None:
    h = harness
    h.user.event(_dm("시간 25:00"))
    posted = _answer_in(h, "D7")
    assert "HH:MM" in posted["text"] and "blocks" not in posted and "thread_ts" not in posted


def test_a_message_in_a_dm_thread_is_answered_in_the_thread(harness: Harness) -> None:
    h = harness
    h.user.event(_dm("애플", thread_ts="1764547100.000001"))
    assert _answer_in(h, "D7")["thread_ts"] == "1764547100.000001"


def test_own_messages_bots_and_edits_are_not_answered(harness: Harness) -> None:
    h = harness
    # Sent first; the person's message after them is answered, and it is the only answer.
    for event in (
        _dm("화웨이", user="UBOT"),
        _dm("화웨이", bot_id="B0001"),
        _dm("화웨이", subtype="bot_message"),
        {**_dm("화웨이"), "subtype": "message_changed", "message": {"text": "애플", "user": "U7"}},
        _dm("화웨이", subtype="message_deleted"),
        _dm("화웨이", channel_type="channel", channel="C1"),
    ):
        assert h.user.event(event).status_code == 200
    h.user.event(_dm("애플"))
    answer = _answer_in(h, "D7")
    assert "애플" in answer["blocks"][0]["text"]["text"]
    assert len(h.fake.calls_to("chat.postMessage")) == 1 and h.fake.posted("C1") == []


@pytest.mark.parametrize(
    ("event", "answered"),
    [
        (_dm("화웨이"), True),
        (_dm("화웨이", user="UBOT"), False),
        (_dm("화웨이", bot_id="B1"), False),
        (_dm("화웨이", subtype="message_changed"), False),
        (_dm("화웨이", subtype="file_share"), False),
        (_dm("화웨이", channel_type="mpim"), False),
        ({**_dm("화웨이"), "text": None}, False),
    ],
)
def test_only_a_persons_new_dm_is_answered(event: dict[str, Any], answered: bool) -> None:
    assert is_person_writing(event, "UBOT") is answered


def test_a_pasted_slash_command_works_in_the_dm() -> None:
    assert dm_text("  /news 화웨이 ") == " 화웨이"
    assert dm_text("화웨이") == "화웨이"


def test_buttons_on_a_dm_answer_act_for_the_dm(harness: Harness) -> None:
    h = harness
    h.user.event(_dm("메타"))
    posted = _answer_in(h, "D7")
    buttons = {
        el["action_id"]: el["value"]
        for b in posted["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
    }
    h.user.action(
        "news_subscribe", buttons["news_subscribe"], channel="D7", channel_name="directmessage", user="U7"
    )
    page = h.user.responses(1)[0]
    assert "DM으로 매일 브리핑을 받습니다" in _texts(page["blocks"])
    with h.sessions() as session:
        assert session.execute(select(Subscription.channel_id, Subscription.is_dm)).all() == [("D7", True)]


def test_help_in_the_dm_says_the_messages_tab_works(harness: Harness) -> None:
    harness.user.event(_dm("도움말"))
    text = _texts(_answer_in(harness, "D7")["blocks"])
    assert "`/news 화웨이 구독`" in text and "메시지 탭" in text
