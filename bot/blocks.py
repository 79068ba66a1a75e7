"""Block Kit for lookups, subscriptions and App Home, built with slack_sdk's block models.

Each builder returns validated block dicts (`to_dict()` runs slack_sdk's validators) and `check_blocks`
enforces Slack's message limits on the whole payload, so a long headline or a busy week is cut to fit
instead of being rejected by Slack with `invalid_blocks`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from itertools import count
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.limits import (
    BUTTON_TEXT,
    BUTTON_VALUE,
    CONTEXT_ELEMENTS,
    HEADER_TEXT,
    MAX_BLOCKS,
    MAX_HOME_BLOCKS,
    SECTION_TEXT,
)
from bot.render import (
    cut_lines,
    cut_mrkdwn,
    escape_mrkdwn,
    follow_up_line,
    inert,
    link,
    outlets_text,
    story_line,
    summary_line,
    time_ago,
    truncate,
)
from briefings.companies import CompanyRef
from briefings.korean import josa
from briefings.lookup import ArticleHit, StoryView
from briefings.subscriptions import SubscriptionView

# Action ids: the contract between the blocks built here and the listeners in bot/actions.py. Slack
# requires an action_id to be unique within its block, so a row of buttons of one kind (candidates,
# App Home's 해지) gets `kind:key` ids, and the listeners match the kind by `action_pattern`.
SUBSCRIBE = "news_subscribe"
UNSUBSCRIBE = "news_unsubscribe"
SHARE = "news_share"
MORE = "news_more"
PICK = "news_pick"
PICK_TREND = "news_trend_pick"  # a candidate of an ambiguous `/news X 추이`: that company's trend
HOME_UNSUBSCRIBE = "home_unsubscribe"


def action_id(kind: str, *keys: object) -> str:
    """`news_pick:42`: one button of `kind`, told apart from its neighbours by `keys`."""
    return ":".join([kind, *(str(k) for k in keys)])


class Ids:
    """`kind:n` action ids numbered across a whole view (App Home), so no two of its elements share one."""

    def __init__(self) -> None:
        self._counters: dict[str, count[int]] = {}

    def __call__(self, kind: str) -> str:
        return action_id(kind, next(self._counters.setdefault(kind, count())))


def action_pattern(kind: str) -> re.Pattern[str]:
    """What a listener registers for `kind`: the bare id and every `kind:key`."""
    return re.compile(rf"^{re.escape(kind)}(:|$)")


def action_kind(value: str) -> str:
    return value.split(":", 1)[0]


BlockDict = dict[str, Any]


class BlockLimitError(ValueError):
    """A payload that Slack would refuse; a bug in a builder, never a user's fault."""


def encode_value(**fields: Any) -> str:
    value = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    if len(value) > BUTTON_VALUE:
        raise BlockLimitError("button value too long")
    return value


