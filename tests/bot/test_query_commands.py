"""`/news` with query syntax over the real HTTP endpoint: words, phrases, exclusions, operators, OR."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from briefings.digest.terms import index_terms
from briefings.models import Article, ArticleTheme
from tests.bot.conftest import Harness
from tests.bot.seed import add_story
from tests.bot.test_commands import _texts

pytestmark = pytest.mark.kiwi


STORIES = [
    # key, company, headline, outlet, themes, hours ago
    ("hbm", "삼성전자", "삼성전자, HBM 공급 확대 나선다", "전자신문", ["semiconductor"], 3),
    ("hbm_particle", "삼성전자", "엔비디아에 HBM을 납품하는 삼성전자", "연합뉴스", ["semiconductor"], 10),
    ("hbm_sports", "삼성전자", "삼성전자 HBM 사내 스포츠 대회 열려", "연합뉴스", [], 5),
    ("nand", "삼성전자", "삼성전자 낸드 감산 결정", "한국경제", ["semiconductor"], 8),
    ("fold", "삼성전자", "삼성전자 폴더블 스마트폰 신제품 공개", "연합뉴스", ["launch"], 4),
    ("old_hbm", "삼성전자", "삼성전자 HBM 지난달 소식", "연합뉴스", [], 24 * 20),
    ("hynix", "SK하이닉스", "SK하이닉스 HBM 신기록", "연합뉴스", ["semiconductor"], 2),
]


@pytest.fixture
def h(harness: Harness) -> Harness:
    from briefings.digest.nlp import get_nlp

    nlp = get_nlp()
    harness.world.ids  # noqa: B018  (the seeded companies)
    with harness.sessions() as session:
        for key, company, headline, outlet, themes, hours in STORIES:
            # Indexed the way the digester indexes articles: the analyser's morphemes, `index_terms`.
            terms = sorted(index_terms(nlp.tokenize([headline])[0]))
            story = add_story(
                session,
                [harness.world.ids[company]],
                headline,
                hours_ago=hours,
                outlet=outlet,
                themes=themes,
                terms=terms,
            )
            harness.world.stories[key] = story.id
            article_id = session.scalar(select(Article.id).where(Article.story_id == story.id))
            for theme in themes:  # the digester stores each article's themes; the story's are theirs
                session.add(ArticleTheme(article_id=article_id, theme=theme, score=1.0))
        session.commit()
    return harness


def ask(h: Harness, text: str) -> dict[str, Any]:
    before = len(h.fake.responses)
    resp = h.user.command(text)
    assert resp.status_code == 200
    return h.user.responses(before + 1)[before]


def headlines(h: Harness, text: str) -> set[str]:
    body = ask(h, text)
    assert body["blocks"], body["text"]
    shown = _texts(body["blocks"])
    return {headline for _k, _c, headline, *_ in STORIES if headline in shown}


def test_a_company_and_a_word(h: Harness) -> None:
    assert headlines(h, "삼성전자 HBM") == {
        "삼성전자, HBM 공급 확대 나선다",
        "엔비디아에 HBM을 납품하는 삼성전자",
        "삼성전자 HBM 사내 스포츠 대회 열려",
    }


def test_the_heading_says_what_was_searched(h: Harness) -> None:
    body = ask(h, "삼성전자 HBM -스포츠")
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][0]["text"]["text"].startswith("삼성전자 · HBM")
    assert body["response_type"] == "ephemeral"


def test_words_match_morphemes_with_particles_not_substrings(h: Harness) -> None:
    assert "엔비디아에 HBM을 납품하는 삼성전자" in headlines(h, "삼성전자 HBM을")
    body = ask(h, "삼성전자 감산을")
    assert "삼성전자 낸드 감산 결정" in _texts(body["blocks"])
    assert headlines(h, "삼성전자 공급확대") == {"삼성전자, HBM 공급 확대 나선다"}


def test_exclusion(h: Harness) -> None:
    assert "삼성전자 HBM 사내 스포츠 대회 열려" not in headlines(h, "삼성전자 HBM -스포츠")
    assert "삼성전자, HBM 공급 확대 나선다" in headlines(h, "삼성전자 HBM -스포츠")


def test_a_quoted_phrase_without_a_company(h: Harness) -> None:
    assert headlines(h, '"폴더블"') == {"삼성전자 폴더블 스마트폰 신제품 공개"}


def test_or(h: Harness) -> None:
    found = headlines(h, "삼성전자 폴더블 OR 낸드")
    assert found == {"삼성전자 낸드 감산 결정", "삼성전자 폴더블 스마트폰 신제품 공개"}


def test_outlet_theme_and_period_operators(h: Harness) -> None:
    assert headlines(h, "삼성전자 매체:한국경제") == {"삼성전자 낸드 감산 결정"}
    themed = headlines(h, "테마:반도체")
    assert "SK하이닉스 HBM 신기록" in themed and "삼성전자 낸드 감산 결정" in themed
    assert "삼성전자 폴더블 스마트폰 신제품 공개" not in themed
    assert "삼성전자 HBM 지난달 소식" not in headlines(h, "삼성전자 HBM")
    assert "삼성전자 HBM 지난달 소식" in headlines(h, "삼성전자 HBM 기간:30일")
    body = ask(h, "삼성전자 HBM 기간:30일")
    assert "최근 30일" in body["blocks"][0]["text"]["text"]
    assert "삼성전자 낸드 감산 결정" not in headlines(h, "삼성전자 -매체:한국경제 -테마:신제품")
    assert "삼성전자 폴더블 스마트폰 신제품 공개" not in headlines(h, "삼성전자 -테마:신제품")


def test_a_word_beside_a_company_narrows_only_that_company(h: Harness) -> None:
    assert "SK하이닉스 HBM 신기록" not in headlines(h, "삼성전자 HBM")
    assert headlines(h, "HBM 하이닉스") == {"SK하이닉스 HBM 신기록"}


def test_a_search_that_finds_nothing_says_so(h: Harness) -> None:
    body = ask(h, '삼성전자 "양자컴퓨터"')
    assert "맞는 기사가 없습니다" in _texts(body["blocks"])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('""', "따옴표 안이 비어"),
        ("삼성전자 기간:0일", "1일부터 365일"),
        ("삼성전자 매체:없는신문", "매체를 모릅니다"),
        ("테마:없는테마", "테마가 없습니다"),
        ("삼성전자 OR", "단어가 없습니다"),
        ("-스포츠", "찾을 말이 없습니다"),
        ('"뉴스"', "찾을 수 있는 말이 남지 않았습니다"),
        ("삼성전자 매체:<!channel>", "매체를 모릅니다"),
    ],
)
def test_bad_queries_get_one_line_and_no_blocks(h: Harness, text: str, says: str) -> None:
    body = ask(h, text)
    assert says in body["text"]
    assert "\n" not in body["text"]
    assert not body.get("blocks")
    assert "<!channel>" not in body["text"]


def test_plain_company_lookups_keep_their_answer(h: Harness) -> None:
    body = ask(h, "화 웨 이")
    assert "화웨이" in body["blocks"][0]["text"]["text"] and "주요 뉴스" in body["blocks"][0]["text"]["text"]


def test_help_explains_the_query_syntax(h: Harness) -> None:
    text = _texts(ask(h, "도움말")["blocks"])
    for example in ("삼성전자 HBM", '"폴더블"', "-스포츠", "기간:30일", "테마:반도체", "매체:한국경제", "OR"):
        assert example in text
