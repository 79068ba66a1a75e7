"""Forgetting a workspace (the app was uninstalled) or a user (their authorisation was revoked).

What the app keeps for a workspace is its subscriptions, its channels' settings and its briefings not
yet posted; the record of posted briefings stays, so a reinstall never repeats a day already posted.
An Enterprise Grid organisation that uninstalls an org-wide install takes all its workspaces along.

Slack sends an event again when it believes the first one was lost (same `event_id`). `first_time`
records an event in the caller's transaction, so a retried uninstall arriving after a reinstall
finds it handled and removes nothing that the reinstall made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from briefings.models import Channel, Delivery, HandledEvent, Subscription

# Delivery states that still lead to a post; anything else is history.
PENDING = ("claimed", "retry")
# Slack retries an event for about an hour and a half; a day of ids is plenty to recognise a retry.
KEEP_EVENTS = timedelta(days=1)


@dataclass(frozen=True)
class Forgotten:
    subscriptions: int = 0
    channels: int = 0
    deliveries: int = 0

    def __add__(self, other: Forgotten) -> Forgotten:
        return Forgotten(
            self.subscriptions + other.subscriptions,
            self.channels + other.channels,
            self.deliveries + other.deliveries,
        )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _teams(session: Session, team_id: str | None, enterprise_id: str | None) -> list[str]:
    """One workspace, or every workspace of an organisation we hold rows for (org-wide install)."""
    if team_id:
        return [team_id]
    if not enterprise_id:
        raise ValueError("a workspace needs a team_id or an enterprise_id")
    teams = set(
        session.scalars(select(Subscription.team_id).where(Subscription.enterprise_id == enterprise_id))
    )
    teams |= set(session.scalars(select(Channel.team_id).where(Channel.enterprise_id == enterprise_id)))
    return sorted(teams)


def forget_workspace(session: Session, *, team_id: str | None, enterprise_id: str | None) -> Forgotten:
    """Remove the workspace's subscriptions, channel settings and pending briefings."""
    teams = _teams(session, team_id, enterprise_id)
    subs = session.execute(delete(Subscription).where(Subscription.team_id.in_(teams)))
    channels = session.execute(delete(Channel).where(Channel.team_id.in_(teams)))
    pending = session.execute(
        delete(Delivery).where(Delivery.team_id.in_(teams), Delivery.status.in_(PENDING))
    )
    return Forgotten(_count(subs), _count(channels), _count(pending))


def forget_user(
    session: Session, *, team_id: str | None, enterprise_id: str | None, user_id: str
) -> Forgotten:
    """Remove what was tied to one user: their personal (DM) subscriptions, and the DM's settings and
    pending briefings once no personal subscription is left there. Channel subscriptions stay."""
    teams = _teams(session, team_id, enterprise_id)
    mine = (
        Subscription.team_id.in_(teams),
        Subscription.is_dm.is_(True),
        Subscription.created_by == user_id,
    )
    pairs = select(Subscription.team_id, Subscription.channel_id).where(*mine)
    dms = {(t, c) for t, c in session.execute(pairs)}
    subs = session.execute(delete(Subscription).where(*mine))
    left = exists().where(
        Subscription.team_id == Channel.team_id, Subscription.channel_id == Channel.channel_id
    )
    in_use = select(Channel.team_id, Channel.channel_id).where(Channel.team_id.in_(teams), left)
    still_used = {(t, c) for t, c in session.execute(in_use)}
    gone = sorted(dms - still_used)
    deliveries = channels = 0
    for team, channel in gone:
        deliveries += _count(
            session.execute(
                delete(Delivery).where(
                    Delivery.team_id == team, Delivery.channel_id == channel, Delivery.status.in_(PENDING)
                )
            )
        )
        channels += _count(
            session.execute(delete(Channel).where(Channel.team_id == team, Channel.channel_id == channel))
        )
    return Forgotten(_count(subs), channels, deliveries)


def was_handled(session: Session, event_id: str) -> bool:
    return session.get(HandledEvent, event_id) is not None


def first_time(session: Session, event_id: str, kind: str, *, now: datetime) -> bool:
    """Record the event in the current transaction; False when it was already handled (a retry)."""
    session.execute(delete(HandledEvent).where(HandledEvent.handled_at < now - KEEP_EVENTS))
    try:
        with session.begin_nested():
            session.add(HandledEvent(event_id=event_id[:64], kind=kind[:40], handled_at=now))
    except IntegrityError:
        return False
    return True
