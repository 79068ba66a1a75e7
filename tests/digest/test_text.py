from __future__ import annotations

import re

import pytest

from briefings.digest.text import (
    clean_title,
    is_exclusive,
    lead,
    split_sentences,
    strip_boilerplate,
)
from tests.conftest import corpus_path


@pytest.mark.parametrize(
    ("raw", "kept", "gone"),
    [
        (
            "[서울=뉴시스]홍길동 기자 = 화웨이가 새 스마트폰을 공개했다.",
            "화웨이가 새 스마트폰을 공개했다.",
            ["뉴시스", "홍길동", "기자"],
        ),
        (
            "(서울=연합뉴스) 이상헌 박경준 기자 = 삼성전자가 2분기 실적을 발표했다.",
            "삼성전자가 2분기 실적을 발표했다.",
            ["연합뉴스", "이상헌", "박경준"],
        ),
        (
            "LG유플러스가 요금제를 내놨다. 홍길동 기자 hong@example.co.kr",
            "LG유플러스가 요금제를 내놨다.",
            ["hong@", "홍길동"],
        ),
        (
            "SK텔레콤은 6G를 시연했다. 저작권자 ⓒ 서울경제, 무단 전재 및 재배포 금지",
            "SK텔레콤은 6G를 시연했다.",
            ["저작권자", "무단", "서울경제"],
        ),
        (
            "카카오가 신규 서비스를 출시했다.[© 뉴스1코리아(news1.kr), 무단 전재 및 재배포 금지]",
            "카카오가 신규 서비스를 출시했다.",
            ["뉴스1", "무단", "©"],
        ),
        (
            "네이버가 클라우드 사업을 키운다. (사진=연합뉴스) 투자 규모는 1조원이다.",
            "네이버가 클라우드 사업을 키운다. 투자 규모는 1조원이다.",
            ["사진="],
        ),
        (
            "현대차가 전기차를 공개했다 /사진 제공=현대자동차",
            "현대차가 전기차를 공개했다",
            ["사진"],
        ),
        (
            "글자크기 기사 스크랩 공유 프린트\n쿠팡이 물류센터를 새로 연다.\n좋아요 댓글",
            "쿠팡이 물류센터를 새로 연다.",
            ["글자크기", "스크랩", "공유", "좋아요", "댓글"],
        ),
        (
            "▶ 관련기사 모음\n엔비디아가 신형 GPU를 내놨다.\nCopyright © Example Media. All rights reserved.",
            "엔비디아가 신형 GPU를 내놨다.",
            ["관련기사", "Copyright", "rights"],
        ),
    ],
)
def test_boilerplate_is_stripped_and_the_story_kept(raw: str, kept: str, gone: list[str]) -> None:
    out = strip_boilerplate(raw)
    assert out == kept
    for word in gone:
        assert word not in out


def test_ordinary_prose_with_reporter_words_is_kept() -> None:
    text = "중국 외교부 대변인은 기자 문답 형식의 성명에서 반대 입장을 밝혔다. 공유 경제가 커지고 있다."
    assert strip_boilerplate(text) == text


def test_real_portal_bodies_lose_their_chrome_but_not_their_text() -> None:
    raw = corpus_path("soynlp-naver-news-2018-02-25", "news.dat").read_text(encoding="utf-8")
    out = strip_boilerplate(raw)
    # Copyright footers (about 60 in the file), bylines, addresses and photo credits are gone...
    assert raw.count("무단") > 50
    assert "무단" not in out and "ⓒ" not in out and "©" not in out
    assert not re.search(r"기자\s*=", out)
    assert not re.search(r"[A-Za-z0-9._-]+@[A-Za-z0-9-]+\.", out)
    assert "사진=" not in out
    assert "네이버메인에" not in out
    # ... while the articles themselves stay.
    assert len(out) > 0.85 * len(raw)
    # Plain reporting sentences (none of the chrome's marks in them) survive, whichever they are.
    chrome = re.compile(r"기자|무단|ⓒ|©|@|사진|네이버|구독|바로가기|[\[\]▶☞■◆]")
    sentences = re.findall(r"[^.\n]{40,}(?:습니다|했다|이다)\.", raw)
    prose = [" ".join(s.split()) for s in sentences if not chrome.search(s)]
    flat = " ".join(out.split())
    assert len(prose) > 200
    assert sum(s in flat for s in prose) >= 0.9 * len(prose)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("[단독] 카카오뱅크, 기업가치 20조 IPO 추진", True),
        ("<단독>네이버, 라인야후 지분 매각 검토", True),
        ("【단독】 LG전자 로봇 사업 확대", True),
        ("단독: SK하이닉스 HBM 증설", True),
        ("삼성전자 '단독 부스' 연다", False),
        ("LG유플러스, 내년 MWC서 '단독 부스' 첫 운영", False),
    ],
)
def test_exclusive_is_read_from_the_headline_tag(title: str, expected: bool) -> None:
    assert is_exclusive(title) is expected


def test_clean_title_drops_leading_tags_only() -> None:
    assert clean_title("[속보][종합2보] 7월 수출 9.4% 증가") == "7월 수출 9.4% 증가"
    assert clean_title("삼성전자 [포토] 행사") == "삼성전자 [포토] 행사"
    assert clean_title("[단독]") == "[단독]"


def test_sentences_and_lead() -> None:
    text = "화웨이가 신제품을 공개했다. 가격은 100만원이다! 출시는 다음 달이다  판매는 온라인으로 한다"
    assert split_sentences(text) == [
        "화웨이가 신제품을 공개했다.",
        "가격은 100만원이다!",
        "출시는 다음 달이다",
        "판매는 온라인으로 한다",
    ]
    assert lead(text) == "화웨이가 신제품을 공개했다. 가격은 100만원이다!"
    assert lead(text, sentences=1, max_chars=5) == "화웨이가 "
