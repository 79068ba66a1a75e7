"""The curated registry file: size, the companies Korean business news covers, well-formed data."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from importlib import resources

import pytest

from briefings.companies import (
    KINDS,
    MARKETS,
    default_registry,
    load_registry_file,
    normalize,
    ticker_problem,
)
from tests.conftest import corpus_path

REQUIRED = [
    "삼성전자",
    "SK하이닉스",
    "LG전자",
    "LG유플러스",
    "SK텔레콤",
    "KT",
    "KT&G",
    "현대자동차",
    "기아",
    "네이버",
    "카카오",
    "카카오뱅크",
    "화웨이",
    "샤오미",
    "알리바바",
    "텐센트",
    "바이두",
    "바이트댄스",
    "메그비",
    "센스타임",
    "아이플라이텍",
    "이투",
    "오포",
    "비보",
    "구글",
    "애플",
    "아마존",
    "메타",
    "마이크로소프트",
    "엔비디아",
    "TSMC",
    "소프트뱅크",
    "라인야후",
    "퀄컴",
    "인텔",
    "AMD",
    "테슬라",
    "폭스콘",
    "ZTE",
    "BYD",
    "CATL",
    "소니",
    "도요타",
    "오픈AI",
    "삼성그룹",
    "LG그룹",
    "SK그룹",
    "현대차그룹",
    "롯데그룹",
    "한화그룹",
    "GS그룹",
    "CJ그룹",
]


def raw() -> dict[str, object]:
    text = resources.files("briefings").joinpath("data/companies.json").read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def test_at_least_300_companies_and_every_required_name() -> None:
    records = load_registry_file()
    companies = [r for r in records if r.kind == "company"]
    assert len(companies) >= 300
    names = {r.name for r in records}
    assert not [n for n in REQUIRED if n not in names]
    assert len(names) == len(records)  # canonical names are unique


def test_fields_are_well_formed() -> None:
    for rec in load_registry_file():
        assert rec.kind in KINDS and rec.name and rec.name_en, rec
        assert len(rec.country) == 2 and rec.country.isupper(), rec
        assert rec.aliases[0].alias == rec.name
        if rec.ticker or rec.market:
            assert rec.ticker and rec.market in MARKETS, rec
            assert ticker_problem(rec.ticker, rec.market) is None, rec
        if rec.kind == "group":
            assert rec.ticker is None and rec.group_name, rec


def test_no_alias_names_two_companies_unless_declared_shared_or_ambiguous() -> None:
    shared = {normalize(a) for a in raw()["shared_aliases"]}  # type: ignore[union-attr]
    owners: dict[str, set[str]] = defaultdict(set)
    flagged: set[str] = set()
    for rec in load_registry_file():
        for alias in rec.aliases:
            owners[normalize(alias.alias)].add(rec.name)
            if alias.needs_context:
                flagged.add(normalize(alias.alias))
    # A group and its listed holding company (SK그룹 and SK㈜) share a key once ㈜ is dropped:
    # typing "SK" rightly offers both.
    groups = {normalize(r.group_name or "") for r in load_registry_file() if r.kind == "group"}
    clashes = {
        k: v
        for k, v in owners.items()
        if len(v) > 1 and k not in shared and k not in flagged and not (k in groups and len(v) == 2)
    }
    assert clashes == {}
    assert owners[normalize("현대기아차")] == {"현대자동차", "기아"}


def test_group_names_alone_map_to_group_entities() -> None:
    registry = default_registry()
    for alias, group in [("삼성", "삼성그룹"), ("LG", "LG그룹"), ("SK", "SK그룹"), ("롯데", "롯데그룹")]:
        res = registry.resolve(alias)
        assert res.status == "ambiguous" and res.candidates[0].name == group
    found = registry.resolve("삼성전자")
    assert found.company is not None and found.company.name == "삼성전자"
    assert {r.name for r in registry.members("삼성")} >= {"삼성전자", "삼성SDI", "삼성바이오로직스"}


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("華爲", "화웨이"),
        ("小米", "샤오미"),
        ("阿里巴巴", "알리바바"),
        ("삼성電", "삼성전자"),
        ("現代車", "현대자동차"),
        ("삼전", "삼성전자"),
        ("하이닉스", "SK하이닉스"),
        ("페이스북", "메타"),
        ("쾅스커지", "메그비"),
        ("상탕커지", "센스타임"),
        ("005930", "삼성전자"),
        ("aapl", "애플"),
        ("0700", "텐센트"),
        ("lg 전자", "LG전자"),
    ],
)
def test_aliases_tickers_spacing_and_case_resolve(query: str, name: str) -> None:
    res = default_registry().resolve(query)
    assert res.status == "found" and res.company is not None and res.company.name == name


def test_ordinary_word_aliases_are_flagged() -> None:
    registry = default_registry()
    flagged = {normalize(a.alias) for r in registry for a in r.aliases if a.needs_context}
    assert {"애플", "아마존", "라인", "메타", "기아", "오포", "비보", "이투"} <= flagged
    assert "메타버스" not in flagged and "삼성전자" not in flagged


def test_typos_are_suggested() -> None:
    registry = default_registry()
    for typo, name in [("화훼이", "화웨이"), ("삼성젼자", "삼성전자")]:
        res = registry.resolve(typo)
        assert res.matched_by == "fuzzy" and res.company is not None and res.company.name == name


@pytest.mark.corpus
def test_korean_listed_companies_match_the_exchange_list() -> None:
    """Every KOSPI/KOSDAQ ticker in the registry is listed on KRX under that market."""
    path = corpus_path("krx-listed-companies", "krx_listed_companies_utf8.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        listed = {row["종목코드"]: row["시장구분"] for row in csv.DictReader(fh)}
    market = {"유가": "KOSPI", "코스닥": "KOSDAQ", "코넥스": "KONEX"}
    wrong = [
        (r.name, r.ticker, r.market)
        for r in load_registry_file()
        if r.market in ("KOSPI", "KOSDAQ") and market.get(listed.get(r.ticker or "", "")) != r.market
    ]
    assert wrong == []


@pytest.mark.corpus
def test_foreign_tickers_exist_on_their_exchange() -> None:
    path = corpus_path("kis-stock-masters", "overseas_names_utf8.tsv")
    exchange = {"HKEX": "HKS", "NASDAQ": "NAS", "NYSE": "NYS", "SSE": "SHS", "SZSE": "SZS"}
    listed: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                listed.add((parts[0], parts[1].lstrip("0") if parts[0] == "HKS" else parts[1]))
    missing = [
        (r.name, r.market, r.ticker)
        for r in load_registry_file()
        if r.market in exchange
        and r.ticker
        and "." not in r.ticker
        and (exchange[r.market], r.ticker.lstrip("0") if r.market == "HKEX" else r.ticker) not in listed
    ]
    assert missing == []
