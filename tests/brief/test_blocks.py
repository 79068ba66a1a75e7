"""Block Kit rendering: within Slack's limits on any day, and nothing from a feed can ping anyone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

from rich.console import Console
from slack_sdk.models.blocks import HeaderBlock, SectionBlock

from bot.briefing_blocks import briefing_messages, render_terminal
from briefings.brief import Briefing, Coverage, SourceFailure, StoryItem, compose_briefing
from tests.fakes.block_kit import check_message

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def item(sid: int, headline: str, companies: tuple[str, ...], outlet: str = "연합뉴스") -> StoryItem:
    at = NOW - timedelta(hours=1 + sid % 20)
    return StoryItem(
        id=sid,
        headline=headline,
        url=f"https://n.example.kr/a?id={sid}&x=<1>",
        first_outlet=outlet,
        outlets_count=1 + sid % 7,
        exclusive=sid % 11 == 0,
        first_published_at=at,
        last_published_at=at,
        themes=("ai", "semiconductor"),
        companies=companies,
    )


def briefing(stories: list[StoryItem], subscribed: list[str], coverage: Coverage | None = None) -> Briefing:
    return compose_briefing(
        team_id="T1",
        channel_id="C1",
        subscribed=subscribed,
        stories=stories,
        coverage=coverage or Coverage(10, 12, (SourceFailure("<!channel> 피드", "HTTP 503"),), 30),
        since=NOW - timedelta(hours=24),
        now=NOW,
        tz=KST,
        top=3,
    )


def test_huge_day_splits_into_thread_replies_within_limits() -> None:
    companies = [f"회사{i:03d}" for i in range(300)]
    long_tail = "가" * 400
    stories = [
        item(i * 10 + j, f"{name} 뉴스 {j} {long_tail}", (name,))
        for i, name in enumerate(companies)
        for j in range(6)
    ]
    stories += [item(9_000_000 + i, f"동맹 {i}", (companies[i], companies[i + 1])) for i in range(20)]
    b = briefing(stories, companies)
    messages = briefing_messages(b)
    assert len(messages) > 1
    seen_text = ""
    for message in messages:
        blocks = message.block_dicts()  # to_dict() validates every block model
        assert check_message(message.payload()) is None  # and Slack's own rules, as the fake applies them
        assert 1 <= len(blocks) <= 50
        for block in message.blocks:
            if isinstance(block, SectionBlock):
                assert block.text is not None and len(block.text.text) <= 3000
            if isinstance(block, HeaderBlock):
                assert len(block.text.text) <= 150
        seen_text += json.dumps(blocks, ensure_ascii=False)
    assert isinstance(messages[0].blocks[0], HeaderBlock)
    assert "수집: 피드 12개 중 10개 정상" in json.dumps(messages[0].block_dicts(), ensure_ascii=False)
    for name in companies:  # every company that had news appears somewhere, with its 외 N건
        assert f"*{name}*" in seen_text
    assert seen_text.count("외 3건") == 300
    assert "오늘의 테마" in seen_text


def test_headlines_outlets_and_failures_are_escaped() -> None:
    headline = "<!channel> 화웨이 & <@U123> 공지 <https://evil.example|클릭>"
    evil = item(1, headline, ("화웨이",), outlet="<!here>")
    messages = briefing_messages(briefing([evil], ["화웨이"]))
    payload = json.dumps([m.payload() for m in messages], ensure_ascii=False)
    assert "<!channel>" not in payload and "<!here>" not in payload and "<@U123>" not in payload
    assert "&lt;!channel&gt; 화웨이 &amp; &lt;@U123&gt;" in payload
    assert messages[0].payload()["unfurl_links"] is False


def test_empty_day_is_one_short_line_and_no_subscriptions_is_nothing() -> None:
    empty = briefing([], ["네이버", "카카오"])
    (message,) = briefing_messages(empty)
    assert len(message.blocks) == 1
    assert "네이버, 카카오의 새 소식이 없습니다" in message.text
    assert "수집 10/12개 정상" in message.text
    assert briefing_messages(briefing([item(1, "x", ("네이버",))], [])) == []


def test_coverage_footer_says_when_nothing_was_gathered() -> None:
    b = briefing([item(1, "카카오 소식", ("카카오",))], ["카카오"], Coverage(0, 5, (), 0))
    text = json.dumps(briefing_messages(b)[0].block_dicts(), ensure_ascii=False)
    assert "수집 기록이 없습니다" in text


def test_terminal_rendering_shows_sections_themes_and_footer() -> None:
    alliance = item(1, "KT·LG전자·LG유플러스 AI 동맹", ("KT", "LG전자", "LG유플러스"))
    stories = [alliance, item(2, "KT 요금제", ("KT",))]
    out = StringIO()
    render_terminal(briefing(stories, ["KT", "LG전자", "LG유플러스"]), Console(file=out, width=160))
    text = out.getvalue()
    assert "오늘의 테마" in text and "KT 요금제" in text and "AI 동맹" in text
    assert "수집: 피드 12개 중 10개 정상" in text
