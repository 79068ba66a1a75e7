"""Quoted phrases match their words next to each other and in order, on SQLite and PostgreSQL.

The stories are indexed by the digester itself (`Digester.analyze`, headline and lead), and the
queries are planned as `/news` plans them, so both sides are what the service does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from briefings.companies import default_registry, registry_from_session
from briefings.digest.nlp import KoreanNLP, get_nlp
from briefings.digest.pipeline import ArticleInput, Digester
from briefings.lookup import StorySearch, plan_search, query_stories
from briefings.models import Article
from briefings.phrases import has_run
from briefings.query import parse_query
from tests.bot.seed import NOW, World, add_story, seed_world

pytestmark = pytest.mark.kiwi

# headline, lead (the article's summary)
STORIES = [
    ("삼성전자, 폴더블 스마트폰 신제품 공개", ""),
    ("스마트폰 시장에서 폴더블 비중 확대", ""),  # both words, the other way round
    ("폴더블스마트폰 판매 호조", ""),  # written as one word
    ("삼성전자 신제품 공개 행사", "삼성전자가 새 폴더블 스마트폰을 공개했다."),  # in the lead only
    ("SK하이닉스, HBM 공급 확대 나선다", ""),
    ("SK하이닉스, HBM 공급을 확대한다", ""),  # a particle between: still the phrase
    ("공급 부족 속 HBM 생산 확대", ""),  # both words, another word between
    ("확대되는 HBM 공급 경쟁", ""),  # both words, the other way round
]


@pytest.fixture(scope="module")
def nlp() -> KoreanNLP:
    return get_nlp()


@pytest.fixture
def world(sessions: sessionmaker[Session], nlp: KoreanNLP) -> World:
    digester = Digester(default_registry(), nlp)
    items = [
        ArticleInput(i, title, lead, f"https://news.example.kr/{i}", NOW - timedelta(hours=i + 1), "연합뉴스")
        for i, (title, lead) in enumerate(STORIES)
    ]
    with sessions() as session:
        world = seed_world(session)
        for (title, lead), item, analysis in zip(STORIES, items, digester.analyze(items), strict=True):
            story = add_story(
                session, [world.ids["삼성전자"]], title, hours_ago=item.id + 1, terms=sorted(analysis.terms)
            )
            article = session.scalars(select(Article).where(Article.story_id == story.id)).one()
            article.summary = lead
        session.commit()
    return world


def search(session: Session, text: str, nlp: KoreanNLP) -> StorySearch:
    return plan_search(parse_query(text), registry=registry_from_session(session), nlp=nlp)


def found(sessions: sessionmaker[Session], text: str, nlp: KoreanNLP) -> set[str]:
    with sessions() as session:
        views = query_stories(session, search(session, text, nlp), now=NOW, limit=20, nlp=nlp)
    return {v.headline for v in views}


def test_a_phrase_needs_its_words_together_and_in_order(
    sessions: sessionmaker[Session], world: World, nlp: KoreanNLP
) -> None:
    assert found(sessions, '"폴더블 스마트폰"', nlp) == {
        "삼성전자, 폴더블 스마트폰 신제품 공개",
        "폴더블스마트폰 판매 호조",
        "삼성전자 신제품 공개 행사",
    }
    assert found(sessions, '"공급 확대"', nlp) == {
        "SK하이닉스, HBM 공급 확대 나선다",
        "SK하이닉스, HBM 공급을 확대한다",
    }


def test_the_same_words_unquoted_match_anywhere(
    sessions: sessionmaker[Session], world: World, nlp: KoreanNLP
) -> None:
    assert found(sessions, "공급 확대", nlp) == {
        "SK하이닉스, HBM 공급 확대 나선다",
        "SK하이닉스, HBM 공급을 확대한다",
        "공급 부족 속 HBM 생산 확대",
        "확대되는 HBM 공급 경쟁",
    }


def test_an_excluded_phrase_hides_only_stories_that_have_it_as_a_phrase(
    sessions: sessionmaker[Session], world: World, nlp: KoreanNLP
) -> None:
    assert found(sessions, 'HBM -"공급 확대"', nlp) == {
        "공급 부족 속 HBM 생산 확대",
        "확대되는 HBM 공급 경쟁",
    }


def test_a_phrase_beside_a_company_and_or(
    sessions: sessionmaker[Session], world: World, nlp: KoreanNLP
) -> None:
    assert found(sessions, '삼성전자 "폴더블 스마트폰" 기간:30일', nlp) == {
        "삼성전자, 폴더블 스마트폰 신제품 공개",
        "폴더블스마트폰 판매 호조",
        "삼성전자 신제품 공개 행사",
    }
    assert found(sessions, '"공급 확대" OR 경쟁', nlp) == {
        "SK하이닉스, HBM 공급 확대 나선다",
        "SK하이닉스, HBM 공급을 확대한다",
        "확대되는 HBM 공급 경쟁",
    }


def test_a_phrase_needs_the_analyser(sessions: sessionmaker[Session], world: World, nlp: KoreanNLP) -> None:
    with sessions() as session, pytest.raises(ValueError):
        query_stories(session, search(session, '"공급 확대"', nlp), now=NOW)


def test_runs_are_matched_on_morpheme_boundaries() -> None:
    assert has_run(("폴", "더블", "스마트폰"), "폴더블스마트폰")
    assert has_run(("삼성전자", "폴더블", "스마트폰"), "폴더블스마트폰")
    assert not has_run(("폴더블", "신형", "스마트폰"), "폴더블스마트폰")
    assert not has_run(("스마트폰", "폴더블"), "폴더블스마트폰")
    assert not has_run(("폴더블",), "")
