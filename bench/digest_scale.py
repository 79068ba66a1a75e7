"""The digest at realistic volume: what the service's digest costs as the database grows.

    .venv/bin/python -m bench.digest_scale [throughput] [days] [tick] [cap]
        [--articles 16000] [--days 30] [--per-day 3000] [--stored 10000,90000,1000000] [--ticks 30]
        [--db sqlite|postgresql]

Texts are the 30,764 real RSS items of nine economic dailies in ../shared/corpus/tera-rss-economy-2026-02
(headline and lead, their real sections; KST times written with a wrong "Z" are read as KST).

- throughput: N articles digested by `digest_pending` as the scheduler's tick runs it (the service's
  path: claims, Kiwi, analysis, window, stories and every row written; the window kept between
  ticks) against bare Kiwi `tokenize()` of the same texts, same Kiwi object, alternating batch by
  batch so both sides run under the same load; wall and CPU time (all threads) of each side.
  Goal: >= 0.8 of bare Kiwi.
- days: a long-lived digest (the `Digest` object the scheduler keeps) over D simulated days of P
  articles each (the corpus' 15 days, again with new URLs for days 16-30), digested in ticks of 100
  with retention run nightly; the process's resident memory after each day. The corpus is read a
  day at a time and nothing else is loaded, so the figure is what a `briefings run` process would
  hold (Kiwi, the registry, the digest's window, one day's items). Goal: <= 800 MB, flat.
  Then ticks of one new article on the resulting database (about D x P stored).
- tick: stored articles generated directly (digested, with stories and fingerprints of real
  items), the last six days at 3,000 a day and the rest before; then ticks of one new article in a
  long-lived digest, each minus the Kiwi time of that article (the same text analysed apart).
  Goal: <= 100 ms at 1,000,000 stored. Also one tick after another process digested an article.
- cap: one 1.15 M-character item and a 20 MB `analyze` line, with the default DIGEST_MAX_CHARS.

PostgreSQL uses BENCH_DATABASE_URL or TEST_DATABASE_URL (a scratch database is created and dropped).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.db import make_engine, make_sessionmaker, upgrade

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "tera-rss-economy-2026-02"
KST = ZoneInfo("Asia/Seoul")
FIRST_DAY = datetime(2026, 2, 6, tzinfo=KST)
# Where generated volumes end (`tick`).
GENERATED_END = datetime(2026, 3, 1, tzinfo=UTC)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load_items(start: datetime | None = None, end: datetime | None = None) -> list[dict[str, Any]]:
    """The corpus' items published in [start, end) (all by default), in publication order."""
    path = CORPUS / "items.jsonl"
    if not path.is_file():
        sys.exit(f"corpus not found: {path}")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            it = json.loads(line)
            local = datetime.fromisoformat(it["date_as_given"].replace("Z", "")).replace(tzinfo=KST)
            it["published"] = local.astimezone(UTC)
            if (start is None or it["published"] >= start) and (end is None or it["published"] < end):
                out.append(it)
    out.sort(key=lambda it: (it["published"], it["url"]))
    return out


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A migrated scratch database: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            yield url
        return
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        sys.exit("PostgreSQL needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
    name = f"briefings_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def article_row(it: dict[str, Any], published: datetime, tag: str, seen: datetime) -> dict[str, Any]:
    url = f"{it['url']}#{tag}" if tag else it["url"]
    return {
        "url": url,
        "url_key": hashlib.sha1(url.encode()).hexdigest(),
        "title_key": hashlib.sha1(f"{it['title']}{tag}".encode()).hexdigest(),
        "outlet": it["outlet"],
        "title": it["title"],
        "summary": it["lead"],
        "body": None,
        "published_at": published,
        "seen_at": seen,
    }


def add_pending(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    from briefings.models import Article

    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Article), list(rows[i : i + 5000]))


def seeded(url: str) -> tuple[Engine, sessionmaker[Session]]:
    from briefings.digest.pipeline import ensure_companies

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        ensure_companies(s, now=datetime.now(UTC))
    return engine, sessions


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# --- throughput --------------------------------------------------------------------------------


