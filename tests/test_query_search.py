"""Structured searches and channel filters against the stored stories, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.brief import story_item
from briefings.filters import (
    ChannelFilters,
    add_filter,
    count_hidden,
    filter_conditions,
    hidden_by_filters,
    load_filters,
    story_terms,
)
from briefings.lookup import StorySearch, query_stories, search_terms
from briefings.models import Article, ArticleTheme, HourFirstIds, Story, StoryCompany
from briefings.recent import RecentStories, article_terms
from tests.bot.seed import COMPANIES, NOW, World, add_article, add_company, add_story, seed_world


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions() as session:
        world = seed_world(session)
        ids = world.ids
        rows = [
            (
                "s_hbm",
                "삼성전자",
                "삼성전자 HBM 공급",
                "전자신문",
                ["semiconductor"],
                ["삼성전자", "hbm", "공급"],
                2,
            ),
            ("s_sport", "삼성전자", "삼성전자 HBM 스포츠", "연합뉴스", [], ["삼성전자", "hbm", "스포츠"], 3),
            (
                "s_nand",
                "삼성전자",
                "삼성전자 낸드 감산",
                "한국경제",
                ["semiconductor"],
                ["삼성전자", "낸드", "감산"],
                4,
            ),
            ("s_fold", "삼성전자", "삼성전자 폴더블", "연합뉴스", ["launch"], ["삼성전자", "폴", "더블"], 5),
            (
                "sdi",
                "삼성SDI",
                "삼성SDI 배터리 HBM",
                "연합뉴스",
                ["semiconductor"],
                ["삼성sdi", "배터리", "hbm"],
                6,
            ),
            ("old", "삼성전자", "삼성전자 HBM 옛날", "연합뉴스", [], ["삼성전자", "hbm"], 24 * 20),
        ]
        for key, company, headline, outlet, themes, terms, hours in rows:
            story = add_story(
                session, [ids[company]], headline, hours_ago=hours, outlet=outlet, themes=themes, terms=terms
            )
            world.stories[key] = story.id
            article = session.scalar(select(Article.id).where(Article.story_id == story.id))
            for theme in themes:
                session.add(ArticleTheme(article_id=article, theme=theme, score=1.0))
        session.commit()
    return world


def found(session: Session, search: StorySearch, **kw: object) -> set[str]:
    return {s.headline for s in query_stories(session, search, now=NOW, **kw)}  # type: ignore[arg-type]


def test_company_and_terms(sessions: sessionmaker[Session], world: World) -> None:
    samsung = (world.ids["삼성전자"],)
    with sessions() as session:
        assert found(session, StorySearch(company_ids=samsung, include=((("hbm",),),))) == {
            "삼성전자 HBM 공급",
            "삼성전자 HBM 스포츠",
        }
        assert found(
            session, StorySearch(company_ids=samsung, include=((("hbm",),),), exclude=(("스포츠",),))
        ) == {"삼성전자 HBM 공급"}
        either = StorySearch(company_ids=samsung, include=((("낸드",), ("폴", "더블")),))
        assert found(session, either) == {"삼성전자 낸드 감산", "삼성전자 폴더블"}
        month = StorySearch(company_ids=samsung, include=((("hbm",),),), days=30)
        assert "삼성전자 HBM 옛날" in found(session, month)


def test_themes_outlets_and_no_company(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session:
        semis = found(session, StorySearch(themes=("semiconductor",)))
        assert semis == {"삼성전자 HBM 공급", "삼성전자 낸드 감산", "삼성SDI 배터리 HBM"}
        assert found(session, StorySearch(outlets=("한국경제",), themes=("semiconductor",))) == {
            "삼성전자 낸드 감산"
        }
        no_semis = StorySearch(company_ids=(world.ids["삼성전자"],), exclude_themes=("semiconductor",))
        assert "삼성전자 낸드 감산" not in found(session, no_semis)
        assert found(session, StorySearch(include=((("hbm",),),), exclude_outlets=("연합뉴스",))) == {
            "삼성전자 HBM 공급"
        }


def test_a_groups_search_covers_its_affiliates_and_labels_them(
    sessions: sessionmaker[Session], world: World
) -> None:
    ids = (world.ids["삼성"], world.ids["삼성전자"], world.ids["삼성SDI"], world.ids["삼성바이오로직스"])
    with sessions() as session:
        views = query_stories(session, StorySearch(company_ids=ids, include=((("hbm",),),)), now=NOW)
    labels = {v.headline: v.company for v in views}
    assert labels["삼성SDI 배터리 HBM"] == "삼성SDI"
    assert labels["삼성전자 HBM 공급"] == "삼성전자"


def test_filters_hide_the_same_stories_in_sql_and_in_the_rule(
    sessions: sessionmaker[Session], world: World
) -> None:
    with sessions() as session:
        add_filter(session, "T1", "C1", "keyword", "스포츠", now=NOW, readings=[["스포츠"]])
        add_filter(session, "T1", "C1", "keyword", "폴더블", now=NOW, readings=[["폴더블"], ["폴", "더블"]])
        add_filter(session, "T1", "C1", "outlet", "한국경제", now=NOW)
        add_filter(session, "T1", "C1", "story", str(world.stories["s_hbm"]), now=NOW)
        session.commit()
        filters = load_filters(session, "T1", "C1")
        search = StorySearch(company_ids=(world.ids["삼성전자"],))
        everything = query_stories(session, search, now=NOW, limit=50)
        extra = filter_conditions(session.get_bind().dialect.name, filters)
        kept = {s.id for s in query_stories(session, search, now=NOW, limit=50, extra=extra)}
        terms = story_terms(session, [s.id for s in everything], filters.terms)
        by_rule = {s.id for s in everything if not hidden_by_filters(s, filters, terms.get(s.id, ()))}
        hidden = count_hidden(session, search, filters, now=NOW, days=7)
    assert kept == by_rule
    names = {s.id: s.headline for s in everything}
    assert {names[i] for i in set(names) - kept} == {
        "삼성전자 HBM 스포츠",
        "삼성전자 폴더블",
        "삼성전자 낸드 감산",
        "삼성전자 HBM 공급",
    }
    assert hidden == 4


def test_theme_filters_and_an_empty_filter_set(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session:
        add_filter(session, "T1", "C1", "theme", "semiconductor", now=NOW)
        session.commit()
        filters = load_filters(session, "T1", "C1")
        extra = filter_conditions(session.get_bind().dialect.name, filters)
        shown = found(session, StorySearch(company_ids=(world.ids["삼성전자"],)), extra=extra)
    assert "삼성전자 낸드 감산" not in shown and "삼성전자 폴더블" in shown
    assert not ChannelFilters()
    assert filter_conditions("sqlite", ChannelFilters()) == []


def test_a_long_window_gives_the_same_page_as_ranking_all_of_it(sessions: sessionmaker[Session]) -> None:
    """The window is cut by the score ceiling: an older story with many outlets still outranks new ones."""
    from datetime import timedelta

    from briefings.lookup import _ranked_page

    with sessions() as session:
        world = seed_world(session)
        cid = world.ids["LG전자"]
        for i in range(40):  # small new stories, and every few days a big one
            outlets = 30 if i % 8 == 0 else 1 + i % 3
            add_story(
                session, [cid], f"LG전자 소식 {i}", hours_ago=1 + i * 4, outlets=outlets, terms=["lg전자"]
            )
        session.commit()
        search = StorySearch(company_ids=(cid,), days=30)
        for offset in (0, 5):
            cut = query_stories(session, search, now=NOW, limit=5, offset=offset)
            full = _ranked_page(
                session, search, now=NOW, since=NOW - timedelta(days=30), limit=5, offset=offset, extra=()
            )
            assert [v.id for v in cut] == [v.id for v, _ in full or []]
        assert "LG전자 소식 8" in {v.headline for v in query_stories(session, search, now=NOW, limit=5)}


def test_saved_queries_answered_in_memory_find_what_the_sql_finds(
    sessions: sessionmaker[Session], world: World
) -> None:
    samsung = world.ids["삼성전자"]
    searches = [
        StorySearch(company_ids=(samsung,), include=((("hbm",),),)),
        StorySearch(company_ids=(samsung,), include=((("hbm",),),), exclude=(("스포츠",),)),
        StorySearch(include=((("낸드",), ("폴", "더블")),)),
        StorySearch(include=((("hbm",),),), exclude_outlets=("연합뉴스",)),
        StorySearch(themes=("semiconductor",), outlets=("한국경제",)),
        StorySearch(company_ids=(samsung,), exclude_themes=("semiconductor",)),
        StorySearch(include=((("hbm",),),), themes=("semiconductor",)),
    ]
    since = NOW - timedelta(days=7)
    with sessions() as session:
        window = Story.last_published_at >= since
        stories = session.scalars(select(Story).where(window)).all()
        items = {s.id: story_item(s, []) for s in stories}
        companies: dict[int, list[int]] = {}
        for sid, cid in session.execute(
            select(StoryCompany.story_id, StoryCompany.company_id).where(StoryCompany.is_primary.is_(True))
        ):
            companies.setdefault(sid, []).append(cid)
        terms = frozenset().union(*(search_terms(s) for s in searches))
        recent = RecentStories(items, companies, article_terms(session, window, terms), terms)
        for search in searches:
            by_sql = {s.id for s in query_stories(session, search, now=NOW, limit=50)}
            assert by_sql, search
            assert {s.id for s in recent.find(search, since)} == by_sql, search


def test_words_without_a_company_find_each_storys_articles_together(sessions: sessionmaker[Session]) -> None:
    """Every word in some article of the story, a compound's parts in one article, an exclusion in
    any article: the same stories whether the database checks each story (SQLite) or intersects the
    words' postings (PostgreSQL)."""

    with sessions() as session:
        world = seed_world(session)
        cid = world.ids["LG전자"]

        def story(key: str, *articles: list[str], hours: float = 3) -> None:
            first = add_story(session, [cid], f"소식 {key}", hours_ago=hours, terms=articles[0])
            for i, terms in enumerate(articles[1:], 1):  # the story's later articles
                url = f"https://news.example.com/{key}/{i}"
                add_article(session, first, terms, url=url, title=f"소식 {key} {i}", outlet="뉴시스")

        story("plain", ["신제품", "출시일"])
        story("split", ["신제품"], ["출시일"])
        story("compound", ["신", "제품", "출시일"])
        story("compound_apart", ["신"], ["제품", "출시일"])
        story("excluded_later", ["신제품", "출시일"], ["인수"])
        story("compound_excluded", ["출시일", "인"], ["수"], ["인", "수"])
        story("old", ["신제품", "출시일"], hours=24 * 20)
        story("other", ["출시일"])
        session.commit()

        def found_keys(search: StorySearch) -> set[str]:
            views = query_stories(session, search, now=NOW, limit=50)
            return {v.headline.removeprefix("소식 ") for v in views}

        new_product = (("신제품",), ("신", "제품"))
        assert found_keys(StorySearch(include=(new_product, (("출시일",),)), exclude=(("인수",),))) == {
            "plain",
            "split",
            "compound",
        }
        driven = StorySearch(include=((("출시일",),), (("신제품",),)), exclude=(("인수",),))
        assert found_keys(driven) == {"plain", "split"}
        assert found_keys(replace(driven, days=30)) == {"plain", "split", "old"}
        assert found_keys(StorySearch(include=((("출시일",),),), exclude=(("신", "제품"), ("인", "수")))) == {
            "plain",
            "split",
            "compound_apart",
            "excluded_later",
            "other",
        }
        assert found_keys(StorySearch(include=((("출시일",),), (("없는말",),)))) == set()


