"""Company matching on real Korean sentences and headlines from ../shared/corpus (skipped without it).

Sentences are found by what they contain, never copied here: KLUE-NER (with its ORG tags), Yonhap
headlines (YNAT). Each test is one of the hard cases: names inside longer words, homonyms, particles,
and the naive substring matcher doing worse on the same texts.
"""

from __future__ import annotations

import csv
import re
from functools import cache

import pytest

from briefings.companies import (
    CompanyMatcher,
    default_registry,
    normalize,
    substring_baseline,
)
from briefings.digest.nlp import KoreanNLP
from tests.conftest import corpus_path

pytestmark = [pytest.mark.kiwi, pytest.mark.corpus]

_SPAN = re.compile(r"<([^<>:]+):(PS|LC|OG|DT|TI|QT)>")


@pytest.fixture(scope="module")
def matcher(nlp: KoreanNLP) -> CompanyMatcher:
    return CompanyMatcher(default_registry(), nlp)


@cache
def _klue() -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """(guid, plain sentence, tagged spans) for every KLUE-NER dev sentence."""
    path = corpus_path("klue-ner", "klue-ner-v1.1_dev.tsv")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## klue-ner") and "\t" in line:
            guid, marked = line[3:].split("\t", 1)
            spans = tuple((m.group(1), m.group(2)) for m in _SPAN.finditer(marked))
            out.append((guid, _SPAN.sub(r"\1", marked), spans))
    return tuple(out)


def klue_sentences() -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    return _klue() if corpus_path("klue-ner").exists() else ()


@cache
def _ynat() -> tuple[str, ...]:
    titles: list[str] = []
    for name in ("train_data_sample7000.tsv", "train_data_company_keyword_rows.tsv"):
        path = corpus_path("ynat-dacon-headlines", name)
        with path.open(encoding="utf-8", newline="") as fh:
            titles += [row["title"] for row in csv.DictReader(fh, delimiter="\t")]
    return tuple(dict.fromkeys(titles))


def found(matcher: CompanyMatcher, title: str, body: str = "") -> set[str]:
    return {h.company.name for h in matcher.find_text(title, body)}


def analysed(matcher: CompanyMatcher, texts: list[str]) -> list[set[str]]:
    """Headlines analysed in one batch, as the digester does."""
    assert matcher.nlp is not None
    return [
        {h.company.name for h in matcher.find(t, "", morphs, [])}
        for t, morphs in zip(texts, matcher.nlp.tokenize(texts), strict=True)
    ]


def test_ktx_headlines_are_not_about_kt(matcher: CompanyMatcher) -> None:
    standalone_kt = re.compile(r"(?<![A-Za-z])KT(?![A-Za-z&＆])")
    titles = [t for t in _ynat() if "KTX" in t and not standalone_kt.search(t)]
    assert len(titles) >= 3, "the YNAT sample has KTX headlines without KT"
    results = analysed(matcher, titles)
    assert all("KT" not in r for r in results)
    assert all("KT" in substring_baseline(matcher.registry, t) for t in titles)  # the naive way fails


def test_skt_headlines_are_sk_telecom_not_kt(matcher: CompanyMatcher) -> None:
    standalone_kt = re.compile(r"(?<![A-Za-z])KT(?![A-Za-z&＆])")
    titles = [
        t for t in _ynat() if re.search(r"(?<![A-Za-z])SKT(?![A-Za-z])", t) and not standalone_kt.search(t)
    ]
    assert len(titles) >= 10
    results = analysed(matcher, titles)
    assert sum("SK텔레콤" in r for r in results) >= 0.9 * len(titles)
    assert not [t for t, r in zip(titles, results, strict=True) if "KT" in r]


