"""Feedback on alert stories: an alert posted to the fake Slack, clicked over the real HTTP endpoint.

A click on an alert goes through the same listeners and the same store as a click on a briefing, so
the channel's next alert and its next briefing both follow it.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.alerts import post_alerts
from bot.deliver import DeliverOptions
from bot.feedback import MENU, UNDO, VOTE
from briefings.brief import BriefingLoader
from briefings.signals.demo_spike import store_story
from tests.bot.conftest import Harness
from tests.bot.test_feedback import click, undo_value
from tests.signals.conftest import NOW, TODAY, company, follow, history, kst

CHANNEL = "CALERT"


def spike(session: Session, name: str, rows: list[tuple[list[str], str]]) -> None:
    """Eleven stories today (the spike): `rows` first, each (outlets, theme), then one-outlet fillers."""
    rows = rows + [(["매체99"], "launch")] * (11 - len(rows))
    for i, (outlets, theme) in enumerate(rows):
        at = kst(TODAY, 8) + timedelta(minutes=30 * i)
        story = store_story(session, company(session, name).id, f"{name} 리콜 {i}", at, outlets=outlets)
        story.themes = [theme]


def post(h: Harness) -> list[str]:
    options = DeliverOptions(worker_id="w", channel_interval=0.0, backoff=0.01)
    outcomes = post_alerts(h.sessions, now=NOW, settings=h.settings, options=options)
    return [o.status for o in outcomes]


def story_rows(message: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each story of a posted alert: its line, its menu and the 👍/👎 under it, as Slack received them."""
    blocks = message["blocks"]
    rows = []
    for block, below in pairwise(blocks):
        if block["type"] == "section" and "accessory" in block and below["type"] == "context_actions":
            (buttons,) = below["elements"]
            rows.append((block["text"]["text"], block["accessory"], buttons))
    return rows


def headline_order(rows: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    return [line.split("|", 1)[1].split(">", 1)[0] for line, _menu, _buttons in rows]


@pytest.fixture
def alerted(harness: Harness) -> Harness:
    with harness.sessions.begin() as session:
        history(session, "가나전자")
        history(session, "다라전자")
        spike(session, "가나전자", [(["한국경제", "x1", "x2"], "people"), (["전자신문", "y1"], "ai")])
        follow(session, "T0001", CHANNEL, ["가나전자", "다라전자"])
    assert post(harness) == ["posted"]
    return harness


def test_every_alert_story_has_the_briefings_feedback_buttons_and_menu(alerted: Harness) -> None:
    (message,) = alerted.fake.posted(CHANNEL)  # the fake refuses what Slack would refuse
    rows = story_rows(message)
    assert headline_order(rows) == ["가나전자 리콜 0", "가나전자 리콜 1", "가나전자 리콜 10"]
    for _line, menu, buttons in rows:
        assert menu["action_id"] == MENU and buttons["action_id"] == VOTE
        choices = [o["text"]["text"] for o in menu["options"]]
        assert choices == ["이 주제 그만 보기", "이 매체 제외", "이미 본 소식"]
        assert (buttons["positive_button"]["text"]["text"], buttons["negative_button"]["text"]["text"]) == (
            "👍",
            "👎",
        )


def test_clicks_on_an_alert_move_the_next_alert_and_the_next_briefing(alerted: Harness) -> None:
    h = alerted
    (message,) = h.fake.posted(CHANNEL)
    (_l0, menu0, _b0), (_l1, _m1, buttons1), _third = story_rows(message)
    up = {"type": "feedback_buttons", "action_id": VOTE, "value": buttons1["positive_button"]["value"]}
    body = click(h, up, channel=CHANNEL)
    assert body["response_type"] == "ephemeral"
    assert "👍 반영했습니다" in body["text"] and "브리핑·알림" in body["text"] and "`#AI`" in body["text"]
    assert undo_value(body)
    (outlet,) = [o for o in menu0["options"] if o["text"]["text"] == "이 매체 제외"]
    body = click(h, {"type": "overflow", "action_id": MENU, "selected_option": outlet}, channel=CHANNEL)
    assert "매체 *한국경제*" in body["text"] and undo_value(body)

    # Later that day the other company spikes: its alert leaves out 한국경제 and raises the 👍 theme
    # (without the vote the later of the two-outlet stories, 리콜 2, would lead).
    with h.sessions.begin() as session:
        spike(
            session,
            "다라전자",
            [(["한국경제", "w1", "w2"], "launch"), (["매체97", "v1"], "ai"), (["매체98", "z1"], "people")],
        )
    assert post(h) == ["posted"]
    _first, second = h.fake.posted(CHANNEL)
    assert headline_order(story_rows(second)) == ["다라전자 리콜 1", "다라전자 리콜 2", "다라전자 리콜 10"]

    # The channel's next briefing: the same filter, the same ranking.
    with h.sessions() as session:
        briefing = BriefingLoader(session, now=NOW, settings=h.settings).load(
            "T0001", CHANNEL, since=NOW - timedelta(hours=12)
        )
    shown = {s.company: [x.headline for x in s.stories] for s in briefing.sections}
    assert shown["다라전자"][:2] == ["다라전자 리콜 1", "다라전자 리콜 2"]
    everything = {headline for headlines in shown.values() for headline in headlines}
    assert not everything & {"가나전자 리콜 0", "다라전자 리콜 0"}  # both from 한국경제
    assert briefing.hidden == 2


def test_undo_on_an_alert_click_restores_the_channel(alerted: Harness) -> None:
    h = alerted
    (message,) = h.fake.posted(CHANNEL)
    (_line, menu, _buttons), *_rest = story_rows(message)
    (seen,) = [o for o in menu["options"] if o["text"]["text"] == "이미 본 소식"]
    body = click(h, {"type": "overflow", "action_id": MENU, "selected_option": seen}, channel=CHANNEL)
    assert "다시 보여 드리지 않습니다" in body["text"]
    undo = {"type": "button", "action_id": UNDO, "value": undo_value(body)}
    undone = click(h, undo, channel=CHANNEL)
    assert "되돌렸습니다" in undone["text"]
