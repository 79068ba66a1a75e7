"""A small newsroom for page tests: two companies, a story told by three outlets, its follow-up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from briefings.models import Article, Company, Mention, Story, StoryCompany

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 in Seoul, a Tuesday
HOSTILE = '<script>alert("x")</script> 화웨이 <img src=x onerror=alert(1)> 신제품'


@dataclass(frozen=True)
class Seeded:
    huawei: int
    samsung: int
    story: int
    follow_up: int
    hostile: int


def company(session: Session, name: str, name_en: str = "") -> int:
    row = Company(name=name, name_en=name_en, created_at=NOW - timedelta(days=60))
    session.add(row)
    session.flush()
    return row.id


def story(
    session: Session,
    headline: str,
    at: datetime,
    companies: list[tuple[int, bool]],
    outlets: list[tuple[str, str, str]],
    *,
    themes: list[str] | None = None,
    summary: str | None = None,
    follow_up_of: int | None = None,
) -> int:
    """A story with one article per (outlet, title, url), an hour apart, mentioning `companies`."""
    row = Story(
        headline=headline,
        url=outlets[0][2],
        first_outlet=outlets[0][0],
        first_published_at=at,
        last_published_at=at + timedelta(hours=len(outlets) - 1),
        outlets_count=len(outlets),
        articles_count=len(outlets),
        outlets=[o for o, _, _ in outlets],
        themes=themes or [],
        summary=summary,
        follow_up_of_id=follow_up_of,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    for cid, primary in companies:
        session.add(
            StoryCompany(
                story_id=row.id, company_id=cid, is_primary=primary, last_published_at=row.last_published_at
            )
        )
    for i, (outlet, title, url) in enumerate(outlets):
        key = hashlib.sha1(f"{row.id}-{i}-{url}".encode()).hexdigest()
        published = at + timedelta(hours=i)
        article = Article(
            url=url,
            url_key=key,
            title_key=key,
            outlet=outlet,
            title=title,
            published_at=published,
            seen_at=published,
            story_id=row.id,
        )
        article.mentions = [
            Mention(company_id=cid, is_primary=primary, salience=1.0, count=1) for cid, primary in companies
        ]
        session.add(article)
    session.flush()
    return row.id


def newsroom(session: Session, now: datetime = NOW) -> Seeded:
    huawei = company(session, "화웨이", "Huawei")
    samsung = company(session, "삼성전자", "Samsung Electronics")
    first = story(
        session,
        "화웨이, 새 스마트폰 공개",
        now - timedelta(days=2),
        [(huawei, True), (samsung, False)],
        [
            ("연합뉴스", "화웨이, 새 스마트폰 공개", "https://www.yna.co.kr/view/1"),
            ("전자신문", "화웨이 신형 스마트폰 베일 벗었다", "https://www.etnews.com/2"),
            ("수상한매체", "클릭하면 위험한 링크", "javascript:alert(document.cookie)"),
        ],
        themes=["launch", "ai"],
        summary="화웨이가 새 스마트폰을 공개했다. 삼성전자와 경쟁이 예상된다.",
    )
    follow_up = story(
        session,
        "화웨이 새 스마트폰 첫날 판매 호조",
        now - timedelta(days=1),
        [(huawei, True)],
        [("뉴스1", "화웨이 새 스마트폰 첫날 판매 호조", "https://www.news1.kr/3")],
        themes=["launch"],
        follow_up_of=first,
    )
    hostile = story(
        session,
        HOSTILE,
        now - timedelta(hours=5),
        [(huawei, True)],
        [("<b>가짜</b>매체", HOSTILE, 'https://evil.example/"><script>alert(2)</script>')],
    )
    return Seeded(huawei, samsung, first, follow_up, hostile)
