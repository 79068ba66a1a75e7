"""`/news` tells a saga together: a follow-up sits under the story it continues and says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.deliver import DeliverOptions, deliver_due
from briefings.models import Channel, Subscription
from tests.bot.conftest import Harness
from tests.bot.seed import NOW, add_story


def _sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b.get("type") == "section"]


def test_news_shows_a_follow_up_right_after_the_story_it_continues(harness: Harness) -> None:
    meta = harness.world.ids["메타"]
    with harness.sessions() as session:
        trial = add_story(
            session, [meta], "메타·유튜브, 청소년 SNS 중독 美재판 시작", hours_ago=40, outlets=3
        )
        add_story(session, [meta], "메타, 새 VR 헤드셋 공개", hours_ago=10, outlets=6)
        denial = add_story(session, [meta], "메타, 재판서 중독 책임 부인", hours_ago=2, outlets=1)
        denial.follow_up_of_id = trial.id
        session.commit()
    harness.user.command("메타")
    sections = _sections(harness.user.responses(1)[-1]["blocks"])
    at = {
        name: i
        for i, s in enumerate(sections)
        for name in ("재판 시작", "VR 헤드셋", "책임 부인")
        if name in s.split("\n")[0]  # the story's own line, not the one it continues
    }
    assert at["책임 부인"] == at["재판 시작"] + 1  # the saga together, oldest first
    assert at["VR 헤드셋"] < at["재판 시작"]  # the page's best story still leads
    later = sections[at["책임 부인"]]
    assert "이어지는 소식: <https://news.example.com/" in later and "청소년 SNS 중독" in later
    assert "이어지는 소식" not in sections[at["재판 시작"]]


def test_news_links_the_earlier_story_to_the_briefing_message_that_showed_it_in_this_channel(
    harness: Harness,
) -> None:
    meta = harness.world.ids["메타"]
    with harness.sessions.begin() as session:
        for channel in ("C1", "C2"):
            session.add(Channel(team_id="T0001", channel_id=channel, created_at=NOW - timedelta(hours=2)))
        session.add(Subscription(team_id="T0001", channel_id="C1", company_id=meta, created_at=NOW))
        trial = add_story(session, [meta], "메타·유튜브, 청소년 SNS 중독 美재판 시작", hours_ago=20)
        trial_id, trial_url = trial.id, trial.url
    # This morning's briefing in C1 showed the trial.
    options = DeliverOptions(worker_id="w", channel_interval=0.0)
    outcomes = deliver_due(harness.sessions, now=NOW, settings=harness.settings, options=options)
    assert [o.status for o in outcomes if o.channel_id == "C1"] == ["posted"]
    (briefing,) = harness.fake.posted("C1")
    with harness.sessions.begin() as session:
        denial = add_story(session, [meta], "메타, 재판서 중독 책임 부인", hours_ago=1)
        denial.follow_up_of_id = trial_id

    harness.user.command("메타", channel="C1")
    first = harness.user.responses(1)[-1]  # answered before the next command is sent
    harness.user.command("메타", channel="C2")
    second = harness.user.responses(2)[-1]
    by_channel = {"C1": first, "C2": second}
    link = harness.fake.permalink_of("C1", briefing["ts"])
    for channel, expected in (("C1", link), ("C2", trial_url)):
        (later,) = [s for s in _sections(by_channel[channel]["blocks"]) if "책임 부인" in s.split("\n")[0]]
        assert f"이어지는 소식: <{expected}|메타·유튜브, 청소년 SNS 중독 美재판 시작>" in later, channel
    (asked,) = harness.fake.calls_to("chat.getPermalink")
    assert asked.args["message_ts"] == briefing["ts"]
