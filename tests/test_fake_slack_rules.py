"""The fake Slack refuses what Slack refuses: one hand-made bad payload per Block Kit rule, over HTTP.

Each payload is sent with slack_sdk's own clients (WebClient, WebhookClient), the way the app sends
them, and the answer must be Slack's: Web API `ok: false` with `invalid_blocks` (HTTP 200) and the
offending field's JSON pointer; response_url HTTP 400 naming the problem. Good payloads pass.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack_api import FakeSlack

Blocks = list[dict[str, Any]]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        server.allow_rejections = True  # refusals are what these tests are about
        yield server


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def btn(action_id: str = "a", text: str = "OK", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, "value": "v", **extra}


def option(text: str = "o", value: str = "v", **extra: Any) -> dict[str, Any]:
    return {"text": plain(text), "value": value, **extra}


def options(n: int) -> list[dict[str, Any]]:
    return [option(f"o{i}", f"v{i}") for i in range(n)]


def section(text: str = "본문", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def actions(*elements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements), **extra}


# A message that uses every block and element the rules below break, valid as it stands.
GOOD: Blocks = [
    {"type": "header", "text": plain("제목")},
    section("*굵게* 본문", block_id="s1", accessory=btn("acc")),
    {"type": "section", "fields": [mrkdwn("a"), plain("b")]},
    {"type": "divider"},
    {
        "type": "context",
        "elements": [mrkdwn("출처"), {"type": "image", "image_url": "https://x/i.png", "alt_text": "i"}],
    },
    actions(
        btn("pick:1", "삼성전자", style="primary"),
        btn("pick:2", "삼성SDI", url="https://example.com/"),
        {"type": "overflow", "action_id": "more", "options": options(3)},
        {"type": "static_select", "action_id": "sel", "placeholder": plain("골라"), "options": options(3)},
        {"type": "datepicker", "action_id": "date", "initial_date": "2026-12-01"},
        btn(
            "danger",
            "삭제",
            confirm={
                "title": plain("정말?"),
                "text": mrkdwn("삭제합니다"),
                "confirm": plain("예"),
                "deny": plain("아니요"),
            },
        ),
        block_id="a1",
    ),
    {"type": "image", "image_url": "https://x/i.png", "alt_text": "그림", "title": plain("t")},
]


def good() -> Blocks:
    return copy.deepcopy(GOOD)


def with_block(i: int, change: Callable[[dict[str, Any]], None]) -> Blocks:
    blocks = good()
    change(blocks[i])
    return blocks


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda block: block.update(fields)


def _element(j: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda block: block["elements"][j].update(fields)


# (rule, blocks, the JSON pointer Slack names)
BAD: list[tuple[str, Blocks, str]] = [
    ("more than 50 blocks in a message", [section() for _ in range(51)], "/blocks"),
    ("unknown block type", [{"type": "banner", "text": mrkdwn("x")}], "/blocks/0/type"),
    ("block_id unique in a message", [section(block_id="x"), section(block_id="x")], "/blocks/1/block_id"),
    ("block_id at most 255", [section(block_id="b" * 256)], "/blocks/0/block_id"),
    ("unknown field in a block", with_block(3, _set(text=mrkdwn("x"))), "/blocks/3/text"),
    (
        "action_id unique within a block",
        with_block(5, _element(1, action_id="pick:1")),
        "/blocks/5/elements/1/action_id",
    ),
    (
        "action_id at most 255",
        with_block(5, _element(0, action_id="a" * 256)),
        "/blocks/5/elements/0/action_id",
    ),
    ("section text at most 3000", with_block(1, _set(text=mrkdwn("가" * 3001))), "/blocks/1/text/text"),
    ("section needs text or fields", [{"type": "section"}], "/blocks/0"),
    ("section fields at most 10", [{"type": "section", "fields": [mrkdwn("f")] * 11}], "/blocks/0/fields"),
    (
        "section field text at most 2000",
        [{"type": "section", "fields": [mrkdwn("f" * 2001)]}],
        "/blocks/0/fields/0/text",
    ),
    ("header text at most 150", with_block(0, _set(text=plain("제" * 151))), "/blocks/0/text/text"),
    ("header text is plain_text", with_block(0, _set(text=mrkdwn("제목"))), "/blocks/0/text/type"),
    ("text object non-empty", [section("")], "/blocks/0/text/text"),
    (
        "text object type valid",
        [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
        "/blocks/0/text/type",
    ),
    (
        "emoji only on plain_text",
        [{"type": "section", "text": {**mrkdwn("x"), "emoji": True}}],
        "/blocks/0/text/emoji",
    ),
    (
        "button text at most 75",
        with_block(5, _element(0, text=plain("버" * 76))),
        "/blocks/5/elements/0/text/text",
    ),
    (
        "button text is plain_text",
        with_block(5, _element(0, text=mrkdwn("x"))),
        "/blocks/5/elements/0/text/type",
    ),
    ("button text non-empty", with_block(5, _element(0, text=plain(""))), "/blocks/5/elements/0/text/text"),
    ("button value at most 2000", with_block(5, _element(0, value="v" * 2001)), "/blocks/5/elements/0/value"),
    (
        "button url at most 3000",
        with_block(5, _element(1, url="https://x/" + "a" * 3000)),
        "/blocks/5/elements/1/url",
    ),
    (
        "button style primary or danger",
        with_block(5, _element(0, style="green")),
        "/blocks/5/elements/0/style",
    ),
    ("actions at most 25 elements", [actions(*(btn(f"b{i}") for i in range(26)))], "/blocks/0/elements"),
    ("actions not empty", [actions()], "/blocks/0/elements"),
    (
        "element type valid in actions",
        [actions({"type": "image", "image_url": "https://x", "alt_text": "x"})],
        "/blocks/0/elements/0/type",
    ),
    (
        "context at most 10 elements",
        [{"type": "context", "elements": [mrkdwn("c")] * 11}],
        "/blocks/0/elements",
    ),
    (
        "overflow at least 2 options",
        with_block(5, _element(2, options=options(1))),
        "/blocks/5/elements/2/options",
    ),
    (
        "overflow at most 5 options",
        with_block(5, _element(2, options=options(6))),
        "/blocks/5/elements/2/options",
    ),
    (
        "static_select at most 100 options",
        with_block(5, _element(3, options=options(101))),
        "/blocks/5/elements/3/options",
    ),
    (
        "option text at most 75",
        with_block(5, _element(3, options=[option("o" * 76)])),
        "/blocks/5/elements/3/options/0/text/text",
    ),
    (
        "option value at most 150",
        with_block(5, _element(3, options=[option(value="v" * 151)])),
        "/blocks/5/elements/3/options/0/value",
    ),
    (
        "option url only in overflow",
        with_block(5, _element(3, options=[option(url="https://x")])),
        "/blocks/5/elements/3/options/0/url",
    ),
    (
        "placeholder at most 150",
        with_block(5, _element(3, placeholder=plain("p" * 151))),
        "/blocks/5/elements/3/placeholder/text",
    ),
    (
        "datepicker date format",
        with_block(5, _element(4, initial_date="2026/12/01")),
        "/blocks/5/elements/4/initial_date",
    ),
    (
        "confirm title at most 100",
        with_block(5, lambda b: b["elements"][5]["confirm"].update(title=plain("t" * 101))),
        "/blocks/5/elements/5/confirm/title/text",
    ),
    ("image alt_text required", with_block(6, lambda b: b.pop("alt_text")), "/blocks/6/alt_text"),
    (
        "image url at most 3000",
        with_block(6, _set(image_url="https://x/" + "i" * 3000)),
        "/blocks/6/image_url",
    ),
    ("accessory type valid", with_block(1, _set(accessory={"type": "header"})), "/blocks/1/accessory/type"),
]


def _refusal(fake: FakeSlack, blocks: Blocks, text: str | None = "fallback") -> dict[str, Any]:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text=text, blocks=blocks)  # type: ignore[arg-type]
    assert err.value.response.status_code == 200  # Slack refuses with HTTP 200 and ok: false
    data: dict[str, Any] = err.value.response.data  # type: ignore[assignment]
    return data


def test_a_message_using_every_checked_block_is_accepted(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    assert client.chat_postMessage(channel="C1", text="fallback", blocks=GOOD)["ok"]
    assert WebhookClient(fake.response_url("ok")).send(text="fallback", blocks=GOOD).status_code == 200
    assert fake.rejections == [] and len(fake.posted("C1")) == 1


@pytest.mark.parametrize(("rule", "blocks", "pointer"), BAD, ids=[b[0] for b in BAD])
def test_each_rule_refuses_its_bad_payload(fake: FakeSlack, rule: str, blocks: Blocks, pointer: str) -> None:
    data = _refusal(fake, blocks)
    assert data["ok"] is False and data["error"] == "invalid_blocks"
    assert any(e.endswith(f"[json-pointer:{pointer}]") for e in data["errors"]), data["errors"]
    assert fake.posted("C1") == []  # nothing refused ever reaches the channel
    assert [r.method for r in fake.rejections] == ["chat.postMessage"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize("text", [None, "", "   "])
def test_blocks_without_a_text_fallback_are_refused(fake: FakeSlack, text: str | None) -> None:
    data = _refusal(fake, good(), text=text)
    assert data["error"] == "no_text"


def test_message_text_over_40000_is_too_long(fake: FakeSlack) -> None:
    assert _refusal(fake, [], text="가" * 40_001)["error"] == "msg_too_long"


@pytest.mark.parametrize("method", ["chat_update", "chat_postEphemeral"])
def test_update_and_ephemeral_are_checked_too(fake: FakeSlack, method: str) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    bad = [section(block_id="x"), section(block_id="x")]
    args: dict[str, Any] = {"channel": "C1", "text": "t", "blocks": bad}
    args.update({"ts": "1.1"} if method == "chat_update" else {"user": "U1"})
    with pytest.raises(SlackApiError) as err:
        getattr(client, method)(**args)
    assert err.value.response["error"] == "invalid_blocks"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_response_url_refusal_is_http_400_naming_the_problem(fake: FakeSlack) -> None:
    blocks = with_block(5, _element(1, action_id="pick:1"))
    sent = WebhookClient(fake.response_url("r9")).send(text="fallback", blocks=blocks)
    assert sent.status_code == 400
    assert sent.body.startswith("invalid_blocks") and "duplicate action_id" in sent.body
    assert fake.responses == []
    sent = WebhookClient(fake.response_url("r9")).send(text="", blocks=good())
    assert sent.status_code == 400 and sent.body.startswith("no_text")


def test_home_view_allows_100_blocks_and_refuses_101(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [section()] * 100})["ok"]
    with pytest.raises(SlackApiError) as err:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [section()] * 101})
    assert err.value.response["error"] == "invalid_arguments"
    assert any("/view/blocks" in m for m in err.value.response["response_metadata"]["messages"])
    assert "U1" in fake.views and len(fake.views["U1"]["blocks"]) == 100


@pytest.mark.parametrize(
    ("view", "pointer"),
    [
        ({"type": "modal", "blocks": []}, "/view/title"),
        ({"type": "modal", "title": plain("제" * 25), "blocks": []}, "/view/title/text"),
        ({"type": "modal", "title": plain("t"), "close": plain("c" * 25), "blocks": []}, "/view/close/text"),
        ({"type": "home", "blocks": [section()], "private_metadata": "m" * 3001}, "/view/private_metadata"),
        ({"type": "home", "blocks": [section()], "callback_id": "c" * 256}, "/view/callback_id"),
        (
            {"type": "home", "blocks": [{"type": "file", "external_id": "x", "source": "remote"}]},
            "/view/blocks/0/type",
        ),
        (
            {
                "type": "modal",
                "title": plain("t"),
                "blocks": [{"type": "input", "label": plain("l"), "element": {"type": "plain_text_input"}}],
            },
            "/view/submit",
        ),
    ],
)
def test_view_rules(fake: FakeSlack, view: dict[str, Any], pointer: str) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    call = client.views_publish if view["type"] == "home" else client.views_open
    args = {"user_id": "U1"} if view["type"] == "home" else {"trigger_id": "1.2.3"}
    with pytest.raises(SlackApiError) as err:
        call(view=view, **args)  # type: ignore[operator]
    messages = err.value.response["response_metadata"]["messages"]
    assert any(m.endswith(f"[json-pointer:{pointer}]") for m in messages), messages


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_a_refusal_fails_the_test_that_caused_it() -> None:
    fake = FakeSlack()
    with pytest.raises(SlackApiError):
        WebClient(token="xoxb-test", base_url=fake.api_url).chat_postMessage(channel="C1", text="")
    with pytest.raises(AssertionError, match="Slack would have refused"):
        fake.close()
