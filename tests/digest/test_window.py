"""The stored digest's window: kept by the process, caught up from what other processes digested,
evicted with time; one copy rule and process-independent keywords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.digest.nlp import KoreanNLP
from briefings.digest.pipeline import ArticleInput, Digester, build_digester, digest_pending
from briefings.models import Article
from tests.digest.helpers import shared_digester, stored_article

pytestmark = pytest.mark.kiwi

T0 = datetime(2026, 2, 10, 0, 0, tzinfo=UTC)
WIRE = (
    "현대자동차가 울산에 전기차 전용 공장을 새로 짓는다고 10일 밝혔다. 총 2조원을 투자해 2026년부터 "
    "연간 20만대를 생산한다. 회사는 협력사와 함께 부품 공급망도 울산에 모은다고 설명했다."
)


def add(session: Session, n: int, title: str, body: str, hours: float, outlet: str) -> int:
    return stored_article(
        session,
        url=f"https://{outlet}.example.kr/{n}",
        title=title,
        body=body,
        outlet=outlet,
        title_key=f"{title}{n}",
        published=T0 + timedelta(hours=hours),
        seen=T0,
    )


def test_a_process_catches_up_with_what_another_digested(
    sessions: sessionmaker[Session], nlp: KoreanNLP
) -> None:
    with sessions.begin() as s:
        add(s, 1, "정부, 부동산 대책 발표", "정부가 주택 공급 대책을 내놨다.", 0, "한겨레")
    with sessions() as s:
        mine = build_digester(s, now=T0)
        digest_pending(s, mine, now=T0)
        window = mine.window
        assert window is not None and len(window) == 1
    with sessions.begin() as s:
        original = add(s, 2, "현대차, 울산 전기차 공장 짓는다", WIRE, 1, "연합뉴스")
    with sessions() as s:  # another process (its own digester and window) digests the wire copy
        theirs = Digester(mine.registry, nlp, matcher=mine.matcher)
        assert digest_pending(s, theirs, now=T0).articles == 1
    with sessions.begin() as s:
        copy = add(s, 3, "현대차 울산에 전기차 공장", WIRE + " 무단 전재 및 재배포 금지", 2, "뉴시스")
    with sessions() as s:
        assert digest_pending(s, mine, now=T0).duplicates == 1
        assert mine.window is window and len(window) == 3  # kept, and brought up to date
        reprint, first = s.get(Article, copy), s.get(Article, original)
        assert reprint is not None and first is not None
        assert reprint.duplicate_of_id == original and reprint.story_id == first.story_id


def test_the_window_forgets_what_time_has_closed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        for i in range(3):
            add(
                s,
                i,
                f"반도체 수출 {i}월 증가",
                "반도체 수출이 늘었다. 정부는 반도체 지원을 이어간다.",
                i,
                "한겨레",
            )
    with sessions() as s:
        digester = build_digester(s, now=T0)
        digest_pending(s, digester, now=T0)
        window = digester.window
        assert window is not None and len(window) == 3 and window.grouper.stories
    with sessions.begin() as s:
        add(s, 9, "정부, 부동산 대책 발표", "정부가 주택 공급 대책을 내놨다.", 24 * 7, "한겨레")
    with sessions() as s:
        digest_pending(s, digester, now=T0)
    assert len(window) == 1 and len(window.dups) <= 1 and len(window.grouper.stories) == 1
    assert window.grouper.background.docs == 1


def test_an_exact_short_copy_is_a_duplicate_in_the_database_as_in_analyze(
    sessions: sessionmaker[Session],
) -> None:
    title, body = "삼성전자 주가 5% 상승", "삼성전자 주가가 올랐다."  # too short for MinHash
    with sessions.begin() as s:
        first = add(s, 1, title, body, 0, "한겨레")
        second = add(s, 2, f"[속보] {title}", body, 1, "연합뉴스")
    with sessions() as s:
        assert digest_pending(s, build_digester(s, now=T0), now=T0).duplicates == 1
        copy = s.get(Article, second)
        assert copy is not None and copy.duplicate_of_id == first
    items = [
        ArticleInput(1, title, body, published=T0),
        ArticleInput(2, f"[속보] {title}", body, published=T0),
    ]
    assert [g.duplicate_of for g in shared_digester().group(items)] == [None, 1]


def test_an_article_gets_the_same_keywords_alone_or_in_any_batch() -> None:
    digester = shared_digester()
    target = ArticleInput(
        1, "中 창정5B 로켓 잔해 추락", "중국 우주발사체 창정5B호 로켓 잔해가 필리핀 바다로 추락했다."
    )
    others = [ArticleInput(i, f"로켓 발사 {i}", "로켓 잔해 로켓 발사 로켓") for i in range(2, 40)]
    alone = digester.analyze([target])[0].keywords
    assert "잔해" in alone
    assert digester.analyze([*others, target])[-1].keywords == alone
    assert digester.analyze([target])[0].keywords == alone


def test_nothing_of_an_evicted_article_stays_in_the_window(sessions: sessionmaker[Session]) -> None:
    """A long-lived worker's memory is its window's: every trace of an article (its vector and
    headline signals, postings, copy buckets, background counts) goes when the window moves on."""
    with sessions.begin() as s:
        for i in range(6):
            add(s, i, f"삼성전자, 반도체 수출 {i + 1}조원 돌파", WIRE, i, "한겨레")
            add(s, 100 + i, f"[특징주] LG화학 {i + 3}% 급등", f"LG화학 주가가 {i}일 올랐다.", i, "연합뉴스")
    with sessions() as s:
        digester = build_digester(s, now=T0)
        digest_pending(s, digester, now=T0)
        window = digester.window
        assert window is not None and len(window) == 12
        held = [a for story in window.grouper.stories.values() for a in story.articles]
        assert any(a.signals is not None and a.signals.numbers for a in held)
        assert all(not a.topic for a in held)  # an open article keeps its vector, not its topic
    with sessions.begin() as s:
        last = add(s, 9, "정부, 부동산 대책 발표", "정부가 주택 공급 대책을 내놨다.", 24 * 7, "한겨레")
    with sessions() as s:
        digest_pending(s, digester, now=T0)
    grouper, dups = window.grouper, window.dups
    assert set(grouper.story_of) == {last} and set(grouper._vectors) == {last}
    (story,) = grouper.stories.values()
    assert {a.key for a in story.articles} == {last}
    assert all(p == grouper._slot_of[story.key] for p in grouper._postings.values())
    assert set(grouper._postings) == set(grouper._vectors[last])
    assert set(dups._entries) <= {last} and set(window._topics) == {last}
    assert all(v == last for table in dups._tables for v in table.values())
    assert all(v == last for v in dups._texts.values())
    assert grouper.background.docs == 1
    assert set(grouper.background.df) == set(window._topics[last])