def test_lg_uplus_headlines_are_not_lg_electronics(matcher: CompanyMatcher) -> None:
    titles = [t for t in _ynat() if "LG유플러스" in t and "LG전자" not in t]
    assert titles
    results = analysed(matcher, titles)
    assert all("LG전자" not in r for r in results)
    assert sum("LG유플러스" in r for r in results) >= 0.9 * len(results)
    lone_lg = re.compile(r"(?<![A-Za-z])LG(?![A-Za-z가-힣])")
    assert all("LG그룹" not in r for t, r in zip(titles, results, strict=True) if not lone_lg.search(t))


def test_huawei_with_particles_in_headlines(matcher: CompanyMatcher) -> None:
    titles = [t for t in _ynat() if re.search(r"화웨이[은는이가의도와과를에]", t)]
    assert len(titles) >= 3, "the YNAT sample has 화웨이 with particles"
    assert all("화웨이" in r for r in analysed(matcher, titles))


def test_line_inside_longer_words_is_not_line_yahoo(matcher: CompanyMatcher) -> None:
    pattern = re.compile(r"[가-힣]라인|라인[가-힣]")
    sentences = [s for _, s, _ in klue_sentences() if pattern.search(s) and "라인야후" not in s]
    assert len(sentences) >= 5
    assert all("라인야후" not in found(matcher, "", s) for s in sentences)


def test_person_and_documentary_names_are_not_apple_or_amazon(matcher: CompanyMatcher) -> None:
    affleck = [s for _, s, _ in klue_sentences() if "애플렉" in s]
    tears = [s for _, s, _ in klue_sentences() if "아마존의 눈물" in s]
    assert affleck or tears, "KLUE-NER has 애플렉 or 아마존의 눈물"
    assert all("애플" not in found(matcher, "", s) for s in affleck)
    assert all("아마존" not in found(matcher, "", s) for s in tears)


def test_baseball_reports_name_teams_not_companies(matcher: CompanyMatcher) -> None:
    sentences = [
        s
        for _, s, _ in klue_sentences()
        if re.search(r"(투수|타자|홈런|안타|볼넷|이닝)", s)
        and re.search(r"(삼성|LG|롯데|한화|두산)[은는이가을를의]", s)
    ]
    assert len(sentences) >= 3
    hits = [found(matcher, "", s) for s in sentences]
    assert all(not ({"삼성그룹", "LG그룹", "롯데그룹", "한화그룹", "두산그룹"} & h) for h in hits)


def test_organisations_tagged_in_klue_that_are_registered_companies_are_found(
    matcher: CompanyMatcher,
) -> None:
    """Recall on real sentences: KLUE's ORG spans that are exactly a registry name or unambiguous alias."""
    registry = matcher.registry
    cases: list[tuple[str, str]] = []
    for _, sentence, spans in klue_sentences():
        for text, tag in spans:
            if tag != "OG":
                continue
            records = registry.by_alias(text)
            flagged = any(
                a.needs_context for r in records for a in r.aliases if normalize(a.alias) == normalize(text)
            )
            if len(records) == 1 and not flagged and records[0].kind == "company":
                cases.append((sentence, records[0].name))
    assert len(cases) >= 20
    hits = sum(name in found(matcher, "", sentence) for sentence, name in cases)
    assert hits >= 0.9 * len(cases)


def test_the_matcher_beats_the_substring_baseline_on_hard_headlines(matcher: CompanyMatcher) -> None:
    """On headlines where the two disagree, the baseline's extra names are nearly all wrong ones."""
    titles = [t for t in _ynat() if re.search(r"KTX|SKT|LG유플러스|KTB|삼성전자|SK텔레콤", t)][:300]
    ours = analysed(matcher, titles)
    extra = [(t, substring_baseline(matcher.registry, t) - o) for t, o in zip(titles, ours, strict=True)]
    wrong_kinds = {"KT", "삼성그룹", "SK그룹", "LG그룹"}
    extras = [name for _, names in extra for name in names]
    assert extras and sum(n in wrong_kinds for n in extras) >= 0.8 * len(extras)
