"""Story grouping as pure decisions: hand-made articles, times given, no Kiwi and no database."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from briefings.digest.dedup import word_hash
from briefings.digest.stories import (
    StoryArticle,
    StoryGrouper,
    StoryParams,
    StoryState,
    TopicBackground,
    cosine,
    cosines,
    decide,
    group,
    in_window,
    pack,
    vector,
)

T0 = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)


def topic(words: Iterable[str], title: Iterable[str] = ()) -> tuple[tuple[int, int], ...]:
    counts: dict[int, int] = {}
    for w in words:
        counts[word_hash(w)] = counts.get(word_hash(w), 0) + 1
    for w in title:
        counts[word_hash(w)] = counts.get(word_hash(w), 0) + 3
    return tuple(sorted(counts.items()))


def art(
    key: str,
    hours: float,
    title_words: list[str],
    lead_words: list[str] = (),  # type: ignore[assignment]
    *,
    primaries: frozenset[str] = frozenset(),
    outlet: str = "",
) -> StoryArticle:
    return StoryArticle(
        key=key,
        published=T0 + timedelta(hours=hours),
        title=" ".join(title_words),
        outlet=outlet,
        primaries=primaries,
        companies=primaries,
        topic=topic(lead_words, title_words),
    )


HUAWEI = frozenset({"화웨이"})
SAMSUNG = frozenset({"삼성전자"})


def test_reports_of_one_event_by_several_outlets_form_one_story() -> None:
    arts = [
        art(
            "a",
            0,
            ["화웨이", "신제품", "폴더블", "공개"],
            ["화웨이", "베이징", "폴더블", "스마트폰"],
            primaries=HUAWEI,
        ),
        art(
            "b",
            2,
            ["화웨이", "폴더블폰", "공개", "가격"],
            ["화웨이", "폴더블", "스마트폰", "베이징"],
            primaries=HUAWEI,
        ),
        art("c", 5, ["화웨이", "새", "폴더블", "스마트폰"], ["폴더블", "스마트폰", "공개"], primaries=HUAWEI),
        art("d", 1, ["삼성전자", "2분기", "실적", "발표"], ["영업이익", "반도체", "매출"], primaries=SAMSUNG),
    ]
    assert group(arts) == {"a": "a", "b": "a", "c": "a", "d": "d"}


def test_same_words_about_different_companies_stay_apart() -> None:
    arts = [
        art(
            "a", 0, ["삼성전자", "2분기", "실적", "영업이익", "감소"], ["영업이익", "매출"], primaries=SAMSUNG
        ),
        art("b", 1, ["화웨이", "2분기", "실적", "영업이익", "감소"], ["영업이익", "매출"], primaries=HUAWEI),
    ]
    assert group(arts) == {"a": "a", "b": "b"}


def test_a_story_closes_after_the_window() -> None:
    first = art("a", 0, ["창정5B", "로켓", "잔해", "추락"], ["로켓", "잔해"])
    late = art("b", 60, ["창정5B", "로켓", "잔해", "추락"], ["로켓", "잔해"])
    chained = [first, art("m", 40, ["창정5B", "로켓", "잔해", "추락"], ["로켓"]), late]
    assert group([first, late]) == {"a": "a", "b": "b"}
    # A report in between keeps the story open: the window slides with its latest article.
    assert group(chained) == {"a": "a", "m": "a", "b": "a"}
    # But never beyond the longest span of a story.
    params = StoryParams(max_span=timedelta(hours=50))
    assert group(chained, params=params) == {"a": "a", "m": "a", "b": "b"}


def test_duplicates_join_their_originals_story_whatever_the_words() -> None:
    a = art("a", 0, ["카카오뱅크", "제재"], ["금감원"])
    b = art("b", 1, ["전혀", "다른", "제목"], ["다른"])
    assert group([a, b]) == {"a": "a", "b": "b"}
    assert group([a, b], duplicates={"b": "a"}) == {"a": "a", "b": "a"}


def test_story_key_is_the_first_input_even_when_published_later() -> None:
    late = art("late", 3, ["휘발유", "가격", "1800원대", "진입"], ["휘발유", "평균", "가격"])
    early = art("early", 0, ["휘발유", "평균", "가격", "1800원대"], ["휘발유", "가격"])
    assert group([late, early]) == {"late": "late", "early": "late"}
    assert group([late, early]) == group([late, early])  # deterministic


def test_decide_is_pure_and_explains_itself() -> None:
    grouper = StoryGrouper()
    a = art("a", 0, ["네이버", "웹툰", "공모전"], ["웹소설", "공모전"])
    grouper.observe(a.topic)
    grouper.add("s1", a)
    b = art("b", 1, ["네이버", "웹툰", "공모전", "접수"], ["공모전"])
    before = dict(grouper.story_of)
    decision = grouper.decide(b)
    assert decision.story == "s1" and decision.reason == "similar" and decision.score >= 0
    assert grouper.story_of == before  # deciding changes nothing
    assert grouper.decide(art("c", 1, ["정부", "부동산", "대책"])).reason == "new"
    assert grouper.decide(b, duplicate_of="a").reason == "duplicate"


def test_expired_stories_are_forgotten() -> None:
    grouper = StoryGrouper()
    grouper.add("s1", art("a", 0, ["로켓", "잔해"]))
    assert grouper.expire(T0 + timedelta(hours=10)) == []
    assert grouper.expire(T0 + timedelta(hours=49)) == ["s1"]
    assert grouper.stories == {} and grouper.story_of == {}


def test_window_and_required_similarity_rules() -> None:
    story = StoryState("s", T0, T0 + timedelta(hours=10))
    params = StoryParams()
    assert in_window(story, T0 + timedelta(hours=57), params)
    assert not in_window(story, T0 + timedelta(hours=59), params)
    assert in_window(story, None, params)
    assert in_window(story, T0 - timedelta(hours=47), params)  # a late feed's earlier report
    a = art("a", 0, ["x"])
    empty = decide(a, [], {}, vector(a.topic, lambda h: 1.0))
    assert empty.story is None and empty.reason == "new"


def test_cosines_together_are_the_cosines_one_by_one_to_the_last_bit() -> None:
    rng = random.Random(7)
    words = [f"단어{i}" for i in range(60)]
    background = TopicBackground()
    topics = [
        topic(rng.sample(words, rng.randint(1, 25)), rng.sample(words, rng.randint(0, 4))) for _ in range(80)
    ]
    for t in topics:
        background.add(t)
    vectors = [vector(t, background.idf) for t in topics]
    vectors.append(vector(topic(["어디에도", "없는"]), background.idf))  # shares no word with the rest
    packed = [pack(v) for v in vectors]
    assert all(p is not None for p in packed)
    for v, p in zip(vectors, packed, strict=True):
        assert p is not None
        together = cosines(p, [q for q in packed if q is not None])
        assert together == [cosine(v, w) for w in vectors]
    assert cosines(packed[0], []) == []  # type: ignore[arg-type]


def test_a_vector_whose_words_are_out_of_order_is_not_packed() -> None:
    assert pack({5: 0.6, 3: 0.8}) is None
    assert pack({}) is not None and pack({3: 1.0}) is not None


def test_an_open_story_is_found_behind_many_better_ones_closed_to_the_articles_time() -> None:
    """Candidates are the best few open to the article's time, however many better ones are not."""
    grouper = StoryGrouper()
    shared = ["반도체", "수출", "호조", "기록", "경신"]
    for i in range(40):  # closed to the article below: their last article is three days before it
        a = art(f"old{i}", 0, shared, [f"잡음{i}"])
        grouper.observe(a.topic)
        grouper.add(f"old{i}", a)
    recent = art("recent", 60, ["반도체", "수출"], ["반도체"])
    grouper.observe(recent.topic)
    grouper.add("recent", recent)
    article = art("new", 72, shared)
    grouper.observe(article.topic)
    assert [s.key for s in grouper.candidates(article)] == ["recent"]
