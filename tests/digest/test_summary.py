"""Story summaries: whole lead sentences of the story's own articles, the most central across outlets."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from briefings.cli import app
from briefings.digest.nlp import SimpleMorph
from briefings.digest.pipeline import ArticleInput, Digester, build_digester, digest_pending, group_analyses
from briefings.digest.summary import (
    LeadSentence,
    choose_summary,
    clean_sentence,
    lead_sentences,
    repeats_headline,
    summary_sentences,
)
from briefings.models import Story
from tests.conftest import corpus_path
from tests.digest.helpers import TERA_ITEMS, shared_digester, tera_inputs
from tests.digest.test_digest_db import NOW, seed_articles

pytestmark = pytest.mark.kiwi


@pytest.fixture(scope="module")
def digester() -> Digester:
    return shared_digester()


def _inputs(lines: list[int]) -> list[ArticleInput]:
    return tera_inputs(corpus_path(*TERA_ITEMS), lines)


# Real leads of the tuning days: bylines ([파이낸셜뉴스], [헤럴드경제=… 기자]), leads cut with "..",
# photo captions, quotes; the first 300 items of 02-10 that have a lead.
def _real_leads(n: int = 300) -> list[int]:
    path = corpus_path(*TERA_ITEMS)
    lines = path.read_text(encoding="utf-8").splitlines()
    picked = []
    for i, line in enumerate(lines):
        item = json.loads(line)
        if item["date_as_given"].startswith("2026-02-10") and item["lead"]:
            picked.append(i)
            if len(picked) == n:
                break
    return picked


def test_candidate_sentences_of_real_leads_are_whole_clean_sentences(digester: Digester) -> None:
    items = _inputs(_real_leads())
    analyses = digester.analyze(items)
    sentences = [s for a in analyses for s in a.sentences]
    assert len(sentences) > 500
    for item, analysis in zip(items, analyses, strict=True):
        squeezed_body = " ".join(analysis.body.split())
        for s in analysis.sentences:
            assert s.text in squeezed_body or clean_sentence(s.text) == s.text, s.text
            # Nothing cut mid-sentence: a final ending, and punctuation where the lead has it.
            assert s.text.rstrip("”’\"')").endswith(("다", ".", "?", "!")), s.text
            assert not s.text.startswith(("[", "【", "(", "<")), s.text  # no dateline or byline
            assert "기자 =" not in s.text and "@" not in s.text and "사진=" not in s.text, s.text
            assert not repeats_headline(s.text, item.title), s.text
            assert s.nouns


def test_bylines_are_removed_and_a_cut_lead_loses_its_last_sentence(digester: Digester) -> None:
    body = "[파이낸셜뉴스] 카카오가 지난해 창사 이래 역대 최대 실적을 거뒀다. 전년 대비 각각 3%·48% 증가한.."
    (analysis,) = digester.analyze([ArticleInput(1, "카카오, 역대 최대 실적", body)])
    assert [s.text for s in analysis.sentences] == ["카카오가 지난해 창사 이래 역대 최대 실적을 거뒀다."]
    assert clean_sentence("[헤럴드경제=박성준 기자] 삼성화재는 10일 밝혔다.") == "삼성화재는 10일 밝혔다."
    assert clean_sentence("(서울=연합뉴스) 김철수 기자 = 화웨이는 1일 밝혔다.") == "화웨이는 1일 밝혔다."


def test_the_headline_with_a_full_stop_is_no_summary() -> None:
    assert repeats_headline(
        "LG전자, 美 냉동공조협회 퍼포먼스 어워드 9년 연속 수상.",
        "LG전자, 美 냉동공조협회 '퍼포먼스 어워드' 9년 연속 수상",
    )
    assert not repeats_headline(
        "LG전자는 미국 냉동공조협회(AHRI)가 주관하는 '퍼포먼스 어워드'를 9년 연속 수상했다고 12일 밝혔다.",
        "LG전자, 美 냉동공조협회 '퍼포먼스 어워드' 9년 연속 수상",
    )


def test_the_summary_is_the_sentence_the_outlets_share_most(digester: Digester) -> None:
    # 한화에어로스페이스·KAI air-weapons MOU of 02-10, by five outlets.
    items = _inputs([7305, 7384, 7400, 7529, 7875])
    analyses = digester.analyze(items)
    summary = choose_summary([a.sentences for a in analyses], [a.title for a in analyses])
    assert summary is not None
    assert ("한화에어로스페이스" in summary and "KAI" in summary) or "한국항공우주산업" in summary
    assert any(summary.startswith(s.text) for a in analyses for s in a.sentences)
    assert not any(repeats_headline(summary, it.title) for it in items)


def test_a_short_sentence_is_followed_by_the_next_one_of_its_article() -> None:
    short = LeadSentence("카카오가 역대 최대 실적을 냈다.", frozenset({"카카오", "실적"}), 0)
    nxt = LeadSentence("매출은 8조원, 영업이익은 7320억원이다.", frozenset({"매출", "영업이익"}), 1)
    other = LeadSentence("다른 매체의 문장이다 카카오 실적.", frozenset({"매체"}), 0)
    chosen = summary_sentences([[short, nxt], [other]])
    assert chosen == [short, nxt]
    assert choose_summary([[short, nxt]]) == f"{short.text} {nxt.text}"


def test_a_story_of_title_only_articles_gets_no_summary(digester: Digester) -> None:
    items = _inputs([7945, 8676, 9139])  # 한국경제 headlines of the LH 모아타운 story: no lead
    analyses = digester.analyze(items)
    assert all(not a.sentences for a in analyses)
    assert choose_summary([a.sentences for a in analyses], [a.title for a in analyses]) is None
    assert {g.summary for g in group_analyses(items, analyses)} == {None}


def test_morphemes_without_kiwi_sentence_numbers_split_at_full_stops(digester: Digester) -> None:
    body = "삼성전자가 새 폴더블폰을 오늘 공개했다고 밝혔다. 가격은 지난해 모델과 같은 수준으로 정해졌다."
    # The same morphemes as plain values: no sent_position, so full stops alone end sentences.
    morphs = [SimpleMorph(m.form, m.tag, m.start, m.len) for m in digester.nlp.tokenize_one(body)]
    texts = [s.text for s in lead_sentences("삼성전자 폴더블폰 공개", body, morphs)]
    assert texts == [
        "삼성전자가 새 폴더블폰을 오늘 공개했다고 밝혔다.",
        "가격은 지난해 모델과 같은 수준으로 정해졌다.",
    ]


def test_analyze_prints_the_story_summary() -> None:
    lines = [
        {
            "id": 1,
            "title": "카카오, 역대 최대 실적",
            "body": "[파이낸셜뉴스] 카카오가 지난해 창사 이래 역대 최대 실적을 거뒀다고 12일 공시했다.",
        },
        {"id": 2, "title": "카카오, 지난해 영업익 48% 늘어", "body": ""},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
    result = CliRunner().invoke(app, ["analyze"], input=stdin)
    assert result.exit_code == 0, result.stdout
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["summary"] == "카카오가 지난해 창사 이래 역대 최대 실적을 거뒀다고 12일 공시했다."
    assert rows[0]["story"] == rows[1]["story"] and rows[1]["summary"] == rows[0]["summary"]


def test_digest_stores_the_summary_on_the_story(sessions: sessionmaker[Session]) -> None:
    ids = seed_articles(sessions)
    with sessions() as s:
        digest_pending(s, build_digester(s, now=NOW), now=NOW)
    with sessions() as s:
        from briefings.models import Article

        first, other = s.get(Article, ids["first"]), s.get(Article, ids["other"])
        assert first is not None and other is not None
        story, other_story = s.get(Story, first.story_id), s.get(Story, other.story_id)
        assert story is not None and other_story is not None
        assert story.summary is not None and story.summary.startswith("화웨이는 1일 삼성전자와 5G")
        assert "기자" not in story.summary
        # A short first sentence is followed by the next one of its article.
        assert other_story.summary == (
            "미국 정부가 중국 인공지능 기업을 수출통제 대상에 추가했다. "
            "제재를 받은 기업은 미국산 반도체를 살 수 없다."
        )
