"""`/news 주기 매일|평일|매주 월 [HH:MM]`: how often this channel (or DM) gets its briefing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import blocks as bk
from bot.deps import BotDeps
from bot.render import escape_mrkdwn
from briefings.cadence import label, parse_cadence
from briefings.subscriptions import ensure_channel

Answer = tuple[str, list[bk.BlockDict]]

USAGE = (
    "주기를 함께 입력해 주세요. 예: `/news 주기 매일 08:00`, `/news 주기 평일`, `/news 주기 매주 월 08:00`"
)


def run(deps: BotDeps, session: Session, arg: str, *, team_id: str, channel_id: str, is_dm: bool) -> Answer:
    """Store the cadence (and the time, when given); `InvalidSetting` for anything else."""
    choice = parse_cadence(arg)
    channel = ensure_channel(session, team_id, channel_id, now=deps.now(), is_dm=is_dm)
    channel.cadence = choice.cadence
    if choice.time:
        channel.briefing_time = choice.time
    where = "DM" if is_dm else "이 채널"
    when = escape_mrkdwn(channel.briefing_time or deps.settings.briefing_time)
    text = (
        f"{where}의 브리핑을 *{label(choice.cadence)} {when}* ({deps.settings.briefings_tz})에 보내 드립니다."
    )
    if choice.cadence.startswith("weekly"):
        text += " 주간 브리핑은 지난 브리핑 이후 한 주의 소식을 담습니다."
    return bk.fallback_text(text, escaped=True), bk.notice(text)