def test_a_windows_id_bound_keeps_a_story_reopened_from_an_older_day(
    sessions: sessionmaker[Session],
) -> None:
    """A window starts at the bound kept for its first hour and later ones: an old story that takes
    a new article lowers its new hour's bound to its id, so it is found with the window's newer
    stories, with or without a company, on each database's own path; and from every hour the kept
    bound is the least id of the rows since, as `min(id)` over them gives it."""
    from briefings import lookup

    with sessions() as session:
        # The company alone: the reopened story is then the oldest row, its id below every other.
        cid = add_company(session, *next(row for row in COMPANIES if row[0] == "LG전자")).id
        reopened = add_story(session, [cid], "소식 reopened", hours_ago=24 * 10, terms=["출시일"])
        add_story(session, [cid], "소식 recent", hours_ago=30, terms=["출시일"])
        session.commit()
        search = StorySearch(include=((("출시일",),),), days=5)
        with_company = replace(search, company_ids=(cid,))
        assert found(session, search) == found(session, with_company) == {"소식 recent"}

        later = NOW - timedelta(hours=20)
        reopened.last_published_at = later
        session.execute(
            StoryCompany.__table__.update()  # type: ignore[attr-defined]
            .where(StoryCompany.story_id == reopened.id)
            .values(last_published_at=later)
        )
        add_article(session, reopened, ["출시일"], url="https://news.example.com/reopened/1", outlet="뉴시스")
        session.commit()
        lookup._first_ids.clear()  # the bounds a process kept are minutes old when read again
        assert found(session, search) == found(session, with_company) == {"소식 recent", "소식 reopened"}

        for hour in sorted(session.scalars(select(HourFirstIds.hour))):
            kept = session.scalar(select(func.min(HourFirstIds.story_id)).where(HourFirstIds.hour >= hour))
            exact = session.scalar(select(func.min(Story.id)).where(Story.last_published_at >= hour))
            assert kept == exact, hour
            kept = session.scalar(select(func.min(HourFirstIds.article_id)).where(HourFirstIds.hour >= hour))
            exact = session.scalar(select(func.min(Article.id)).where(Article.published_at >= hour))
            assert kept == exact, hour