def decode_value(value: str | None) -> dict[str, Any]:
    """A button's value as a dict; anything malformed (a forged payload) gives an empty dict."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=cut_mrkdwn(text, SECTION_TEXT))


def section(text: str) -> SectionBlock:
    return SectionBlock(text=_mrkdwn(text))


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=truncate(text, HEADER_TEXT), emoji=True))


def context(*texts: str) -> ContextBlock:
    return ContextBlock(elements=[_mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS]])


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(text, BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=value,
        style=style,
    )


def check_blocks(blocks: Sequence[Block | BlockDict], *, max_blocks: int = MAX_BLOCKS) -> list[BlockDict]:
    """Validate every block with slack_sdk's models and Slack's limits; returns the JSON-ready dicts."""
    out: list[BlockDict] = []
    for block in blocks:
        model = block if isinstance(block, Block) else Block.parse(block)
        if model is None:
            raise BlockLimitError(f"unknown block: {block!r}")
        out.append(model.to_dict())  # to_dict() runs the model's validators
    if len(out) > max_blocks:
        raise BlockLimitError(f"{len(out)} blocks, Slack allows {max_blocks}")
    return out


def fallback_text(text: str, *, escaped: bool = False) -> str:
    """The notification text that accompanies blocks: escaped (unless it already is), one line, bounded."""
    line = " ".join(text.split())
    return cut_mrkdwn(line if escaped else escape_mrkdwn(line), 300)


# --- lookups --------------------------------------------------------------------------------------


def company_answer(
    company: CompanyRef,
    stories: Sequence[StoryView],
    *,
    now: datetime,
    tz: tzinfo,
    days: int,
    offset: int = 0,
    has_more: bool = False,
    subscribed: bool | None = None,
    interactive: bool = True,
    shared_by: str | None = None,
    theme_labels: Mapping[str, str] | None = None,
    notice: str | None = None,
    story_page: Callable[[int], str | None] | None = None,
) -> list[BlockDict]:
    """A company's top stories of the last `days`, with 구독/해지, 채널에 공유 and 더 보기 buttons.

    `story_page` gives a story's public page ("전체 보도": every outlet's article), when pages are served.
    """
    blocks: list[Block] = [header(f"{company.label} · 최근 {days}일 주요 뉴스")]
    if notice:
        blocks.append(context(notice))
    if not stories:
        text = f"최근 {days}일 동안 *{escape_mrkdwn(company.name)}* 관련 주요 기사가 없습니다."
        if offset:
            text = "더 보여 드릴 기사가 없습니다."
        blocks.append(section(text))
    for i, story in enumerate(stories, start=offset + 1):
        about = f"[{escape_mrkdwn(story.company)}] " if story.company else ""  # a group's affiliate
        line = story_line(story, now, tz, theme_labels=theme_labels)
        page = story_page(story.id) if story_page else None
        more = f" · <{page}|전체 보도>" if page else ""
        blocks.append(section(f"{i}. {about}{line}{more}{summary_line(story)}{follow_up_line(story)}"))
    if shared_by:
        blocks.append(context(f"<@{escape_mrkdwn(shared_by)}>님이 `/news`로 공유했습니다."))
    if interactive:
        value = encode_value(c=company.id, o=offset, d=days)
        buttons: list[ButtonElement] = []
        if subscribed is not None:
            if subscribed:
                buttons.append(button("구독 해지", UNSUBSCRIBE, value, style="danger"))
            else:
                buttons.append(button("이 채널에서 구독", SUBSCRIBE, value, style="primary"))
        if stories:
            buttons.append(button("채널에 공유", SHARE, value))
        if has_more:
            buttons.append(
                button("더 보기", MORE, encode_value(c=company.id, o=offset + len(stories), d=days))
            )
        if buttons:
            blocks.append(ActionsBlock(elements=buttons))
    return check_blocks(blocks)


_id = action_id


def candidates_answer(
    query: str, candidates: Sequence[CompanyRef], *, action_id: str = PICK, days: int = 7
) -> list[BlockDict]:
    """An ambiguous query: one button per candidate (the group and its main companies)."""
    verb = {SUBSCRIBE: "구독할", UNSUBSCRIBE: "구독 해지할", PICK_TREND: "보도 추이를 볼"}.get(
        action_id, "찾으시는"
    )
    blocks: list[Block] = [
        section(
            f"*{inert(truncate(query, 100))}*에 해당하는 회사가 여러 곳입니다. {verb} 회사를 골라 주세요."
        )
    ]
    unique = list({c.id: c for c in candidates}.values())[:25]
    buttons = [button(c.label, _id(action_id, c.id), encode_value(c=c.id, o=0, d=days)) for c in unique]
    for start in range(0, len(buttons), 5):
        blocks.append(ActionsBlock(elements=buttons[start : start + 5]))
    return check_blocks(blocks)


def not_found_answer(
    query: str,
    suggestions: Sequence[CompanyRef],
    hits: Sequence[ArticleHit],
    *,
    now: datetime,
    tz: tzinfo,
    days: int = 30,
) -> list[BlockDict]:
    """No such company: the full-text hits over stored articles, or plainly nothing, with suggestions."""
    q = inert(truncate(query, 100))
    blocks: list[Block] = []
    if hits:
        unknown = josa(f"*{q}*", "은/는")
        blocks.append(section(f"등록된 회사 중 {unknown} 없어, 최근 {days}일 기사 본문에서 찾았습니다."))
        for hit in hits:
            when = time_ago(hit.published_at, now, tz)
            blocks.append(
                section(
                    f"• *{link(hit.url, truncate(hit.title, 300))}* · "
                    f"{outlets_text(hit.outlet, hit.outlets_count)} · {when}"
                )
            )
    else:
        blocks.append(section(f"*{q}*에 대한 회사나 기사를 찾지 못했습니다."))
    if suggestions:
        blocks.append(context("혹시 이 회사를 찾으셨나요?"))
        blocks.append(
            ActionsBlock(
                elements=[
                    button(s.label, _id(PICK, s.id), encode_value(c=s.id, o=0, d=7))
                    for s in list({s.id: s for s in suggestions}.values())[:5]
                ]
            )
        )
    return check_blocks(blocks)


def notice(text: str) -> list[BlockDict]:
    """A one-paragraph answer (confirmations, errors); `text` must already be escaped where needed."""
    return check_blocks([section(text)])


def subscriptions_answer(
    subs: Sequence[SubscriptionView],
    *,
    schedule: str,
    themes: Sequence[str],
    saved: Sequence[str] = (),
) -> list[BlockDict]:
    """`schedule`: the channel's cadence with its time(s), as `briefings.cadence.describe` says it."""
    # Keyword subscriptions and groups with their affiliates (one briefing section each) come first.
    head = [f"*키워드·계열사 구독* ({len(saved)}개): " + ", ".join(inert(q) for q in saved)]
    head = head if saved else []
    if saved and not subs:
        head.append(f"브리핑: {escape_mrkdwn(schedule)}")
        return check_blocks([section("\n".join(head))])
    if not subs:
        text = "이 채널은 아직 구독한 회사가 없습니다. `/news 구독 회사이름`으로 구독해 보세요."
        return check_blocks([section(text)])
    names = ", ".join(escape_mrkdwn(s.company_name) for s in subs)
    lines = [
        *head,
        f"*이 채널의 구독* ({len(subs)}개): {names}",
        f"브리핑: {escape_mrkdwn(schedule)}",
    ]
    if themes:
        lines.append("테마: " + ", ".join(escape_mrkdwn(t) for t in themes))
    return check_blocks([section("\n".join(lines))])


