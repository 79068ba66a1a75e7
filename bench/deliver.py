"""Daily briefings for many channels against a rate-limited fake Slack, and the memory of `briefings run`.

    .venv/bin/python -m bench.deliver [--channels 1000] [--companies 10] [--keywords 5] [--filters 20]
                                      [--team-rate 20] [--no-memory]

Goal: the wall time of delivering is dominated by Slack's rate limits (the fake answers 429 with
Retry-After above `--team-rate` messages a second per workspace and one a second per channel), and our
composition (loading, ranking, Block Kit) is at most 5 % of it. Then `briefings run` is started with one
Kiwi loaded, and its resident memory is read from /proc (goal: under 800 MB).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.deliver import DeliverOptions, deliver_due, summarize
from briefings.brief import BriefingLoader
from briefings.config import get_settings
from briefings.db import make_engine, make_sessionmaker, upgrade
from briefings.lookup import StorySearch
from briefings.models import (
    Article,
    ArticleTerm,
    Channel,
    ChannelFilter,
    Company,
    Feed,
    FetchAttempt,
    SavedQuery,
    Story,
    StoryCompany,
    Subscription,
)
from briefings.saved_queries import search_json
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 11, 20, 23, 5, tzinfo=UTC)  # 08:05 KST
CREATED = NOW - timedelta(hours=20)  # subscribed yesterday: today's briefing is the first one due


# Index terms of the stories and the channels' keywords: a skewed vocabulary of business words, so
# some keywords find many stories and most find a few.
_VOCABULARY = (
    "hbm 반도체 배터리 폴더블 전기차 수소 ai 클라우드 로봇 바이오 신약 임상 파운드리 낸드 디램 "
    "스마트폰 태블릿 노트북 데이터센터 전력 원전 태양광 풍력 조선 해운 항공 철강 석유화학 정유 "
    "게임 웹툰 콘텐츠 결제 은행 보험 증권 카드 부동산 건설 리츠 유통 면세점 화장품 식품 음료 "
    "자율주행 위성 보안 통신 요금제 5g 6g 구독 광고 커머스 배송 물류 인수 합병 상장 배당 감산 "
    "증설 수주 파업 소송 과징금 리콜 제재 관세 환율 금리 실적 적자 흑자 투자 협력 공개 출시"
)
VOCABULARY = _VOCABULARY.split()
OUTLETS = [f"매체{i:02d}" for i in range(40)]


def _word(rng: random.Random) -> str:
    return VOCABULARY[min(int(rng.paretovariate(0.8)) - 1, len(VOCABULARY) - 1)]


def seed_keywords(
    session: Any, channels: list[Channel], subscribed: dict[str, list[int]], *, keywords: int, filters: int
) -> None:
    """Each channel's saved queries (keywords, one beside a subscribed company, one with an exclusion)
    and filters (keywords, outlets, themes, stories), as `/news 구독` and `/news 제외` store them."""
    rng = random.Random(11)
    for ch in channels:
        words = rng.sample(VOCABULARY, keywords + 1)
        for k, word in enumerate(words[:keywords]):
            company = (subscribed[ch.channel_id][0],) if k == 0 else ()
            exclude = ((words[-1],),) if k == 1 else ()
            search = StorySearch(company_ids=company, include=(((word,),),), exclude=exclude, words=(word,))
            session.add(
                SavedQuery(
                    team_id=ch.team_id,
                    channel_id=ch.channel_id,
                    label=word,
                    search=search_json(search),
                    created_at=CREATED,
                )
            )
        kinds = ["keyword"] * (filters * 6 // 10) + ["outlet"] * (filters // 5)
        kinds += ["theme", "story"] * ((filters - len(kinds)) // 2)
        kinds += ["keyword"] * (filters - len(kinds))
        values = {
            "keyword": iter(rng.sample([w for w in VOCABULARY if w not in words], filters)),
            "outlet": iter(rng.sample(OUTLETS, filters)),
            "theme": iter(["launch", "mna", "people", "litigation"] * filters),
            "story": iter(str(i) for i in rng.sample(range(1, 1500), filters)),
        }
        for kind in kinds:
            value = next(values[kind])
            session.add(
                ChannelFilter(
                    team_id=ch.team_id,
                    channel_id=ch.channel_id,
                    kind=kind,
                    value=value,
                    readings=[[value]] if kind == "keyword" else [],
                    created_at=CREATED,
                )
            )


def seed(
    url: str,
    *,
    channels: int,
    per_channel: int,
    pool: int,
    stories_per_company: int,
    keywords: int = 0,
    filters: int = 0,
) -> None:
    rng = random.Random(7)
    term_rng = random.Random(8)  # apart, so stories and subscriptions stay what they were without terms
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        companies = [
            Company(name=f"회사{i:03d}", name_en=f"Company {i}", created_at=NOW - timedelta(days=90))
            for i in range(pool)
        ]
        session.add_all(companies)
        feeds = [
            Feed(url=f"https://feeds.example.kr/{i}", name=f"매체{i:02d}", created_at=NOW) for i in range(40)
        ]
        session.add_all(feeds)
        session.flush()
        for f in feeds:
            session.add(
                FetchAttempt(feed_id=f.id, at=NOW - timedelta(hours=1), ok=f.id % 13 != 0, status=200)
            )
        sid = 0
        for c in companies:
            for _ in range(stories_per_company):
                sid += 1
                at = NOW - timedelta(hours=rng.uniform(0.2, 30))
                others = rng.sample(companies, 2) if rng.random() < 0.1 else []
                story = Story(
                    headline=f"{c.name} 관련 주요 소식 {sid}: 신제품·실적·제휴 동향과 시장 반응 정리",
                    url=f"https://news.example.kr/{sid}",
                    first_outlet=f"매체{sid % 40:02d}",
                    first_published_at=at,
                    last_published_at=at,
                    outlets_count=rng.randint(1, 9),
                    articles_count=1,
                    exclusive=rng.random() < 0.05,
                    outlets=[],
                    themes=rng.sample(["ai", "semiconductor", "alliance", "earnings", "ipo"], 2),
                    keywords=[],
                    updated_at=at,
                )
                session.add(story)
                session.flush()
                for k in range(term_rng.randint(1, 3)):  # its articles and their index terms
                    article = Article(
                        url=f"{story.url}/{k}",
                        url_key=f"{sid:032d}{k:08d}",
                        title_key=f"{sid:040d}",
                        outlet=OUTLETS[(sid + k) % 40],
                        title=story.headline,
                        summary="",
                        published_at=at,
                        seen_at=at,
                        digested_at=at,
                        story_id=story.id,
                    )
                    session.add(article)
                    session.flush()
                    terms = {c.name, "소식", *(_word(term_rng) for _ in range(6))}
                    session.add_all(
                        ArticleTerm(term=t, article_id=article.id, story_id=story.id) for t in terms
                    )
                for comp in {c.id, *(o.id for o in others)}:
                    session.add(
                        StoryCompany(
                            story_id=story.id, company_id=comp, is_primary=True, last_published_at=at
                        )
                    )
        rows: list[Channel] = []
        subscribed: dict[str, list[int]] = {}
        for i in range(channels):
            team = f"T{i % 10:02d}"
            chan = f"C{i:05d}"
            rows.append(Channel(team_id=team, channel_id=chan, created_at=CREATED, themes=[]))
            session.add(rows[-1])
            for c in rng.sample(companies, per_channel):
                session.add(Subscription(team_id=team, channel_id=chan, company_id=c.id, created_at=CREATED))
                subscribed.setdefault(chan, []).append(c.id)
        seed_keywords(session, rows, subscribed, keywords=keywords, filters=filters)
    engine.dispose()


def bench_delivery(args: argparse.Namespace, tmp: Path) -> None:
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    t0 = time.perf_counter()
    seed(
        url,
        channels=args.channels,
        per_channel=args.companies,
        pool=args.pool,
        stories_per_company=8,
        keywords=args.keywords,
        filters=args.filters,
    )
    print(
        f"seeded {args.channels} channels × {args.companies} companies, {args.keywords} saved keyword "
        f"queries and {args.filters} filters each, in {time.perf_counter() - t0:.1f}s"
    )
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with FakeSlack(post_rate_per_channel=1.0, post_rate_per_team=args.team_rate) as fake:
        settings = get_settings(database_url=url, slack_bot_token="xoxb-bench", slack_api_url=fake.api_url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        # The run reads every channel's settings and the recent stories once before composing
        # (`BriefingLoader.prefetch`); it is timed here, on the same data, and counted as composition.
        with sessions() as session:
            p0, pc0 = time.perf_counter(), time.thread_time()
            BriefingLoader(session, now=NOW, settings=settings).prefetch()
            prefetch, prefetch_cpu = time.perf_counter() - p0, time.thread_time() - pc0
        options = DeliverOptions(worker_id="bench", channel_interval=1.0)
        started = time.perf_counter()
        outcomes = deliver_due(sessions, now=NOW, settings=settings, options=options)
        wall = time.perf_counter() - started
        engine.dispose()
        compose = prefetch + sum(o.compose_seconds for o in outcomes)
        compose_cpu = prefetch_cpu + sum(o.compose_cpu_seconds for o in outcomes)
        posts = fake.calls_to("chat.postMessage")
        limited = sum(1 for c in posts if c.method == "chat.postMessage") - len(fake.posted())
        parts = [
            (channel, m["metadata"]["event_payload"]["part"])
            for channel, msgs in fake.messages.items()
            for m in msgs
            if m.get("metadata")
        ]
        twice = len(parts) - len(set(parts))
        print(f"outcomes: {summarize(outcomes)}")
        print(
            f"messages posted: {len(fake.posted())} (429 answers honoured: {limited}); posted twice: {twice}"
        )
        print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"reading settings and recent stories once: {prefetch:.2f}s ({prefetch_cpu:.2f}s CPU)")
        print(f"wall time: {wall:.1f}s · composition: {compose:.2f}s = {100 * compose / wall:.1f}% of wall")
        print(f"composition CPU time: {compose_cpu:.2f}s = {100 * compose_cpu / wall:.1f}% of wall")
        print(
            f"per channel: composition {1000 * compose / max(len(outcomes), 1):.2f} ms; "
            f"floor set by the fake's {args.team_rate:g} messages/s ≈ "
            f"{len(fake.posted()) / args.team_rate:.1f}s"
        )
        spaced = sum(max(len(msgs) - 1, 0) for msgs in fake.messages.values())
        print(
            f"parts after a channel's first: {spaced} (Slack's 1 message/s per channel spaces them a second "
            f"apart: {spaced} s when channels are delivered one after another)"
        )
        verdict = "OK" if compose <= 0.05 * wall and twice == 0 else "ABOVE GOAL"
        print(f"goal composition ≤ 5% of wall, nothing twice: {verdict}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory(tmp: Path) -> None:
    url = f"sqlite:///{tmp / 'run.db'}"
    upgrade(url)
    port = _free_port()
    with FakeSlack() as fake:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "BRIEFINGS_HOME": str(tmp),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": "bench-secret",
            "SLACK_API_URL": fake.api_url,
            "PORT": str(port),
        }
        env.pop("SLACK_APP_TOKEN", None)
        briefings = str(Path(sys.executable).with_name("briefings"))
        proc = subprocess.Popen(
            [briefings, "run", "--host", "127.0.0.1"],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            up = False
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        up = True
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            if not up:
                print("briefings run did not come up; memory not measured")
                return
            time.sleep(3)  # let the scheduler's first gather/digest tick run
            rss = _rss_mb(proc.pid)
            verdict = "OK" if rss < 800 else "ABOVE GOAL"
            print(f"`briefings run` resident memory (bot + scheduler + Kiwi): {rss:.0f} MB")
            print(f"goal < 800 MB: {verdict}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=10, help="subscriptions per channel")
    parser.add_argument("--pool", type=int, default=200, help="distinct companies")
    parser.add_argument("--keywords", type=int, default=5, help="saved keyword queries per channel")
    parser.add_argument("--filters", type=int, default=20, help="filters per channel (/news 제외)")
    parser.add_argument("--team-rate", type=float, default=20.0, help="fake Slack messages/s per workspace")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--memory-only", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-deliver-"))
    try:
        if not args.memory_only:
            bench_delivery(args, tmp)
        if not args.no_memory:
            bench_memory(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
