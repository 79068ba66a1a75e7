"""The fake Slack knows `context_actions` and `feedback_buttons` as Slack's reference pages give them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.block_kit import check_view
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        server.allow_rejections = True
        yield server


def _feedback(**extra: Any) -> dict[str, Any]:
    return {
        "type": "feedback_buttons",
        "action_id": "fb",
        "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "up"},
        "negative_button": {
            "text": {"type": "plain_text", "text": "👎"},
            "value": "down",
            "accessibility_label": "별로예요",
        },
        **extra,
    }


GOOD = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "기사"}},
    {"type": "context_actions", "elements": [_feedback()]},
]


def _bad(change: Any) -> list[dict[str, Any]]:
    blocks = copy.deepcopy(GOOD)
    change(blocks[1])
    return blocks


BAD = [
    ("elements required", lambda b: b.pop("elements"), "/blocks/1/elements"),
    ("at least one element", lambda b: b.update(elements=[]), "/blocks/1/elements"),
    (
        "at most five elements",
        lambda b: b.update(elements=[_feedback(action_id=f"f{i}") for i in range(6)]),
        "/blocks/1/elements",
    ),
    (
        "only feedback or icon buttons",
        lambda b: b["elements"].append(
            {"type": "button", "text": {"type": "plain_text", "text": "x"}, "action_id": "b"}
        ),
        "/blocks/1/elements/1/type",
    ),
    (
        "negative button required",
        lambda b: b["elements"][0].pop("negative_button"),
        "/blocks/1/elements/0/negative_button",
    ),
    (
        "button value required",
        lambda b: b["elements"][0]["positive_button"].pop("value"),
        "/blocks/1/elements/0/positive_button/value",
    ),
    (
        "button text plain and at most 75",
        lambda b: b["elements"][0]["positive_button"].update(text={"type": "plain_text", "text": "x" * 76}),
        "/blocks/1/elements/0/positive_button/text/text",
    ),
    (
        "button text not mrkdwn",
        lambda b: b["elements"][0]["positive_button"].update(text={"type": "mrkdwn", "text": "x"}),
        "/blocks/1/elements/0/positive_button/text/type",
    ),
    (
        "value at most 2000",
        lambda b: b["elements"][0]["negative_button"].update(value="v" * 2001),
        "/blocks/1/elements/0/negative_button/value",
    ),
    ("no unknown fields", lambda b: b["elements"][0].update(style="primary"), "/blocks/1/elements/0/style"),
    ("action_id required", lambda b: b["elements"][0].pop("action_id"), "/blocks/1/elements/0/action_id"),
    ("unique action ids", lambda b: b["elements"].append(_feedback()), "/blocks/1/elements/1/action_id"),
]


def test_feedback_buttons_in_a_message_are_accepted(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    assert client.chat_postMessage(channel="C1", text="기사", blocks=GOOD)["ok"]
    assert fake.rejections == []


@pytest.mark.parametrize(("rule", "change", "pointer"), BAD, ids=[b[0] for b in BAD])
def test_each_rule_refuses_its_bad_payload(fake: FakeSlack, rule: str, change: Any, pointer: str) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="기사", blocks=_bad(change))
    errors = err.value.response.data["errors"]  # type: ignore[index]
    assert any(e.endswith(f"[json-pointer:{pointer}]") for e in errors), errors


def test_context_actions_are_for_messages_only() -> None:
    refusal = check_view({"type": "home", "blocks": GOOD})
    assert refusal is not None and "context_actions" in str(refusal)
