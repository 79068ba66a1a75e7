"""App Home as the settings page: one page per briefing the user can change, each row with its button.

    <#채널> · 평일 07:30                       [급증 알림: 보통 ▾]   static_select, 민감/보통/둔감/끔
    🏢 삼성전자                                 [해지]   a company subscription (channels; the DM's are
                                                         listed with 해지 under 내 브리핑)
    🔎 "HBM"                                    [해지]   a saved query
    🏷️ 테마 반도체                               [해제]   a followed theme
    🚫 매체: 한국경제                            [해제]   a filter
    … 외 N개 · 모두 보기: `/news 목록`                   when a kind has more rows than fit

Every button's action id is `kind:n`, unique in the view, and `bot.home_actions` listens by pattern.
Values carry the channel and the row, so a click is checked against who may change that channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    Block,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot import blocks as bk
from bot.limits import SECTION_TEXT
from bot.render import cut_mrkdwn, escape_mrkdwn, inert, truncate
from briefings.cadence import describe as describe_cadence
from briefings.filters import describe
from briefings.settings_page import ChannelPage
from briefings.signals.spikes import Sensitivity

UNSAVE = "home_unsave"
UNFILTER = "home_unfilter"
UNTHEME = "home_untheme"
SENSITIVITY = "home_sensitivity"
LEVELS: tuple[Sensitivity, ...] = ("민감", "보통", "둔감", "끔")
MAX_ROWS = 6  # of each kind in a page: the view's 100 blocks are shared by every page and the news


# A settings row: its text, its button's text, the button's kind and the value it carries.
Row = tuple[str, str, str, str]


def _rows(rows: Sequence[Row], ids: bk.Ids, where: str) -> list[Block]:
    """The first `MAX_ROWS` rows, each a section with its button, then how many more and where to see them."""
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=cut_mrkdwn(text, SECTION_TEXT)),
            accessory=bk.button(button, ids(kind), value),
        )
        for text, button, kind, value in rows[:MAX_ROWS]
    ]
    if len(rows) > MAX_ROWS:
        blocks.append(bk.context(f"… 외 {len(rows) - MAX_ROWS}개 · 모두 보기: {where}"))
    return blocks


def sensitivity_select(page: ChannelPage, action_id: str) -> StaticSelectElement:
    options = [
        Option(
            text=PlainTextObject(text=f"급증 알림: {level}"),
            value=bk.encode_value(ch=page.channel_id, s=level),
        )
        for level in LEVELS
    ]
    chosen = options[LEVELS.index(page.sensitivity)]
    return StaticSelectElement(action_id=action_id, options=options, initial_option=chosen)


def page_blocks(
    page: ChannelPage, ids: bk.Ids, *, theme_labels: Mapping[str, str], default_time: str
) -> list[Block]:
    """One briefing's settings: its heading (cadence, time, alert sensitivity) and a row per setting."""
    ch = page.channel_id
    title = "내 브리핑 설정" if page.is_dm else f"<#{escape_mrkdwn(ch)}>"
    when = inert(describe_cadence(page.cadence, page.briefing_time, default_time))
    heading = f"*{title}* · {when} · 바꾸기: `/news 주기 평일 08:00`, `/news 주기 하루두번 08:00 17:00`"
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=heading), accessory=sensitivity_select(page, ids(SENSITIVITY))
        )
    ]
    # The DM's companies are the personal subscriptions listed above the page, with their 해지.
    companies: list[Row] = [
        (
            f"🏢 {escape_mrkdwn(truncate(c.company_name, 60))}",
            "해지",
            bk.HOME_UNSUBSCRIBE,
            bk.encode_value(ch=ch, c=c.company_id),
        )
        for c in (() if page.is_dm else page.companies)
    ]
    saved: list[Row] = [
        (f"🔎 {inert(truncate(v.label, 80))}", "해지", UNSAVE, bk.encode_value(ch=ch, l=v.label))
        for v in page.saved
    ]
    themes: list[Row] = [
        (f"🏷️ 테마 {inert(theme_labels.get(t, t))}", "해제", UNTHEME, bk.encode_value(ch=ch, t=t))
        for t in page.themes
    ]
    rules: list[Row] = [
        (
            f"🚫 {inert(truncate(describe(r, theme_labels), 80))}",
            "해제",
            UNFILTER,
            bk.encode_value(ch=ch, k=r.kind, v=r.value),
        )
        for r in page.filters
    ]
    for rows, where in (
        (companies, "`/news 목록`"),
        (saved, "`/news 목록`"),
        (themes, "`/news 목록`"),
        (rules, "`/news 제외 목록`"),
    ):
        blocks += _rows(rows, ids, where)
    if page.is_dm and not (page.saved or page.themes or page.filters):
        blocks.append(bk.context('추가: `/news 구독 "HBM"`, `/news 테마 반도체`, `/news 제외 매체 한국경제`'))
    return blocks
