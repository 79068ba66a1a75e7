"""Company matching on written sentences: one test per hard case of Korean company news.

Real sentences from the corpus for the same cases are in test_companies_corpus.py; these cover what
the corpus lacks and pin each rule down on its own.
"""

from __future__ import annotations

import pytest

from briefings.companies import (
    CompanyHit,
    CompanyMatcher,
    default_registry,
    substring_baseline,
)
from briefings.digest.nlp import KoreanNLP

pytestmark = pytest.mark.kiwi


@pytest.fixture(scope="module")
def matcher(nlp: KoreanNLP) -> CompanyMatcher:
    return CompanyMatcher(default_registry(), nlp)


def names(matcher: CompanyMatcher, title: str, body: str = "") -> list[str]:
    return sorted(h.company.name for h in matcher.find_text(title, body))


def hit(hits: list[CompanyHit], name: str) -> CompanyHit:
    [found] = [h for h in hits if h.company.name == name]
    return found


# --- particles and word boundaries -----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("화웨이는 美 제재에도 매출 늘었다", ["화웨이"]),
        ("삼성전자가 HBM 공급 늘린다", ["삼성전자"]),
        ("샤오미의 전기차, 예약 10만대 돌파", ["샤오미"]),
        ("텐센트도 AI 모델 공개", ["텐센트"]),
        ("'알리바바'와 ‘바이두’의 클라우드 경쟁", ["바이두", "알리바바"]),
        ("엔비디아·TSMC 협력 강화", ["TSMC", "엔비디아"]),
    ],
)
def test_names_with_particles_quotes_and_middle_dots(
    matcher: CompanyMatcher, title: str, expected: list[str]
) -> None:
    assert names(matcher, title) == expected


def test_kt_is_not_found_inside_ktx_skt_or_ktandg(matcher: CompanyMatcher) -> None:
    assert names(matcher, "KTX 이용객 늘어") == []
    assert names(matcher, "SKT 요금제 개편") == ["SK텔레콤"]
    assert names(matcher, "KT&G 배당 확대") == ["KT&G"]
    assert names(matcher, "KT, 5G 요금제 출시") == ["KT"]
    assert names(matcher, "SKT·KT·LGU+ 3사 경쟁") == ["KT", "LG유플러스", "SK텔레콤"]


def test_lg_electronics_is_not_inside_lg_uplus(matcher: CompanyMatcher) -> None:
    assert names(matcher, "LG유플러스, 알뜰폰 요금제 출시") == ["LG유플러스"]
    assert names(matcher, "LG전자, 2분기 영업이익 감소") == ["LG전자"]


def test_a_name_inside_an_unregistered_longer_word_does_not_count(matcher: CompanyMatcher) -> None:
    assert names(matcher, "이투데이 보도에 따르면 시장이 흔들렸다") == []
    assert names(matcher, "롯데하이마트 매장 축소") == ["롯데하이마트"]  # not 이마트


def test_subsidiary_with_its_own_entry_is_not_its_parent(matcher: CompanyMatcher) -> None:
    assert names(matcher, "카카오뱅크, 주택담보대출 금리 인하") == ["카카오뱅크"]
    assert names(matcher, "카카오페이가 해외 결제 확대") == ["카카오페이"]
    assert names(matcher, "카카오뱅크 최대주주 카카오") == ["카카오", "카카오뱅크"]


# --- groups ------------------------------------------------------------------------------------


def test_a_group_name_alone_is_the_group_not_a_subsidiary(matcher: CompanyMatcher) -> None:
    assert names(matcher, "삼성, 사장단 인사 단행") == ["삼성그룹"]
    assert names(matcher, "LG·SK, 배터리 투자 확대") == ["LG그룹", "SK그룹"]
    assert names(matcher, "삼성그룹 총수 일가 지분 정리") == ["삼성그룹"]
    assert names(matcher, "삼성전자·삼성SDI 나란히 강세") == ["삼성SDI", "삼성전자"]


