"""`/news 알림 …` and the App Home's no-baseline line, over the real HTTP endpoint and the fake Slack."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from briefings.models import Channel
from tests.bot.conftest import Harness, bot_engine, fake, harness, wait_for
from tests.bot.test_commands import _texts

__all__ = ["bot_engine", "fake", "harness"]  # the bot harness's fixtures, used here as they are


def _answer(h: Harness, text: str, **kw: Any) -> str:
    h.fake.reset()
    resp = h.user.command(text, **kw)
    assert resp.status_code == 200 and resp.content == b""
    body = h.user.responses(1)[-1]
    assert body["response_type"] == "ephemeral"
    return _texts(body["blocks"]) if "blocks" in body else str(body["text"])


def _sensitivity(h: Harness, channel: str = "C1") -> str | None:
    with h.sessions() as session:
        return session.scalar(select(Channel.alert_sensitivity).where(Channel.channel_id == channel))


@pytest.mark.parametrize(
    ("word", "level"), [("민감", "민감"), ("둔감", "둔감"), ("끔", "끔"), ("off", "끔"), ("보통", "보통")]
)
def test_sensitivity_is_set_per_channel_with_a_korean_confirmation(
    harness: Harness, word: str, level: str
) -> None:
    text = _answer(harness, f"알림 {word}")
    assert f"이 채널의 급증 알림 민감도를 *{level}*으로 정했습니다" in text
    assert _sensitivity(harness) == level
    assert _sensitivity(harness, "C2") is None  # another channel keeps its own (the default)


def test_sensitivity_defaults_to_normal_and_is_shown_without_a_word(harness: Harness) -> None:
    assert "급증 알림 민감도는 *보통*입니다" in _answer(harness, "alerts")
    _answer(harness, "알림 둔감", channel="C2")
    assert "급증 알림 민감도는 *둔감*입니다" in _answer(harness, "알림", channel="C2")
    assert "*보통*" in _answer(harness, "알림")


def test_a_bad_sensitivity_is_one_korean_line_and_changes_nothing(harness: Harness) -> None:
    _answer(harness, "알림 민감")
    text = _answer(harness, "알림 <!channel> 최대")
    assert text.count("\n") == 0
    assert "알림 민감도는 민감, 보통, 둔감, 끔 중 하나로 입력해 주세요" in text
    assert "<!channel>" not in text  # the typed text is shown back inert
    assert _sensitivity(harness) == "민감"


def test_home_says_which_companies_have_no_baseline_yet(harness: Harness) -> None:
    h = harness
    _answer(h, "구독 화웨이", channel="DU7", channel_name="directmessage", user="U7")
    h.fake.views.pop("U7", None)
    h.user.event({"type": "app_home_opened", "user": "U7", "channel": "DU7", "tab": "home"})
    view = wait_for(lambda: h.fake.views.get("U7"))
    assert "급증 알림 준비 중: 화웨이(7일 후)" in _texts(view["blocks"])
