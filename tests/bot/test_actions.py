"""Buttons: 구독 / 구독 해지, 채널에 공유, 더 보기, candidates, and the full-text fallback's answer."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from bot import blocks as bk
from briefings.lookup import query_terms
from briefings.models import Article, ArticleTerm, Subscription
from tests.bot.conftest import Harness
from tests.bot.test_commands import _buttons, _texts


def _value(h: Harness, company: str, offset: int = 0) -> str:
    return json.dumps({"c": h.world.ids[company], "o": offset, "d": 7})


def _subs(h: Harness) -> list[tuple[str, str, int]]:
    with h.sessions() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(Subscription.team_id, Subscription.channel_id, Subscription.company_id)
            ).all()
        ]  # type: ignore[misc]


def test_subscribe_button_subscribes_this_channel_and_flips_to_unsubscribe(harness: Harness) -> None:
    h = harness
    resp = h.user.action(bk.SUBSCRIBE, _value(h, "화웨이"), channel="C9")
    assert resp.status_code == 200
    body = h.user.responses(1)[0]
    assert body["replace_original"] is True
    assert "구독을 시작했습니다" in _texts(body["blocks"])
    assert set(_buttons(body["blocks"])) >= {bk.UNSUBSCRIBE, bk.SHARE}
    assert _subs(h) == [("T0001", "C9", h.world.ids["화웨이"])]
    h.fake.reset()
    h.user.action(bk.UNSUBSCRIBE, _value(h, "화웨이"), channel="C9")
    body = h.user.responses(1)[0]
    assert "해지했습니다" in _texts(body["blocks"]) and bk.SUBSCRIBE in _buttons(body["blocks"])
    assert _subs(h) == []


def test_more_button_shows_the_next_page(harness: Harness) -> None:
    h = harness
    h.user.action(bk.MORE, _value(h, "화웨이", 5))
    body = h.user.responses(1)[0]
    text = _texts(body["blocks"])
    assert body["replace_original"] is True
    assert "6. " in text and "1. " not in text
    assert "화웨이, 새 AI 칩" not in text
    assert bk.MORE not in _buttons(body["blocks"])  # 9 stories: page 2 is the last


def test_candidate_button_answers_for_that_company(harness: Harness) -> None:
    h = harness
    h.user.action(bk.PICK, _value(h, "삼성전자"))
    body = h.user.responses(1)[0]
    assert "삼성전자" in body["blocks"][0]["text"]["text"]


def test_share_posts_the_same_answer_visibly_without_buttons(harness: Harness) -> None:
    h = harness
    h.user.action(bk.SHARE, _value(h, "화웨이"), channel="C5", user="U42")
    confirm = h.user.responses(1)[0]
    assert "공유했습니다" in confirm["text"]
    posted = h.fake.posted("C5")
    assert len(posted) == 1
    message = posted[0]
    assert message["unfurl_links"] in (False, "false", "0", 0)
    assert "화웨이, 새 AI 칩 어센드 공개" in _texts(message["blocks"])
    assert "<@U42>" in _texts(message["blocks"])
    assert _buttons(message["blocks"]) == {}


def test_share_where_the_app_is_not_a_member_explains_in_korean(harness: Harness) -> None:
    h = harness
    h.fake.private_channels.add("CPRIV")  # private, and the app was never invited
    h.user.action(bk.SHARE, _value(h, "화웨이"), channel="CPRIV")
    body = h.user.responses(1)[0]
    assert "/invite" in body["text"]
    assert h.fake.posted("CPRIV") == []


@pytest.mark.parametrize("value", ["not json", json.dumps({"c": 999999}), json.dumps({"c": "1; drop"}), "[]"])
def test_forged_or_stale_button_values_get_a_plain_answer(harness: Harness, value: str) -> None:
    harness.user.action(bk.SUBSCRIBE, value)
    body = harness.user.responses(1)[0]
    assert "찾지 못했습니다" in body["text"]
    assert _subs(harness) == []


@pytest.mark.kiwi
def test_unknown_name_falls_back_to_full_text_search(harness: Harness) -> None:
    from briefings.digest.nlp import get_nlp

    h = harness
    nlp = get_nlp()
    with h.sessions() as session:
        session.execute(delete(ArticleTerm))
        for article in session.scalars(select(Article)):
            for term in set(query_terms(article.title, nlp)):
                session.add(ArticleTerm(term=term, article_id=article.id, story_id=article.story_id))
        session.commit()
    h.user.command("딥시크가")
    body = h.user.responses(1)[0]
    text = _texts(body["blocks"])
    assert "기사 본문에서 찾았습니다" in text
    assert "딥시크 돌풍에 중국 AI 스타트업 주목" in text
