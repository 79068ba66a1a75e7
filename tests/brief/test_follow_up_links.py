"""A follow-up in a briefing links the channel's earlier briefing message that showed its story.

Days pass against the fake Slack: day 1's briefing shows a story, day 2's shows what continues it and
links day 1's message (Slack's permalink); a channel that never showed the story links the article.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from briefings.delivery.shown import PERMALINKS_PER_BRIEFING, ShownMessage, message_links
from briefings.jobs import retention_job
from briefings.lookup import StorySearch
from briefings.models import Delivery, ShownStory
from briefings.saved_queries import save_query
from tests.brief.conftest import company, make_settings, story, subscribe
from tests.brief.statements import statements
from tests.brief.test_deliver import KST_8AM_NOV20, db_url_of, deliver, top_level
from tests.fakes.slack_api import FakeSlack, Reply

__all__ = ["db_url_of"]  # the fixture, shared with the delivery tests

DAY = timedelta(days=1)
PREVIEW = "삼성전자, 갤럭시 언팩 초대장 발송"
UNVEILING = "삼성전자, 갤럭시 S27 공개"
PRICES = "삼성전자, 갤럭시 S27 가격 동결"


def _text(message: dict[str, Any]) -> str:
    return str(message["blocks"])


def _line_of(message: dict[str, Any], headline: str) -> str:
    """The section that shows `headline` as its story (not as what it continues)."""
    for block in message["blocks"]:
        text = str((block.get("text") or {}).get("text", ""))
        if block.get("type") == "section" and headline in text.split("\n_이어지는")[0]:
            return text
    raise AssertionError(f"{headline} is not in the message")


def _shown(sessions: sessionmaker[Session]) -> list[tuple[str, str, int, str]]:
    with sessions() as session:
        rows = session.execute(
            select(
                ShownStory.channel_id, ShownStory.conversation_id, ShownStory.story_id, ShownStory.message_ts
            ).order_by(ShownStory.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _big_channel(sessions: sessionmaker[Session]) -> None:
    """A channel of 40 companies with news: its briefing continues in a thread reply."""
    names = [f"회사{i:02d}" for i in range(40)]
    with sessions.begin() as session:
        subscribe(session, "T1", "CBIG", names)
        for name in names:
            story(session, f"{name} 신제품 발표", [name], published=KST_8AM_NOV20 - timedelta(hours=2))


def test_a_follow_up_links_the_earlier_briefing_message_in_the_channel_that_showed_its_story(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["삼성전자"])
        # Subscribed after day 1's briefing: it never showed the preview.
        subscribe(session, "T1", "C2", ["삼성전자"], created=KST_8AM_NOV20 + timedelta(hours=2))
        preview = story(session, PREVIEW, ["삼성전자"], published=KST_8AM_NOV20 - timedelta(hours=3))
        preview_id, preview_url = preview.id, preview.url
    (day1,) = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    assert day1.channel_id == "C1" and day1.status == "posted"
    (first,) = top_level(fake_slack, "C1")
    assert PREVIEW in _text(first)
    assert _shown(sessions) == [("C1", "C1", preview_id, first["ts"])]

    with sessions.begin() as session:
        unveiling = story(
            session, UNVEILING, ["삼성전자"], published=KST_8AM_NOV20 + DAY - timedelta(hours=3)
        )
        unveiling.follow_up_of_id = preview_id
        unveiling_id = unveiling.id
    day2 = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + DAY + timedelta(minutes=1))
    assert sorted((o.channel_id, o.status) for o in day2) == [("C1", "posted"), ("C2", "posted")]

    permalink = fake_slack.permalink_of("C1", first["ts"])
    assert permalink == f"https://briefings-test.slack.com/archives/C1/p{first['ts'].replace('.', '')}"
    c1 = top_level(fake_slack, "C1")[1]
    assert f"이어지는 소식: <{permalink}|{PREVIEW}>" in _line_of(c1, UNVEILING)
    (c2,) = top_level(fake_slack, "C2")
    assert f"이어지는 소식: <{preview_url}|{PREVIEW}>" in _line_of(c2, UNVEILING)
    (asked,) = fake_slack.calls_to("chat.getPermalink")
    assert (asked.args["channel"], asked.args["message_ts"]) == ("C1", first["ts"])
    assert sorted(_shown(sessions)) == sorted(
        [
            ("C1", "C1", preview_id, first["ts"]),
            ("C1", "C1", unveiling_id, c1["ts"]),
            ("C2", "C2", unveiling_id, c2["ts"]),
        ]
    )

    # Day 3 continues the same story again: the permalink kept on day 2 serves, Slack is not asked again.
    with sessions.begin() as session:
        prices = story(session, PRICES, ["삼성전자"], published=KST_8AM_NOV20 + 2 * DAY - timedelta(hours=3))
        prices.follow_up_of_id = preview_id
    deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + 2 * DAY + timedelta(minutes=1))
    c1_day3 = top_level(fake_slack, "C1")[2]
    assert f"이어지는 소식: <{permalink}|{PREVIEW}>" in _line_of(c1_day3, PRICES)
    assert len(fake_slack.calls_to("chat.getPermalink")) == 1


def test_a_follow_up_in_a_thread_reply_is_linked_to_that_reply(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    """A long briefing continues in its thread: the story shown there links that reply, not the top."""
    _big_channel(sessions)
    with sessions.begin() as session:
        last = story(
            session, "회사39 공장 증설 발표", ["회사39"], published=KST_8AM_NOV20 - timedelta(hours=1)
        )
        last_id = last.id
    deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    messages = fake_slack.posted("CBIG")
    (holder,) = [m for m in messages if "회사39 공장 증설 발표" in _text(m)]
    assert "thread_ts" in holder  # the last company's stories are in a thread reply
    with sessions() as session:
        parts = dict(session.execute(select(ShownStory.story_id, ShownStory.part)).all())
        ts = session.scalar(select(ShownStory.message_ts).where(ShownStory.story_id == last_id))
    assert ts == holder["ts"]
    assert len(parts) == 41  # every story shown, once
    assert parts[last_id] == holder["metadata"]["event_payload"]["part"]

    with sessions.begin() as session:
        later = story(
            session, "회사39 증설 공장 착공", ["회사39"], published=KST_8AM_NOV20 + DAY - timedelta(hours=2)
        )
        later.follow_up_of_id = last_id
    deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + DAY + timedelta(minutes=1))
    (day2,) = [m for m in fake_slack.posted("CBIG") if "회사39 증설 공장 착공" in _text(m)]
    link = fake_slack.permalink_of("CBIG", holder["ts"], holder["thread_ts"])
    assert f"이어지는 소식: <{link.replace('&', '&amp;')}|회사39 공장 증설 발표>" in _line_of(
        day2, "회사39 증설 공장 착공"
    )


def test_stories_of_a_part_posted_before_a_failure_are_recorded_once_across_the_retry(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack
) -> None:
    _big_channel(sessions)
    # Part 1 goes out; every try of part 2 fails for now: the briefing is retried on a later tick.
    fake_slack.script("chat.postMessage", Reply(200), *[Reply(200, error="internal_error")] * 2)
    now = KST_8AM_NOV20 + timedelta(minutes=1)
    (first,) = deliver(sessions, db_url_of, fake_slack, now, retries=1)
    assert first.status == "retry"
    (top,) = fake_slack.posted("CBIG")
    with sessions() as session:
        after_failure = session.execute(select(ShownStory.story_id, ShownStory.message_ts)).all()
    assert after_failure and {ts for _sid, ts in after_failure} == {top["ts"]}
    (second,) = deliver(sessions, db_url_of, fake_slack, now + timedelta(minutes=1))
    assert second.status == "recovered"
    with sessions() as session:
        rows = session.execute(select(ShownStory.story_id, ShownStory.part, ShownStory.message_ts)).all()
        (delivery,) = session.scalars(select(Delivery)).all()
    by_ts = {m["ts"]: m["metadata"]["event_payload"]["part"] for m in fake_slack.posted("CBIG")}
    assert len(rows) == len({sid for sid, _p, _ts in rows}) == 40  # each story once
    assert all(by_ts[ts] == part for _sid, part, ts in rows)  # and the part that showed it
    assert delivery.status == "posted" and delivery.parts_posted == len(by_ts)


@pytest.mark.parametrize("refusal", [Reply(429, retry_after=30), Reply(500)], ids=["ratelimited", "5xx"])
def test_a_channel_whose_message_slack_cannot_link_now_keeps_the_article_link(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack, refusal: Reply
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["삼성전자"])
        preview = story(session, PREVIEW, ["삼성전자"], published=KST_8AM_NOV20 - timedelta(hours=3))
        preview_id, preview_url = preview.id, preview.url
    deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    with sessions.begin() as session:
        unveiling = story(
            session, UNVEILING, ["삼성전자"], published=KST_8AM_NOV20 + DAY - timedelta(hours=3)
        )
        unveiling.follow_up_of_id = preview_id
    fake_slack.script("chat.getPermalink", refusal)
    (outcome,) = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + DAY + timedelta(minutes=1))
    assert outcome.status == "posted"  # a link Slack will not give now never holds the briefing back
    day2 = top_level(fake_slack, "C1")[1]
    assert f"이어지는 소식: <{preview_url}|{PREVIEW}>" in _line_of(day2, UNVEILING)
    assert len(fake_slack.calls_to("chat.getPermalink")) == 1  # asked once: not waited for, not retried


@pytest.mark.parametrize(("age_days", "left"), [(31, 0), (29, 1)])
def test_retention_prunes_what_briefings_showed_with_the_rest(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack, age_days: int, left: int
) -> None:
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", ["삼성전자"])
        story(session, PREVIEW, ["삼성전자"], published=KST_8AM_NOV20 - timedelta(hours=3))
    deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    assert len(_shown(sessions)) == 1
    retention_job(sessions, make_settings(db_url_of), now=KST_8AM_NOV20 + timedelta(days=age_days))
    assert len(_shown(sessions)) == left  # retention_days is 30


@pytest.mark.parametrize("follow_ups", [2, 8])
def test_a_briefing_reads_the_earlier_messages_of_all_its_follow_ups_in_one_query(
    sessions: sessionmaker[Session], engine: Engine, db_url_of: str, fake_slack: FakeSlack, follow_ups: int
) -> None:
    names = [f"회사{i}" for i in range(follow_ups)]
    with sessions.begin() as session:
        subscribe(session, "T1", "C1", names)
        earlier = {
            name: story(session, f"{name} 실적 예고", [name], published=KST_8AM_NOV20 - timedelta(hours=3)).id
            for name in names
        }
    deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    (day1,) = top_level(fake_slack, "C1")
    with sessions.begin() as session:
        for name in names:
            later = story(
                session, f"{name} 실적 발표", [name], published=KST_8AM_NOV20 + DAY - timedelta(hours=3)
            )
            later.follow_up_of_id = earlier[name]
    with statements(engine) as sent:
        deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + DAY + timedelta(minutes=1))
    lookups = [s for s in sent if s.lstrip().upper().startswith("SELECT") and "FROM shown_stories" in s]
    # One read of the earlier messages, one of what this briefing already has on record when it is posted.
    assert len(lookups) == 2
    day2 = top_level(fake_slack, "C1")[1]
    permalink = fake_slack.permalink_of("C1", day1["ts"])
    for name in names:
        assert f"이어지는 소식: <{permalink}|{name} 실적 예고>" in _line_of(day2, f"{name} 실적 발표")
    assert len(fake_slack.calls_to("chat.getPermalink")) == 1  # all of them were in one message


def test_slack_is_asked_for_at_most_20_permalinks_a_briefing_and_once_a_message() -> None:
    shown = {sid: ShownMessage("C1", f"{100 + sid // 2}.000001", None) for sid in range(60)}  # 2 a message
    shown[99] = ShownMessage("C1", "999.000001", "https://t.slack.com/archives/C1/p999000001")  # kept
    asked: list[tuple[str, str]] = []

    def permalink(channel: str, ts: str) -> str:
        asked.append((channel, ts))
        return f"https://t.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    links, learnt = message_links(shown, permalink)
    assert len(asked) == len(set(asked)) == PERMALINKS_PER_BRIEFING == 20
    assert len(learnt) == 20 and len(links) == 2 * 20 + 1  # each learnt link serves both its stories
    assert links[99] == "https://t.slack.com/archives/C1/p999000001"


def _block_of(message: dict[str, Any], headline: str) -> str:
    """The text of the block that shows `headline` (a story's own block, or the 오늘의 테마 list)."""
    for block in message["blocks"]:
        text = str((block.get("text") or {}).get("text", ""))
        if headline in text:
            return text
    raise AssertionError(f"{headline} is not in the message")


@pytest.mark.parametrize("where", ["theme", "saved_query", "weekly"])
def test_a_follow_up_links_the_earlier_briefing_message_wherever_the_briefing_shows_it(
    sessions: sessionmaker[Session], db_url_of: str, fake_slack: FakeSlack, where: str
) -> None:
    """In 오늘의 테마 (a story of two subscribed companies), in a saved query's section, and in a weekly
    briefing, the follow-up says what it continues and links the message that showed that story."""
    later = 7 * DAY if where == "weekly" else DAY
    with sessions.begin() as session:
        channel = subscribe(session, "T1", "C1", ["삼성전자", "LG전자"] if where == "theme" else ["삼성전자"])
        if where == "weekly":
            channel.cadence = "weekly:4"  # Fridays, as 2026-11-20 is
        if where == "saved_query":
            display = company(session, "삼성디스플레이")
            search = StorySearch(company_ids=(display.id,))
            save_query(session, "T1", "C1", "삼성디스플레이 +계열사", search, now=KST_8AM_NOV20 - DAY)
        preview_id = story(session, PREVIEW, ["삼성전자"], published=KST_8AM_NOV20 - timedelta(hours=3)).id
    deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + timedelta(minutes=1))
    (first,) = top_level(fake_slack, "C1")

    about = {"theme": ["삼성전자", "LG전자"], "saved_query": ["삼성디스플레이"], "weekly": ["삼성전자"]}
    with sessions.begin() as session:
        unveiling = story(
            session, UNVEILING, about[where], published=KST_8AM_NOV20 + later - timedelta(hours=3)
        )
        unveiling.follow_up_of_id = preview_id
    (outcome,) = deliver(sessions, db_url_of, fake_slack, KST_8AM_NOV20 + later + timedelta(minutes=1))
    assert outcome.status == "posted"  # the fake Slack checked its blocks as Slack does

    day2 = top_level(fake_slack, "C1")[1]
    block = _block_of(day2, UNVEILING)
    heading = {"theme": "오늘의 테마", "saved_query": "삼성디스플레이 +계열사", "weekly": "삼성전자"}
    assert heading[where] in block
    permalink = fake_slack.permalink_of("C1", first["ts"])
    assert f"{UNVEILING}" in block and f"이어지는 소식: <{permalink}|{PREVIEW}>" in block
    if where == "weekly":
        assert "주간" in day2["blocks"][0]["text"]["text"]
