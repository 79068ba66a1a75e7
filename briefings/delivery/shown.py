"""Which stories a channel's briefings showed, and in which message: what "이어지는 소식" links back to.

A posted part's stories are recorded in the same transaction that records the part as posted
(`ClaimStore.part_posted` / `finish`), once per story and briefing whatever the retries. A later
briefing (or a `/news` page) in the same channel then links a follow-up's earlier story to the message
that showed it, through Slack's permalink of that message (`chat.getPermalink`), asked for once per
message and kept on the row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from briefings.models import ShownStory, Story

# Permalinks asked of Slack for one briefing or page: Slack allows hundreds a minute per workspace,
# and a briefing has a few follow-ups; the rest keep their article link.
PERMALINKS_PER_BRIEFING = 20

MAX_PERMALINK = 500  # the column's width; Slack's links are far shorter
Permalink = Callable[[str, str], str | None]  # (conversation, message ts) -> Slack's link, None: unknown


@dataclass(frozen=True)
class ShownPart:
    """One posted message of a briefing and the stories it showed."""

    part: int
    message_ts: str
    story_ids: tuple[int, ...]


@dataclass(frozen=True)
class ShownParts:
    """What a briefing's posted parts showed, and where (the conversation the briefing went to)."""

    team_id: str
    channel_id: str
    conversation_id: str
    parts: tuple[ShownPart, ...]


@dataclass(frozen=True)
class ShownMessage:
    """The message of a channel's earlier briefing that showed a story."""

    conversation_id: str
    message_ts: str
    permalink: str | None


def record_shown(session: Session, delivery_id: int, shown: ShownParts, *, now: datetime) -> int:
    """Add the parts' stories not yet on record for the briefing (the first part showing a story wins);
    the number added. Called under the briefing's claim, so no other worker writes its rows."""
    wanted = {sid for p in shown.parts for sid in p.story_ids}
    if not wanted:
        return 0
    known = set(
        session.scalars(
            select(ShownStory.story_id).where(
                ShownStory.delivery_id == delivery_id, ShownStory.story_id.in_(wanted)
            )
        )
    )
    added = 0
    for p in sorted(shown.parts, key=lambda p: p.part):
        for story_id in p.story_ids:
            if story_id in known:
                continue
            known.add(story_id)
            session.add(
                ShownStory(
                    delivery_id=delivery_id,
                    team_id=shown.team_id,
                    channel_id=shown.channel_id,
                    conversation_id=shown.conversation_id,
                    story_id=story_id,
                    part=p.part,
                    message_ts=p.message_ts,
                    posted_at=now,
                )
            )
            added += 1
    session.flush()
    return added


def earlier_messages(
    session: Session,
    team_id: str,
    channel_id: str,
    story_ids: Collection[int],
    *,
    besides_delivery: int | None = None,
) -> dict[int, ShownMessage]:
    """Story id -> the first message of the channel's briefings that showed it, in one query.

    `besides_delivery`: the briefing being composed, whose own parts never count (a retry composes
    the same briefing as the first attempt did)."""
    if not story_ids:
        return {}
    where = [
        ShownStory.team_id == team_id,
        ShownStory.channel_id == channel_id,
        ShownStory.story_id.in_(sorted(set(story_ids))),
    ]
    if besides_delivery is not None:
        where.append(ShownStory.delivery_id != besides_delivery)
    out: dict[int, ShownMessage] = {}
    for story_id, conversation, ts, permalink in session.execute(
        select(ShownStory.story_id, ShownStory.conversation_id, ShownStory.message_ts, ShownStory.permalink)
        .where(*where)
        .order_by(ShownStory.posted_at, ShownStory.id)
    ):
        out.setdefault(story_id, ShownMessage(conversation, ts, permalink))
    return out


def message_links(
    shown: Mapping[int, ShownMessage], permalink: Permalink, *, limit: int = PERMALINKS_PER_BRIEFING
) -> tuple[dict[int, str], dict[tuple[str, str], str]]:
    """Story id -> the link of the message that showed it, and the permalinks newly learnt from Slack
    (to keep). A message Slack cannot link now is left out: its story keeps the article link."""
    links: dict[int, str] = {}
    learnt: dict[tuple[str, str], str] = {}
    asked = 0
    for story_id, message in sorted(shown.items()):
        key = (message.conversation_id, message.message_ts)
        url = message.permalink or learnt.get(key)
        if url is None and asked < limit:
            asked += 1
            url = permalink(*key)
            if url:
                learnt[key] = url
        if url:
            links[story_id] = url
    return links, learnt


def keep_permalinks(
    session: Session,
    team_id: str,
    channel_id: str,
    shown: Mapping[int, ShownMessage],
    learnt: Mapping[tuple[str, str], str],
) -> None:
    """Store the permalinks Slack gave on the rows of their messages (found by the channel's index)."""
    for (conversation, ts), url in learnt.items():
        if len(url) > MAX_PERMALINK:
            continue  # never cut a link: it is asked for again next time
        ids = [sid for sid, m in shown.items() if (m.conversation_id, m.message_ts) == (conversation, ts)]
        session.execute(
            update(ShownStory)
            .where(
                ShownStory.team_id == team_id,
                ShownStory.channel_id == channel_id,
                ShownStory.story_id.in_(ids),
                ShownStory.message_ts == ts,
            )
            .values(permalink=url)
            .execution_options(synchronize_session=False)
        )


def follow_up_links(
    session: Session,
    team_id: str,
    channel_id: str,
    story_ids: Collection[int],
    permalink: Permalink,
    *,
    besides_delivery: int | None = None,
) -> dict[int, str]:
    """Earlier story id -> the permalink of the channel's briefing message that showed it, for those the
    channel was shown; one query, at most `PERMALINKS_PER_BRIEFING` questions to Slack."""
    shown = earlier_messages(session, team_id, channel_id, story_ids, besides_delivery=besides_delivery)
    links, learnt = message_links(shown, permalink)
    if learnt:
        keep_permalinks(session, team_id, channel_id, shown, learnt)
    return links


def continued_stories(
    session: Session,
    team_id: str,
    channel_id: str,
    story_ids: Collection[int],
    permalink: Permalink | None,
) -> dict[int, tuple[str, str]]:
    """Story id -> (headline, link) of the earlier story it continues, for those of `story_ids` that
    continue one: the link is the channel's briefing message that showed the earlier story, where one
    did (and `permalink` can ask Slack), else the earlier story's article. Two queries."""
    if not story_ids:
        return {}
    earlier = aliased(Story)
    rows = session.execute(
        select(Story.id, earlier.id, earlier.headline, earlier.url)
        .join(earlier, earlier.id == Story.follow_up_of_id)
        .where(Story.id.in_(sorted(set(story_ids))))
    ).all()
    links: dict[int, str] = {}
    if rows and permalink is not None:
        links = follow_up_links(session, team_id, channel_id, {r[1] for r in rows}, permalink)
    return {sid: (headline, links.get(earlier_id, url)) for sid, earlier_id, headline, url in rows}
