"""A small world of companies, stories and indexed articles, written straight into the database.

Rows are inserted the way the digester stores them (companies + aliases, stories + story_companies
with `last_published_at` copied, articles + their morpheme terms), so lookups run on real tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from briefings.models import Article, ArticleTerm, Company, CompanyAlias, Story, StoryCompany

NOW = datetime.fromisoformat("2026-11-22T00:00:00+00:00")  # 09:00 KST
HOSTILE_HEADLINE = "현대차 *대박* _속보_ ~급락~ `코드` \u202e역순\u202c 전기차 \u2067격리\u2069 \u200f끝"
HOSTILE_OUTLET = "\u202e매체* _이름_"

COMPANIES: list[tuple[str, str, str, str | None, str | None, list[str]]] = [
    # name, name_en, kind, ticker, group, aliases
    ("화웨이", "Huawei", "company", None, None, ["華為", "华为", "Huawei Technologies"]),
    ("삼성", "Samsung", "group", None, "삼성", ["삼성그룹"]),
    ("삼성전자", "Samsung Electronics", "company", "005930", "삼성", ["삼성電", "삼전"]),
    ("삼성SDI", "Samsung SDI", "company", "006400", "삼성", []),
    ("삼성바이오로직스", "Samsung Biologics", "company", "207940", "삼성", ["삼바"]),
    ("LG", "LG", "group", None, "LG", ["LG그룹", "엘지"]),
    ("LG전자", "LG Electronics", "company", "066570", "LG", ["엘지전자"]),
    ("LG유플러스", "LG Uplus", "company", "032640", "LG", ["LGU+", "엘지유플러스"]),
    ("SK", "SK", "group", None, "SK", ["SK그룹"]),
    ("SK하이닉스", "SK hynix", "company", "000660", "SK", ["하이닉스"]),
    ("SK텔레콤", "SK Telecom", "company", "017670", "SK", ["SKT"]),
    ("현대", "Hyundai", "group", None, "현대", ["현대그룹"]),
    ("현대자동차", "Hyundai Motor", "company", "005380", "현대", ["현대차"]),
    ("현대모비스", "Hyundai Mobis", "company", "012330", "현대", []),
    ("롯데", "Lotte", "group", None, "롯데", ["롯데그룹"]),
    ("롯데쇼핑", "Lotte Shopping", "company", "023530", "롯데", []),
    ("롯데케미칼", "Lotte Chemical", "company", "011170", "롯데", []),
    ("메타", "Meta Platforms", "company", "META", None, ["페이스북", "Facebook"]),
    ("애플", "Apple", "company", "AAPL", None, ["Apple Inc."]),
    ("메그비", "Megvii", "company", None, None, ["쾅스커지", "旷视科技"]),
]


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    stories: dict[str, int] = field(default_factory=dict)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def add_company(
    session: Session,
    name: str,
    name_en: str,
    kind: str,
    ticker: str | None,
    group: str | None,
    aliases: list[str],
) -> Company:
    company = Company(name=name, name_en=name_en, kind=kind, ticker=ticker, group_name=group, created_at=NOW)
    company.aliases = [CompanyAlias(alias=a) for a in aliases]
    session.add(company)
    session.flush()
    return company


def add_story(
    session: Session,
    company_ids: list[int],
    headline: str,
    *,
    hours_ago: float,
    outlets: int = 1,
    exclusive: bool = False,
    themes: list[str] | None = None,
    outlet: str = "연합뉴스",
    url: str | None = None,
    terms: list[str] | None = None,
    now: datetime = NOW,
) -> Story:
    published = now - timedelta(hours=hours_ago)
    url = url or f"https://news.example.com/{_key(headline)[:12]}"
    story = Story(
        headline=headline,
        url=url,
        first_outlet=outlet,
        first_published_at=published,
        last_published_at=published,
        outlets_count=outlets,
        articles_count=outlets,
        exclusive=exclusive,
        outlets=[outlet],
        themes=themes or [],
        keywords=[],
        updated_at=published,
    )
    session.add(story)
    session.flush()
    for i, cid in enumerate(company_ids):
        session.add(
            StoryCompany(story_id=story.id, company_id=cid, is_primary=i == 0, last_published_at=published)
        )
    add_article(session, story, sorted(set(terms or [])))
    return story


def add_article(
    session: Session,
    story: Story,
    terms: Iterable[str],
    *,
    url: str | None = None,
    title: str | None = None,
    outlet: str | None = None,
) -> Article:
    """An article of the story, published when the story was last, with these index terms (as the
    digester stores them, the story copied into each posting). By default the story's own article."""
    url = url or story.url
    title = title or story.headline
    published = story.last_published_at
    article = Article(
        url=url,
        url_key=_key(url),
        title_key=_key(title),
        outlet=outlet or story.first_outlet,
        title=title,
        summary="",
        published_at=published,
        seen_at=published,
        digested_at=published,
        story_id=story.id,
    )
    session.add(article)
    session.flush()
    session.add_all(ArticleTerm(term=t, article_id=article.id, story_id=story.id) for t in terms)
    return article