HELP_TEXT = "\n".join(
    [
        "*`/news` 사용법*",
        "• `/news 화웨이` — 최근 7일 주요 뉴스 (회사명, 영문명, 종목코드 모두 가능)",
        "• `/news 구독 화웨이` 또는 `/news 화웨이 구독` (`subscribe`) — 이 채널에서 매일 브리핑 받기"
        " (DM에서 쓰면 개인 구독)",
        "• `/news 해지 화웨이` (`unsubscribe`) — 구독 해지",
        '• `/news 구독 "HBM"`, `/news 구독 "폴더블" 삼성전자` — 키워드 구독 (브리핑에 따로 한 묶음)',
        "• `/news 구독 카카오 +계열사` — 그룹 계열사까지 한 묶음으로 구독 (`구독 카카오`는 그 회사만)",
        "• `/news 화웨이 추이` (`trend`) — 최근 4주 보도 추이 차트",
        "• `/news 목록` (`list`) — 이 채널의 구독 목록",
        "• `/news 시간 08:30` (`time`) — 이 채널의 브리핑 시간",
        "• `/news 주기 평일 08:00`, `/news 주기 매주 월 08:00` (`cadence`) — 브리핑 주기 (기본 `매일`)."
        " 주간 브리핑은 한 주의 소식을 보도량 순으로, 보도 추이 차트와 함께",
        "• `/news 주기 하루두번 08:00 17:00` — 하루 두 번 브리핑: 두 번째는 첫 브리핑 이후의 새 소식만",
        "• `/news 제외 스포츠`, `/news 제외 매체 한국경제`, `/news 제외 목록` — 보지 않을 기사",
        "• `/news 테마 반도체` (`theme`) — 이 채널의 관심 테마 추가/해제",
        "• `/news 알림 보통` (`alerts`) — 보도 급증 알림 민감도 (민감, 보통, 둔감, 끔)",
        "• `/news 도움말` (`help`) — 이 안내",
        "앱의 메시지 탭에 `화웨이`, `삼성전자 구독`처럼 입력해도 같은 답을 받습니다.",
    ]
)
QUERY_HELP_TEXT = "\n".join(
    [
        "*검색 문법* — 여러 조건을 띄어 써서 함께 쓸 수 있습니다",
        "• `/news 삼성전자 HBM` — 회사와 낱말: 삼성전자 기사 중 HBM이 나오는 것 (`HBM을`, `HBM이`도 같은 말)",
        '• `/news "폴더블"` — 따옴표 안은 그대로 찾습니다 (회사 이름이나 연산자로 읽지 않음)',
        "• `/news 삼성전자 -스포츠` — `-`를 붙인 말이 나오는 기사는 뺍니다 (`-테마:`, `-매체:`도 가능)",
        "• `/news 삼성전자 기간:30일` — 기간 (`7`, `30일`, `2주`, `3개월`; 1~365일, 기본 7일)",
        "• `/news 테마:반도체` — 테마의 기사 · `/news 카카오 매체:한국경제` — 그 매체가 보도한 기사",
        "• `/news 삼성전자 HBM OR 낸드` — `OR`(또는)로 이은 두 말 중 하나만 나와도 됩니다",
    ]
)


