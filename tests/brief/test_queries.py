"""Briefings read their stories in a fixed number of statements, however many channels, companies,
followed themes, saved queries or filters: a per-row lookup in a loop would make these counts grow
and fail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.brief import Briefing, BriefingLoader, load_briefing
from briefings.filters import add_filter
from briefings.lookup import StorySearch, top_stories, top_stories_each
from briefings.models import Channel, Company, Story
from briefings.saved_queries import save_query
from tests.bot.seed import add_article
from tests.brief.conftest import company, story, subscribe
from tests.brief.statements import statements

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def _world(session: Session, channels: range) -> None:
    """Channels, each with two companies of its own and a followed theme, and their stories."""
    for n in channels:
        a, b = f"가{n}전자", f"나{n}화학"
        ch = subscribe(session, "T1", f"C{n}", [a, b])
        ch.themes = [f"theme{n}"]
        earlier = story(session, f"{a} 지난주 발표", [a], published=NOW - timedelta(days=5))
        later = story(session, f"{a} 후속 보도", [a, b], published=NOW - timedelta(hours=2), outlets=2)
        later.follow_up_of_id = earlier.id
        story(session, f"{b} 신공장", [b], published=NOW - timedelta(hours=3))
        story(
            session, f"다른회사{n} 소식", [f"다{n}"], published=NOW - timedelta(hours=4), themes=[f"theme{n}"]
        )
    session.commit()


def _check(briefing: Briefing, n: int) -> None:
    """What channel `n` must get: both companies' stories, the follow-up's origin, its theme's story."""
    shown = [s for sec in briefing.sections for s in sec.stories] + [t.story for t in briefing.themes]
    by_headline = {s.headline: s for s in shown}
    assert {f"가{n}전자 후속 보도", f"나{n}화학 신공장", f"다른회사{n} 소식"} <= set(by_headline)
    follows = by_headline[f"가{n}전자 후속 보도"].follows
    assert follows is not None and follows[0] == f"가{n}전자 지난주 발표"


def _delivery_run(
    sessions: sessionmaker[Session], engine: Engine, check: Callable[[Briefing, int], None]
) -> int:
    with sessions() as session:
        rows = session.query(Channel).order_by(Channel.id).all()
        with statements(engine) as sent:
            loader = BriefingLoader(session, now=NOW)
            loader.prefetch()
            for n, ch in enumerate(rows):
                check(loader.load(ch.team_id, ch.channel_id, channel=ch), n)
    return len(sent)


def _same_for_3_or_30_channels(
    sessions: sessionmaker[Session],
    engine: Engine,
    world: Callable[[Session, range], None],
    check: Callable[[Briefing, int], None],
) -> None:
    with sessions() as session:
        world(session, range(3))
    few = _delivery_run(sessions, engine, check)
    with sessions() as session:
        world(session, range(3, 30))
    assert _delivery_run(sessions, engine, check) == few