def test_a_bracketed_english_gloss_is_not_a_group_mention(matcher: CompanyMatcher) -> None:
    body = "엘지(LG)전자는 올해 2분기 매출이 늘었다고 밝혔다. 에스케이텔레콤(SK)도 요금제를 냈다."
    assert names(matcher, "", body) == ["LG전자", "SK텔레콤"]


# --- homonyms ----------------------------------------------------------------------------------


def test_apple_mango_is_not_apple(matcher: CompanyMatcher) -> None:
    assert names(matcher, "여름 한정 애플망고 빙수 출시") == []
    assert names(matcher, "디저트 카페, 애플 망고 주스 인기") == []
    assert names(matcher, "애플, 신형 아이폰 공개") == ["애플"]


def test_amazon_rainforest_is_not_amazon(matcher: CompanyMatcher) -> None:
    assert names(matcher, "아마존 열대우림 파괴 속도 빨라져") == []
    assert names(matcher, "", "브라질 아마존 유역에서 대형 산불이 이어지고 있다.") == []
    assert names(matcher, "아마존, 클라우드 매출 20% 증가") == ["아마존"]


def test_line_as_a_word_is_not_line_yahoo(matcher: CompanyMatcher) -> None:
    assert names(matcher, "현대차, 울산공장 생산 라인 증설") == ["현대자동차"]
    assert names(matcher, "", "새 가이드라인에 따라 라인을 정비했다.") == []
    assert names(matcher, "네이버, 라인 지분 매각 압박에 긴장") == ["네이버", "라인야후"]


def test_metaverse_is_not_meta(matcher: CompanyMatcher) -> None:
    assert names(matcher, "메타버스 플랫폼 이용자 감소") == []
    assert names(matcher, "메타, 스마트 안경 출시") == ["메타"]
    assert names(matcher, "페이스북 모회사 메타, 감원") == ["메타"]


def test_kia_as_hunger_is_not_kia(matcher: CompanyMatcher) -> None:
    assert names(matcher, "아프리카 기아 퇴치 위한 국제 회의") == []
    assert names(matcher, "", "유엔은 전 세계 기아 인구가 늘었다며 식량 지원을 호소했다.") == []
    # A headline alone, with no body to give the sense away: 인구 next to 기아 is hunger.
    assert names(matcher, "유엔 '아프리카 기아 인구 3억명'") == []
    assert names(matcher, "기아, 신형 EV3 출시") == ["기아"]
    assert names(matcher, "기아차 노조 파업 예고") == ["기아"]


def test_oppo_and_vivo_need_phone_context(matcher: CompanyMatcher) -> None:
    assert names(matcher, "샤오미·오포·비보, 스마트폰 출하량 증가") == ["비보", "샤오미", "오포"]
    assert names(matcher, "", "경기 광주시 오포읍 일대에 비가 내렸다.") == []


# --- spellings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("삼성電, 2분기 영업익 10조", ["삼성전자"]),
        ("現代車, 美 공장 착공", ["현대자동차"]),
        ("中華爲 반도체 자립 가속", ["화웨이"]),
        ("小米 전기차 인도 시작", ["샤오미"]),
        ("쾅스커지·상탕커지, 美 블랙리스트에", ["메그비", "센스타임"]),
        ("하이닉스, HBM 증산", ["SK하이닉스"]),
        ("페이스북, 개인정보 유출 과징금", ["메타"]),
        ("대우조선, LNG선 수주", ["한화오션"]),
        ("SK 텔레콤 데이터망 장애", ["SK텔레콤"]),
    ],
)
def test_hanja_abbreviations_former_names_and_transliterations(
    matcher: CompanyMatcher, title: str, expected: list[str]
) -> None:
    assert names(matcher, title) == expected


def test_one_shared_alias_names_both_companies(matcher: CompanyMatcher) -> None:
    assert names(matcher, "현대기아차 2·3차 협력사 지원 확대") == ["기아", "현대자동차"]


