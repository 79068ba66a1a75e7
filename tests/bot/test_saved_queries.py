"""Keyword subscriptions and groups with their affiliates, over the real HTTP endpoint and in briefings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.briefing_blocks import briefing_messages
from briefings.brief import Briefing, BriefingLoader
from briefings.digest.terms import index_terms
from briefings.models import SavedQuery, Subscription
from tests.bot.conftest import Harness
from tests.bot.seed import NOW, add_story
from tests.bot.test_filter_commands import FOLD
from tests.bot.test_query_commands import _texts, ask, h
from tests.fakes.block_kit import check_message

pytestmark = pytest.mark.kiwi
__all__ = ["h"]


def briefing(h: Harness) -> Briefing:
    with h.sessions() as session:
        return BriefingLoader(session, now=NOW, settings=h.settings).load(
            "T0001", "C1", since=NOW - timedelta(hours=23)
        )


def section_of(b: Briefing, label: str) -> set[str]:
    (found,) = [s for s in b.sections if s.company == label]
    return {s.headline for s in found.stories}


def test_a_keyword_subscription_is_its_own_briefing_section(h: Harness) -> None:
    body = ask(h, '구독 "HBM"')
    assert "구독을 시작했습니다" in body["text"]
    b = briefing(h)
    hbm = {
        "삼성전자, HBM 공급 확대 나선다",
        "엔비디아에 HBM을 납품하는 삼성전자",
        "삼성전자 HBM 사내 스포츠 대회 열려",
        "SK하이닉스 HBM 신기록",
    }
    (section,) = [s for s in b.sections if s.company == '"HBM"']
    # The top three of the four new HBM stories, from any company; the last month's one is not new.
    assert {s.headline for s in section.stories} < hbm and len(section.stories) == 3 and section.more == 1
    (message, *_rest) = briefing_messages(b)
    assert check_message({"channel": "C1", "text": message.text, "blocks": message.block_dicts()}) is None
    assert '"HBM"' in str(message.block_dicts())
    with h.sessions() as session:
        assert session.scalars(select(Subscription)).all() == []  # not a company subscription


def test_a_keyword_with_a_company(h: Harness) -> None:
    ask(h, '구독 "폴더블" 삼성전자')
    assert section_of(briefing(h), '"폴더블" 삼성전자') == {"삼성전자 폴더블 스마트폰 신제품 공개"}


APART = "삼성전자 폴더블 신형 스마트폰 출시"  # both words of the phrase, another between them


def test_a_quoted_phrase_keeps_its_words_together_in_the_briefing_as_in_news(h: Harness) -> None:
    from briefings.digest.nlp import get_nlp

    with h.sessions() as session:
        terms = sorted(index_terms(get_nlp().tokenize([APART])[0]))
        add_story(session, [h.world.ids["삼성전자"]], APART, hours_ago=2, terms=terms)
        session.commit()
    query = '"폴더블 스마트폰" 삼성전자'
    shown = _texts(ask(h, query)["blocks"])
    assert FOLD in shown and APART not in shown  # `/news`: the phrase, not its words apart
    ask(h, f"구독 {query}")
    b = briefing(h)
    assert section_of(b, query) == {FOLD}
    with h.sessions() as session:
        (row,) = session.scalars(select(SavedQuery)).all()
    assert row.search["adjacent"]  # what the phrase spells, kept with the query
    # Quoted one by one, the words may stand apart: both stories.
    ask(h, '구독 "폴더블" "스마트폰" 삼성전자')
    assert section_of(briefing(h), '"폴더블" "스마트폰" 삼성전자') == {FOLD, APART}


def test_a_group_with_its_affiliates_in_one_section(h: Harness) -> None:
    body = ask(h, "구독 삼성전자 +계열사")
    assert "삼성전자 +계열사" in body["text"]
    found = section_of(briefing(h), "삼성전자 +계열사")
    assert len(found) == 3 and found <= {
        "삼성전자, HBM 공급 확대 나선다",
        "엔비디아에 HBM을 납품하는 삼성전자",
        "삼성전자 HBM 사내 스포츠 대회 열려",
        "삼성전자 낸드 감산 결정",
        "삼성전자 폴더블 스마트폰 신제품 공개",
        "삼성전자 갤럭시 판매 호조, 화웨이 추격",
    }
    with h.sessions() as session:
        (row,) = session.scalars(select(SavedQuery)).all()
    ids = set(row.search["company_ids"])
    assert {h.world.ids[n] for n in ("삼성전자", "삼성SDI", "삼성바이오로직스")} <= ids
    assert h.world.ids["SK하이닉스"] not in ids


def test_plain_subscribe_stays_the_company_alone(h: Harness) -> None:
    ask(h, "구독 삼성전자")
    with h.sessions() as session:
        assert [s.company_id for s in session.scalars(select(Subscription))] == [h.world.ids["삼성전자"]]
        assert session.scalars(select(SavedQuery)).all() == []


def test_list_and_unsubscribe(h: Harness) -> None:
    ask(h, '구독 "HBM"')
    ask(h, "구독 삼성 +계열사")
    listed = _texts(ask(h, "목록")["blocks"])
    assert "키워드·계열사 구독" in listed and '"HBM"' in listed and "삼성 +계열사" in listed
    assert "이미 구독 중" in ask(h, '구독 "HBM"')["text"]
    assert "해지했습니다" in ask(h, '해지 "HBM"')["text"]
    assert "해지했습니다" in ask(h, "해지 삼성 +계열사")["text"]
    assert "구독 중이 아닙니다" in ask(h, '해지 "HBM"')["text"]
    with h.sessions() as session:
        assert session.scalars(select(SavedQuery)).all() == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('구독 ""', "따옴표 안이 비어"),
        ('구독 "뉴스"', "찾을 수 있는 말이 남지 않았습니다"),
        ("구독 화웨이 +계열사", "계열사가 없습니다"),
        ("구독 없는회사이름 +계열사", "찾지 못했습니다"),
        ('구독 "HBM" 매체:없는신문', "매체를 모릅니다"),
    ],
)
def test_bad_saved_queries_get_one_line(h: Harness, text: str, says: str) -> None:
    body = ask(h, text)
    assert says in body["text"] and "\n" not in body["text"]
    with h.sessions() as session:
        assert session.scalars(select(SavedQuery)).all() == []