def seed_world(session: Session, now: datetime = NOW) -> World:
    world = World()
    for row in COMPANIES:
        world.ids[row[0]] = add_company(session, *row).id
    ids = world.ids
    world.stories["hw_chip"] = add_story(
        session,
        [ids["화웨이"]],
        "화웨이, 새 AI 칩 어센드 공개",
        hours_ago=3,
        outlets=12,
        themes=["ai", "semiconductor"],
        terms=["화웨이", "칩", "어센드", "공개", "AI"],
        now=now,
    ).id
    world.stories["hw_excl"] = add_story(
        session,
        [ids["화웨이"]],
        "[단독] 화웨이, 국내 통신사와 5G 협력",
        hours_ago=20,
        outlets=2,
        exclusive=True,
        themes=["telecom"],
        outlet="전자신문",
        terms=["화웨이", "통신사", "협력"],
        now=now,
    ).id
    for i in range(7):
        world.stories[f"hw_{i}"] = add_story(
            session,
            [ids["화웨이"]],
            f"화웨이 스마트폰 소식 {i}",
            hours_ago=30 + i * 10,
            outlets=1,
            terms=["화웨이", "스마트폰", "소식"],
            now=now,
        ).id
    world.stories["hw_old"] = add_story(
        session,
        [ids["화웨이"]],
        "화웨이 오래된 기사",
        hours_ago=24 * 10,
        outlets=30,
        terms=["화웨이"],
        now=now,
    ).id
    world.stories["hw_passing"] = add_story(
        session,
        [ids["삼성전자"], ids["화웨이"]],
        "삼성전자 갤럭시 판매 호조, 화웨이 추격",
        hours_ago=5,
        outlets=8,
        terms=["삼성전자", "갤럭시", "판매", "화웨이"],
        now=now,
    ).id
    world.stories["evil"] = add_story(
        session,
        [ids["애플"]],
        "애플 <!channel> 공지 & <@U123> 호출 <https://evil.example|클릭>",
        hours_ago=2,
        outlets=3,
        outlet="<!here> 매체",
        terms=["애플", "공지", "호출"],
        now=now,
    ).id
    # A headline and an outlet that try to restyle the message or reverse the text around them.
    world.stories["restyle"] = add_story(
        session,
        [ids["현대자동차"]],
        HOSTILE_HEADLINE,
        hours_ago=4,
        outlets=2,
        outlet=HOSTILE_OUTLET,
        terms=["현대차"],
        now=now,
    ).id
    world.stories["meta_phone"] = add_story(
        session,
        [ids["메타"]],
        "메타, 스마트 안경 출시",
        hours_ago=6,
        outlets=4,
        themes=["launch"],
        terms=["메타", "스마트", "안경", "출시"],
        now=now,
    ).id
    # An article about no registered company: only the full-text fallback can find it.
    add_story(
        session,
        [ids["메그비"]],
        "딥시크 돌풍에 중국 AI 스타트업 주목",
        hours_ago=8,
        outlets=2,
        terms=["딥시크", "돌풍", "중국", "AI", "스타트업", "주목"],
        now=now,
    )
    session.commit()
    return world
