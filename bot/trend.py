"""`/news 화웨이 추이`: a company's coverage over four weeks, as a chart in Slack.

Slack shows an image either from a URL it can fetch or as an uploaded file. With BRIEFINGS_PUBLIC_URL
the answer carries an image block whose URL `briefings web` serves (`briefings.pages`), and it links
the company page ("전체 보도 보기"). Without it, an ephemeral answer cannot hold a file, so it says the
numbers and offers 채널에 공유, which uploads the PNG to the channel (`files_upload_v2`). Both work the
same in Socket Mode and HTTP mode: nothing here depends on how Slack's requests arrive.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ImageBlock
from sqlalchemy.orm import Session

from bot import answers
from bot import blocks as bk
from bot.actions import SHARE_ERRORS, UNKNOWN_COMPANY, _channel, _user, _value
from bot.deps import BotDeps, deps_of
from bot.render import escape_mrkdwn, inert, link, truncate
from bot.replies import post_checked, respond_checked
from briefings.companies import CompanyRef
from briefings.pages.links import absolute, chart_path, company_path, story_path
from briefings.signals.counts import kst_day
from briefings.signals.spikes import format_count
from briefings.signals.trend import TREND_DAYS, Trend, load_trend

log = logging.getLogger(__name__)

SHARE_TREND = "news_trend_share"
WEEKDAYS = "월화수목금토일"
MAX_SPIKES_LISTED = 5
UPLOAD_ERRORS = {
    "file_uploads_disabled": "이 워크스페이스는 파일 업로드를 막아 두어 차트를 올릴 수 없습니다.",
    "file_upload_size_restricted": "이 워크스페이스의 파일 크기 제한으로 차트를 올릴 수 없습니다.",
}


def _day(value: Any) -> str:
    return f"{value.month}/{value.day}({WEEKDAYS[value.weekday()]})"


def alt_text(trend: Trend) -> str:
    return f"{trend.company} 최근 {TREND_DAYS // 7}주 보도 추이: 하루 스토리 수와 매체 수, 급증한 날 표시"


def summary_text(trend: Trend) -> str:
    """One line of numbers that stands in for the chart where no image can be shown."""
    busiest = trend.busiest
    parts = [f"{TREND_DAYS // 7}주간 스토리 {trend.stories}건"]
    if busiest is not None and busiest.stories:
        parts.append(f"가장 많은 날 {_day(busiest.day)} {busiest.stories}건")
    parts.append(f"급증 {len(trend.spikes)}일" if trend.spikes else "급증한 날 없음")
    return " · ".join(parts)


def spike_lines(trend: Trend, public_url: str | None) -> list[str]:
    lines = []
    for spike in list(reversed(trend.spikes))[:MAX_SPIKES_LISTED]:
        head = f"• *{_day(spike.day)}* {spike.stories}건 (평소 {format_count(spike.expected)}건)"
        if spike.headline:
            page = absolute(public_url, story_path(spike.story_id)) if spike.story_id else None
            headline = truncate(spike.headline, 120)
            head += ": " + (link(page, headline) if page else inert(headline))
        lines.append(head)
    return lines


def trend_blocks(
    trend: Trend,
    company: CompanyRef,
    *,
    public_url: str | None,
    interactive: bool,
    shared_by: str | None = None,
) -> list[bk.BlockDict]:
    """The answer: header, numbers, the chart image (public URL only), spike days, page link, button."""
    last_day = trend.days[-1].day if trend.days else None
    blocks: list[Block] = [bk.header(f"{company.label} · 최근 {TREND_DAYS // 7}주 보도 추이")]
    blocks.append(bk.section(escape_mrkdwn(summary_text(trend))))
    image = absolute(public_url, chart_path(company.id, last_day)) if last_day else None
    if image:
        blocks.append(ImageBlock(image_url=image, alt_text=alt_text(trend)))
    lines = spike_lines(trend, public_url)
    if lines:
        blocks.append(bk.section("*급증한 날과 주요 기사*\n" + "\n".join(lines)))
    page = absolute(public_url, company_path(company.id))
    if page:
        blocks.append(bk.context(f"<{page}|전체 보도 보기>"))
    elif interactive:
        blocks.append(bk.context("채널에 공유하면 차트 이미지가 함께 올라갑니다."))
    if shared_by:
        blocks.append(bk.context(f"<@{escape_mrkdwn(shared_by)}>님이 `/news`로 공유했습니다."))
    if interactive:
        value = bk.encode_value(c=company.id)
        blocks.append(ActionsBlock(elements=[bk.button("차트를 채널에 공유", SHARE_TREND, value)]))
    return bk.check_blocks(blocks)


def company_trend(deps: BotDeps, session: Session, company: CompanyRef) -> Trend:
    return load_trend(session, company.id, company.name, last_day=kst_day(deps.now()))


def trend_answer(
    deps: BotDeps, session: Session, company: CompanyRef, *, interactive: bool = True
) -> answers.Answer:
    trend = company_trend(deps, session, company)
    blocks = trend_blocks(
        trend, company, public_url=deps.settings.briefings_public_url, interactive=interactive
    )
    return bk.fallback_text(f"{company.name} 보도 추이: {summary_text(trend)}"), blocks


def upload_chart(
    client: WebClient,
    trend: Trend,
    *,
    channel: str,
    comment: str,
    thread_ts: str | None = None,
) -> None:
    """The chart PNG as a file in the channel (or a thread), introduced by `comment`."""
    last = trend.days[-1].day if trend.days else None
    name = f"{trend.company}-추이-{last.isoformat() if last else 'chart'}.png"
    client.files_upload_v2(
        channel=channel,
        content=trend.png(),
        filename=name,
        title=f"{trend.company} 보도 추이",
        alt_txt=alt_text(trend),
        initial_comment=comment,
        thread_ts=thread_ts,
    )


def _join(client: WebClient, channel: str) -> None:
    """Files are shared only where the app is a member: join a public channel first (channels:join)."""
    if channel.startswith("D"):
        return
    try:
        client.conversations_join(channel=channel)
    except SlackApiError as exc:
        log.info("conversations.join %s before an upload: %s", channel, exc.response.get("error"))


def on_share_trend(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """차트를 채널에 공유: the chart visibly in the channel, as an image block or an uploaded file."""
    ack()
    deps = deps_of(context)

    def tell(text: str) -> None:
        respond_checked(respond, response_type="ephemeral", replace_original=False, text=text)

    channel_id, _ = _channel(body)
    user = _user(body)
    try:
        with deps.session() as session:
            company = answers.company_by_id(deps, session, _value(body).get("c"))
            if company is None:
                tell(UNKNOWN_COMPANY)
                return
            trend = company_trend(deps, session, company)
        public = deps.settings.briefings_public_url
        if public:
            blocks = trend_blocks(trend, company, public_url=public, interactive=False, shared_by=user)
            post_checked(
                client,
                channel=channel_id,
                text=bk.fallback_text(f"{company.name} 보도 추이: {summary_text(trend)}"),
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        else:
            _join(client, channel_id)
            comment = (
                f"{escape_mrkdwn(company.name)} 최근 {TREND_DAYS // 7}주 보도 추이 · "
                f"{escape_mrkdwn(summary_text(trend))} (<@{escape_mrkdwn(user)}>님이 `/news`로 공유)"
            )
            upload_chart(client, trend, channel=channel_id, comment=comment)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        log.warning("trend share failed: %s", error)
        tell(UPLOAD_ERRORS.get(error) or SHARE_ERRORS.get(error, answers.APOLOGY))
        return
    except Exception:
        log.exception("trend share failed")
        tell(answers.APOLOGY)
        return
    tell("채널에 공유했습니다.")


def on_pick_trend(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """A candidate of an ambiguous `/news 삼성 추이`: that company's trend replaces the question."""
    ack()
    deps = deps_of(context)
    try:
        with deps.session() as session:
            company = answers.company_by_id(deps, session, _value(body).get("c"))
            answer = None if company is None else trend_answer(deps, session, company)
    except Exception:
        log.exception("trend pick failed")
        answer = (answers.APOLOGY, [])
    if answer is None:
        respond_checked(respond, response_type="ephemeral", replace_original=False, text=UNKNOWN_COMPANY)
        return
    text, blocks = answer
    respond_checked(respond, response_type="ephemeral", replace_original=True, text=text, blocks=blocks)


def register(app: App) -> None:
    app.action(bk.action_pattern(SHARE_TREND))(on_share_trend)
    app.action(bk.action_pattern(bk.PICK_TREND))(on_pick_trend)
