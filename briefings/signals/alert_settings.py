"""A channel's alert sensitivity: `/news 알림 민감|보통|둔감|끔`, Korean and English words alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from briefings.models import Channel
from briefings.signals.alerts import as_sensitivity
from briefings.signals.spikes import DEFAULT_SENSITIVITY, Sensitivity
from briefings.subscriptions import InvalidSetting, ensure_channel

WORDS: dict[str, Sensitivity] = {
    "민감": "민감",
    "high": "민감",
    "sensitive": "민감",
    "보통": "보통",
    "normal": "보통",
    "default": "보통",
    "둔감": "둔감",
    "low": "둔감",
    "끔": "끔",
    "끄기": "끔",
    "off": "끔",
}


def parse_sensitivity(value: str) -> Sensitivity:
    word = value.strip().casefold()
    if word in WORDS:
        return WORDS[word]
    shown = value.strip()[:20]
    raise InvalidSetting(f"알림 민감도는 민감, 보통, 둔감, 끔 중 하나로 입력해 주세요. (입력: {shown})")


def alert_sensitivity(session: Session, team_id: str, channel_id: str) -> Sensitivity:
    """The channel's sensitivity; a channel without a row yet has the default."""
    value = session.scalar(
        select(Channel.alert_sensitivity).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    )
    return DEFAULT_SENSITIVITY if value is None else as_sensitivity(value)


def set_alert_sensitivity(
    session: Session,
    team_id: str,
    channel_id: str,
    value: str,
    *,
    now: datetime,
    is_dm: bool = False,
    enterprise_id: str | None = None,
) -> Sensitivity:
    level = parse_sensitivity(value)
    channel = ensure_channel(session, team_id, channel_id, now=now, is_dm=is_dm, enterprise_id=enterprise_id)
    channel.alert_sensitivity = level
    session.flush()
    return level
