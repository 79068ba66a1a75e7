"""Text helpers: escaping, links, Korean relative times, story lines."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.render import cut_lines, cut_mrkdwn, escape_mrkdwn, inert, link, outlets_text, story_line, time_ago
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


HOSTILE = "삼성 *급등* _단독_ ~속보~ `코드` 3~4일 \u202e역순\u202c \u2066격리\u2069 \u200e\u200f\u061c끝"


def test_headlines_cannot_restyle_the_message_or_reverse_the_text() -> None:
    label = "삼성 ＊급등＊ ＿단독＿ ～속보～ ｀코드｀ 3～4일 역순 격리 끝"
    assert link("https://n.example/1", HOSTILE) == f"<https://n.example/1|{label}>"
    assert inert("<!here> *x*") == "&lt;!here&gt; ＊x＊"
    assert outlets_text("\u202e매체_이름*", 3) == "매체＿이름＊ 외 2개 매체"


def test_story_lines_keep_only_their_own_marks() -> None:
    story = StoryView(1, HOSTILE, "https://n.example/1", 1, "~연합~", NOW, NOW, ("a_b",), False)
    line = story_line(story, NOW, KST, theme_labels={})
    # Bold around the headline and code around the tag are the only marks left.
    assert line.count("*") == 2 and line.count("`") == 2 and "_" not in line and "~" not in line
    assert not any(ch in line for ch in "\u202e\u202c\u2066\u2069\u200e\u200f\u061c")


@pytest.mark.parametrize("limit", range(1, 60))
def test_cut_mrkdwn_never_ends_inside_an_entity_or_a_link(limit: int) -> None:
    text = "A&amp;B <https://x.example/?a=1&amp;b=2|링크 &lt;굵게&gt;> 끝 &amp;"
    cut = cut_mrkdwn(text, limit)
    assert len(cut) <= limit
    body = cut.removesuffix("…")
    assert body.count("<") == body.count(">")
    assert re.findall(r"&(?!amp;|lt;|gt;)", body) == []


def test_cut_lines_keeps_whole_lines_and_marks_the_cut() -> None:
    assert cut_lines(["가" * 5, "나" * 5, "다" * 5], 14) == "가가가가가\n나나나나나\n…"
    assert cut_lines(["가" * 5, "나" * 5], 11) == "가가가가가\n나나나나나"
    assert cut_lines(["<https://x|" + "a" * 20 + ">"], 10) == "…"


def test_briefings_carry_hostile_headlines_inert() -> None:
    from bot.briefing_blocks import briefing_messages
    from tests.brief.test_blocks import briefing, item
    from tests.fakes.block_kit import check_message

    hostile = item(1, HOSTILE, ("삼성전자",), outlet="\u202e매체_*")
    messages = briefing_messages(briefing([hostile], ["삼성전자"]))
    shown = json.dumps([m.payload() for m in messages], ensure_ascii=False)
    assert "＊급등＊ ＿단독＿ ～속보～ ｀코드｀" in shown and "매체＿＊" in shown
    assert not any(ch in shown for ch in "\u202e\u202c\u2066\u2069\u200e\u200f\u061c")
    assert all(check_message(m.payload()) is None for m in messages)
