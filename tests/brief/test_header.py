"""The briefing's summary line names as quiet only the companies with nothing at all in the briefing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

from rich.console import Console

from bot.briefing_blocks import briefing_messages, render_terminal
from briefings.brief import Coverage, StoryItem, compose_briefing

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def _story(sid: int, headline: str, companies: tuple[str, ...]) -> StoryItem:
    at = NOW - timedelta(hours=2)
    return StoryItem(
        id=sid,
        headline=headline,
        url=f"https://news.example.kr/{sid}",
        first_outlet="연합뉴스",
        outlets_count=3,
        exclusive=False,
        first_published_at=at,
        last_published_at=at,
        companies=companies,
    )


def test_a_company_whose_story_is_in_todays_themes_is_not_listed_as_quiet() -> None:
    briefing = compose_briefing(
        team_id="T1",
        channel_id="C1",
        subscribed=["LG전자", "LG유플러스", "삼성전자", "카카오"],
        stories=[
            _story(1, "LG전자·LG유플러스, 가전 통신 결합 상품", ("LG전자", "LG유플러스")),
            _story(2, "삼성전자 새 반도체 공장", ("삼성전자",)),
        ],
        coverage=Coverage(1, 1, (), 3),
        since=NOW - timedelta(hours=24),
        now=NOW,
        tz=ZoneInfo("Asia/Seoul"),
    )
    assert [line.story.id for line in briefing.themes] == [1]
    assert briefing.quiet == ("카카오",)

    summary = briefing_messages(briefing)[0].block_dicts()[1]
    text = json.dumps(summary, ensure_ascii=False)
    assert "새 소식 없음: 카카오" in text and "LG전자" not in text

    out = StringIO()
    render_terminal(briefing, Console(file=out, width=200, color_system=None))
    quiet_line = next(line for line in out.getvalue().splitlines() if "새 소식 없음" in line)
    assert "카카오" in quiet_line and "LG" not in quiet_line
