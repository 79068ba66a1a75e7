"""The development set is well-formed and the evaluation's metrics compute what they claim.

Metric tests use small hand-computed examples and need nothing else; the dev-set tests read the
shared corpus (the dev set stores only references to it) and skip where it is absent.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.corpus_refs import Text, html_to_text, sha1_prefix
from bench.eval import (
    DEVSET,
    bcubed,
    exact_agreement,
    load_rows,
    main,
    prf,
    resolve_row,
    single_link,
    tfidf_stories,
    title_prefix_stories,
    tune_tfidf_threshold,
)
from briefings.companies import load_registry_file
from tests.conftest import corpus_path

# --- metrics --------------------------------------------------------------------------------------


def test_prf_counts_item_label_pairs_micro() -> None:
    gold = [{"삼성전자", "애플"}, {"KT"}, set()]
    pred = [{"삼성전자"}, {"KT", "KT&G"}, {"아마존"}]
    m = prf(gold, pred)
    assert (m.tp, m.fp, m.fn) == (2, 2, 1)
    assert m.precision == pytest.approx(0.5)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_prf_without_predictions_has_full_precision_and_no_recall() -> None:
    m = prf([{"a"}, {"b"}], [set(), set()])
    assert (m.precision, m.recall, m.f1) == (1.0, 0.0, 0.0)
    assert prf([set()], [set()]).f1 == 1.0


def test_prf_rejects_misaligned_inputs() -> None:
    with pytest.raises(ValueError):
        prf([{"a"}], [])


def test_exact_agreement_counts_identical_sets_including_empty_ones() -> None:
    gold = [{"ai"}, {"ai", "cloud"}, set(), {"mna"}]
    pred = [{"ai"}, {"ai"}, set(), {"alliance"}]
    assert exact_agreement(gold, pred) == pytest.approx(0.5)


def test_bcubed_on_a_hand_computed_clustering() -> None:
    # gold: A = {0, 1}, B = {2, 3, 4}; predicted: {0, 1, 2}, {3, 4}
    # precision per item: 2/3 2/3 1/3 1 1 -> 11/15; recall per item: 1 1 1/3 2/3 2/3 -> 11/15
    p, r, f = bcubed(["A", "A", "B", "B", "B"], [1, 1, 1, 2, 2])
    assert p == pytest.approx(11 / 15)
    assert r == pytest.approx(11 / 15)
    assert f == pytest.approx(11 / 15)


def test_bcubed_of_the_trivial_clusterings() -> None:
    gold = ["A", "A", "B", "B", "B"]
    singles = bcubed(gold, [0, 1, 2, 3, 4])
    assert singles[0] == pytest.approx(1.0)
    assert singles[1] == pytest.approx((1 / 2 + 1 / 2 + 1 / 3 + 1 / 3 + 1 / 3) / 5)
    lump = bcubed(gold, [0, 0, 0, 0, 0])
    assert lump[0] == pytest.approx((2 / 5 * 2 + 3 / 5 * 3) / 5)
    assert lump[1] == pytest.approx(1.0)
    assert bcubed(gold, ["x", "x", "y", "y", "y"]) == pytest.approx((1.0, 1.0, 1.0))


def test_title_prefix_baseline_ignores_tags_spaces_and_punctuation() -> None:
    def text(title: str) -> Text:
        return Text("f", "l", title=title, body="", raw=title)

    keys = title_prefix_stories(
        [text("[속보] 삼성전자, 2분기 실적"), text("삼성전자 2분기 실적 발표"), text("SK하이닉스 2분기")]
    )
    assert keys[0] == keys[1] != keys[2]


def test_feed_html_becomes_text_with_entities_decoded() -> None:
    html = (
        "<p><img src='x.jpg'/></p>[서울=뉴시스] LG유플러스는 &#039;6G&#039;를<br /><br />실증했다 &amp;quot;"
    )
    assert html_to_text(html) == "[서울=뉴시스] LG유플러스는 '6G'를\n실증했다 \""
    assert sha1_prefix("abc") == "a9993e3647"


def test_eval_without_the_corpus_says_so_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--corpus", str(tmp_path / "absent")]) == 2
    assert "말뭉치가 없습니다" in capsys.readouterr().err


def test_single_link_joins_chains_above_the_threshold_only() -> None:
    pairs = [(0.9, 0, 1), (0.5, 1, 2), (0.2, 2, 3)]
    keys = single_link(4, pairs, 0.5)
    assert keys[0] == keys[1] == keys[2] != keys[3]
    keys = single_link(4, pairs, 0.6)
    assert keys[0] == keys[1] and len({keys[1], keys[2], keys[3]}) == 3


def test_tfidf_baseline_groups_shared_headlines_and_tunes_its_threshold() -> None:
    def text(title: str) -> Text:
        return Text("f", title, title=title, body="", raw=title)

    texts = [
        text("카카오, 지난해 역대 최대 실적"),
        text("카카오 지난해 역대 최대 실적 기록"),
        text("설탕 담합 3사에 과징금 4083억"),
        text("제당 3사 설탕 담합 과징금 4083억원"),
        text("코스피 사상 첫 5500선 마감"),
    ]
    gold = ["k", "k", "s", "s", "m"]
    threshold = tune_tfidf_threshold(texts, gold)
    assert bcubed(gold, tfidf_stories(texts, threshold)) == pytest.approx((1.0, 1.0, 1.0))


# --- the development set --------------------------------------------------------------------------


def _registry_names() -> set[str]:
    return {rec.name for rec in load_registry_file()}


def _theme_slugs() -> set[str]:
    data = json.loads((Path(__file__).resolve().parents[1] / "briefings/data/themes.json").read_text("utf-8"))
    return {t["slug"] for t in data["themes"]}


@pytest.mark.parametrize("name", ["companies.jsonl", "stories.jsonl", "themes.jsonl", "theme_items.jsonl"])
def test_every_reference_resolves_to_the_text_it_was_labelled_on(name: str) -> None:
    root = corpus_path()
    rows = load_rows(name)
    refs = Counter((r["file"], r["loc"]) for r in rows if r["file"] != "authored")
    assert not [ref for ref, n in refs.items() if n > 1], "a text is labelled twice"
    for row in rows:
        if row["file"] == "authored":
            assert row["title"].strip()
            continue
        text = resolve_row(row, root)
        assert text.sha1 == row["sha1"], (row["file"], row["loc"])
        assert text.title or text.body


def test_company_labels_use_registry_names_and_cover_the_hard_cases() -> None:
    rows = load_rows("companies.jsonl")
    names = _registry_names()
    assert len(rows) >= 150
    for row in rows:
        assert set(row["companies"]) <= names, row
        assert set(row["primary"]) <= set(row["companies"]), row
        assert isinstance(row["hard"], bool)
    hard = [r for r in rows if r["hard"]]
    assert len(hard) >= 50
    assert sum(1 for r in rows if not r["companies"]) >= 20  # texts that name no company at all
    notes = " ".join(r["note"] for r in hard)
    for case in ("KTX", "KT&G", "SKT", "LG유플러스", "애플", "아마존", "라인", "메타버스", "기아", "group"):
        assert case in notes, case


def test_story_labels_span_days_with_many_multi_article_stories_and_a_held_out_split() -> None:
    rows = load_rows("stories.jsonl")
    sizes = Counter(r["story"] for r in rows)
    assert len(rows) >= 600
    assert sum(1 for n in sizes.values() if n >= 2) >= 80
    assert sum(1 for n in sizes.values() if n == 1) >= 100  # singletons and near-miss distractors
    assert all(
        r["file"] == "tera-rss-economy-2026-02/items.jsonl" and r["loc"].startswith("url:") for r in rows
    )
    days = {r["split"]: set() for r in rows}
    for r in rows:
        days[r["split"]].add(r["day"])
    assert set(days) == {"tune", "heldout"}
    assert len(days["tune"] | days["heldout"]) >= 3
    assert not days["tune"] & days["heldout"], "a day is both tuned on and reported"
    assert max(days["tune"]) < min(days["heldout"])


def test_story_rows_line_hints_point_at_their_urls() -> None:
    path = corpus_path("tera-rss-economy-2026-02", "items.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    for row in load_rows("stories.jsonl"):
        item = json.loads(lines[row["line"]])
        assert "url:" + item["url"] == row["loc"]
        assert item["date_as_given"][:10] == row["day"]


def test_story_labels_include_title_only_articles() -> None:
    root = corpus_path()
    texts = [resolve_row(r, root) for r in load_rows("stories.jsonl")]
    title_only = [t for t in texts if not t.body]
    assert len(title_only) >= 100
    assert {t.outlet for t in title_only} >= {"한국경제", "서울경제"}


def test_follow_up_pairs_link_labelled_stories_forwards_in_time() -> None:
    rows = load_rows("stories.jsonl")
    first_day: dict[str, str] = {}
    for r in rows:
        first_day[r["story"]] = min(first_day.get(r["story"], r["day"]), r["day"])
    pairs = load_rows("follow_ups.jsonl")
    assert len(pairs) >= 5
    for p in pairs:
        assert p["story"] in first_day and p["follow_up_of"] in first_day, p
        assert p["story"] != p["follow_up_of"]
        assert first_day[p["story"]] >= first_day[p["follow_up_of"]], p
        assert p["note"]


def test_theme_labels_use_taxonomy_slugs() -> None:
    rows = load_rows("themes.jsonl")
    slugs = _theme_slugs()
    assert len(rows) >= 100
    used: set[str] = set()
    for row in rows:
        assert set(row["themes"]) <= slugs, row
        used |= set(row["themes"])
    assert used == slugs  # every theme has gold examples


def test_theme_tuning_items_come_from_days_other_than_the_stories_days() -> None:
    story_days = {r["day"] for r in load_rows("stories.jsonl")}
    rows = load_rows("theme_items.jsonl")
    slugs = _theme_slugs()
    assert len(rows) >= 300
    assert not {r["day"] for r in rows} & story_days  # never the held-out days, nor the tuning ones
    assert all(set(r["themes"]) <= slugs for r in rows)
    assert all(r["drawn"] == "random" or r["drawn"].removeprefix("kw:") in slugs for r in rows)


def test_devset_rows_hold_references_and_labels_only() -> None:
    # Only references and labels are stored: no field may carry a corpus text.
    for name in ("companies.jsonl", "stories.jsonl", "themes.jsonl", "theme_items.jsonl"):
        for line in (DEVSET / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            allowed = {"file", "loc", "sha1", "companies", "primary", "hard", "note", "story", "themes"}
            allowed |= {"line", "day", "split", "drawn"}
            if row["file"] == "authored":
                allowed |= {"title"}
            assert set(row) <= allowed, row