def bench_throughput(items: list[dict[str, Any]], n: int, kind: str, batch: int = 200) -> None:
    """The two sides alternate batch by batch, so both see the same machine load."""
    from briefings.digest.nlp import get_nlp
    from briefings.digest.pipeline import DigestSummary, build_digester, digest_pending

    chosen = items[:n]
    kiwi = get_nlp().kiwi
    groups = [chosen[i : i + batch] for i in range(0, len(chosen), batch)]

    def bare(group: Sequence[dict[str, Any]]) -> None:
        for _ in kiwi.tokenize([t for it in group for t in (it["title"], it["lead"])]):
            pass

    total = DigestSummary()
    # (wall, CPU) seconds of bare Kiwi and of the digest path
    k_wall = k_cpu = d_wall = d_cpu = 0.0
    with database(kind) as url:
        engine, sessions = seeded(url)
        now = datetime.now(UTC)
        with sessions() as s:
            digester = build_digester(s, now=now)
            s.commit()
            digester.analyze([])
            bare(groups[0])  # warm-up: first-call costs are nobody's
            for group in groups:
                w0, c0 = time.perf_counter(), time.process_time()
                bare(group)
                w1, c1 = time.perf_counter(), time.process_time()
                add_pending(engine, [article_row(it, it["published"], "", now) for it in group])
                w2, c2 = time.perf_counter(), time.process_time()
                total.add(digest_pending(s, digester, now=now, batch_size=batch, seed=False))
                w3, c3 = time.perf_counter(), time.process_time()
                k_wall, k_cpu = k_wall + w1 - w0, k_cpu + c1 - c0
                d_wall, d_cpu = d_wall + w3 - w2, d_cpu + c3 - c2
        engine.dispose()
    print(
        f"throughput ({kind}, {n} articles, batches of {batch}, alternating): bare Kiwi {n / k_wall:.1f} "
        f"articles/s ({k_wall:.1f} s wall, {k_cpu:.1f} s CPU), digest path {n / d_wall:.1f} articles/s "
        f"({d_wall:.1f} s wall, {d_cpu:.1f} s CPU): {k_wall / d_wall:.2f} of bare Kiwi by wall time, "
        f"{k_cpu / d_cpu:.2f} by CPU time (goal >= 0.80); {total.new_stories} stories, "
        f"{total.duplicates} copies, {total.articles} articles"
    )


# --- days: memory over simulated days, then ticks on the result ---------------------------------


def day_items(day: int, per_day: int) -> list[dict[str, Any]]:
    """The corpus' day (day % 15), moved to simulated day `day`, at most `per_day` items.

    Read from the corpus file each day, so the process holds one day's items, as the service
    holds one gather's: its memory is the service's, not the benchmark's.
    """
    source = FIRST_DAY + timedelta(days=day % 15)
    chosen = load_items(source.astimezone(UTC), (source + timedelta(days=1)).astimezone(UTC))
    if len(chosen) > per_day:
        step = len(chosen) / per_day
        chosen = [chosen[int(i * step)] for i in range(per_day)]
    shift = timedelta(days=day - day % 15)
    return [{**it, "published": it["published"] + shift} for it in chosen]