def help_answer() -> list[BlockDict]:
    return check_blocks([section(HELP_TEXT), section(QUERY_HELP_TEXT)])


# --- App Home -------------------------------------------------------------------------------------


def _name(name: str, limit: int = 60) -> str:
    return escape_mrkdwn(truncate(name, limit))


PERSONAL_ROWS = 20
LATEST_COMPANIES = 10


def home_view(
    personal: Sequence[SubscriptionView],
    latest: Sequence[tuple[CompanyRef, Sequence[StoryView]]],
    *,
    now: datetime,
    tz: tzinfo,
    theme_labels: Mapping[str, str] | None = None,
    dm_page: Sequence[Block] = (),
    channel_pages: Sequence[Sequence[Block]] = (),
    notice: str | None = None,
    note: str | None = None,
    ids: Ids | None = None,
) -> dict[str, Any]:
    """App Home: personal subscriptions (with 해지) and the DM's settings, each visible channel's
    settings page (`bot.home_settings`), then the latest news of the user's companies.

    Settings come first: channel pages that do not fit the view's 100 blocks are named by a closing
    "… 외 N개 채널" line, and the news gets the room that is left.
    """
    # Names are cut before they are escaped and sections are filled with whole lines (`cut_lines`), so
    # no text ends inside an entity or a link.
    ids = ids or Ids()  # the pages' ids come from the same counter
    blocks: list[Block] = [section(notice)] if notice else []
    blocks.append(header("내 브리핑"))
    if personal:
        for sub in personal[:PERSONAL_ROWS]:
            value = encode_value(ch=sub.channel_id, c=sub.company_id)
            blocks.append(
                SectionBlock(
                    text=_mrkdwn(f"*{_name(sub.company_name)}* · DM으로 브리핑"),
                    accessory=button("해지", ids(HOME_UNSUBSCRIBE), value, style="danger"),
                )
            )
        if len(personal) > PERSONAL_ROWS:
            blocks.append(
                context(f"… 외 {len(personal) - PERSONAL_ROWS}개 · 모두 보기: 앱 DM에서 `/news 목록`")
            )
    elif dm_page:  # a DM briefing of keywords or themes alone
        blocks.append(
            section("구독한 회사가 없습니다. 앱 DM에서 `/news 구독 회사이름`으로 더할 수 있습니다.")
        )
    else:
        blocks.append(section("개인 구독이 없습니다. 앱 DM에서 `/news 구독 회사이름`으로 구독하세요."))
    blocks.extend(dm_page)
    blocks.append(DividerBlock())
    blocks.append(header("채널 브리핑"))
    tail = 1 if note else 0
    if not channel_pages:
        blocks.append(
            section("볼 수 있는 채널의 구독이 없습니다. 채널에서 `/news 구독 회사이름`으로 구독하세요.")
        )
    for n, page in enumerate(channel_pages):
        left = len(channel_pages) - n
        # Room for this page, and for the closing line should the next one not fit.
        if len(blocks) + len(page) + (1 if left > 1 else 0) + tail > MAX_HOME_BLOCKS:
            blocks.append(
                context(f"… 외 {left}개 채널 · 각 채널에서 `/news 목록`으로 설정을 볼 수 있습니다.")
            )
            break
        blocks.extend(page)
    room = MAX_HOME_BLOCKS - len(blocks) - tail - 2  # the divider and the header
    if latest and room > 0:
        blocks.append(DividerBlock())
        blocks.append(header("내 회사 최신 뉴스"))
        for company, stories in latest[: min(LATEST_COMPANIES, room)]:
            lines = [f"*{_name(company.name)}*"]
            lines += [story_line(s, now, tz, theme_labels=theme_labels) for s in stories]
            if not stories:
                lines.append("최근 주요 기사가 없습니다.")
            blocks.append(section(cut_lines(lines, SECTION_TEXT)))
    if note:
        blocks.append(context(note))
    return {"type": "home", "blocks": check_blocks(blocks, max_blocks=MAX_HOME_BLOCKS)}
