"""Once a week a channel's briefing carries, in its thread, the coverage chart of each of its companies.

That is the weekly briefing of a weekly cadence (`/news 주기 매주 금`), whatever its day, and Monday's
first briefing of every other cadence (a twice-daily channel's 17:00 briefing carries none).

A wrapper around the briefing's rendering, so delivery's claim, decide and post stay as they are: the
chart part is one more thread message, posted exactly once like every other part. With
BRIEFINGS_PUBLIC_URL the part holds image blocks served by `briefings web`; without it the part says
the numbers and the PNGs are uploaded into the thread after it is posted (`SlackPoster.post`): a
crash between the two leaves the charts out, it never uploads them twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from slack_sdk.models.blocks import Block, ImageBlock
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import blocks as bk
from bot.briefing_blocks import SlackMessage
from bot.render import escape_mrkdwn
from bot.trend import alt_text, summary_text
from briefings.brief import Briefing
from briefings.config import Settings
from briefings.models import Company
from briefings.pages.links import absolute, chart_path, company_path
from briefings.signals.trend import TREND_DAYS, Trend, load_trend

MONDAY = 0
MAX_COMPANIES = 10  # two blocks each: well within a message's 50
MAX_UPLOADS = 5  # each PNG costs a render (about a quarter second) and an upload

Render = Callable[[Briefing], Sequence[SlackMessage]]


def carries_chart(briefing: Briefing) -> bool:
    if briefing.weekly:
        return True
    return briefing.briefing_date.weekday() == MONDAY and briefing.slot == 0


def chart_message(
    trends: Sequence[tuple[int, Trend]], *, last_day: date, public_url: str | None
) -> SlackMessage:
    """The thread part: a line of numbers per company, and its chart (image block or uploaded file)."""
    label = f"📈 지난 {TREND_DAYS // 7}주 보도 추이 ({last_day.month}/{last_day.day}까지)"
    blocks: list[Block] = [bk.context(label)]
    files: list[tuple[str, str, bytes]] = []
    for n, (company_id, trend) in enumerate(trends):
        name = escape_mrkdwn(trend.company)
        page = absolute(public_url, company_path(company_id))
        title = f"<{page}|{name}>" if page else name
        blocks.append(bk.section(f"*{title}* · {escape_mrkdwn(summary_text(trend))}"))
        image = absolute(public_url, chart_path(company_id, last_day))
        if image:
            blocks.append(ImageBlock(image_url=image, alt_text=alt_text(trend)))
        elif n < MAX_UPLOADS:
            files.append(
                (
                    f"{trend.company}-추이-{last_day.isoformat()}.png",
                    f"{trend.company} 보도 추이",
                    trend.png(),
                )
            )
    bk.check_blocks(blocks)  # Slack's limits, before anything is claimed as this part
    return SlackMessage(label, tuple(blocks), tuple(files))


def with_weekly_chart(render: Render, sessions: sessionmaker[Session], settings: Settings) -> Render:
    """`render`, plus the chart part once a week (`carries_chart`, in the channel's own calendar) for a
    non-empty briefing."""
    public_url = settings.briefings_public_url

    def rendered(briefing: Briefing) -> Sequence[SlackMessage]:
        messages = list(render(briefing))
        if not messages or not carries_chart(briefing) or not briefing.subscribed:
            return messages
        last_day = briefing.briefing_date - timedelta(days=1)
        names = list(briefing.subscribed)[:MAX_COMPANIES]
        with sessions() as session:
            ids: dict[str, int] = {
                str(name): int(cid)
                for name, cid in session.execute(
                    select(Company.name, Company.id).where(Company.name.in_(names))
                )
            }
            trends = [
                (ids[name], load_trend(session, ids[name], name, last_day=last_day))
                for name in names
                if name in ids
            ]
        if trends:
            messages.append(chart_message(trends, last_day=last_day, public_url=public_url))
        return messages

    return rendered
