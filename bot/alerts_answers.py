"""`/news 알림 …`: a channel's spike alert sensitivity, set or shown, with a Korean confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot import blocks as bk
from bot.render import escape_mrkdwn, truncate
from briefings.signals.alert_settings import alert_sensitivity, set_alert_sensitivity
from briefings.signals.spikes import MIN_BASELINE_DAYS, Sensitivity

Answer = tuple[str, list[bk.BlockDict]]

MEANING: dict[Sensitivity, str] = {
    "민감": "작은 변화에도 급증 알림을 보냅니다",
    "보통": "뚜렷한 급증에 알림을 보냅니다",
    "둔감": "아주 큰 급증에만 알림을 보냅니다",
    "끔": "급증 알림을 보내지 않습니다",
}
USAGE = "`/news 알림 민감|보통|둔감|끔`"


def alerts_answer(
    session: Session,
    arg: str,
    *,
    team_id: str,
    channel_id: str,
    is_dm: bool,
    now: datetime,
    enterprise_id: str | None = None,
) -> Answer:
    where = "DM" if is_dm else "이 채널"
    if not arg.strip():
        level = alert_sensitivity(session, team_id, channel_id)
        text = f"{where}의 급증 알림 민감도는 *{level}*입니다: {MEANING[level]}. 바꾸려면 {USAGE}"
        return bk.fallback_text(text, escaped=True), bk.notice(text)
    # A bad word raises `InvalidSetting`: the caller shows its one Korean line.
    level = set_alert_sensitivity(
        session, team_id, channel_id, arg, now=now, is_dm=is_dm, enterprise_id=enterprise_id
    )
    # Every level ends in a final consonant (민감, 보통, 둔감, 끔): always 으로.
    text = f"{where}의 급증 알림 민감도를 *{level}*으로 정했습니다: {MEANING[level]}."
    if level != "끔":
        text += f" 구독한 지 {MIN_BASELINE_DAYS}일이 지난 회사부터 평소 보도량과 비교합니다."
    return bk.fallback_text(text, escaped=True), bk.notice(text)


def baseline_note(waiting: Sequence[tuple[str, int]]) -> str | None:
    """App Home's line for companies followed too recently to compare with their usual coverage."""
    if not waiting:
        return None
    names = ", ".join(f"{escape_mrkdwn(truncate(name, 40))}({days}일 후)" for name, days in waiting[:8])
    more = f" 외 {len(waiting) - 8}곳" if len(waiting) > 8 else ""
    watch = f"평소 보도량을 {MIN_BASELINE_DAYS}일 동안 지켜본 뒤 알림을 보냅니다."
    return f"급증 알림 준비 중: {names}{more}. {watch}"
