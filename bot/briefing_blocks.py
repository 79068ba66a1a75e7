"""A `Briefing` as Slack messages (Block Kit) and as a terminal rendering (rich).

Slack's limits hold whatever the day brings: at most 50 blocks a message, 3,000 characters a section,
150 a header. A large briefing becomes a message plus thread replies, the first message keeping the
header, the summary and the coverage footer so the channel sees at a glance what the day held.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.markup import escape as rich_escape
from rich.panel import Panel
from rich.text import Text
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.feedback import story_blocks
from bot.limits import HEADER_TEXT, MAX_BLOCKS, SECTION_TEXT
from bot.render import (
    FOLLOW_UP,
    StoryLike,
    cut_mrkdwn,
    escape_mrkdwn,
    follow_up_line,
    follows_of,
    story_line,
    summary_line,
    time_ago,
    truncate,
)
from briefings.brief import Briefing, Coverage, StoryItem, ThemeLine
from briefings.timeutil import as_utc

CONTEXT_CHARS = 3000
FALLBACK_CHARS = 300
# Slack accepts large payloads, but long messages are hard to read: keep each one comfortably small.
MESSAGE_CHARS = 12000
WEEKDAYS = "월화수목금토일"
BUILDER_URL = "https://app.slack.com/block-kit-builder/#"


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage worth of content: `text` is the notification fallback."""

    text: str
    blocks: tuple[Block, ...]
    # PNG files shared in the message's thread once it is posted (bot/weekly_chart.py): (name, title, bytes).
    files: tuple[tuple[str, str, bytes], ...] = ()
    # The stories the message shows: recorded when it is posted, for later follow-ups to link back to.
    story_ids: tuple[int, ...] = ()

    def block_dicts(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.blocks]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.block_dicts(), "unfurl_links": False, "unfurl_media": False}


def _tz(briefing: Briefing) -> ZoneInfo:
    return ZoneInfo(briefing.tz)


def date_label(briefing: Briefing) -> str:
    d = briefing.briefing_date
    return f"{d.year}년 {d.month}월 {d.day}일 ({WEEKDAYS[d.weekday()]})"


def kind_label(briefing: Briefing) -> str:
    """`주간 ` before a weekly cadence's briefing, so the channel reads it as the week's."""
    return "주간 " if briefing.weekly else ""


def since_label(briefing: Briefing) -> str:
    local = as_utc(briefing.since).astimezone(_tz(briefing))
    now_local = as_utc(briefing.now).astimezone(_tz(briefing))
    days = (now_local.date() - local.date()).days
    day = "오늘" if days == 0 else "어제" if days == 1 else f"{local.month}월 {local.day}일"
    return f"{day} {local:%H:%M} 이후"


def coverage_text(coverage: Coverage, *, limit: int = 5) -> str:
    """The honest footer: how many sources were read in the window and which were not."""
    if coverage.sources_total == 0:
        return "⚠️ 등록된 뉴스 피드가 없습니다: 새 소식이 없는 것이 아니라 수집하지 않았을 수 있습니다."
    if coverage.attempts == 0:
        return (
            f"⚠️ 이 기간에 수집 기록이 없습니다 (피드 {coverage.sources_total}개): "
            "새 소식이 없는 것이 아니라 수집이 멈췄을 수 있습니다."
        )
    text = f"수집: 피드 {coverage.sources_total}개 중 {coverage.sources_ok}개 정상"
    if coverage.failed:
        # Grouped by the kind of failure (already plain Korean): "연결 안 됨: 연합뉴스, 한겨레 외 3개".
        groups: dict[str, list[str]] = {}
        for failure in coverage.failed:
            groups.setdefault(failure.error, []).append(failure.name)
        parts = []
        for kind, names in sorted(groups.items(), key=lambda item: -len(item[1])):
            rest = len(names) - limit
            parts.append(f"{kind}: {', '.join(names[:limit])}" + (f" 외 {rest}개" if rest > 0 else ""))
        text += f" · 실패 {len(coverage.failed)}개 ({'; '.join(parts)})"
    return text


def hidden_text(briefing: Briefing) -> str:
    """The footer's note of what the channel's filters hid, so a quiet briefing is never a mystery."""
    if not briefing.hidden:
        return ""
    return f" · 제외 설정으로 {briefing.hidden}건 숨김 (`/news 제외 목록`)"


