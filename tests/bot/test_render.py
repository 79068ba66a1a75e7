"""Text helpers: escaping, links, Korean relative times, story lines."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render import escape_mrkdwn, link, story_line, time_ago
from briefings.lookup import StoryView

KST = ZoneInfo("Asia/Seoul")
NOW = datetime.fromisoformat("2026-11-22T00:30:00+00:00")  # 09:30 KST


def test_escape_makes_mentions_inert() -> None:
    assert escape_mrkdwn("<!channel> & <@U123>") == "&lt;!channel&gt; &amp; &lt;@U123&gt;"


def test_link_escapes_text_and_refuses_odd_schemes() -> None:
    assert (
        link("https://a.example/x?a=1&b=2", "삼성 <!here>")
        == "<https://a.example/x?a=1&amp;b=2|삼성 &lt;!here&gt;>"
    )
    assert link("https://a.example/a|b>c", "t") == "<https://a.example/a%7Cb%3Ec|t>"
    assert link("javascript:alert(1)", "t") == "t"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "방금"),
        (timedelta(minutes=5), "5분 전"),
        (timedelta(hours=3), "3시간 전"),
        (timedelta(hours=10), "어제"),  # 23:30 KST the day before
        (timedelta(days=2), "11월 20일"),
        (timedelta(days=400), "2025년 10월 18일"),
        (timedelta(minutes=-5), "방금"),
    ],
)
def test_time_ago_in_korean(delta: timedelta, expected: str) -> None:
    assert time_ago(NOW - delta, NOW, KST) == expected


def test_story_line_has_link_outlets_time_and_tags() -> None:
    story = StoryView(
        1,
        "화웨이 <신제품>",
        "https://n.example/1",
        5,
        "연합뉴스",
        NOW - timedelta(hours=2),
        NOW,
        ("ai",),
        True,
    )
    line = story_line(story, NOW, KST, theme_labels={"ai": "AI"})
    assert (
        line
        == "*[단독]* *<https://n.example/1|화웨이 &lt;신제품&gt;>* · 연합뉴스 외 4개 매체 · 2시간 전  `#AI`"
    )
