"""Full-text search (`/news` for a name that is no company, `briefings lookup`): over what the digester
indexed, without stop words, one hit per story however many outlets reprinted it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.digest.nlp import get_nlp
from briefings.digest.pipeline import build_digester, digest_pending
from briefings.lookup import SEARCH_STOP_WORDS, query_terms, search_articles
from tests.digest.test_digest_db import T0, add_article

pytestmark = pytest.mark.kiwi

NOW = T0 + timedelta(hours=12)

WIRE = (
    "가나바이오는 28일 다라제약과 항암 신약 공동 개발 업무협약을 체결했다고 밝혔다. "
    "두 회사는 내년까지 임상 1상을 마치고 기술 수출을 추진한다. 회사 측은 연구 인력 투자도 늘린다."
)
OUTLETS = ("연합뉴스", "뉴시스", "뉴스1", "이데일리", "머니투데이")


@pytest.fixture
def digested(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Five outlets reprinting one wire story, and one unrelated story; indexed by the real digester."""
    with sessions() as s:
        for n, outlet in enumerate(OUTLETS):
            add_article(
                s,
                n,
                outlet,
                "가나바이오·다라제약, 항암 신약 공동 개발 협약",
                f"({outlet}) {WIRE}",
                1 + n * 0.2,
            )
        add_article(
            s,
            9,
            "한겨레",
            "마바전자, 새 반도체 공장 착공",
            "마바전자가 평택에 반도체 공장을 짓는다. 회사는 3년간 10조원을 투자한다.",
            3,
        )
        s.commit()
        digest_pending(s, build_digester(s, now=NOW), now=NOW)
        s.commit()
    return sessions


def test_reprints_of_one_story_come_back_once_with_their_outlet_count(
    digested: sessionmaker[Session],
) -> None:
    with digested() as s:
        hits = search_articles(s, "항암 신약", now=NOW, nlp=get_nlp(), limit=5)
    assert len(hits) == 1, hits
    [hit] = hits
    assert hit.outlets_count == 5 and hit.story_id is not None
    assert hit.title == "가나바이오·다라제약, 항암 신약 공동 개발 협약" and hit.outlet in OUTLETS


def test_stop_words_are_not_search_terms(digested: sessionmaker[Session]) -> None:
    nlp = get_nlp()
    assert query_terms("없는회사", nlp) == []
    assert query_terms("반도체 관련 뉴스", nlp) == ["반도체"]
    assert {"회사", "기업", "관련", "뉴스"} <= SEARCH_STOP_WORDS
    with digested() as s:
        # Both stories say 회사: a query that is only "no such company" must match neither.
        assert search_articles(s, "없는회사", now=NOW, nlp=nlp) == []
        assert search_articles(s, "회사 관련 기사", now=NOW, nlp=nlp) == []
        chips = search_articles(s, "반도체 관련 뉴스", now=NOW, nlp=nlp)
    assert [h.title for h in chips] == ["마바전자, 새 반도체 공장 착공"]


def test_stories_come_latest_first_and_a_page_is_whole_stories(digested: sessionmaker[Session]) -> None:
    with digested() as s:
        both = search_articles(s, "투자", now=NOW, nlp=get_nlp(), limit=5)
        first = search_articles(s, "투자", now=NOW, nlp=get_nlp(), limit=1)
    assert [h.title for h in both] == [
        "마바전자, 새 반도체 공장 착공",
        "가나바이오·다라제약, 항암 신약 공동 개발 협약",
    ]
    assert [h.title for h in first] == [both[0].title]
