from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator, Sequence
from datetime import UTC, datetime

import pytest

from briefings.digest.nlp import KoreanNLP, Morph
from briefings.digest.pipeline import (
    ArticleInput,
    Digester,
    analysis_json,
    find_duplicates,
    group_analyses,
    group_stories,
)
from tests.conftest import corpus_path
from tests.digest.helpers import knews_items, shared_digester

pytestmark = pytest.mark.kiwi


@pytest.fixture(scope="module")
def digester() -> Digester:
    return shared_digester()


def at(hour: int) -> datetime:
    return datetime(2024, 5, 1, hour, tzinfo=UTC)


ALLIANCE = ArticleInput(
    "n1",
    "[단독] 화웨이, 삼성전자와 5G 업무협약 체결",
    "[서울=뉴시스]홍길동 기자 = 화웨이는 1일 삼성전자와 5G 통신장비 업무협약(MOU)을 체결했다고 밝혔다. "
    "양사는 클라우드 분야에서도 협력한다. 화웨이 관계자는 한국 시장을 "
    "중시한다고 말했다. 홍길동 기자 hong@newsis.com",
    "https://example.com/1",
    at(1),
    "뉴시스",
)


def test_one_analysis_carries_everything_read_off_one_kiwi_pass(digester: Digester) -> None:
    (a,) = digester.analyze([ALLIANCE])
    names = {h.company.name: h for h in a.companies}
    assert {"화웨이", "삼성전자"} <= set(names)
    assert names["화웨이"].is_primary and names["화웨이"].mentions >= 2
    assert {"alliance", "telecom"} <= set(a.theme_slugs)
    assert a.exclusive
    assert "뉴시스" not in a.body and "hong@" not in a.body and a.body.startswith("화웨이는 1일")
    # Search terms: noun lemmas without particles, lower-cased; two-syllable words included.
    assert {"화웨이", "삼성전자", "협약", "mou", "클라우드", "시장"} <= a.terms
    assert not {"화웨이는", "는", "을", "밝히"} & a.terms
    assert len(a.keywords) == 5 and "화웨이" in a.keywords
    assert a.fingerprint.minhash is not None and a.fingerprint.topic


class RecordingNLP(KoreanNLP):
    """The shared analyser, noting every text handed to Kiwi."""

    def __init__(self, base: KoreanNLP) -> None:
        super().__init__(base.kiwi)
        self.texts: list[str] = []

    def tokenize_iter(self, texts: Sequence[str]) -> Generator[list[Morph], None, None]:
        self.texts.extend(texts)
        return super().tokenize_iter(texts)


def test_texts_repeated_in_a_batch_are_analysed_once_with_the_result_each_gets_alone(
    digester: Digester,
) -> None:
    items = [
        ALLIANCE,
        ArticleInput("n2", "LG전자 가전 신제품 공개", ""),
        ArticleInput("n3", ALLIANCE.title, ALLIANCE.body, outlet="연합뉴스"),  # the same item again
        ArticleInput("n4", "화웨이·삼성전자 5G 손잡았다", ALLIANCE.body),  # the copy, another headline
        ArticleInput("n5", "SK하이닉스 HBM 증산", ""),
        ArticleInput("n6", "LG전자 가전 신제품 공개", ""),
    ]
    nlp = RecordingNLP(digester.nlp)
    recording = Digester(digester.registry, nlp, matcher=digester.matcher, taxonomy=digester.taxonomy)
    together = recording.analyze(items)
    assert together == [digester.analyze([it])[0] for it in items]
    assert [a.id for a in together] == ["n1", "n2", "n3", "n4", "n5", "n6"]
    # ALLIANCE's headline and body, its copy's other headline, two more headlines and the empty
    # body: six texts of the twelve.
    assert len(nlp.texts) == len(set(nlp.texts)) == 6


def test_analyze_keeps_input_order_and_handles_empty_bodies(digester: Digester) -> None:
    items = [
        ArticleInput(i, title)
        for i, title in enumerate(["SK하이닉스 HBM 증설", "여름철 빙수 인기", "KT 5G 요금제 출시"])
    ]
    out = digester.analyze(items)
    assert [a.id for a in out] == [0, 1, 2]
    assert [h.company.name for h in out[0].companies] == ["SK하이닉스"]
    assert out[1].companies == () and out[1].themes == ()
    assert out[2].fingerprint.minhash is None  # a headline is too short for MinHash
    assert digester.analyze([]) == []