def test_a_search_answered_alone_finds_what_it_finds_among_others(
    sessions: sessionmaker[Session], world: World
) -> None:
    """`fenced` (one search answered on its own) changes how PostgreSQL reads the candidates (the
    first word's postings read by key, a company's links as a subquery), never which stories come
    back: the same as the conditions a briefing OR-s with other searches."""
    from briefings.lookup import search_where

    samsung = world.ids["삼성전자"]
    searches = [
        StorySearch(include=((("hbm",),),), themes=("semiconductor",)),
        StorySearch(include=((("hbm",),),), exclude_outlets=("연합뉴스",)),
        StorySearch(include=((("hbm",),),), exclude=(("스포츠",),)),
        StorySearch(include=((("낸드",), ("폴", "더블")),)),
        StorySearch(themes=("semiconductor",)),
        StorySearch(company_ids=(samsung,), include=((("hbm",),),)),
    ]
    since = NOW - timedelta(days=7)
    with sessions() as session:
        # The whole week, and the part of it before the last few hours (as the rest of a window
        # after its first day is read): each bound of the window holds on either path.
        for until in (None, NOW - timedelta(hours=3.5)):
            found = 0
            for search in searches:
                found_by = []
                for fenced in (True, False):
                    where = search_where(session, search, since=since, until=until, fenced=fenced)
                    assert where is not None, search
                    found_by.append(set(session.scalars(select(Story.id).where(*where))))
                assert found_by[0] == found_by[1], (search, until)
                assert found_by[0] or until is not None, search
                found += len(found_by[0])
            assert found, until
