"""The `/news` query language: what each piece of syntax parses to, and the one-line errors."""

from __future__ import annotations

import pytest

from briefings.query import AnyOf, Query, QuerySyntaxError, Vocabulary, Word, parse_query

VOCAB = Vocabulary(
    themes={"반도체": "semiconductor", "semiconductor": "semiconductor", "ai": "ai"},
    outlets=["한국경제", "ZDNet Korea", "연합뉴스"],
)


def parse(text: str) -> Query:
    return parse_query(text, VOCAB)


def test_a_company_and_a_word_are_two_requirements() -> None:
    q = parse("삼성전자 HBM")
    assert q.include == (AnyOf((Word("삼성전자"),)), AnyOf((Word("HBM"),)))
    assert q.is_plain and q.plain_text == "삼성전자 HBM"


def test_a_quoted_phrase_is_one_word_kept_whole() -> None:
    q = parse('"폴더블 스마트폰"  삼성전자')
    assert q.include[0] == AnyOf((Word("폴더블 스마트폰", phrase=True),))
    assert not q.is_plain


def test_curly_quotes_from_phone_keyboards_are_quotes() -> None:
    assert parse("“폴더블”").include == (AnyOf((Word("폴더블", phrase=True),)),)


def test_exclusions_of_words_phrases_themes_and_outlets() -> None:
    q = parse('삼성전자 -스포츠 -"야구단" -테마:AI -매체:연합뉴스')
    assert q.exclude == (Word("스포츠"), Word("야구단", phrase=True))
    assert q.exclude_themes == ("ai",)
    assert q.exclude_outlets == ("연합뉴스",)
    assert q.include == (AnyOf((Word("삼성전자"),)),)


def test_operators_take_their_values_from_the_vocabulary() -> None:
    q = parse("테마:반도체 매체:zdnetkorea 기간:30일")
    assert q.themes == ("semiconductor",)
    assert q.outlets == ("ZDNet Korea",)  # case and spaces do not matter; the stored name comes back
    assert q.days == 30
    assert parse('매체:"ZDNet Korea" HBM').outlets == ("ZDNet Korea",)


@pytest.mark.parametrize(
    ("value", "days"), [("7", 7), ("30일", 30), ("2주", 14), ("3개월", 90), ("365일", 365)]
)
def test_period_units(value: str, days: int) -> None:
    assert parse(f"삼성전자 기간:{value}").days == days


def test_or_joins_its_two_neighbours() -> None:
    q = parse("삼성전자 HBM OR 낸드 실적")
    assert q.include == (
        AnyOf((Word("삼성전자"),)),
        AnyOf((Word("HBM"), Word("낸드"))),
        AnyOf((Word("실적"),)),
    )
    assert parse("HBM 또는 낸드").include == (AnyOf((Word("HBM"), Word("낸드"))),)


def test_a_theme_alone_is_a_query() -> None:
    assert parse("테마:반도체").themes == ("semiconductor",)


def test_a_hyphen_inside_a_word_is_not_an_exclusion() -> None:
    assert parse("K-배터리").include == (AnyOf((Word("K-배터리"),)),)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('""', "따옴표 안이 비어"),
        ('삼성전자 "  "', "따옴표 안이 비어"),
        ('"폴더블', "닫히지 않았습니다"),
        ("삼성전자 기간:0일", "1일부터 365일"),
        ("삼성전자 기간:400일", "1일부터 365일"),
        ("삼성전자 기간:한달", "숫자와 단위"),
        ("삼성전자 기간:30일 기간:7일", "한 번만"),
        ("삼성전자 -기간:3일", "뺄 수 없습니다"),
        ("매체:없는신문 삼성전자", "매체를 모릅니다"),
        ("테마:스포츠", "테마가 없습니다"),
        ("삼성전자 가격:3", "알 수 없는 연산자"),
        ("삼성전자 테마:", "값을 붙여"),
        ("OR 삼성전자", "두 단어 사이"),
        ("삼성전자 OR", "단어가 없습니다"),
        ("HBM OR OR 낸드", "두 단어 사이"),
        ("HBM OR -낸드", "찾을 말"),
        ("HBM OR 기간:3일", "단어끼리만"),
        ("-스포츠", "찾을 말이 없습니다"),
        ("기간:30일", "찾을 말이 없습니다"),
        ("삼성전자 - 스포츠", "`-` 뒤에"),
        (" ".join(f"단어{i}" for i in range(13)), "12개까지"),
    ],
)
def test_what_cannot_be_parsed_gets_one_korean_line(text: str, says: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse(text)
    message = str(err.value)
    assert says in message
    assert "\n" not in message


def test_a_users_text_quoted_back_cannot_break_out_of_its_code_span() -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse("매체:`<!channel>`")
    assert "`<!channel>`" not in str(err.value)
