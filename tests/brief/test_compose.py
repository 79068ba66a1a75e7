"""What a briefing contains: ranking, 외 N건, the cross-company theme line, the coverage footer."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.briefing_blocks import briefing_messages
from briefings.brief import Coverage, SourceFailure, StoryItem, compose_briefing, load_briefing
from tests.brief.conftest import attempt, feed, story, subscribe

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 2026-11-21 08:00 KST
SINCE = NOW - timedelta(hours=24)
COVERAGE = Coverage(sources_ok=3, sources_total=3, attempts=9)


def item(
    sid: int,
    headline: str,
    companies: tuple[str, ...],
    *,
    hours_ago: float,
    outlets: int = 1,
    exclusive: bool = False,
    themes: tuple[str, ...] = (),
) -> StoryItem:
    at = NOW - timedelta(hours=hours_ago)
    return StoryItem(
        id=sid,
        headline=headline,
        url=f"https://n.example.kr/{sid}",
        first_outlet="연합뉴스",
        outlets_count=outlets,
        exclusive=exclusive,
        first_published_at=at,
        last_published_at=at,
        themes=themes,
        companies=companies,
    )


def compose(stories: list[StoryItem], subscribed: list[str], **kw: object) -> object:
    return compose_briefing(
        team_id="T1",
        channel_id="C1",
        subscribed=subscribed,
        stories=stories,
        coverage=kw.pop("coverage", COVERAGE),
        since=SINCE,
        now=NOW,
        tz=KST,
        **kw,  # type: ignore[arg-type]
    )


def test_top_three_ranked_by_outlets_recency_and_exclusivity_then_more_count() -> None:
    stories = [
        item(1, "화웨이 신형 칩 공개", ("화웨이",), hours_ago=2, outlets=5),
        item(2, "화웨이 [단독] 유럽 공장 설립", ("화웨이",), hours_ago=3, outlets=4, exclusive=True),
        item(3, "화웨이 실적 발표", ("화웨이",), hours_ago=20, outlets=5),
        item(4, "화웨이 인사", ("화웨이",), hours_ago=1, outlets=1),
        item(5, "화웨이 소송", ("화웨이",), hours_ago=5, outlets=2),
    ]
    b = compose(stories, ["화웨이"])
    section = b.sections[0]  # type: ignore[attr-defined]
    # 5 outlets + fresher beats 5 outlets older; exclusive 4 outlets (+1.5) beats both 5-outlet stories
    assert [s.id for s in section.stories] == [2, 1, 3]
    assert section.more == 2
    assert b.story_count == 5  # type: ignore[attr-defined]


def test_story_touching_several_subscribed_companies_is_one_theme_line() -> None:
    alliance = item(
        10,
        "KT·LG전자·LG유플러스 AI 동맹",
        ("KT", "LG전자", "LG유플러스"),
        hours_ago=4,
        outlets=6,
        themes=("alliance",),
    )
    solo = item(11, "KT 5G 요금제", ("KT",), hours_ago=3, outlets=2)
    b = compose([alliance, solo], ["KT", "LG전자", "LG유플러스"], theme_labels={"alliance": "제휴·동맹"})
    assert [t.story.id for t in b.themes] == [10]  # type: ignore[attr-defined]
    assert b.themes[0].companies == ("KT", "LG전자", "LG유플러스")  # type: ignore[attr-defined]
    shown = [s.id for sec in b.sections for s in sec.stories]  # type: ignore[attr-defined]
    assert shown == [11]  # the alliance story is not repeated under each company


def test_old_stories_and_other_companies_are_left_out() -> None:
    stories = [
        item(1, "샤오미 전기차", ("샤오미",), hours_ago=30, outlets=9),  # before the window
        item(2, "바이두 로보택시", ("바이두",), hours_ago=1, outlets=9),  # not subscribed
        item(3, "샤오미 스마트폰", ("샤오미",), hours_ago=1),
    ]
    b = compose(stories, ["샤오미"])
    assert [s.id for s in b.sections[0].stories] == [3]  # type: ignore[attr-defined]


def test_empty_day_and_no_subscriptions() -> None:
    b = compose([item(1, "네이버 뉴스", ("네이버",), hours_ago=40)], ["네이버"])
    assert b.empty and b.has_subscriptions  # type: ignore[attr-defined]
    nothing = compose([item(1, "네이버 뉴스", ("네이버",), hours_ago=1)], [])
    assert not nothing.has_subscriptions and nothing.empty  # type: ignore[attr-defined]


def test_followed_theme_brings_stories_of_other_companies() -> None:
    s = item(1, "센스타임 제재 확대", ("센스타임",), hours_ago=2, themes=("sanctions",))
    b = compose([s], ["카카오"], followed_themes=["sanctions"])
    assert [t.story.id for t in b.themes] == [1]  # type: ignore[attr-defined]
    assert b.themes[0].theme == "sanctions"  # type: ignore[attr-defined]


def test_loader_reads_stories_and_honest_coverage(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        subscribe(session, "T1", "C1", ["화웨이", "KT"])
        story(session, "화웨이 제재 강화", ["화웨이"], published=NOW - timedelta(hours=2), outlets=3)
        story(session, "KT 신사업", ["KT"], published=NOW - timedelta(hours=50))  # last week's, not new
        good, bad, idle = feed(session, "한국경제"), feed(session, "연합뉴스 경제"), feed(session, "전자신문")
        attempt(session, good, NOW - timedelta(hours=3), ok=False, error="timeout")
        attempt(session, good, NOW - timedelta(hours=1), ok=True)
        attempt(session, bad, NOW - timedelta(hours=1), ok=False, error="HTTP 503")
        attempt(session, idle, NOW - timedelta(hours=30), ok=True)  # before the window
        session.commit()
        b = load_briefing(session, "T1", "C1", now=NOW)
    assert b.subscribed == ("화웨이", "KT")
    assert [s.headline for s in b.sections[0].stories] == ["화웨이 제재 강화"]
    assert b.sections[1].stories == ()
    assert b.coverage.sources_total == 3 and b.coverage.sources_ok == 1
    assert b.coverage.failed == (
        SourceFailure("연합뉴스 경제", "서버 오류(HTTP 503)"),
        SourceFailure("전자신문", "수집 시도 없음"),
    )
    assert b.briefing_date.isoformat() == "2026-11-21"


def test_loader_window_starts_at_previous_briefing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        ch = subscribe(session, "T1", "C1", ["카카오"])
        ch.covered_until = NOW - timedelta(hours=5)
        story(session, "카카오 어제 소식", ["카카오"], published=NOW - timedelta(hours=8))
        story(session, "카카오 오늘 소식", ["카카오"], published=NOW - timedelta(hours=1))
        session.commit()
        b = load_briefing(session, "T1", "C1", now=NOW)
    assert [s.headline for s in b.sections[0].stories] == ["카카오 오늘 소식"]


@pytest.mark.parametrize("weekly", [False, True], ids=["daily", "weekly"])
def test_a_composed_and_rendered_briefing_keeps_none_of_its_stories_alive(weekly: bool) -> None:
    """A long-running process composes briefings all day: once a briefing and its messages are gone,
    its stories are too (no cache holds on to them)."""
    stories = [item(i, f"삼성전자 소식 {i}", ("삼성전자",), hours_ago=i) for i in range(1, 8)]
    stories += [
        item(100, "삼성전자·LG전자 공동 발표", ("삼성전자", "LG전자"), hours_ago=2),
        item(200, "HBM 수요", ("SK하이닉스",), hours_ago=3),
    ]
    b = compose_briefing(
        team_id="T1",
        channel_id="C1",
        subscribed=["삼성전자", "LG전자"],
        stories=stories,
        coverage=COVERAGE,
        since=SINCE,
        now=NOW,
        tz=KST,
        saved=[('"HBM"', [stories[-1]])],
        weekly=weekly,
    )
    messages = briefing_messages(b)
    assert b.themes and any(s.company == '"HBM"' and s.stories for s in b.sections) and messages
    alive = [weakref.ref(s) for s in stories]
    del stories, b, messages
    gc.collect()
    assert [r() for r in alive] == [None] * len(alive)
