"""Spike alerts in Slack: the Block Kit message, and the glue the scheduler and `alerts --now` call.

Posting rides on `bot.deliver.SlackPoster` (Slack's manners, read-back after a lost answer) and the
domain's `AlertRun` (claims, fencing, the in-doubt check), so an alert reaches a channel once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from rich.console import Group
from rich.panel import Panel
from rich.text import Text
from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock
from sqlalchemy.orm import Session, sessionmaker

from bot.briefing_blocks import SlackMessage, rich_follow_up, rich_story_line
from bot.deliver import ClientFor, DeliverOptions, SlackPoster, client_factory
from bot.feedback import story_blocks
from bot.render import escape_mrkdwn, follow_up_line, inert, story_line, truncate
from briefings.config import Settings
from briefings.signals.alert_run import AlertOptions, AlertOutcome, AlertRun
from briefings.signals.alert_store import Alert, AlertStore
from briefings.timeutil import as_utc

__all__ = ["AlertOutcome", "alert_message", "alert_panel", "post_alerts"]

SENSITIVITY_HINT = {
    "민감": "작은 변화에도 알림",
    "보통": "뚜렷한 급증에 알림",
    "둔감": "큰 급증에만 알림",
}


def alert_message(alert: Alert, *, now: datetime, tz: tzinfo) -> SlackMessage:
    """One message: what rose, against what, the stories that drive it (each with its feedback), and
    the words that rose."""
    d = alert.decision
    name = inert(truncate(alert.company_name, 60))
    head = f":chart_with_upwards_trend: *{name}* 보도 급증 · {escape_mrkdwn(d.text())}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    # Each story its own row with 👍/👎 and the menu, as in briefings: one feedback path for both.
    for s in alert.stories:
        line = story_line(replace(s, themes=()), now, tz, max_headline=200) + follow_up_line(s)
        blocks.extend(story_blocks(s.id, line))
    notes = []
    if alert.words:
        notes.append("떠오른 단어: " + " · ".join(f"`{inert(truncate(w, 30))}`" for w in alert.words))
    hint = SENSITIVITY_HINT.get(d.sensitivity, "")
    notes.append(f"알림 민감도 *{d.sensitivity}*({hint}) · 바꾸려면 `/news 알림 민감|보통|둔감|끔`")
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=n) for n in notes]))
    fallback = f"{alert.company_name} 보도 급증: {d.text()}"
    return SlackMessage(text=escape_mrkdwn(truncate(fallback, 300)), blocks=tuple(blocks))


def alert_panel(alert: Alert, *, now: datetime, tz: tzinfo, channel: str) -> Panel:
    """The alert as it reads in Slack, for the demo's terminal: the same facts as `alert_message`."""
    d = alert.decision
    parts: list[Text] = [Text(f"📈 {alert.company_name} 보도 급증 · {d.text()}", style="bold")]
    for s in alert.stories:
        parts.append(rich_story_line(replace(s, themes=()), now, tz, {}))
        parts.extend(rich_follow_up(s))
    if alert.words:
        parts.append(Text("떠오른 단어: " + " · ".join(alert.words), style="cyan"))
    parts.append(Text(f"알림 민감도 {d.sensitivity} · /news 알림 민감|보통|둔감|끔", style="dim"))
    title = f"#{channel} 채널에 게시될 급증 알림 (하루 한 번, 급증이 시작된 날)"
    return Panel(Group(*parts), title=title, border_style="red", expand=False)


def post_alerts(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    settings: Settings,
    client_for: ClientFor | None = None,
    options: DeliverOptions | None = None,
    grace: timedelta | None = None,
) -> list[AlertOutcome]:
    """Post every spike alert that is due now, each once (for the scheduler and `alerts --now`)."""
    options = options or DeliverOptions()
    client_for = client_for or client_factory(settings, sessions)
    store = AlertStore(sessions, worker_id=options.worker_id, lease=options.lease)
    alert_options = AlertOptions(
        worker_id=options.worker_id,
        lease=options.lease,
        max_attempts=options.max_attempts,
        should_stop=options.should_stop,
        monotonic=options.monotonic,
    )
    if grace is not None:
        alert_options.grace = grace
    tz = settings.tz
    run = AlertRun[SlackMessage](
        store,
        now=as_utc(now),
        poster_for=lambda team, enterprise: SlackPoster(client_for(team, enterprise), options),
        render=lambda alert: alert_message(alert, now=as_utc(now), tz=tz),
        options=alert_options,
    )
    return run()