def fallback_text(briefing: Briefing) -> str:
    counts = [f"{s.company} {len(s.stories) + s.more}건" for s in briefing.sections if s.stories]
    if briefing.themes:
        counts.append(f"테마 {len(briefing.themes)}건")
    body = ", ".join(counts) if counts else "새 소식 없음"
    return truncate(f"{date_label(briefing)} {kind_label(briefing)}브리핑: {body}", FALLBACK_CHARS)


def empty_line(briefing: Briefing) -> str:
    names = ", ".join(briefing.subscribed[:5]) + (" 등" if len(briefing.subscribed) > 5 else "")
    cov = briefing.coverage
    scope = f"수집 {cov.sources_ok}/{cov.sources_total}개 정상" if cov.attempts else "수집 기록 없음"
    when = since_label(briefing)
    name = f"{date_label(briefing)} {kind_label(briefing)}브리핑"
    return f"📭 {name}: {names}의 새 소식이 없습니다 ({when}, {scope})."


def _theme_line(line: ThemeLine, briefing: Briefing) -> str:
    tz = _tz(briefing)
    label = briefing.theme_labels.get(line.theme, line.theme) if line.theme else None
    tag = f"`#{escape_mrkdwn(label)}` " if label else ""
    who = " · ".join(escape_mrkdwn(c) for c in line.companies)
    plain = _without_themes(line.story)
    text = story_line(plain, briefing.now, tz)
    return f"• {tag}{text}" + (f" — {who}" if who else "") + follow_up_line(line.story)


def _without_themes(story: StoryItem) -> StoryItem:
    return replace(story, themes=())


@dataclass(frozen=True)
class _LineFacts:
    """What a story's line shows (`bot.render.StoryLike`), and nothing else of the story."""

    headline: str
    url: str
    outlets_count: int
    first_outlet: str
    first_published_at: datetime
    themes: tuple[str, ...]
    exclusive: bool


def _story_line(story: StoryItem, now: datetime, tz: str, labels: tuple[tuple[str, str], ...]) -> str:
    facts = _LineFacts(
        story.headline,
        story.url,
        story.outlets_count,
        story.first_outlet,
        story.first_published_at,
        story.themes,
        story.exclusive,
    )
    return _rendered_line(facts, now, tz, labels)


@lru_cache(maxsize=16384)
def _rendered_line(facts: _LineFacts, now: datetime, tz: str, labels: tuple[tuple[str, str], ...]) -> str:
    """The same story shows in many channels' briefings of one run: render it once. Keyed on the
    line's own facts, so the cache never keeps a story (its summary, outlets, companies) alive."""
    return story_line(facts, now, ZoneInfo(tz), theme_labels=dict(labels))


def _company_stories(briefing: Briefing) -> list[tuple[str, list[tuple[int, str]]]]:
    """Each company's title (with how many more stories it had) and its stories' lines."""
    out: list[tuple[str, list[tuple[int, str]]]] = []
    for section in briefing.sections:
        if not section.stories:
            continue
        labels = tuple(sorted(briefing.theme_labels.items()))
        lines = [
            (s.id, _story_line(s, briefing.now, briefing.tz, labels) + summary_line(s) + follow_up_line(s))
            for s in section.stories
        ]
        more = f"  _외 {section.more}건_" if section.more else ""
        out.append((f"*{escape_mrkdwn(section.company)}*{more}", lines))
    return out


def _sections(title: str, lines: Sequence[tuple[int, str]]) -> list[tuple[Block, tuple[int, ...]]]:
    """A titled list of story lines as one or more section blocks, each within the 3,000-character
    limit, with the stories each block shows."""
    blocks: list[tuple[Block, tuple[int, ...]]] = []
    current = title
    ids: list[int] = []
    for story_id, raw in lines:
        line = cut_mrkdwn(raw, SECTION_TEXT - len(title) - 1)  # lines are mrkdwn: never cut in a link
        if len(current) + 1 + len(line) > SECTION_TEXT:
            blocks.append((SectionBlock(text=MarkdownTextObject(text=current)), tuple(ids)))
            current, ids = line, []
        else:
            current = f"{current}\n{line}" if current else line
        ids.append(story_id)
    if current:
        blocks.append((SectionBlock(text=MarkdownTextObject(text=current)), tuple(ids)))
    return blocks


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, CONTEXT_CHARS))])


