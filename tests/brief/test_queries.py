"""Briefings read their stories in a fixed number of statements, however many channels, companies
or followed themes: a per-row lookup in a loop would make these counts grow and fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.brief import Briefing, BriefingLoader, load_briefing
from briefings.lookup import top_stories, top_stories_each
from briefings.models import Channel, Company
from tests.brief.conftest import story, subscribe
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


def _delivery_run(sessions: sessionmaker[Session], engine: Engine) -> int:
    with sessions() as session:
        rows = session.query(Channel).order_by(Channel.id).all()
        with statements(engine) as sent:
            loader = BriefingLoader(session, now=NOW)
            loader.prefetch()
            for n, ch in enumerate(rows):
                _check(loader.load(ch.team_id, ch.channel_id, channel=ch), n)
    return len(sent)


def test_a_delivery_run_reads_stories_in_the_same_statements_for_3_or_30_channels(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    with sessions() as session:
        _world(session, range(3))
    few = _delivery_run(sessions, engine)
    with sessions() as session:
        _world(session, range(3, 30))
    assert _delivery_run(sessions, engine) == few


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
