"""`/news 제외 …` over the real HTTP endpoint: filters per channel, applied to lookups and briefings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.briefing_blocks import briefing_messages
from briefings.brief import BriefingLoader
from briefings.filters import MAX_FILTERS, load_filters
from briefings.models import ChannelFilter
from briefings.subscriptions import subscribe
from tests.bot.conftest import Harness
from tests.bot.seed import NOW
from tests.bot.test_query_commands import _texts, ask, h, headlines

pytestmark = pytest.mark.kiwi
__all__ = ["h"]  # the seeded world with indexed stories, shared with the query tests

SPORTS = "삼성전자 HBM 사내 스포츠 대회 열려"
NAND = "삼성전자 낸드 감산 결정"  # first reported by 한국경제
FOLD = "삼성전자 폴더블 스마트폰 신제품 공개"  # theme: launch (신제품·출시)


def test_a_keyword_filter_hides_stories_from_this_channels_lookups_only(h: Harness) -> None:
    assert SPORTS in headlines(h, "삼성전자")
    body = ask(h, "제외 스포츠")
    assert "스포츠" in body["text"] and "뺍니다" in body["text"]
    shown = _texts(ask(h, "삼성전자")["blocks"])
    assert SPORTS not in shown
    assert "제외 설정으로 1건을 숨겼습니다" in shown
    assert SPORTS not in headlines(h, "삼성전자 HBM")
    # Another channel's lookups are untouched.
    before = len(h.fake.responses)
    h.user.command("삼성전자", channel="C2")
    assert SPORTS in _texts(h.user.responses(before + 1)[before]["blocks"])


def test_outlet_and_theme_filters(h: Harness) -> None:
    ask(h, "제외 매체 한국경제")
    ask(h, "제외 테마 신제품")
    shown = headlines(h, "삼성전자")
    assert NAND not in shown and FOLD not in shown
    assert "삼성전자, HBM 공급 확대 나선다" in shown
    assert "2건을 숨겼습니다" in _texts(ask(h, "삼성전자")["blocks"])


def test_list_and_remove(h: Harness) -> None:
    ask(h, "제외 스포츠")
    ask(h, "제외 매체 한국경제")
    listed = _texts(ask(h, "제외 목록")["blocks"])
    assert "키워드: 스포츠" in listed and "매체: 한국경제" in listed and "(2/50개)" in listed
    assert "해제했습니다" in ask(h, "제외 해제 스포츠")["text"]
    assert SPORTS in headlines(h, "삼성전자")
    assert "제외 중이 아닙니다" in ask(h, "제외 해제 스포츠")["text"]
    assert "1개를 모두 해제했습니다" in ask(h, "제외 해제 전체")["text"]
    assert NAND in headlines(h, "삼성전자")
    assert "제외 설정이 없습니다" in ask(h, "제외 목록")["text"]


def test_adding_twice_is_said_once(h: Harness) -> None:
    ask(h, "제외 스포츠")
    assert "이미 제외 중입니다" in ask(h, "제외 스포츠")["text"]
    with h.sessions() as session:
        assert len(session.scalars(select(ChannelFilter)).all()) == 1


def test_a_keyword_is_stored_as_its_morpheme_readings(h: Harness) -> None:
    ask(h, "제외 스포츠를")  # a particle typed along is not part of the keyword
    with h.sessions() as session:
        row = session.scalars(select(ChannelFilter)).one()
    assert row.kind == "keyword" and ["스포츠"] in row.readings
    assert SPORTS not in headlines(h, "삼성전자")


def test_a_filter_that_hides_everything_says_so(h: Harness) -> None:
    ask(h, "제외 삼성전자")
    shown = _texts(ask(h, "삼성전자")["blocks"])
    assert "관련 주요 기사가 없습니다" in shown
    assert "숨겼습니다" in shown


def test_forty_filters_and_the_limit(h: Harness) -> None:
    commands = ["제외 매체 한국경제", "제외 테마 인사"] + [f"제외 낱말{i}" for i in range(2, 40)]
    for command in commands:
        assert "뺍니다" in ask(h, command)["text"]
    assert "(40/50개)" in _texts(ask(h, "제외 목록")["blocks"])
    shown = headlines(h, "삼성전자")  # lookups still answer with forty filters
    assert NAND not in shown and "삼성전자, HBM 공급 확대 나선다" in shown
    for i in range(40, MAX_FILTERS):
        ask(h, f"제외 낱말{i}")
    body = ask(h, "제외 낱말한도")
    assert f"{MAX_FILTERS}개까지" in body["text"] and not body.get("blocks")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("제외 매체 없는신문", "매체를 모릅니다"),
        ("제외 테마 없는테마", "테마가 없습니다"),
        ('제외 "뉴스"', "가려낼 수 있는 말이 아닙니다"),
        ("제외 해제", "해제할 것을"),
        ("제외 매체", "제외할 것을"),
        ("제외 <!channel>", "뺍니다"),
    ],
)
def test_bad_filter_input_gets_one_line(h: Harness, text: str, says: str) -> None:
    body = ask(h, text)
    assert says in body["text"] and "\n" not in body["text"]
    assert "<!channel>" not in body["text"]


def test_bare_exclude_is_answered_in_the_acknowledgement(h: Harness) -> None:
    resp = h.user.command("제외")
    assert "제외할 것을" in resp.json()["text"]


def test_filters_hide_the_same_stories_from_the_briefing_with_a_footer(h: Harness) -> None:
    ask(h, "제외 스포츠")
    ask(h, "제외 매체 한국경제")
    with h.sessions() as session:
        subscribe(session, "T0001", "C1", h.world.ids["삼성전자"], now=NOW)
        subscribe(session, "T0001", "C2", h.world.ids["삼성전자"], now=NOW)
        session.commit()
        since = NOW - timedelta(hours=23)
        loader = BriefingLoader(session, now=NOW, settings=h.settings)
        mine = loader.load("T0001", "C1", since=since)
        other = loader.load("T0001", "C2", since=since)
        filters = load_filters(session, "T0001", "C1")
    shown = {s.headline for sec in mine.sections for s in sec.stories}
    assert SPORTS not in shown and NAND not in shown
    assert mine.hidden == 2 and other.hidden == 0
    assert other.story_count == mine.story_count + 2
    footer = briefing_messages(mine)[0].block_dicts()[-1]
    assert "제외 설정으로 2건 숨김" in str(footer)
    assert len(filters.views) == 2
