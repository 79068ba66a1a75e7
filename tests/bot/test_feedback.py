"""Feedback on briefing stories over the real HTTP endpoint: 👍/👎, the story menu, 되돌리기."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.briefing_blocks import briefing_messages
from bot.feedback import MENU, UNDO, VOTE
from briefings.brief import BriefingLoader
from briefings.models import ChannelFilter, StoryFeedback
from briefings.subscriptions import subscribe
from tests.bot.conftest import Harness
from tests.bot.seed import NOW, add_story
from tests.fakes.block_kit import check_message


def click(h: Harness, action: dict[str, Any], *, channel: str = "C1", user: str = "U1") -> dict[str, Any]:
    """A click on a posted briefing or alert (a channel message, not an ephemeral one); Slack's answer."""
    before = len(h.fake.responses)
    resp = h.user.action(
        str(action["action_id"]), "", channel=channel, user=user, element=action, ephemeral=False
    )
    assert resp.status_code == 200
    return h.user.responses(before + 1)[before]


def vote(story_id: int, up: bool) -> dict[str, Any]:
    return {"type": "feedback_buttons", "action_id": VOTE, "value": f"{'up' if up else 'down'}:{story_id}"}


def menu(choice: str, story_id: int) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": choice}, "value": f"{choice}:{story_id}"}
    return {"type": "overflow", "action_id": MENU, "selected_option": option}


def undo_value(body: dict[str, Any]) -> str:
    (button,) = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == UNDO and button["text"]["text"] == "되돌리기"
    return str(button["value"])


@pytest.fixture
def world(harness: Harness) -> Harness:
    h = harness
    with h.sessions() as session:
        sid = h.world.ids["LG전자"]
        for key, headline, outlets, themes, outlet in [
            ("people", "LG전자 임원 인사", 3, ["people"], "연합뉴스"),
            ("chip", "LG전자 AI 칩 개발", 2, ["ai"], "전자신문"),
            ("tv", "LG전자 TV 판매", 1, ["launch"], "한국경제"),
        ]:
            story = add_story(
                session, [sid], headline, hours_ago=2, outlets=outlets, themes=themes, outlet=outlet
            )
            h.world.stories[key] = story.id
        subscribe(session, "T0001", "C1", sid, now=NOW)
        session.commit()
    return h


def briefing_order(h: Harness, channel: str = "C1") -> list[str]:
    with h.sessions() as session:
        loader = BriefingLoader(session, now=NOW, settings=h.settings)
        briefing = loader.load("T0001", channel, since=NOW - timedelta(hours=12))
    return [s.headline for section in briefing.sections for s in section.stories]


def test_every_briefing_story_has_feedback_buttons_and_a_menu_slack_accepts(world: Harness) -> None:
    with world.sessions() as session:
        briefing = BriefingLoader(session, now=NOW, settings=world.settings).load(
            "T0001", "C1", since=NOW - timedelta(hours=12)
        )
    (message,) = briefing_messages(briefing)
    blocks = message.block_dicts()
    assert check_message({"channel": "C1", "text": message.text, "blocks": blocks}) is None
    feedback = [b for b in blocks if b["type"] == "context_actions"]
    menus = [b["accessory"] for b in blocks if b["type"] == "section" and "accessory" in b]
    assert len(feedback) == len(menus) == 3
    assert {e["type"] for b in feedback for e in b["elements"]} == {"feedback_buttons"}
    assert [o["text"]["text"] for o in menus[0]["options"]] == [
        "이 주제 그만 보기",
        "이 매체 제외",
        "이미 본 소식",
    ]


def test_a_thumbs_down_sinks_the_story_and_can_be_undone(world: Harness) -> None:
    h = world
    assert briefing_order(h)[0] == "LG전자 임원 인사"
    body = click(h, vote(h.world.stories["people"], up=False))
    assert body["response_type"] == "ephemeral" and body.get("replace_original") is False
    assert "👎 반영했습니다" in body["text"] and "인사" in body["text"]
    assert briefing_order(h)[-1] == "LG전자 임원 인사"  # its theme and its outlet sink
    assert briefing_order(h, "C2") == []  # another channel's ranking is its own (no subscription here)
    undone = click(h, {"type": "button", "action_id": UNDO, "value": undo_value(body)})
    assert "되돌렸습니다" in undone["text"]
    assert briefing_order(h)[0] == "LG전자 임원 인사"


def test_a_thumbs_up_raises_the_theme_and_a_second_click_replaces_the_first(world: Harness) -> None:
    h = world
    click(h, vote(h.world.stories["tv"], up=True))
    click(h, vote(h.world.stories["tv"], up=True))
    assert briefing_order(h) == ["LG전자 임원 인사", "LG전자 TV 판매", "LG전자 AI 칩 개발"]
    with h.sessions() as session:
        rows = session.scalars(select(StoryFeedback)).all()
    assert [(r.channel_id, r.user_id, r.vote, r.themes) for r in rows] == [("C1", "U1", 1, ["launch"])]


def test_votes_in_a_dm_are_that_users(world: Harness) -> None:
    h = world
    click(h, vote(h.world.stories["tv"], up=False), channel="D1", user="U7")
    with h.sessions() as session:
        (row,) = session.scalars(select(StoryFeedback)).all()
    assert (row.channel_id, row.user_id) == ("D1", "U7")
    assert briefing_order(h) == ["LG전자 임원 인사", "LG전자 AI 칩 개발", "LG전자 TV 판매"]  # C1 unchanged


@pytest.mark.parametrize(
    ("choice", "kind", "value", "says"),
    [
        ("outlet", "outlet", "연합뉴스", "매체 *연합뉴스*"),
        ("topic", "theme", "people", "테마 `#인사`"),
        ("seen", "story", None, "다시 보여 드리지 않습니다"),
    ],
)
def test_the_menu_adds_a_filter_with_undo(
    world: Harness, choice: str, kind: str, value: str | None, says: str
) -> None:
    h = world
    story = h.world.stories["people"]
    body = click(h, menu(choice, story))
    assert says in body["text"]
    assert "LG전자 임원 인사" not in briefing_order(h)
    with h.sessions() as session:
        (row,) = session.scalars(select(ChannelFilter)).all()
    assert (row.kind, row.value) == (kind, value or str(story))
    click(h, {"type": "button", "action_id": UNDO, "value": undo_value(body)})
    assert "LG전자 임원 인사" in briefing_order(h)


@pytest.mark.parametrize("value", ["up:abc", "sideways:1", "up:999999", "", "up"])
def test_forged_or_stale_feedback_gets_a_plain_answer(world: Harness, value: str) -> None:
    body = click(world, {"type": "feedback_buttons", "action_id": VOTE, "value": value})
    assert "더 이상" in body["text"]
    with world.sessions() as session:
        assert session.scalars(select(StoryFeedback)).all() == []


def test_undo_with_nothing_to_undo(world: Harness) -> None:
    body = click(world, {"type": "button", "action_id": UNDO, "value": json.dumps({"k": "vote", "s": 1})})
    assert "되돌릴 것이 없습니다" in body["text"]