def test_a_delivery_run_reads_stories_in_the_same_statements_for_3_or_30_channels(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _same_for_3_or_30_channels(sessions, engine, _world, _check)


def test_one_briefing_reads_all_its_companies_and_themes_in_the_same_statements(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    with sessions() as session:
        _world(session, range(1))
        ch = subscribe(session, "T1", "CBIG", [f"가{i}전자" for i in range(12)] + ["나0화학"])
        ch.themes = ["theme0", "theme1", "theme2"]
        session.commit()
    with sessions() as session, statements(engine) as small:
        _check(load_briefing(session, "T1", "C0", now=NOW), 0)
    with sessions() as session, statements(engine) as big:
        briefing = load_briefing(session, "T1", "CBIG", now=NOW)
    _check(briefing, 0)
    assert len(big) == len(small)


def test_the_latest_stories_of_many_companies_come_in_one_statement_ranked_as_each_alone(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    with sessions() as session:
        _world(session, range(4))
        for i in range(5):  # more stories than a page, of different weights, for one company
            story(
                session, f"가0전자 소식 {i}", ["가0전자"], published=NOW - timedelta(hours=i), outlets=5 - i
            )
        session.commit()
        ids = list(session.scalars(select(Company.id).order_by(Company.id)))
        alone = {cid: top_stories(session, cid, now=NOW, limit=2) for cid in ids}
        with statements(engine) as sent:
            each = top_stories_each(session, ids, now=NOW, limit=2)
    assert each == alone
    assert len(each[ids[0]]) == 2 and each[ids[0]][0].headline == "가0전자 소식 0"
    assert len(sent) == 1


# --- saved queries and filters ---------------------------------------------------------------


def _indexed(session: Session, row: Story, terms: list[str]) -> None:
    """One article of the story with these index terms (as the digester stores them)."""
    add_article(session, row, terms)


def _keyword_world(session: Session, channels: range, *, views: int = 2) -> None:
    """Channels with a company, saved queries (a company's keyword, a keyword of their own) and
    filters (a keyword, an outlet), and the stories each of them finds or hides."""
    for n in channels:
        a = f"가{n}전자"
        subscribe(session, "T1", f"K{n}", [a])
        mine = company(session, a)
        s = story(session, f"{a} HBM 공급", [a], published=NOW - timedelta(hours=2), outlets=3)
        _indexed(session, s, ["hbm", "공급", f"키워드{n}"])
        s = story(session, f"{a} HBM 스포츠", [a], published=NOW - timedelta(hours=3))
        _indexed(session, s, ["hbm", "스포츠"])
        s = story(session, f"다른회사{n} 소식", [f"다{n}"], published=NOW - timedelta(hours=4))
        _indexed(session, s, [f"키워드{n}"])
        s = story(
            session, f"다른회사{n} 제휴", [f"다{n}"], published=NOW - timedelta(hours=5), first_outlet="매체X"
        )
        _indexed(session, s, [f"키워드{n}", "제휴"])
        searches = [
            ("HBM", StorySearch(company_ids=(mine.id,), include=((("hbm",),),))),
            (f"키워드{n}", StorySearch(include=(((f"키워드{n}",),),))),
            *(
                (f"제휴{i}", StorySearch(include=((("제휴",),),), exclude=(("감산",),)))
                for i in range(views - 2)
            ),
        ]
        for label, search in searches:
            save_query(session, "T1", f"K{n}", label, search, now=NOW)
        add_filter(session, "T1", f"K{n}", "keyword", "스포츠", now=NOW, readings=[["스포츠"]])
        add_filter(session, "T1", f"K{n}", "outlet", "매체X", now=NOW)
    session.commit()


def _check_keywords(briefing: Briefing, n: int, hidden: int = 3) -> None:
    shown = {sec.company: {s.headline for s in sec.stories} for sec in briefing.sections}
    assert shown[f"가{n}전자"] == {f"가{n}전자 HBM 공급"}
    assert shown["HBM"] == {f"가{n}전자 HBM 공급"}  # its company's stories only, 스포츠 filtered
    assert shown[f"키워드{n}"] == {f"가{n}전자 HBM 공급", f"다른회사{n} 소식"}  # 매체X filtered
    assert briefing.hidden == hidden


def test_a_delivery_run_answers_saved_queries_and_filters_in_the_same_statements_for_3_or_30_channels(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _same_for_3_or_30_channels(sessions, engine, _keyword_world, _check_keywords)


def test_one_briefing_reads_all_its_saved_queries_in_the_same_statements(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    with sessions() as session:
        _keyword_world(session, range(1))
        _keyword_world(session, range(1, 2), views=8)
    with sessions() as session:  # the window's first ids are read once and kept a few minutes
        load_briefing(session, "T1", "K0", now=NOW)
    with sessions() as session, statements(engine) as small:
        _check_keywords(load_briefing(session, "T1", "K0", now=NOW), 0)
    with sessions() as session, statements(engine) as big:
        briefing = load_briefing(session, "T1", "K1", now=NOW)
    # Six more sections, each finding the two 제휴 stories, both of 매체X, which the filter hides.
    _check_keywords(briefing, 1, hidden=3 + 6 * 2)
    assert {s.company for s in briefing.sections} >= {f"제휴{i}" for i in range(6)}
    assert len(big) == len(small)
