"""What one spike-alert check costs: the scheduler runs it after every digest.

    .venv/bin/python -m bench.alerts [--companies 1000] [--channels 2000] [--follows 5] [--rounds 5]

A migrated SQLite database gets `--companies` companies with 60 days of Poisson coverage (0.5 to 20
distinct stories a weekday, halved on rest days; one article per story), one in fifty with a spike
today, and `--channels` channels following `--follows` companies each. Timed: one `due_now` (read the
follows, the day counts of every followed company over 58 days in one grouped query, today's claims,
then the pure decision), split into the counts query and the decision, median of `--rounds`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bench.spikes import day_rate, poisson
from briefings.db import make_engine, make_sessionmaker, upgrade
from briefings.models import Article, Channel, Company, Mention, Story, StoryCompany, Subscription
from briefings.signals.alert_run import due_now
from briefings.signals.alert_store import AlertStore, day_start
from briefings.signals.alerts import alerts_due
from briefings.signals.counts import kst_day

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday 15:00 KST
RATES = (0.5, 2.0, 5.0, 20.0)


def seed(url: str, companies: int, channels: int, follows: int, rng: random.Random) -> int:
    engine = make_engine(url)
    today = kst_day(NOW)
    rows = {"companies": [], "stories": [], "links": [], "articles": [], "mentions": []}  # type: ignore[var-annotated]
    story_id = 0
    for cid in range(1, companies + 1):
        rows["companies"].append({"id": cid, "name": f"회사{cid:05d}", "name_en": "", "created_at": NOW})
        base = RATES[cid % len(RATES)]
        for back in range(60, -1, -1):
            day = today - timedelta(days=back)
            lam = day_rate(base, day) * (6.0 if back == 0 and cid % 50 == 0 else 1.0)
            for i in range(poisson(rng, lam)):
                story_id += 1
                at = day_start(day) + timedelta(hours=8, minutes=(7 * i) % 360)
                if at > NOW:
                    at = NOW - timedelta(minutes=1)
                rows["stories"].append(
                    {
                        "id": story_id,
                        "headline": f"기사 {story_id}",
                        "url": f"https://news.example.kr/{story_id}",
                        "first_outlet": "연합뉴스",
                        "first_published_at": at,
                        "last_published_at": at,
                        "outlets": [],
                        "themes": [],
                        "keywords": ["실적"],
                        "updated_at": at,
                    }
                )
                rows["links"].append(
                    {"story_id": story_id, "company_id": cid, "is_primary": True, "last_published_at": at}
                )
                key = f"{story_id:040d}"
                rows["articles"].append(
                    {
                        "id": story_id,
                        "url": f"https://news.example.kr/{story_id}/a",
                        "url_key": key,
                        "title_key": key,
                        "outlet": f"매체{story_id % 40}",
                        "title": f"기사 {story_id}",
                        "published_at": at,
                        "seen_at": at,
                        "digested_at": at,
                        "story_id": story_id,
                    }
                )
                rows["mentions"].append(
                    {
                        "article_id": story_id,
                        "company_id": cid,
                        "is_primary": True,
                        "salience": 1.0,
                        "count": 1,
                    },
                )
    created = NOW - timedelta(days=90)
    for ch in range(channels):
        rows.setdefault("channels", []).append(
            {"team_id": "T1", "channel_id": f"C{ch:06d}", "themes": [], "created_at": created}
        )
        for cid in rng.sample(range(1, companies + 1), follows):
            rows.setdefault("subs", []).append(
                {"team_id": "T1", "channel_id": f"C{ch:06d}", "company_id": cid, "created_at": created}
            )
    tables = [
        (Company, "companies"),
        (Story, "stories"),
        (StoryCompany, "links"),
        (Article, "articles"),
        (Mention, "mentions"),
        (Channel, "channels"),
        (Subscription, "subs"),
    ]
    with engine.begin() as conn:
        for model, name in tables:
            for i in range(0, len(rows[name]), 5000):
                conn.execute(insert(model), rows[name][i : i + 5000])
    engine.dispose()
    return story_id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--follows", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/alerts.db"
        upgrade(url)
        t0 = time.perf_counter()
        stories = seed(url, args.companies, args.channels, args.follows, rng)
        took = time.perf_counter() - t0
        print(f"seeded {stories:,} stories, {args.channels * args.follows:,} follows in {took:.0f} s")
        engine = make_engine(url)
        store = AlertStore(make_sessionmaker(engine), worker_id="bench", lease=timedelta(minutes=5))
        totals, queries, decisions = [], [], []
        due = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            due = due_now(store, now=NOW)
            totals.append(time.perf_counter() - t0)
            follows = store.follows()
            active = sorted({f.company_id for f in follows})
            t0 = time.perf_counter()
            counts = store.counts(active, now=NOW)
            queries.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            alerts_due(follows, counts, {}, now=NOW)
            decisions.append(time.perf_counter() - t0)
        with store.sessions() as session:
            n = len(session.scalars(select(Subscription.id)).all())
        engine.dispose()
    print(
        f"one alert check, {n:,} follows of {args.companies:,} companies: "
        f"median {statistics.median(totals) * 1000:.0f} ms "
        f"(day counts query {statistics.median(queries) * 1000:.0f} ms, "
        f"decision {statistics.median(decisions) * 1000:.0f} ms), {len(due)} alerts due"
    )


if __name__ == "__main__":
    main()
