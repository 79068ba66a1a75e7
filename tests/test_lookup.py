"""Company resolution, top-story ranking and the full-text fallback, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from briefings.companies import normalize, registry_from_session, resolve_company
from briefings.lookup import query_terms, search_articles, top_stories
from briefings.models import Article, ArticleTerm
from tests.bot.seed import NOW, World, add_company, add_story, seed_world


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions() as session:
        return seed_world(session)


@pytest.mark.parametrize(
    ("query", "name", "how"),
    [
        ("화웨이", "화웨이", "alias"),
        ("huawei", "화웨이", "alias"),
        ("HUAWEI", "화웨이", "alias"),
        ("华为", "화웨이", "alias"),
        ("華為", "화웨이", "alias"),
        ("005930", "삼성전자", "ticker"),
        ("삼성 전자", "삼성전자", "alias"),
        ("삼성電", "삼성전자", "alias"),
        ("samsung electronics", "삼성전자", "alias"),
        ("페이스북", "메타", "alias"),
        ("쾅스커지", "메그비", "alias"),
        ("lg 전자", "LG전자", "alias"),
        ("화훼이", "화웨이", "fuzzy"),
        ("삼성젼자", "삼성전자", "fuzzy"),
        ("aapl", "애플", "ticker"),
    ],
)
def test_resolves_names_aliases_tickers_and_typos(
    sessions: sessionmaker[Session], world: World, query: str, name: str, how: str
) -> None:
    with sessions() as session:
        res = resolve_company(session, query)
    assert res.status == "found", res
    assert res.company is not None and res.company.name == name
    assert res.matched_by == how


@pytest.mark.parametrize(
    ("query", "expected"),
    [("삼성", {"삼성", "삼성전자", "삼성SDI", "삼성바이오로직스"}), ("LG", {"LG", "LG전자", "LG유플러스"})],
)
def test_group_names_are_ambiguous_and_offer_the_group_and_its_companies(
    sessions: sessionmaker[Session], world: World, query: str, expected: set[str]
) -> None:
    with sessions() as session:
        res = resolve_company(session, query)
    assert res.status == "ambiguous"
    assert {c.name for c in res.candidates} == expected
    assert res.candidates[0].kind == "group"


def test_unknown_name_resolves_to_none_with_suggestions(
    sessions: sessionmaker[Session], world: World
) -> None:
    with sessions() as session:
        nothing = resolve_company(session, "전혀없는회사이름")
        suggest = resolve_company(session, "메가비이")
    assert nothing.status == "none" and nothing.company is None
    assert suggest.status == "none" and "메그비" in {c.name for c in suggest.suggestions}


def test_normalize_ignores_spacing_case_and_corporate_markers() -> None:
    assert normalize(" (주) 삼성 전자 ") == normalize("삼성전자") == normalize("㈜삼성전자")
    assert normalize("Samsung-Electronics") == normalize("samsung electronics")


def test_index_reads_operator_added_aliases(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session:
        add_company(session, "딥시크", "DeepSeek", "company", None, None, ["深度求索"])
        session.commit()
        index = registry_from_session(session)
        res = resolve_company(session, "深度求索", registry=index)
    assert res.company is not None and res.company.name == "딥시크"


def test_top_stories_are_primary_recent_and_ranked(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session:
        stories = top_stories(session, world.ids["화웨이"], now=NOW, days=7, limit=5)
        page2 = top_stories(session, world.ids["화웨이"], now=NOW, days=7, limit=5, offset=5)
    ids = [s.id for s in stories]
    assert ids[0] == world.stories["hw_chip"]  # most outlets and recent
    assert world.stories["hw_excl"] in ids[:3]  # exclusive ranks above single-outlet items
    assert world.stories["hw_old"] not in ids + [s.id for s in page2]  # outside 7 days
    assert world.stories["hw_passing"] not in ids + [s.id for s in page2]  # 화웨이 only mentioned in passing
    assert len(stories) == 5 and len(page2) == 4
    assert not set(ids) & {s.id for s in page2}
    chip = stories[0]
    assert (
        chip.outlets_count == 12
        and chip.themes == ("ai", "semiconductor")
        and chip.first_outlet == "연합뉴스"
    )


@pytest.mark.kiwi
def test_full_text_search_finds_two_syllable_words_with_particles(
    sessions: sessionmaker[Session], world: World
) -> None:
    from briefings.digest.nlp import get_nlp

    nlp = get_nlp()
    with sessions() as session:
        # Index two articles the way the digester does: the morphemes of the text.
        session.execute(delete(ArticleTerm))
        for article in session.query(Article).all():
            for term in set(query_terms(article.title, nlp)):
                session.add(ArticleTerm(term=term, article_id=article.id, story_id=article.story_id))
        session.commit()
        hits = search_articles(session, "딥시크가", now=NOW, nlp=nlp, limit=5)
        two_syllable = search_articles(session, "안경은", now=NOW, nlp=nlp, limit=5)
        both = search_articles(session, "중국 스타트업", now=NOW, nlp=nlp, limit=5)
        none = search_articles(session, "존재하지않는낱말입니다", now=NOW, nlp=nlp, limit=5)
    assert [h.title for h in hits] == ["딥시크 돌풍에 중국 AI 스타트업 주목"]
    assert [h.title for h in two_syllable] == ["메타, 스마트 안경 출시"]
    assert [h.title for h in both] == ["딥시크 돌풍에 중국 AI 스타트업 주목"]
    assert none == []


def test_search_terms_are_the_digesters_index_terms() -> None:
    from briefings.digest.nlp import SimpleMorph

    class Analysed:
        """Pre-analysed morphemes (the shape Kiwi returns), so this test needs no analyser."""

        def tokenize(self, texts: list[str]) -> list[list[SimpleMorph]]:
            return [
                [
                    SimpleMorph("안경", "NNG", 0, 2),
                    SimpleMorph("은", "JX", 2, 1),
                    SimpleMorph("AI", "SL", 4, 2),
                ]
                for _ in texts
            ]

    assert query_terms("안경은 AI", Analysed()) == ["안경", "ai"]


def test_story_added_later_is_seen(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session:
        add_story(session, [world.ids["LG전자"]], "LG전자 로봇 공개", hours_ago=1, outlets=5)
        session.commit()
        stories = top_stories(session, world.ids["LG전자"], now=NOW)
    assert [s.headline for s in stories] == ["LG전자 로봇 공개"]


def test_sql_ranking_matches_the_python_score(sessions: sessionmaker[Session], world: World) -> None:
    from briefings.ranking import search_score

    with sessions() as session:
        for i in range(12):
            add_story(
                session,
                [world.ids["LG전자"]],
                f"LG전자 소식 {i}",
                hours_ago=i * 9.5,
                outlets=1 + (i * 7) % 13,
                exclusive=i % 5 == 0,
            )
        session.commit()
        ranked = top_stories(session, world.ids["LG전자"], now=NOW, limit=20)
    expected = sorted(
        ranked, key=lambda s: (-search_score(s.outlets_count, s.last_published_at, s.exclusive, NOW), -s.id)
    )
    assert [s.id for s in ranked] == [s.id for s in expected]
    assert len(ranked) == 12


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("화훼이", "화웨이"),
        ("005930", "삼성전자"),
        ("华为", "화웨이"),
        ("페이스북", "메타"),
        ("現代車", "현대자동차"),
        ("쾅스커지", "메그비"),
        ("nvidia", "엔비디아"),
    ],
)
def test_packaged_registry_resolves_what_people_type(sqlite_url: str, query: str, expected: str) -> None:
    from briefings.companies import load_registry_file, seed_companies
    from briefings.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    try:
        with make_sessionmaker(engine)() as session:
            seed_companies(session, load_registry_file(), now=NOW)
            session.commit()
            res = resolve_company(session, query)
            group = resolve_company(session, "삼성")
    finally:
        engine.dispose()
    assert res.company is not None and res.company.name == expected
    assert group.status == "ambiguous" and group.candidates[0].kind == "group"
    assert "삼성전자" in [c.name for c in group.candidates]