def test_names_run_together_in_a_headline_are_both_found(matcher: CompanyMatcher) -> None:
    assert names(matcher, "SKT인텔 영상통화 사물인터넷 개발") == ["SK텔레콤", "인텔"]
    assert names(matcher, "네이버카카오 AI스피커 맞대결") == ["네이버", "카카오"]
    assert names(matcher, "美 반도체법… 삼성-SK 세액공제") == ["SK그룹", "삼성그룹"]


# --- sports and analyst notes ------------------------------------------------------------------


def test_sports_teams_named_after_owners_are_not_companies(matcher: CompanyMatcher) -> None:
    assert names(matcher, "", "롯데는 9회초 LG 마무리 투수를 상대로 볼넷을 얻었다.") == []
    assert names(matcher, "프로농구 삼성, 전자랜드 꺾고 3연승") == []


def test_a_broker_quoted_in_an_analyst_headline_is_not_the_subject(matcher: CompanyMatcher) -> None:
    assert names(matcher, "대신증권 현대글로비스 목표가 상향") == ["현대글로비스"]


# --- salience ----------------------------------------------------------------------------------


def test_title_mention_is_primary_and_passing_mention_is_not(matcher: CompanyMatcher) -> None:
    title = "화웨이, 새 스마트폰 공개"
    body = (
        "중국 화웨이가 새 스마트폰을 공개했다. 신제품은 자체 칩을 쓴다. 업계에서는 판매 목표가 높다고 본다. "
        "가격은 전작과 비슷하다. 한편 경쟁사인 샤오미도 다음 달 신제품을 낼 예정이라고 업계는 전했다."
    )
    hits = matcher.find_text(title, body)
    assert [h.company.name for h in hits] == ["화웨이", "샤오미"]
    assert hit(hits, "화웨이").is_primary and hit(hits, "화웨이").mentions == 2
    assert not hit(hits, "샤오미").is_primary
    assert hit(hits, "화웨이").salience > hit(hits, "샤오미").salience


def test_lead_or_repeated_mentions_make_a_company_primary(matcher: CompanyMatcher) -> None:
    lead = "TSMC가 일본 구마모토에 두 번째 공장을 짓는다고 밝혔다. 투자 규모는 크다. 현지 정부도 지원한다."
    assert hit(matcher.find_text("반도체 공장 경쟁 가열", lead), "TSMC").is_primary
    repeated = (
        "반도체 업계의 투자 경쟁이 이어지고 있다. 정부는 지원책을 내놓았다. 업계는 인력난을 호소한다. "
        "인텔은 오하이오 공장 일정을 늦췄다. 인텔 관계자는 시장 상황을 이유로 들었다. "
        "인텔의 결정에 업계가 주목한다."
    )
    assert hit(matcher.find_text("반도체 공장 경쟁 가열", repeated), "인텔").is_primary


def test_output_is_deterministic_and_ordered_by_salience(matcher: CompanyMatcher) -> None:
    title = "삼성전자·SK하이닉스, HBM 증산"
    body = "엔비디아 수요가 늘었다. 삼성전자와 SK하이닉스가 생산을 늘린다. 마이크론도 뒤따른다."
    first = matcher.find_text(title, body)
    assert first == matcher.find_text(title, body)
    assert [h.company.name for h in first][:2] == ["삼성전자", "SK하이닉스"]
    assert [h.is_primary for h in first] == sorted((h.is_primary for h in first), reverse=True)


def test_find_is_pure_on_given_morphemes(matcher: CompanyMatcher, nlp: KoreanNLP) -> None:
    title, body = "화웨이, 5G 장비 수주", ""
    title_morphs, body_morphs = nlp.tokenize([title, body])
    hits = matcher.find(title, body, title_morphs, body_morphs)
    assert [(h.company.name, h.is_primary, h.mentions) for h in hits] == [("화웨이", True, 1)]


