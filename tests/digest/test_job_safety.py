"""Scheduled jobs shared by several processes: one lease holder at a time; retention prunes the
search terms and fetch records of old articles too."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.jobs import release_lease, retention_job, take_lease
from briefings.models import Article, ArticleTerm, Feed, FetchAttempt

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def test_of_processes_taking_a_lease_at_once_exactly_one_holds_it(sessions: sessionmaker[Session]) -> None:
    holders = [f"worker-{i}" for i in range(4)]
    barrier = threading.Barrier(len(holders))
    won: list[str] = []

    def race(holder: str) -> None:
        barrier.wait()
        if take_lease(sessions, "gather", now=NOW, ttl=TTL, holder=holder):
            won.append(holder)

    threads = [threading.Thread(target=race, args=(h,)) for h in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    (holder,) = won
    others = [h for h in holders if h != holder]
    assert not take_lease(sessions, "gather", now=NOW + timedelta(minutes=5), ttl=TTL, holder=others[0])
    assert take_lease(sessions, "gather", now=NOW + timedelta(minutes=5), ttl=TTL, holder=holder)  # renewal
    release_lease(sessions, "gather", holder=holder)
    assert take_lease(sessions, "gather", now=NOW + timedelta(minutes=6), ttl=TTL, holder=others[0])
    # A holder that died lets its lease run out; another process then takes the job.
    assert take_lease(sessions, "gather", now=NOW + timedelta(minutes=37), ttl=TTL, holder=others[1])
    assert not take_lease(sessions, "gather", now=NOW + timedelta(minutes=38), ttl=TTL, holder=others[0])
    # Leases are per job.
    assert take_lease(sessions, "retention", now=NOW, ttl=TTL, holder=others[0])


def test_retention_prunes_old_search_terms_and_fetch_records(sessions: sessionmaker[Session]) -> None:
    settings = Settings(_env_file=None, retention_days=30)
    with sessions.begin() as s:
        feed = Feed(url="https://n.example.kr/rss", name="n", created_at=NOW)
        s.add(feed)
        s.flush()
        for i, age in enumerate((40, 10)):
            at = NOW - timedelta(days=age)
            art = Article(
                url=f"https://n.example.kr/{i}",
                url_key=f"{i:040d}",
                title_key=f"{i:040d}",
                outlet="연합뉴스",
                title=f"기사 {i}",
                summary="",
                body="본문",
                published_at=at,
                seen_at=at,
            )
            s.add(art)
            s.flush()
            s.add_all(
                [ArticleTerm(term="반도체", article_id=art.id), ArticleTerm(term="수출", article_id=art.id)]
            )
            s.add(FetchAttempt(feed_id=feed.id, at=at, ok=True, not_modified=False, new_articles=1))
    assert retention_job(sessions, settings, now=NOW) == 1
    with sessions() as s:
        kept = s.execute(select(Article.title, func.count()).join(ArticleTerm).group_by(Article.title)).all()
        assert kept == [("기사 1", 2)]
        assert s.scalars(select(FetchAttempt.at)).all() == [NOW - timedelta(days=10)]
    assert retention_job(sessions, settings, now=NOW) == 0


def test_a_process_that_finds_the_gather_lease_taken_gathers_nothing(sessions: sessionmaker[Session]) -> None:
    from bot.scheduler import Jobs

    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = Settings(_env_file=None, database_url=url, fetch_total_timeout=2.0)
    with sessions.begin() as s:  # due now; nothing listens on the discard port, so a fetch fails fast
        s.add(Feed(url="http://127.0.0.1:9/rss", name="n", created_at=NOW - timedelta(days=1)))
    jobs = Jobs(settings, sessions)
    now = datetime.now(UTC)
    assert take_lease(sessions, "gather", now=now, ttl=TTL, holder="the other process")
    assert jobs.gather().feeds == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(FetchAttempt)) == 0
    release_lease(sessions, "gather", holder="the other process")
    assert jobs.gather().feeds == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(FetchAttempt)) == 1
