"""No text stops the digest: a text that cannot be analysed is marked and skipped, the rest go on;
every real corpus text goes through the analysis; oversized bodies are cut to DIGEST_MAX_CHARS."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from briefings.companies import CompanyHit, CompanyMatcher
from briefings.config import Settings
from briefings.digest.nlp import KoreanNLP, Morph
from briefings.digest.pipeline import (
    ANALYSIS_STEP,
    ArticleAnalysis,
    ArticleInput,
    Digester,
    build_digester,
    digest_pending,
)
from briefings.jobs import Digest
from briefings.models import Article, Company, Mention, Story
from tests.conftest import corpus_path
from tests.digest.helpers import knews_items, shared_digester, stored_article, tera_items

pytestmark = pytest.mark.kiwi

T0 = datetime(2026, 2, 10, 0, 0, tzinfo=UTC)
# Kiwi reads the run-together title as the spaced name 시티 오브 엔젤 (eight characters for six).
CITY_OF_ANGELS = ("1940년대 LA에선 무슨 일이…뮤지컬 시티오브엔젤", "시티오브엔젤")


def add(
    session: Session, n: int, title: str, body: str = "", hours: float = 0, outlet: str = "한겨레"
) -> int:
    return stored_article(
        session,
        url=f"https://{n}.example.kr/{n}",
        title=title,
        body=body,
        outlet=outlet,
        title_key=title,
        published=T0 + timedelta(hours=hours),
        seen=T0,
    )


def test_the_headline_kiwi_spaces_differently_is_analysed() -> None:
    digester = shared_digester()
    analyses = digester.analyze([ArticleInput(i, t) for i, t in enumerate(CITY_OF_ANGELS)])
    assert [a.id for a in analyses] == [0, 1]
    # The words Kiwi split off still find names that start there, at the right place.
    (hit,) = digester.analyze([ArticleInput(9, "시티오브엔젤 공연에 삼성전자 후원")])[0].companies
    assert hit.company.name == "삼성전자"


def test_a_batch_with_a_text_kiwi_refuses_analyses_the_others() -> None:
    digester = shared_digester()
    items = [
        ArticleInput(1, "삼성전자, 반도체 투자 확대"),
        ArticleInput(2, "깨진 문자 \ud800 제목"),  # a lone surrogate: Kiwi raises on it
        ArticleInput(3, "LG전자 가전 신제품 공개"),
    ]
    with pytest.raises(UnicodeError):
        digester.analyze(items)
    results = digester.analyze_each(items)
    first, broken, third = results
    assert isinstance(first, ArticleAnalysis) and first.primaries == {"삼성전자"}
    assert isinstance(broken, str) and broken.startswith("UnicodeDecodeError")
    assert isinstance(third, ArticleAnalysis) and third.primaries == {"LG전자"}


class BrokenOn(CompanyMatcher):
    """The matcher as it was before the fix above: one headline raises inside the matching."""

    def __init__(self, base: CompanyMatcher, headline: str) -> None:
        self.__dict__.update(base.__dict__)
        self.headline = headline

    def find(
        self, title: str, body: str, title_morphs: Sequence[Morph], body_morphs: Sequence[Morph]
    ) -> list[CompanyHit]:
        if title == self.headline:
            raise IndexError("string index out of range")
        return super().find(title, body, title_morphs, body_morphs)


def test_an_article_that_fails_is_marked_and_skipped_and_the_rest_are_digested(
    sessions: sessionmaker[Session], nlp: KoreanNLP
) -> None:
    poison = "무엇이든 멈추게 하는 제목"
    with sessions.begin() as s:
        good = [add(s, i, f"삼성전자 {i}분기 실적 발표", "삼성전자가 실적을 발표했다.", i) for i in range(3)]
        bad = add(s, 9, poison, "", 1.5)
        city = add(s, 10, CITY_OF_ANGELS[0], "", 2.5)
    with sessions() as s:
        base = build_digester(s, now=T0)
        digester = Digester(base.registry, nlp, matcher=BrokenOn(base.matcher, poison))
        summary = digest_pending(s, digester, now=T0)
    assert summary.articles == 4 and summary.failed == 1
    assert summary.as_dict()["failed"] == 1
    assert [(aid, title) for aid, title, _ in summary.failures] == [(bad, poison)]
    with sessions() as s:
        article = s.get(Article, bad)
        assert article is not None and article.digested_at is None and article.story_id is None
        assert article.digest_error is not None and article.digest_error.startswith("IndexError")
        done = s.scalars(select(Article).where(Article.id.in_([*good, city]))).all()
        assert all(a.digested_at == T0 and a.story_id is not None and a.digest_error is None for a in done)
        names = set(
            s.scalars(
                select(Company.name)
                .join(Mention, Mention.company_id == Company.id)
                .where(Mention.article_id == good[0])
            )
        )
        assert names == {"삼성전자"}
    with sessions() as s:  # the failed article is not taken again
        again = digest_pending(s, digester, now=T0)
        assert again.articles == 0 and again.failed == 0


def test_a_batch_analysed_in_several_steps_marks_the_failures_of_each_and_digests_the_rest(
    sessions: sessionmaker[Session], nlp: KoreanNLP
) -> None:
    """A batch longer than one analysis step, failing on its very first article and on one of a later
    step: the window starts at the first article analysed, and every other article is digested."""
    poison = "무엇이든 멈추게 하는 제목"
    n = 2 * ANALYSIS_STEP + 10
    broken = {0, ANALYSIS_STEP + 5}
    with sessions.begin() as s:
        ids = [
            add(
                s,
                i,
                poison if i in broken else f"삼성전자 {i}번째 신제품 공개",
                "삼성전자가 신제품을 공개했다.",
                i / 10,
            )
            for i in range(n)
        ]
    with sessions() as s:
        base = build_digester(s, now=T0)
        digester = Digester(base.registry, nlp, matcher=BrokenOn(base.matcher, poison))
        summary = digest_pending(s, digester, now=T0)
    assert (summary.articles, summary.failed, summary.batches) == (n - 2, 2, 1)
    failed = {ids[i] for i in broken}
    assert {aid for aid, _, _ in summary.failures} == failed
    with sessions() as s:
        rows = {a.id: a for a in s.scalars(select(Article))}
    assert all(rows[i].digest_error and rows[i].story_id is None for i in failed)
    digested = [rows[i] for i in ids if i not in failed]
    assert all(a.digested_at == T0 and a.story_id is not None and a.digest_error is None for a in digested)


def test_an_article_joining_a_story_whose_summary_names_none_of_its_keywords_is_digested(
    sessions: sessionmaker[Session],
) -> None:
    lead = "삼성전자가 평택 반도체 공장에 새 생산라인을 짓는다고 밝혔다. 투자 규모는 30조원이다."
    with sessions.begin() as s:
        first = add(s, 1, "삼성전자, 평택에 반도체 생산라인 증설", lead)
    with sessions() as s:
        assert digest_pending(s, shared_digester(), now=T0).failed == 0
    with sessions.begin() as s:
        stored = s.get(Article, first)
        assert stored is not None and stored.story_id is not None
        story = s.get(Story, stored.story_id)
        assert story is not None and story.keywords and story.summary
        story.summary = "요약이 키워드와 겹치지 않는 문장이다."  # e.g. written by an earlier release
        copy = add(s, 2, "삼성전자, 평택에 반도체 생산라인 증설", lead, hours=1, outlet="매일경제")
    with sessions() as s:
        summary = digest_pending(s, shared_digester(), now=T0)
        article = s.get(Article, copy)
        assert summary.failed == 0 and summary.articles == 1
        assert article is not None and article.story_id == story.id and article.digest_error is None


def _corpus_texts() -> list[ArticleInput]:
    """The corpus texts the digester could be given: knews-rss items, a quarter of the tera-rss titles
    (every fourth, with every twentieth lead), YNAT headlines and the soynlp bodies."""
    items: list[ArticleInput] = []
    for url, it in knews_items(corpus_path("knews-rss", "jsons")).items():
        items.append(ArticleInput(url, it["title"], it["body"]))
    for n, it in enumerate(tera_items(corpus_path("tera-rss-economy-2026-02", "items.jsonl"))):
        if n % 4 == 0:
            items.append(ArticleInput(f"t{n}", it["title"], it["lead"] if n % 20 == 0 else ""))
    with corpus_path("ynat-dacon-headlines", "train_data_sample7000.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    items += [ArticleInput(f"y{r[0]}", r[1]) for r in rows if len(r) >= 2 and r[1].strip()]
    raw = corpus_path("soynlp-naver-news-2018-02-25", "news.dat").read_text(encoding="utf-8")
    for n, chunk in enumerate(re.split(r"(?<=금지)", raw)):
        if chunk.strip():
            items.append(ArticleInput(f"s{n}", chunk.strip()[:40], chunk))
    return items


@pytest.mark.corpus
def test_every_corpus_text_goes_through_the_analysis() -> None:
    digester = shared_digester()
    items = _corpus_texts()
    assert len(items) > 16_000
    failed: list[str] = []
    for i in range(0, len(items), 1024):
        batch = items[i : i + 1024]
        for item, result in zip(batch, digester.analyze_each(batch), strict=True):
            if isinstance(result, str):
                failed.append(f"{item.title!r}: {result}")
    assert failed == []


def test_only_the_first_max_chars_of_a_body_are_analysed(nlp: KoreanNLP) -> None:
    base = shared_digester()
    digester = Digester(base.registry, nlp, matcher=base.matcher, max_chars=2_000)
    filler = "오늘 날씨는 맑고 바람이 분다. " * 200  # 3,400 characters without a company
    body = "현대자동차가 새 공장을 짓는다. " + filler + " 카카오가 투자를 발표했다." * 80_000
    assert len(body) > 1_000_000
    (analysis,) = digester.analyze([ArticleInput(1, "새 공장 소식", body)])
    assert analysis.company_names == {"현대자동차"}
    assert len(analysis.body) <= 2_000


def test_the_setting_reaches_the_scheduled_digest(sessions: sessionmaker[Session]) -> None:
    settings = Settings(_env_file=None, digest_max_chars=1_000)
    filler = "오늘 날씨는 맑고 바람이 분다. " * 100
    with sessions.begin() as s:
        aid = add(s, 1, "새 소식", filler + " 카카오가 투자를 발표했다.")
    digest = Digest(max_chars=settings.digest_max_chars)
    assert digest.run(sessions, now=T0) == 1
    with sessions() as s:
        assert s.scalars(select(Mention).where(Mention.article_id == aid)).all() == []


def test_the_cap_is_validated() -> None:
    assert Settings(_env_file=None).digest_max_chars == 10_000
    with pytest.raises(ValidationError):
        Settings(_env_file=None, digest_max_chars=0)
