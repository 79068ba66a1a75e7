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
