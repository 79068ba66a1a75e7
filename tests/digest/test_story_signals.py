"""The headline signals of story grouping, on real headlines of the tera-rss corpus.

Each pair below is a hard case of the story dev set's tuning days (bench/devset/stories.jsonl): two
reports that word similarity alone puts together or keeps apart wrongly.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import pytest

from briefings.digest.pipeline import ArticleInput, Digester, group_stories
from briefings.digest.stories import StoryArticle, StoryParams, StoryState, decide
from briefings.digest.story_signals import (
    SignalWeights,
    gap_adjustment,
    headline_numbers,
    headline_subject,
    kinds_agree,
    names_agree,
    numbers_agree,
    outlet_adjustment,
    pair_adjustment,
    quoted_names,
    reports_share_move,
    reports_update,
    subjects_agree,
    versions_of_one,
)
from tests.conftest import corpus_path
from tests.digest.helpers import TERA_ITEMS, shared_digester, tera_inputs, tera_item


def title(line: int) -> str:
    return str(tera_item(corpus_path(*TERA_ITEMS), line)["title"])


def published(line: int) -> datetime:
    return datetime.fromisoformat(tera_item(corpus_path(*TERA_ITEMS), line)["published"])


def hours_between(a: int, b: int) -> float:
    return (published(a) - published(b)).total_seconds() / 3600


def test_korean_numbers_are_read_with_their_units() -> None:
    money = {q.value for q in headline_numbers(title(12371)) if q.kind == "money"}  # 1조6810억원
    assert money == {1_681_000_000_000}
    jobs = {q.value for q in headline_numbers(title(10179)) if q.kind == "count"}  # 10만8000명, not 21개월째
    assert jobs == {108_000}
    assert {(q.kind, q.value) for q in headline_numbers("1월 취업자 10.8만명↑")} == {("count", 108_000)}
    assert {(q.kind, q.value) for q in headline_numbers("과징금 4천억 부과")} == {("money", 4e11)}


def test_different_amounts_of_one_kind_of_event_conflict() -> None:
    # 한화그룹 1790억 vs 홈앤쇼핑 250억: two firms' early payments to suppliers before the holiday.
    assert numbers_agree(title(7039), title(6911)) == -1
    # Korea's January jobs (10만8000명) vs America's (13만명), the same day.
    assert numbers_agree(title(10179), title(13108)) == -1
    # 메리츠화재 1.7% down vs 메리츠증권 10% up, the same afternoon.
    assert numbers_agree(title(12371), title(12432)) == -1


def test_a_shared_figure_and_a_round_figure_for_a_precise_one_agree() -> None:
    assert numbers_agree(title(13439), title(13510)) == 0  # 48% vs 8조/7320억: nothing in common
    assert numbers_agree("카카오 영업익 7000억대", title(13510)) == 1  # "7000억대" is 7320억
    assert numbers_agree(title(16118), title(15009)) == 1  # 4천억 vs 4083억 of the sugar cartel fine
    assert numbers_agree(title(7305), title(7384)) == 0  # no figures: the numbers say nothing


def test_headline_subjects_before_the_comma() -> None:
    assert headline_subject(title(7039)) == "한화그룹"
    assert headline_subject(title(12432)) == "메리츠증권"  # after the leading quote
    assert headline_subject(title(10741)) == "SAMG엔터"  # after the [특징주] tag
    assert headline_subject(title(7069)) is None  # "오뚜기 설 앞두고 …": no comma, no subject
    assert headline_subject("코스피 5500 돌파, 환율은 1440원까지") is None  # a clause, not a name


def test_different_subjects_conflict_unless_one_names_the_other() -> None:
    assert subjects_agree(title(7029), title(7142)) == -1  # 파주시 / 충남도 refunds
    assert subjects_agree(title(10124), title(11587)) == -1  # 삼성화재 / 한국씨티은행장 in one campaign
    assert subjects_agree("금감원, 카카오뱅크 '대주주 대출' 적발", "카카오뱅크, 대주주 대출…금감원 제재") == 0
    assert subjects_agree(title(7305), title(7384)) == 0  # 한화-KAI / 한화에어로스페이스·KAI share 한화
    assert subjects_agree(title(7039), "한화그룹, 협력사 대금 조기 지급") == 1


def test_a_share_price_move_is_not_the_announcement_behind_it() -> None:
    assert reports_share_move(title(10741))  # [특징주]SAMG엔터, 호실적에 16% 급등
    assert not reports_share_move(title(10201))  # SAMG엔터 … 역대 최대 실적
    assert not reports_share_move(title(12371))  # "1.7%↓" of earnings is no share move
    assert not reports_share_move("원·달러 환율 약세")  # a currency, not a stock
    assert kinds_agree(title(10201), title(10741)) == -1


def test_time_gap_asks_for_more_similarity_up_to_a_cap() -> None:
    w = SignalWeights(per_hour=0.01, max_gap=0.15)
    assert gap_adjustment(None, w) == 0.0
    assert gap_adjustment(1, w) < gap_adjustment(6, w) < gap_adjustment(14, w)
    assert gap_adjustment(-48, w) == gap_adjustment(100, w) == 0.15


def test_a_shared_company_excuses_different_names_for_it() -> None:
    a, b = "카뱅, 금감원 주의·과태료 제재", "카카오뱅크, 대주주에 대출…금감원 제재"
    assert pair_adjustment(a, b) > 0
    assert pair_adjustment(a, b, share_company=True) == 0


def test_quoted_names_are_short_spans_not_sayings() -> None:
    assert quoted_names(title(7240)) == ("바로담는간편건강보험",)  # '…' in a launch headline
    assert quoted_names(title(10124)) == ("청소년불법도박근절",)
    assert quoted_names(title(10469)) == ("청소년불법도박근절",)  # ‘…' : the feed mixes its quotes
    assert quoted_names(title(6648)) == ()  # "이게 뭔지 맞춰보실 분?": a saying, not a name
    assert quoted_names(title(9626)) == ()  # nothing in quotes


def test_the_same_quoted_name_agrees() -> None:
    assert names_agree(title(7240), title(7582)) == 1  # 라이나생명's '바로담는간편건강보험', two outlets
    assert names_agree(title(10621), title(10629)) == 1  # 'K파바' of 파리바게뜨 and LG전자
    assert names_agree(title(7314), title(7337)) == 1  # '설맞이 무상점검 서비스' / '설 맞이 무상점검'
    w = SignalWeights()
    assert pair_adjustment(title(10621), title(10629), w) == w.name_match


def test_different_model_codes_conflict() -> None:
    assert names_agree(title(10636), title(2094)) == -1  # '갤럭시 S26' unveiled / '갤럭시S25 울트라' on air
    assert names_agree(title(9220), title(12726)) == -1  # "HBM4 …" / "HBM5 …"
    w = SignalWeights()
    assert pair_adjustment(title(10636), title(2094), w) == pytest.approx(w.subject_match + w.name_conflict)


def test_different_names_of_other_kinds_say_nothing() -> None:
    # One actor's death, two outlets naming a different drama of hers: no evidence either way.
    assert names_agree(title(12269), title(13088)) == 0
    # A short name is not a longer one that contains it: '깜짝' of the US jobs is no '깜짝 고백'.
    assert names_agree("메달 땄는데 황당한 ‘깜짝 고백’", title(13111)) == 0


def test_an_award_quoted_by_two_firms_is_not_one_story() -> None:
    # GS칼텍스 and 에쓰오일, each '가장 존경받는 기업' the same morning: the name agrees, the subjects
    # conflict, and only the conflict counts.
    assert names_agree(title(6957), title(7387)) == 1
    w = SignalWeights()
    assert pair_adjustment(title(6957), title(7387), w) == w.subject_conflict


def test_one_outlet_twice_in_a_day_asks_for_more() -> None:
    w = SignalWeights()
    # 아시아경제: 삼성화재 then 한국씨티은행장 in the same anti-gambling campaign, four hours apart.
    hours = hours_between(11587, 10124)
    assert 0 < hours < w.outlet_hours
    assert outlet_adjustment(title(11587), title(10124), hours, w) == w.outlet_repeat > 0
    assert outlet_adjustment(title(11587), title(10124), 30.0, w) == 0.0  # not the same day
    assert outlet_adjustment(title(11587), title(10124), None, w) == 0.0  # time unknown


def test_web_and_print_versions_of_one_article_are_excepted() -> None:
    w = SignalWeights()
    for web, printed in ((6997, 8390), (8676, 9139)):  # 헤럴드경제 삼성화재 cover; 한국경제 모아타운
        assert versions_of_one(title(web), title(printed), w)
        hours = hours_between(printed, web)
        assert outlet_adjustment(title(printed), title(web), hours, w) == w.outlet_version
    # Two reports of one outlet that are not versions of one article (the 삼성화재 and 씨티 campaign).
    assert not versions_of_one(title(10124), title(11587), w)


def test_a_breaking_item_and_its_update_are_excepted() -> None:
    w = SignalWeights()
    assert reports_update(title(8598)) and reports_update(title(8697))  # [속보] KT … / KT … [종합]
    assert not reports_update(title(10124))
    assert not versions_of_one(title(8598), title(8697), w)
    assert outlet_adjustment(title(8697), title(8598), hours_between(8697, 8598), w) == 0.0


def _story_article(line: int, outlet: str) -> StoryArticle:
    it = tera_item(corpus_path(*TERA_ITEMS), line)
    return StoryArticle(line, published(line), it["title"], outlet)


def test_grouping_weighs_the_outlet_of_each_article_in_the_story() -> None:
    """The same pair of headlines needs `outlet_repeat` more similarity when both come from one outlet."""
    w = SignalWeights()
    params = StoryParams(signals=w)
    earlier = _story_article(10124, "아시아경제")
    story = StoryState("s", earlier.published, earlier.published, [earlier])
    vectors = {earlier.key: {1: 1.0}}
    margins = {
        outlet: decide(_story_article(11587, outlet), [story], vectors, {1: 1.0}, params=params).score
        for outlet in ("아시아경제", "파이낸셜뉴스")
    }
    assert margins["파이낸셜뉴스"] - margins["아시아경제"] == pytest.approx(w.outlet_repeat)


@pytest.fixture(scope="module")
def digester() -> Digester:
    return shared_digester()


def _inputs(lines: list[int]) -> list[ArticleInput]:
    return tera_inputs(corpus_path(*TERA_ITEMS), lines)


# Real reports of 02-10 and 02-11, by event: each must be one story, and no two events one story.
HARD_NEGATIVES = {
    "hanwha-early-payment": [7039, 7477],
    "ottogi-early-payment": [7069, 7186, 7398, 7836],
    "homeshopping-early-payment": [6911],
    "skt-early-payment": [7107],
    "meritz-fire-earnings": [12371, 12519],
    "meritz-securities-earnings": [12432, 12482, 12858],
    "samg-earnings": [10201],
    "samg-shares-jump": [10594, 10638, 10661, 10695, 10741],
    "korea-jobs": [10179, 10186, 10202, 10218, 10315],
    "us-jobs": [13108, 13111, 13114, 13122],
}


def _group(digester: Digester, params: StoryParams) -> tuple[dict[str, set[object]], int]:
    lines = [line for group in HARD_NEGATIVES.values() for line in group]
    gold = [name for name, group in HARD_NEGATIVES.items() for _ in group]
    saved = digester.story_params
    digester.story_params = params
    try:
        pred = group_stories(digester, _inputs(lines))
    finally:
        digester.story_params = saved
    found: dict[str, set[object]] = defaultdict(set)
    for g, p in zip(gold, pred, strict=True):
        found[g].add(p)
    return found, len(set(pred))


def test_same_kind_of_event_at_different_companies_stays_apart(digester: Digester) -> None:
    found, stories = _group(digester, StoryParams())
    assert all(len(s) == 1 for s in found.values()), found
    assert stories == len(HARD_NEGATIVES)


def test_words_alone_merged_them() -> None:
    """The grouper before the headline signals (words only, threshold 0.3) merged some of these."""
    _, stories = _group(shared_digester(), StoryParams(signals=None, same_company=0.3, no_company=0.3))
    assert stories < len(HARD_NEGATIVES)
