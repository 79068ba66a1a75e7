"""Korean encodings over real sockets, whatever the server claims; and full text for teaser-only feeds."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from briefings.config import Settings
from briefings.gather.cycle import run_gather_cycle
from tests.fakes.feed_server import Answer, FeedServer
from tests.gather.builders import Item, rss
from tests.gather.conftest import NOW, add_feed, articles, get_feed

# 똠, 햏 and 쏼 exist in CP949 but not in EUC-KR (KS X 1001): real "euc-kr" feeds use them anyway.
CP949_ONLY = "똠방각하 햏자 쏼라쏼라"
TITLES = [f"{CP949_ONLY} 기업 실적 발표", "한국전력 전기요금 인상 검토", "현대모비스 자율주행 부품 수주"]


def korean_feed(*, prolog: str | None, codec: str = "cp949") -> bytes:
    entries = [Item(t, f"https://kr.example.com/{n}", published=NOW) for n, t in enumerate(TITLES)]
    return rss(entries, title="가나다뉴스", encoding=prolog, codec=codec)


CASES = {
    # header charset, prolog encoding, the bytes' real codec
    "header euc-kr, prolog euc-kr": ("text/xml; charset=euc-kr", "euc-kr", "cp949"),
    "header only": ("application/rss+xml; charset=EUC-KR", None, "cp949"),
    "prolog only": ("text/xml", "euc-kr", "cp949"),
    "header ks_c_5601-1987": ("text/xml; charset=ks_c_5601-1987", "euc-kr", "cp949"),
    "header wrongly utf-8": ("text/xml; charset=utf-8", "euc-kr", "cp949"),
    "header default latin-1": ("text/xml; charset=ISO-8859-1", "euc-kr", "cp949"),
    "nothing declared": ("text/xml", None, "cp949"),
    "utf-8 body declared euc-kr": ("text/xml; charset=euc-kr", "euc-kr", "utf-8"),
    "utf-8 everywhere": ("application/rss+xml; charset=utf-8", "utf-8", "utf-8"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_korean_titles_decode_right_whatever_the_feed_claims(
    case: str, server: FeedServer, sqlite_url: str, settings: Settings
) -> None:
    from briefings.db import make_engine, make_sessionmaker

    content_type, prolog, codec = CASES[case]
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    try:
        url = server.feed("/kr.xml", korean_feed(prolog=prolog, codec=codec), content_type=content_type)
        feed_id = add_feed(sessions, url)
        summary = run_gather_cycle(sessions, settings, now=NOW)
        assert summary.ok == 1, get_feed(sessions, feed_id).last_error
        assert [a.title for a in articles(sessions)] == TITLES
        assert get_feed(sessions, feed_id).outlet == "가나다뉴스"
    finally:
        engine.dispose()


ARTICLE_PARAGRAPHS = [
    "삼성전자가 차세대 고대역폭메모리(HBM) 양산 라인을 평택 캠퍼스에 증설한다고 20일 밝혔다.",
    "회사 관계자는 인공지능 서버 수요가 예상보다 빠르게 늘어 내년 상반기까지 생산 능력을 두 배로 "
    "키우겠다고 설명했다. 업계는 이번 투자 규모를 10조원 안팎으로 보고 있다.",
    "증권가에서는 메모리 가격 반등과 맞물려 반도체 부문의 영업이익이 크게 개선될 것이라는 전망이 "
    "나온다. 경쟁사인 SK하이닉스와 마이크론도 증설 계획을 잇달아 내놓고 있다.",
    "한편 정부는 반도체 설비 투자에 대한 세액공제를 확대하는 방안을 검토하고 있다.",
]


def article_page(title: str) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS)
    page = f"""<!DOCTYPE html><html lang="ko"><head><meta charset="euc-kr"><title>{title}</title></head>
<body><nav><a href="/">홈</a> <a href="/economy">경제</a> <a href="/it">IT</a></nav>
<main><article><h1>{title}</h1><div class="byline">홍길동 기자</div>{paragraphs}</article></main>
<footer>무단 전재 및 재배포 금지</footer></body></html>"""
    return page.encode("cp949")


def test_full_text_feed_gets_bodies_and_a_failed_page_keeps_its_teaser(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    teaser = "삼성전자가 HBM 라인을 증설한다."
    entries = [
        Item("삼성전자 HBM 증설", server.url("/news/1"), description=teaser, published=NOW),
        Item("페이지 없는 기사", server.url("/news/2"), description="요약만 있는 기사.", published=NOW),
        Item("느린 페이지 기사", server.url("/news/3"), description="느린 서버의 기사.", published=NOW),
    ]
    server.add("/news/1", Answer(body=article_page("삼성전자 HBM 증설"), content_type="text/html"))
    server.add("/news/2", Answer(status=500, body=b"error", content_type="text/html"))
    server.add("/news/3", Answer(body=article_page("느린"), content_type="text/html", hang=30))
    feed_id = add_feed(sessions, server.feed("/full.xml", rss(entries)), full_text=True)

    summary = run_gather_cycle(sessions, settings, now=NOW)

    assert summary.ok == 1 and summary.new_articles == 3
    first, second, third = articles(sessions)
    assert first.body is not None
    assert "평택 캠퍼스에 증설" in first.body and "세액공제" in first.body
    assert "무단 전재" not in first.body and first.summary == teaser
    assert second.body is None and second.summary == "요약만 있는 기사."
    assert third.body is None
    assert get_feed(sessions, feed_id).last_error is None

    # Known articles are not fetched again on the next cycle.
    server.feed("/full.xml", rss(entries))
    run_gather_cycle(sessions, settings, now=NOW.replace(hour=12))
    assert len(server.hits("/news/1")) == 1


def test_feed_without_full_text_flag_never_fetches_pages(
    server: FeedServer, sessions: sessionmaker[Session], settings: Settings
) -> None:
    entries = [Item("기사", server.url("/news/9"), description="짧은 요약", published=NOW)]
    add_feed(sessions, server.feed("/plain.xml", rss(entries)))
    run_gather_cycle(sessions, settings, now=NOW)
    assert server.hits("/news/9") == []
    assert articles(sessions)[0].body is None