def test_empty_text_finds_nothing(matcher: CompanyMatcher) -> None:
    assert matcher.find_text("", "") == []


# --- the naive baseline ------------------------------------------------------------------------


def test_substring_baseline_makes_the_mistakes_the_matcher_avoids(matcher: CompanyMatcher) -> None:
    registry = matcher.registry
    assert "KT" in substring_baseline(registry, "KTX 이용객 늘어")
    assert "애플" in substring_baseline(registry, "애플망고 빙수 출시")
    assert "삼성그룹" in substring_baseline(registry, "삼성전자 실적 발표")
    assert names(matcher, "KTX 이용객 늘어") == []


@pytest.mark.parametrize(
    "body",
    [
        "캠페인의 의미를 널리 알리기 위해 행사를 열었다.",  # 알리- (to inform) is not 알리바바's 알리
        "본부장 Ms Zabidah 일행이 청사를 찾았다.",  # Ms is not MS
        "이 대표는 자신의 페이스북에 글을 올려 반박했다.",  # a post on Facebook is not news about 메타
        "49달러(한화 약 5만 8200원)에 판매하고 있다.",  # 한화 = Korean won
        "그리스 신화의 제우스는 번개를 다룬다.",  # the god, not the chip-equipment maker
    ],
)
def test_ordinary_words_in_real_world_phrasing_are_not_companies(matcher: CompanyMatcher, body: str) -> None:
    assert names(matcher, "", body) == []


def test_company_news_with_a_sports_word_is_still_company_news(matcher: CompanyMatcher) -> None:
    assert names(matcher, "SK텔레콤 ICT 체험관에 동자승 초청") == ["SK텔레콤"]
    assert names(matcher, "올림픽 KT 5G 싱크뷰…이것이 선수 시점") == ["KT"]
    assert names(matcher, "LGU+ 프로야구 앱 새 단장") == ["LG유플러스"]


def test_a_multi_word_name_read_as_one_morpheme_still_yields_the_company(matcher: CompanyMatcher) -> None:
    assert names(matcher, "네이버 클라우드, 스타트업과 업무제휴") == ["네이버"]


def test_a_broker_that_is_the_subject_of_the_note_stays(matcher: CompanyMatcher) -> None:
    assert names(matcher, "NH투자증권 삼성증권 목표가 상향…실적 개선") == ["삼성증권"]


def test_decomposed_hangul_is_read_like_composed(nlp: KoreanNLP) -> None:
    """macOS writes Hangul decomposed (NFD); the digester reads it as the same text."""
    import unicodedata

    from briefings.digest.pipeline import ArticleInput, Digester

    title, body = "삼성전자, 갤럭시 신제품 출시", "삼성전자는 1일 새 스마트폰을 공개했다. LG전자도 참석했다."
    decomposed = ArticleInput(1, unicodedata.normalize("NFD", title), unicodedata.normalize("NFD", body))
    [analysis] = Digester(default_registry(), nlp).analyze([decomposed])
    assert "삼성전자" in analysis.primaries and analysis.company_names == {"삼성전자", "LG전자"}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("맥도날드, 빅맥 가격 또 올린다", ["맥도날드"]),
        ('무디스 "재정 우려"…신용등급 전망 하향', ["무디스"]),
        ("페라리, 첫 순수 전기차 실내 공개", ["페라리"]),
        ("코인베이스 4분기 적자 전환", ["코인베이스"]),
        ("에어부산·진에어 통합 속도", ["에어부산", "진에어"]),
        ("신한은행, 외화 송금 수수료 면제", ["신한은행"]),
    ],
)
def test_big_companies_of_short_headlines_are_found(
    matcher: CompanyMatcher, title: str, expected: list[str]
) -> None:
    assert names(matcher, title) == expected


def test_bank_basketball_clubs_are_teams(matcher: CompanyMatcher) -> None:
    assert "신한은행" not in names(matcher, "김선수 29점…신한은행, 삼성생명 꺾고 시즌 첫 승리")