def test_reprints_are_duplicates_and_stories_group_by_event(digester: Digester) -> None:
    reprint = ArticleInput(
        "n2",
        "화웨이·삼성전자, 5G 협력 MOU",
        "(서울=연합뉴스) 김철수 기자 = 화웨이는 1일 삼성전자와 5G "
        "통신장비 업무협약(MOU)을 체결했다고 밝혔다. "
        "양사는 클라우드 분야에서도 협력한다. 화웨이 관계자는 한국 시장을 "
        "중시한다고 말했다. ⓒ 연합뉴스 무단 전재 및 재배포 금지",
        None,
        at(3),
        "연합뉴스",
    )
    rewrite = ArticleInput(
        "n3",
        "화웨이-삼성전자 5G 동맹…통신장비 협력",
        "화웨이와 삼성전자가 5G 통신장비 분야에서 손을 잡았다. 두 회사는 업무협약을 맺고 공동 개발에 나선다.",
        None,
        at(5),
        "한겨레",
    )
    unrelated = ArticleInput(
        "n4",
        "카카오뱅크, 1분기 영업이익 884억원",
        "카카오뱅크의 1분기 영업이익이 분기 최대를 기록했다.",
        None,
        at(2),
        "노컷뉴스",
    )
    items = [reprint, ALLIANCE, unrelated, rewrite]
    analyses = digester.analyze(items)
    groupings = group_analyses(items, analyses)
    assert [g.story for g in groupings] == ["n2", "n2", "n4", "n2"]  # story = first input of its group
    assert [g.duplicate_of for g in groupings] == ["n1", None, None, None]  # n1 was published first
    assert find_duplicates(items, analyses) == {"n2": "n1"}
    line = analysis_json(analyses[1], groupings[1])
    assert line["id"] == "n1" and line["story"] == "n2" and line["duplicate_of"] is None
    assert {"name", "name_en", "ticker", "primary", "salience", "mentions"} == set(line["companies"][0])
    with pytest.raises(ValueError):
        group_analyses([ALLIANCE, ALLIANCE], digester.analyze([ALLIANCE, ALLIANCE]))


GROUPS = {
    "long-march": [
        "https://www.nocutnews.co.kr/news/5795368",
        "http://www.newsis.com/view?id=NISX20220731_0001962364",
        "https://www.donga.com/news/It/article/all/20220731/114739709/1",
        "http://www.hani.co.kr/arti/international/international_general/1052947.html",
        "https://www.segye.com/newsView/20220731513171",
    ],
    "unpacked-ads": [
        "http://www.newsis.com/view?id=NISX20220731_0001962352",
        "http://www.hani.co.kr/arti/economy/consumer/1052954.html",
        "https://www.seoul.co.kr/news/newsView.php?id=20220801016019",
        "https://www.donga.com/news/It/article/all/20220801/114747864/1",
    ],
    "kakaobank-sanction": [
        "http://www.womennews.co.kr/news/articleView.html?idxno=226406",
        "https://www.nocutnews.co.kr/news/5794938",
        "http://www.hani.co.kr/arti/economy/finance/1052846.html",
        "http://www.sisajournal.com/news/articleView.html?idxno=243250",
    ],
    "hanwha": [
        "http://www.hani.co.kr/arti/economy/marketing/1052860.html",
        "http://www.sisajournal.com/news/articleView.html?idxno=243267",
        "https://www.donga.com/news/Economy/article/all/20220730/114730455/1",
    ],
    "lg-q2": ["http://www.hani.co.kr/arti/economy/marketing/1052861.html"],
    "foldable-leak": ["https://www.donga.com/news/It/article/all/20220731/114745868/1"],
    "export-ban": [
        "https://www.seoul.co.kr/news/newsView.php?id=20220801006013",
        "https://www.donga.com/news/Inter/article/all/20220801/114747658/1",
    ],
}


def test_real_reports_from_several_outlets_group_into_their_events(digester: Digester) -> None:
    items_by_url = knews_items(corpus_path("knews-rss", "jsons"))
    gold: list[str] = []
    items: list[ArticleInput] = []
    for name, urls in GROUPS.items():
        for url in urls:
            it = items_by_url[url]
            published = datetime.fromisoformat(it["published"].replace("Z", "+00:00"))
            items.append(ArticleInput(url, it["title"], it["body"], url, published, it["outlet"]))
            gold.append(name)
    pred = group_stories(digester, items)
    found: dict[str, set[object]] = defaultdict(set)
    for g, p in zip(gold, pred, strict=True):
        found[g].add(p)
    assert all(len(stories) == 1 for stories in found.values()), found
    assert len(set(pred)) == len(GROUPS)  # and no two events merged
