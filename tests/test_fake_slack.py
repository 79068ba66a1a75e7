"""The fake Slack Web API behaves like Slack for the calls the app makes, faults included."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlack, Reply


@pytest.fixture
def fake() -> FakeSlack:
    with FakeSlack() as server:
        yield server


def test_post_then_history_returns_metadata(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    meta = {"event_type": "briefing", "event_payload": {"date": "2026-11-22"}}
    resp = client.chat_postMessage(channel="C1", text="안녕", metadata=meta)
    client.conversations_join(channel="C1")  # history is readable only in channels the bot is in
    history = client.conversations_history(channel="C1", include_all_metadata=True)
    assert history["messages"][0]["ts"] == resp["ts"]
    assert history["messages"][0]["metadata"] == meta
    assert fake.calls_to("chat.postMessage")[0].args["text"] == "안녕"


def test_scripted_rate_limit_then_success(fake: FakeSlack) -> None:
    fake.script("chat.postMessage", Reply(429, retry_after=7))
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="y")["ok"]
    assert [m["text"] for m in fake.posted("C1")] == ["y"]


def test_channel_error_is_a_slack_error(fake: FakeSlack) -> None:
    fake.channel_errors["CGONE"] = "channel_not_found"
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="CGONE", text="x")
    assert err.value.response["error"] == "channel_not_found"


def test_permalink_of_a_message_and_of_a_thread_reply(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    top = client.chat_postMessage(channel="C1", text="브리핑")["ts"]
    reply = client.chat_postMessage(channel="C1", text="계속", thread_ts=top)["ts"]
    got = client.chat_getPermalink(channel="C1", message_ts=top)
    assert got["channel"] == "C1"
    assert got["permalink"] == f"https://briefings-test.slack.com/archives/C1/p{top.replace('.', '')}"
    threaded = client.chat_getPermalink(channel="C1", message_ts=reply)["permalink"]
    assert threaded.endswith(f"/p{reply.replace('.', '')}?thread_ts={top}&cid=C1")


@pytest.mark.parametrize(
    ("channel", "ts", "error"),
    [
        ("C1", "1.000999", "message_not_found"),  # the channel exists, the message does not
        ("CNEVER", "1.000001", "channel_not_found"),  # a channel Slack does not know
        ("CPRIV", "1.000001", "channel_not_found"),  # private and the bot is not in it
        ("", "1.000001", "channel_not_found"),
        ("C1", "", "message_not_found"),
    ],
)
def test_permalink_refusals(fake: FakeSlack, channel: str, ts: str, error: str) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    client.chat_postMessage(channel="C1", text="브리핑")
    fake.private_channels.add("CPRIV")
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.getPermalink", params={"channel": channel, "message_ts": ts})
    assert err.value.response["error"] == error
