"""The headline signals of story grouping, on real headlines of the tera-rss corpus.

Each pair below is a hard case of the story dev set's tuning days (bench/devset/stories.jsonl): two
reports that word similarity alone puts together or keeps apart wrongly.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from briefings.digest.pipeline import ArticleInput, Digester, group_stories
from briefings.digest.stories import StoryParams
from briefings.digest.story_signals import (
    SignalWeights,
    gap_adjustment,
    headline_numbers,
    headline_subject,
    kinds_agree,
    numbers_agree,
    pair_adjustment,
    reports_share_move,
    subjects_agree,
)
from tests.conftest import corpus_path
from tests.digest.helpers import TERA_ITEMS, shared_digester, tera_inputs, tera_item


def title(line: int) -> str:
    return str(tera_item(corpus_path(*TERA_ITEMS), line)["title"])


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
