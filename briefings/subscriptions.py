"""Who wants which company's briefing: subscriptions of a (workspace, channel), and channel settings.

Every function takes the workspace (`team_id`) first, and every query filters on it, so a request
from one workspace can never read or change another's rows. A personal subscription is a
subscription whose channel is the user's DM with the app (`is_dm`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from briefings.models import Channel, Company, Subscription

_SLACK_ID = re.compile(r"^[A-Z0-9]{1,32}$")
_TIME = re.compile(r"^([01]?\d|2[0-3])\s*[:시.]\s*([0-5]\d)\s*분?$|^([01]?\d|2[0-3])\s*시$")


class InvalidSetting(ValueError):
    """A value a user typed that cannot be stored; the message is Korean and shown as is."""


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    team_id: str
    channel_id: str
    company_id: int
    company_name: str
    is_dm: bool
    created_by: str | None


def parse_briefing_time(value: str) -> str:
    """`8:00`, `08:00`, `8시`, `8시 30분` → `HH:MM`; anything else is refused with a Korean reason."""
    text = value.strip()
    m = _TIME.match(text)
    if not m:
        raise InvalidSetting(
            f"시간은 HH:MM 형식(00:00~23:59)으로 입력해 주세요. 예: 08:30 (입력: {text[:20]})"
        )
    hour = int(m.group(1) or m.group(3))
    minute = int(m.group(2) or 0)
    return f"{hour:02d}:{minute:02d}"


def check_slack_id(value: str, what: str) -> str:
    """A workspace, channel or user ID as Slack writes them (T0123ABC, C0123ABC, U0123ABC)."""
    text = value.strip()
    if not _SLACK_ID.match(text):
        shown = text[:40] + ("…" if len(text) > 40 else "")
        raise InvalidSetting(f"{what} ID가 올바르지 않습니다: {shown!r} (영문 대문자와 숫자, 예: C0123ABCD)")
    return text


def parse_timezone(value: str) -> str:
    """An IANA time zone name (Asia/Seoul, UTC), checked against the zone database."""
    key = value.strip()
    try:
        if not key or len(key) > 64:
            raise ValueError(key)
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSetting(
            f"알 수 없는 시간대입니다: {key[:40]!r} (IANA 이름, 예: Asia/Seoul, America/New_York, UTC)"
        ) from None
    return key


def ensure_channel(
    session: Session,
    team_id: str,
    channel_id: str,
    *,
    now: datetime,
    is_dm: bool = False,
    enterprise_id: str | None = None,
) -> Channel:
    """The channel's row, created with defaults on first use (also when two requests race).
    `enterprise_id` is the workspace's Enterprise Grid organisation, recorded when first known."""
    channel = session.scalar(
        select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    )
    if channel is not None:
        if enterprise_id and channel.enterprise_id is None:
            channel.enterprise_id = enterprise_id
        return channel
    channel = Channel(
        team_id=team_id,
        enterprise_id=enterprise_id,
        channel_id=channel_id,
        is_dm=is_dm,
        created_at=now,
        themes=[],
    )
    try:
        with session.begin_nested():
            session.add(channel)
    except IntegrityError:
        found = session.scalar(
            select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
        )
        assert found is not None
        return found
    return channel


def subscribe(
    session: Session,
    team_id: str,
    channel_id: str,
    company_id: int,
    *,
    now: datetime,
    user_id: str | None = None,
    is_dm: bool = False,
    enterprise_id: str | None = None,
) -> bool:
    """Subscribe the channel to a company; False when it already was (idempotent)."""
    ensure_channel(session, team_id, channel_id, now=now, is_dm=is_dm, enterprise_id=enterprise_id)
    exists = session.scalar(
        select(Subscription.id).where(
            Subscription.team_id == team_id,
            Subscription.channel_id == channel_id,
            Subscription.company_id == company_id,
        )
    )
    if exists is not None:
        return False
    sub = Subscription(
        team_id=team_id,
        enterprise_id=enterprise_id,
        channel_id=channel_id,
        company_id=company_id,
        is_dm=is_dm,
        created_by=user_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(sub)
    except IntegrityError:
        return False
    return True


def unsubscribe(session: Session, team_id: str, channel_id: str, company_id: int) -> bool:
    """Remove the channel's subscription; False when there was none."""
    result = session.execute(
        delete(Subscription).where(
            Subscription.team_id == team_id,
            Subscription.channel_id == channel_id,
            Subscription.company_id == company_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def _views(session: Session, *conditions: object) -> list[SubscriptionView]:
    rows = session.execute(
        select(
            Subscription.team_id,
            Subscription.channel_id,
            Subscription.company_id,
            Company.name,
            Subscription.is_dm,
            Subscription.created_by,
        )
        .join(Company, Company.id == Subscription.company_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(Subscription.channel_id, Company.name)
    ).all()
    return [SubscriptionView(*row) for row in rows]


def list_subscriptions(session: Session, team_id: str, channel_id: str) -> list[SubscriptionView]:
    return _views(session, Subscription.team_id == team_id, Subscription.channel_id == channel_id)


def list_team_subscriptions(
    session: Session, team_id: str, *, channel_ids: list[str] | None = None, include_dm: bool = False
) -> list[SubscriptionView]:
    """The workspace's channel subscriptions (optionally only some channels); DMs stay private."""
    conditions: list[object] = [Subscription.team_id == team_id]
    if channel_ids is not None:
        conditions.append(Subscription.channel_id.in_(channel_ids))
    if not include_dm:
        conditions.append(Subscription.is_dm.is_(False))
    return _views(session, *conditions)


def set_briefing_time(session: Session, team_id: str, channel_id: str, value: str, *, now: datetime) -> str:
    """Validate and store the channel's daily briefing time; returns the normalised `HH:MM`."""
    hhmm = parse_briefing_time(value)
    channel = ensure_channel(session, team_id, channel_id, now=now)
    channel.briefing_time = hhmm
    return hhmm


def set_timezone(session: Session, team_id: str, channel_id: str, value: str, *, now: datetime) -> str:
    """Validate and store the channel's time zone; returns the zone name."""
    key = parse_timezone(value)
    channel = ensure_channel(session, team_id, channel_id, now=now)
    channel.timezone = key
    return key


def toggle_theme(
    session: Session, team_id: str, channel_id: str, theme: str, *, now: datetime, known: dict[str, str]
) -> tuple[bool, list[str]]:
    """Add the theme to the channel's themes, or remove it when present; returns (added, themes).

    `known` maps accepted words (slugs and Korean labels, lower-cased) to theme slugs.
    """
    slug = known.get(theme.strip().casefold())
    if slug is None:
        names = ", ".join(sorted(set(known.values())))
        raise InvalidSetting(f"알 수 없는 테마입니다: {theme.strip()[:40]}. 가능한 테마: {names}")
    channel = ensure_channel(session, team_id, channel_id, now=now)
    themes = list(channel.themes or [])
    if slug in themes:
        themes.remove(slug)
        added = False
    else:
        themes.append(slug)
        added = True
    channel.themes = themes
    return added, themes


def remove_theme(session: Session, team_id: str, channel_id: str, slug: str) -> bool:
    """Stop following the theme; False when the channel did not follow it (a stale button)."""
    channel = channel_settings(session, team_id, channel_id)
    if channel is None or slug not in (channel.themes or []):
        return False
    channel.themes = [t for t in channel.themes if t != slug]
    return True


def channel_settings(session: Session, team_id: str, channel_id: str) -> Channel | None:
    return session.scalar(select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id))