def bench_days(days: int, per_day: int, ticks: int, kind: str) -> None:
    from briefings.jobs import Digest, retention_job

    with database(kind) as url:
        engine, sessions = seeded(url)
        digest = Digest()
        digest.warm_up(sessions)
        start = rss_mb()
        print(f"days ({kind}): {per_day} articles a day, resident memory after Kiwi load {start:.0f} MB")
        settings = Settings(_env_file=None, retention_days=30, database_url=url)
        memory: list[float] = []
        for day in range(days):
            todays = day_items(day, per_day)
            tag = f"d{day}" if day >= 15 else ""
            t0 = time.perf_counter()
            for i in range(0, len(todays), 100):  # one gather cycle's worth at a time
                chunk = todays[i : i + 100]
                now = chunk[-1]["published"] + timedelta(minutes=1)
                add_pending(engine, [article_row(it, it["published"], tag, now) for it in chunk])
                digest.run(sessions, now=now)
            retention_job(sessions, settings, now=todays[-1]["published"])
            memory.append(rss_mb())
            window = digest._digester.window
            print(
                f"  day {day + 1:2d}: {len(todays)} articles in {time.perf_counter() - t0:.1f} s, "
                f"RSS {memory[-1]:.0f} MB, window {len(window) if window else 0} articles"
            )
            del todays
        half = memory[len(memory) // 2 :]
        print(
            f"  RSS first day {memory[0]:.0f} MB, max {max(memory):.0f} MB, "
            f"second half {min(half):.0f}-{max(half):.0f} MB (goal <= 800 MB, flat)"
        )
        last = FIRST_DAY + timedelta(days=days)
        stored = _count(engine)
        picks = load_items(FIRST_DAY.astimezone(UTC) + timedelta(days=14))  # the corpus' last day
        run_ticks(engine, sessions, digest, picks, last.astimezone(UTC), ticks, f"after {days} days", stored)
        engine.dispose()


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM articles")).scalar() or 0)


def run_ticks(
    engine: Engine,
    sessions: sessionmaker[Session],
    digest: Any,
    items: list[dict[str, Any]],
    at: datetime,
    ticks: int,
    label: str,
    stored: int,
) -> None:
    """Ticks of one new article in a long-lived digest, each minus that article's own analysis time."""
    from briefings.digest.pipeline import ArticleInput

    picks = items[-ticks - 1 :]
    beyond: list[float] = []
    total: list[float] = []
    for k, it in enumerate(picks):
        now = at + timedelta(minutes=k + 1)
        add_pending(engine, [article_row(it, now, f"tick{k}-{uuid.uuid4().hex[:6]}", now)])
        t = timed(lambda now=now: digest.run(sessions, now=now))  # type: ignore[misc]
        digester = digest._digester
        alone = ArticleInput(0, it["title"], it["lead"], published=now)
        kiwi = timed(partial(digester.analyze, [alone]))
        if k == 0:
            print(f"  first tick ({label}, {stored:,} stored): {t * 1000:.0f} ms (window loaded once)")
            continue
        total.append(t)
        beyond.append(t - kiwi)
    beyond.sort()
    p95 = beyond[int(0.95 * (len(beyond) - 1))]
    print(
        f"  tick with 1 new article ({label}, {stored:,} stored, {len(beyond)} ticks): "
        f"median {statistics.median(total) * 1000:.1f} ms, beyond its own analysis median "
        f"{statistics.median(beyond) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (goal <= 100 ms)"
    )
    # Another process digests one article; this one's next tick replays just that batch.
    from briefings.jobs import Digest

    other = Digest()
    now = at + timedelta(minutes=len(picks) + 1)
    add_pending(engine, [article_row(picks[0], now, f"other-{uuid.uuid4().hex[:6]}", now)])
    other.run(sessions, now=now)
    now += timedelta(minutes=1)
    add_pending(engine, [article_row(picks[1], now, f"after-{uuid.uuid4().hex[:6]}", now)])
    t = timed(lambda: digest.run(sessions, now=now))
    print(f"  tick after another process digested an article: {t * 1000:.1f} ms (its analysis included)")


# --- tick at a generated volume ----------------------------------------------------------------


def _bulk_rows(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Rows written through the driver's bulk path: COPY on PostgreSQL, one executemany on SQLite.

    Values are given as the driver takes them (naive UTC times, on SQLite as ISO text; JSON as text),
    so no ORM or type processing runs per row.
    """
    raw = engine.raw_connection()
    count = 0
    try:
        cur: Any = raw.cursor()
        cols = ", ".join(columns)
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" for _ in columns)
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 50_000:
                    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                    count, batch = count + len(batch), []
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
            count += len(batch)
        raw.commit()
    finally:
        raw.close()
    return count


@contextmanager
def indexes_dropped(engine: Engine, tables: Sequence[Any]) -> Iterator[None]:
    """Secondary indexes dropped for a bulk load and built once afterwards (far faster than kept)."""
    indexes = [ix for t in tables for ix in sorted(t.indexes, key=lambda ix: str(ix.name))]
    with engine.begin() as conn:
        for ix in indexes:
            ix.drop(conn)
    yield
    with engine.begin() as conn:
        for ix in indexes:
            ix.create(conn)


def generate_stored(
    engine: Engine, sessions: sessionmaker[Session], items: list[dict[str, Any]], n: int, end: datetime
) -> None:
    """N digested articles ending at `end`: 3,000 a day for the last six days, the rest spread before.

    Fingerprints, companies, themes and keywords come from real items analysed once (a pool of
    6,000; each copy gets a text key of its own, so copies are near-duplicates rather than one text).
    Two articles share a story. Search terms exist for the last 30 days only, as retention leaves
    them. Rows go in through the driver's bulk path and the secondary indexes are built afterwards.
    """
    from briefings.digest.dedup import TEXT_KEY_BYTES
    from briefings.digest.pipeline import ArticleInput, build_digester
    from briefings.models import Article, ArticleTerm, ArticleTheme, Mention, Story, StoryCompany

    t0 = time.perf_counter()
    pool = items[:: max(1, len(items) // 6000)][:6000]
    with sessions() as s:
        digester = build_digester(s, now=end)
        ids = {name: cid for name, cid in s.execute(text("SELECT name, id FROM companies"))}
        s.commit()
    analysed = []
    for i in range(0, len(pool), 500):
        chunk = pool[i : i + 500]
        analysed += digester.analyze([ArticleInput(j, it["title"], it["lead"]) for j, it in enumerate(chunk)])
    blobs = [a.fingerprint.encode()[:-TEXT_KEY_BYTES] for a in analysed]
    hits = [
        [
            (ids[h.company.name], h.is_primary, h.salience, h.mentions)
            for h in a.companies
            if h.company.name in ids
        ]
        for a in analysed
    ]
    print(f"  analysed a pool of {len(pool):,} real items in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    recent = min(n, 18_000)
    older = n - recent
    old_span = timedelta(days=max(1.0, older / 3000)).total_seconds()
    six_days = timedelta(days=6).total_seconds()
    base = (end - timedelta(days=6)).astimezone(UTC).replace(tzinfo=None)
    sqlite = engine.dialect.name == "sqlite"

    def when(i: int) -> Any:
        if i < older:
            dt = base - timedelta(seconds=old_span * (1 - i / max(1, older)))
        else:
            dt = base + timedelta(seconds=six_days * (i - older) / recent)
        return dt.isoformat(sep=" ", timespec="microseconds") if sqlite else dt

    def js(values: Sequence[str]) -> str:
        return json.dumps(list(values), ensure_ascii=False)

    times = [when(i) for i in range(n)]
    stamp = times[-1]
    terms_from = max(0, n - 90_000)  # the last 30 days at 3,000 a day
    tables = [t.__table__ for t in (Article, Story, Mention, ArticleTerm, ArticleTheme, StoryCompany)]
    counts: dict[str, int] = {}
    with indexes_dropped(engine, tables):
        counts["stories"] = _bulk_rows(
            engine,
            "stories",
            [
                "id",
                "headline",
                "url",
                "representative_article_id",
                "first_outlet",
                "first_published_at",
                "last_published_at",
                "outlets_count",
                "articles_count",
                "exclusive",
                "outlets",
                "themes",
                "keywords",
                "updated_at",
            ],
            (
                (
                    i // 2 + 1,
                    pool[i % len(pool)]["title"],
                    f"{pool[i % len(pool)]['url']}#g{i}",
                    i + 1,
                    pool[i % len(pool)]["outlet"],
                    times[i],
                    times[min(n - 1, i + 1)],
                    1,
                    min(2, n - i),
                    False,
                    js([pool[i % len(pool)]["outlet"]]),
                    js(analysed[i % len(pool)].theme_slugs[:5]),
                    js(analysed[i % len(pool)].keywords),
                    stamp,
                )
                for i in range(0, n, 2)
            ),
        )

        def article(i: int) -> tuple[Any, ...]:
            it = pool[i % len(pool)]
            url = f"{it['url']}#g{i}"
            return (
                i + 1,
                url,
                hashlib.sha1(url.encode()).hexdigest(),
                f"{i:040x}",
                it["outlet"],
                it["title"],
                it["lead"],
                None if i < older else it["lead"],
                times[i],
                times[i],
                times[i],
                i // 2 + 1,
                blobs[i % len(pool)] + i.to_bytes(TEXT_KEY_BYTES, "big"),
                0,
                times[i] if i < older else None,
            )

        counts["articles"] = _bulk_rows(
            engine,
            "articles",
            [
                "id",
                "url",
                "url_key",
                "title_key",
                "outlet",
                "title",
                "summary",
                "body",
                "published_at",
                "seen_at",
                "digested_at",
                "story_id",
                "minhash",
                "digest_seq",
                "body_pruned_at",
            ],
            (article(i) for i in range(n)),
        )
        counts["mentions"] = _bulk_rows(
            engine,
            "mentions",
            ["article_id", "company_id", "is_primary", "salience", "count"],
            ((i + 1, cid, p, sal, c) for i in range(n) for cid, p, sal, c in hits[i % len(pool)]),
        )
        counts["story_companies"] = _bulk_rows(
            engine,
            "story_companies",
            ["story_id", "company_id", "is_primary", "last_published_at"],
            (
                (i // 2 + 1, cid, p, times[min(n - 1, i + 1)])
                for i in range(0, n, 2)
                for cid, p, _, _ in hits[i % len(pool)]
            ),
        )
        counts["article_themes"] = _bulk_rows(
            engine,
            "article_themes",
            ["article_id", "theme", "score"],
            ((i + 1, slug, score) for i in range(n) for slug, score in analysed[i % len(pool)].themes),
        )
        counts["article_terms"] = _bulk_rows(
            engine,
            "article_terms",
            ["term", "article_id", "story_id"],
            (
                (t, i + 1, i // 2 + 1)
                for i in range(terms_from, n)
                for t in sorted(analysed[i % len(pool)].terms)
            ),
        )
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('stories_id_seq', (SELECT max(id) FROM stories))"))
            conn.execute(text("SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))"))
        conn.execute(text("ANALYZE"))
        conn.commit()
    rows = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    print(f"  generated {n:,} stored articles ({rows}) in {time.perf_counter() - t0:.0f} s", flush=True)


def bench_tick(items: list[dict[str, Any]], sizes: list[int], ticks: int, kind: str) -> None:
    from briefings.jobs import Digest

    end = GENERATED_END
    for n in sizes:
        with database(kind) as url:
            engine, sessions = seeded(url)
            # Generated in a process of its own, so the memory figure below is the digest's alone.
            cmd = [sys.executable, "-m", "bench.digest_scale", "generate", "--url", url, "--stored", str(n)]
            subprocess.run(cmd, check=True)
            digest = Digest()
            digest.warm_up(sessions)
            run_ticks(engine, sessions, digest, items, end, ticks, kind, n)
            print(f"  resident memory {rss_mb():.0f} MB")
            engine.dispose()


# --- cap ---------------------------------------------------------------------------------------


def bench_cap(items: list[dict[str, Any]]) -> None:
    from briefings.cli.digest import read_inputs
    from briefings.digest.pipeline import ArticleInput, Digester

    digester = Digester.default()
    digester.analyze([ArticleInput(0, "준비", "")])
    settings = Settings(_env_file=None)
    digester.max_chars = settings.digest_max_chars
    leads = " ".join(it["lead"] for it in items if it["lead"])
    huge = (leads * (1_150_000 // len(leads) + 1))[:1_150_000]
    kept = huge[: digester.max_chars]
    kiwi = min(timed(partial(digester.nlp.tokenize, ["아주 긴 기사", kept])) for _ in range(3))
    t = min(timed(partial(digester.analyze, [ArticleInput(1, "아주 긴 기사", huge)])) for _ in range(3))
    print(
        f"cap (DIGEST_MAX_CHARS={digester.max_chars:,}): a 1.15 M-character item analysed in {t:.2f} s "
        f"(bare Kiwi on the {len(kept):,} characters kept: {kiwi:.2f} s)"
    )
    body = (leads * (9_000_000 // len(leads) + 1))[:9_000_000]
    line = json.dumps({"id": 1, "title": "큰 입력", "body": body}, ensure_ascii=False)
    size = len(line.encode())

    def analyze_line() -> None:
        digester.analyze(list(read_inputs(io.StringIO(line + "\n"))))

    t = min(timed(analyze_line) for _ in range(3))
    print(f"cap: a {size / 1e6:.1f} MB `analyze` line read and analysed in {t:.2f} s")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", default=["cap", "throughput", "tick", "days"])
    ap.add_argument("--articles", type=int, default=16_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--per-day", type=int, default=3000)
    ap.add_argument("--stored", default="10000,90000,1000000")
    ap.add_argument("--ticks", type=int, default=30)
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    ap.add_argument("--url", help=argparse.SUPPRESS)  # `generate`: the database to fill
    args = ap.parse_args(argv)
    # `days` reads the corpus a day at a time: a process holding all of it is not the service.
    items = load_items() if set(args.parts) - {"days"} else []
    print(f"corpus: {len(items)} items; machine: {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    for part in args.parts:
        t0 = time.perf_counter()
        if part == "cap":
            bench_cap(items)
        elif part == "throughput":
            bench_throughput(items, args.articles, args.db)
        elif part == "tick":
            bench_tick(items, [int(x) for x in args.stored.split(",")], args.ticks, args.db)
        elif part == "generate":
            engine, sessions = seeded(args.url)
            generate_stored(engine, sessions, items, int(args.stored), GENERATED_END)
            engine.dispose()
        elif part == "days":
            bench_days(args.days, args.per_day, args.ticks, args.db)
        else:
            sys.exit(f"unknown part: {part}")
        print(f"  ({part}: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