def _size(block: Block) -> int:
    """About the block's JSON size, without serialising it (that validates, and costs)."""
    text = getattr(block, "text", None)
    if text is not None:
        return len(getattr(text, "text", "") or "") + 60
    elements = getattr(block, "elements", None) or ()
    return sum(len(getattr(e, "text", "") or "") + 40 for e in elements) + 30


def briefing_messages(briefing: Briefing) -> list[SlackMessage]:
    """The messages to post: the first is the channel message, the rest are its thread replies.

    No subscriptions: nothing. Nothing new: one short line.
    """
    if not briefing.has_subscriptions:
        return []
    if briefing.empty:
        line = truncate(escape_mrkdwn(empty_line(briefing)) + hidden_text(briefing), SECTION_TEXT)
        return [SlackMessage(line, (SectionBlock(text=MarkdownTextObject(text=line)),))]

    header = HeaderBlock(
        text=PlainTextObject(
            text=truncate(f"📰 {date_label(briefing)} {kind_label(briefing)}기업 뉴스 브리핑", HEADER_TEXT)
        )
    )
    quiet = briefing.quiet
    summary = f"{since_label(briefing)} 새 소식 {briefing.story_count}건"
    if briefing.weekly:
        summary += " · 회사마다 한 주 동안 많이 보도된 순"
    if quiet:
        summary += " · 새 소식 없음: " + ", ".join(escape_mrkdwn(c) for c in quiet)
    footer = _context(escape_mrkdwn(coverage_text(briefing.coverage)) + hidden_text(briefing))

    body: list[Block] = []
    shows: list[tuple[int, ...]] = []  # the stories each body block shows (a story's line: its section)
    for title, stories in _company_stories(briefing):
        for i, (story_id, line) in enumerate(stories):
            # Each story its own block with its 👍/👎 and menu; the company's name heads its first.
            blocks = story_blocks(story_id, f"{title}\n{line}" if i == 0 else line)
            body.extend(blocks)
            shows.extend([(story_id,)] + [()] * (len(blocks) - 1))
    if briefing.themes:
        body.append(DividerBlock())
        shows.append(())
        lines = [(t.story.id, _theme_line(t, briefing)) for t in briefing.themes]
        for block, ids in _sections("*🔗 오늘의 테마*", lines):
            body.append(block)
            shows.append(ids)

    first: list[Block] = [header, _context(summary), DividerBlock()]
    reserved = 2  # the footer, and the note that the rest follows in the thread
    used = sum(_size(b) for b in first) + _size(footer)
    i = 0
    while i < len(body) and len(first) + reserved < MAX_BLOCKS:
        size = _size(body[i])
        if used + size > MESSAGE_CHARS and len(first) > 3:
            break
        first.append(body[i])
        used += size
        i += 1
    rest = body[i:]
    if rest:
        first.append(_context("이어지는 소식은 스레드에 있습니다 🧵"))
    first.append(footer)
    messages = [SlackMessage(escape_mrkdwn(fallback_text(briefing)), tuple(first), story_ids=_ids(shows[:i]))]

    chunks: list[tuple[list[Block], list[tuple[int, ...]]]] = []
    chunk: list[Block] = []
    chunk_shows: list[tuple[int, ...]] = []
    used = 0
    for block, ids in zip(rest, shows[i:], strict=True):
        size = _size(block)
        if chunk and (len(chunk) + 1 >= MAX_BLOCKS or used + size > MESSAGE_CHARS):
            chunks.append((chunk, chunk_shows))
            chunk, chunk_shows, used = [], [], 0
        chunk.append(block)
        chunk_shows.append(ids)
        used += size
    if chunk:
        chunks.append((chunk, chunk_shows))
    for n, (blocks, owners) in enumerate(chunks, start=2):
        label = f"{date_label(briefing)} 브리핑 (계속 {n}/{len(chunks) + 1})"
        messages.append(SlackMessage(label, (_context(label), *blocks), story_ids=_ids(owners)))
    return messages


