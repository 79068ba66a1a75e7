"""`digest_pending` against real databases (SQLite always, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.db import make_engine, make_sessionmaker
from briefings.digest.dedup import Fingerprint
from briefings.digest.pipeline import build_digester, digest_pending
from briefings.models import Article, ArticleTerm, ArticleTheme, Company, Mention, Story, StoryCompany

pytestmark = pytest.mark.kiwi

T0 = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=12)

WIRE = (
    "화웨이는 1일 삼성전자와 5G 통신장비 업무협약(MOU)을 "
    "체결했다고 밝혔다. 양사는 클라우드 분야에서도 협력한다. "
    "화웨이 관계자는 한국 시장을 중시한다고 말했다. 협약에 따라 두 회사는 연내 공동 연구소를 세운다."
)


def add_article(session: Session, n: int, outlet: str, title: str, body: str, hours: float) -> Article:
    url = f"https://{outlet}.example/{n}"
    art = Article(
        url=url,
        url_key=hashlib.sha1(url.encode()).hexdigest(),
        title_key=hashlib.sha1(title.encode()).hexdigest(),
        outlet=outlet,
        title=title,
        summary=body[:80],
        body=body,
        published_at=T0 + timedelta(hours=hours),
        seen_at=T0 + timedelta(hours=hours),
    )
    session.add(art)
    session.flush()
    return art


def seed_articles(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        ids = {
            "first": add_article(
                s,
                1,
                "뉴시스",
                "[단독] 화웨이, 삼성전자와 5G 업무협약",
                f"[서울=뉴시스]홍길동 기자 = {WIRE}",
                1,
            ).id,
            "copy": add_article(
                s,
                2,
                "연합뉴스",
                "화웨이·삼성전자 5G 협력 MOU",
                f"(서울=연합뉴스) 김철수 기자 = {WIRE} ⓒ 연합뉴스",
                2,
            ).id,
            "other": add_article(
                s,
                3,
                "한겨레",
                "미국, 중국 AI 기업 수출통제 확대",
                "미국 정부가 중국 인공지능 기업을 수출통제 대상에 추가했다. "
                "제재를 받은 기업은 미국산 반도체를 살 수 없다.",
                3,
            ).id,
        }
        s.commit()
    return ids


def test_digest_writes_mentions_themes_terms_duplicates_and_stories(sessions: sessionmaker[Session]) -> None:
    ids = seed_articles(sessions)
    with sessions() as s:
        digester = build_digester(s, now=NOW)
        summary = digest_pending(s, digester, now=NOW)
    assert summary.articles == 3 and summary.duplicates == 1
    assert summary.new_stories == 2 and summary.joined_stories == 1

    with sessions() as s:
        # The registry file went into the empty companies table on the first run.
        assert (s.scalar(select(func.count()).select_from(Company)) or 0) > 300
        first, copy, other = (s.get(Article, ids[k]) for k in ("first", "copy", "other"))
        assert first is not None and copy is not None and other is not None
        assert all(a.digested_at == NOW for a in (first, copy, other))
        assert copy.duplicate_of_id == first.id and first.duplicate_of_id is None
        assert copy.story_id == first.story_id != other.story_id
        assert first.minhash is not None and Fingerprint.decode(first.minhash).minhash is not None

        names = {cid: name for cid, name in s.execute(select(Company.id, Company.name))}
        mentions = {
            (names[m.company_id], m.is_primary)
            for m in s.scalars(select(Mention).where(Mention.article_id == first.id))
        }
        assert {("화웨이", True), ("삼성전자", True)} <= mentions

        themes = set(s.scalars(select(ArticleTheme.theme).where(ArticleTheme.article_id == first.id)))
        assert {"alliance", "telecom"} <= themes
        assert "sanctions" in set(
            s.scalars(select(ArticleTheme.theme).where(ArticleTheme.article_id == other.id))
        )

        # The morpheme index: 제재를 is found as 제재, 수출통제 as its parts, nothing with a particle.
        terms = set(s.scalars(select(ArticleTerm.term).where(ArticleTerm.article_id == other.id)))
        assert {"제재", "수출", "통제", "반도체", "ai"} <= terms
        assert not any(t.endswith(("를", "을", "은", "는")) and len(t) > 2 for t in terms)
        hits = set(s.scalars(select(ArticleTerm.article_id).where(ArticleTerm.term == "협약")))
        assert hits == {first.id, copy.id}
        # Each posting names its article's story: searches find stories from the postings alone.
        postings = s.execute(
            select(ArticleTerm.article_id, ArticleTerm.story_id).where(
                ArticleTerm.article_id.in_([first.id, copy.id, other.id])
            )
        ).all()
        stories = {a.id: a.story_id for a in (first, copy, other)}
        assert postings and all(story_id == stories[article_id] for article_id, story_id in postings)

        story = s.get(Story, first.story_id)
        assert story is not None
        assert story.headline == first.title and story.first_outlet == "뉴시스"
        assert story.first_published_at == first.published_at and story.last_published_at == copy.published_at
        assert (
            story.outlets == ["뉴시스", "연합뉴스"] and story.outlets_count == 2 and story.articles_count == 2
        )
        assert story.exclusive is True
        assert story.representative_article_id == first.id
        assert {"alliance", "telecom"} <= set(story.themes) and story.keywords
        companies = {names[sc.company_id]: sc for sc in story.companies}
        assert companies["화웨이"].is_primary and companies["삼성전자"].is_primary
        assert all(sc.last_published_at == story.last_published_at for sc in story.companies)


def test_rerun_does_nothing_and_a_later_run_extends_the_open_story(sessions: sessionmaker[Session]) -> None:
    ids = seed_articles(sessions)
    with sessions() as s:
        digest_pending(s, build_digester(s, now=NOW), now=NOW)
    with sessions() as s:
        again = digest_pending(s, build_digester(s, now=NOW), now=NOW)
        assert again.articles == 0 and again.seeded_companies == 0
        story_count = s.scalar(select(func.count()).select_from(Story))

    later = NOW + timedelta(hours=20)
    with sessions() as s:
        follow = add_article(
            s,
            4,
            "동아일보",
            "화웨이-삼성전자 5G 동맹…통신장비 협력 본격화",
            "화웨이와 삼성전자가 5G 통신장비 분야에서 손을 잡았다. "
            "두 회사는 업무협약을 맺고 연구소를 세운다.",
            30,
        ).id
        s.commit()
    with sessions() as s:  # a new run rebuilds its window of open stories from the database
        summary = digest_pending(s, build_digester(s, now=later), now=later)
        assert summary.articles == 1 and summary.joined_stories == 1 and summary.new_stories == 0
        assert s.scalar(select(func.count()).select_from(Story)) == story_count
        article = s.get(Article, follow)
        first = s.get(Article, ids["first"])
        assert article is not None and first is not None and article.story_id == first.story_id
        story = s.get(Story, first.story_id)
        assert story is not None
        assert story.outlets_count == 3 and story.articles_count == 3 and "동아일보" in story.outlets
        assert story.last_published_at == article.published_at and story.headline == first.title
        assert story.updated_at == later
        last = set(s.scalars(select(StoryCompany.last_published_at).where(StoryCompany.story_id == story.id)))
        assert last == {article.published_at}


def test_an_interrupted_run_loses_nothing(sessions: sessionmaker[Session]) -> None:
    seed_articles(sessions)

    def stop(_done: int) -> None:
        raise KeyboardInterrupt

    with sessions() as s, pytest.raises(KeyboardInterrupt):
        digest_pending(s, build_digester(s, now=NOW), now=NOW, batch_size=2, progress=stop)
    with sessions() as s:
        done = s.scalar(select(func.count()).select_from(Article).where(Article.digested_at.is_not(None)))
        assert done == 2  # the first batch was committed, the second never started
        summary = digest_pending(s, build_digester(s, now=NOW), now=NOW, batch_size=2)
        assert summary.articles == 1 and summary.new_stories == 1
        assert s.scalar(select(func.count()).select_from(Article).where(Article.digested_at.is_(None))) == 0
        assert s.scalar(select(func.count()).select_from(Story)) == 2
        assert (s.scalar(select(func.count()).select_from(Mention)) or 0) >= 4


def test_a_new_run_finds_copies_of_stored_articles_and_old_stories_stay_closed(
    sessions: sessionmaker[Session],
) -> None:
    ids = seed_articles(sessions)
    with sessions() as s:
        digest_pending(s, build_digester(s, now=NOW), now=NOW)
    with sessions() as s:
        copy = add_article(
            s, 5, "서울신문", "화웨이, 삼성전자와 5G 협약", f"{WIRE} 무단 전재 및 재배포 금지", 6
        ).id
        # The same event told again a week later is a new story: the old one closed long ago.
        week = add_article(s, 6, "국민일보", "[단독] 화웨이, 삼성전자와 5G 업무협약", WIRE, 24 * 7).id
        s.commit()
    with sessions() as s:
        summary = digest_pending(s, build_digester(s, now=NOW), now=NOW, batch_size=1)
        assert summary.articles == 2 and summary.batches == 2
        first = s.get(Article, ids["first"])
        reprint, late = s.get(Article, copy), s.get(Article, week)
        assert first is not None and reprint is not None and late is not None
        assert reprint.duplicate_of_id == first.id and reprint.story_id == first.story_id
        assert late.story_id != first.story_id
        assert late.duplicate_of_id is None  # the copy's original left the window with its story


def test_digest_command_prints_its_summary_as_json(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    seed_articles(make_sessionmaker(engine))
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": sqlite_url}
    cmd = [sys.executable, "-m", "bot", "digest", "--json"]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["articles"] == 3 and summary["duplicates"] == 1 and summary["new_stories"] == 2
    assert summary["failed"] == 0
    again = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=300, check=False)
    assert json.loads(again.stdout)["articles"] == 0