def _ids(shows: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    """The stories of these blocks, each once, in order."""
    return tuple(dict.fromkeys(sid for ids in shows for sid in ids))


# --- terminal ------------------------------------------------------------------------------------


def _rich_story(story: StoryItem, briefing: Briefing) -> Text:
    return rich_story_line(story, briefing.now, _tz(briefing), briefing.theme_labels)


def rich_follow_up(story: object) -> list[Text]:
    """ "이어지는 소식" under a follow-up in the terminal, as `bot.render.follow_up_line` has it in Slack."""
    follows = follows_of(story)
    if follows is None:
        return []
    headline, url = follows
    text = Text(f"  └ {FOLLOW_UP}: ", style="italic dim")
    text.append(truncate(headline, 120), style=f"italic link {url}" if url.startswith("http") else "italic")
    return [text]


def rich_story_line(story: StoryLike, now: datetime, tz: tzinfo, labels: Mapping[str, str]) -> Text:
    """One story for the terminal: the same facts as `bot.render.story_line`, styled with rich."""
    text = Text("• ")
    if story.exclusive and "[단독]" not in story.headline:
        text.append("[단독] ", style="bold red")
    text.append(story.headline, style=f"bold link {story.url}" if story.url.startswith("http") else "bold")
    others = max(story.outlets_count - 1, 0)
    outlets = f"{story.first_outlet} 외 {others}개 매체" if others else story.first_outlet
    text.append(f" · {outlets} · {time_ago(story.first_published_at, now, tz)}", style="dim")
    tags = [labels.get(t, t) for t in story.themes]
    if tags:
        text.append("  " + " ".join(f"#{t}" for t in tags), style="cyan")
    return text


def render_terminal(briefing: Briefing, console: Console, *, title: str | None = None) -> None:
    """The briefing as it reads in Slack, for `briefings brief` and the demo."""
    if not briefing.has_subscriptions:
        console.print("구독한 회사가 없어 브리핑이 없습니다.")
        return
    if briefing.empty:
        console.print(Panel(Text(empty_line(briefing)), title=title or "Briefings", border_style="blue"))
        return
    parts: list[Any] = []
    parts.append(Text(f"📰 {date_label(briefing)} {kind_label(briefing)}기업 뉴스 브리핑", style="bold"))
    quiet = briefing.quiet
    summary = f"{since_label(briefing)} 새 소식 {briefing.story_count}건"
    if quiet:
        summary += " · 새 소식 없음: " + ", ".join(quiet)
    parts.append(Text(summary, style="dim"))
    for section in briefing.sections:
        if not section.stories:
            continue
        parts.append(Text(""))
        parts.append(Text(section.company, style="bold yellow"))
        for s in section.stories:
            parts.append(_rich_story(s, briefing))
            parts.extend(rich_follow_up(s))
        if section.more:
            parts.append(Text(f"  외 {section.more}건", style="italic dim"))
    if briefing.themes:
        parts.append(Text(""))
        parts.append(Text("🔗 오늘의 테마", style="bold magenta"))
        for line in briefing.themes:
            row = _rich_story(_without_themes(line.story), briefing)
            label = briefing.theme_labels.get(line.theme, line.theme) if line.theme else None
            if label:
                row = Text("• ") + Text(f"#{label} ", style="cyan") + row[2:]
            row.append(" — " + " · ".join(line.companies), style="green")
            parts.append(row)
            parts.extend(rich_follow_up(line.story))
    parts.append(Text(""))
    parts.append(Text(coverage_text(briefing.coverage), style="dim"))
    console.print(
        Panel(Group(*parts), title=rich_escape(title or "Briefings"), border_style="blue", expand=False)
    )


def blocks_json(messages: Sequence[SlackMessage]) -> list[dict[str, Any]]:
    """The messages as `brief --json` prints them: the first is the post, the others thread replies."""
    return [m.payload() for m in messages]


def builder_payload(message: SlackMessage) -> dict[str, Any]:
    """What Slack's Block Kit Builder accepts: the message's blocks alone."""
    return {"blocks": message.block_dicts()}


def builder_url(message: SlackMessage) -> str:
    """A link that opens the message in Block Kit Builder, to see it as Slack draws it."""
    data = json.dumps(builder_payload(message), ensure_ascii=False, separators=(",", ":"))
    return BUILDER_URL + quote(data, safe="")
