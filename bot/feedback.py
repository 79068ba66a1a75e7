"""Feedback on every story of a briefing or an alert: Slack's native 👍/👎 and a menu, with 되돌리기.

    👍 / 👎                 (feedback_buttons in a context_actions block) the channel's ranking
                            raises or sinks the story's themes (and, for 👎, its outlet)
    ⋯ 이 주제 그만 보기     a theme filter for the story's first theme (its top keyword if it has none)
    ⋯ 이 매체 제외          an outlet filter for the outlet the story is shown as
    ⋯ 이미 본 소식          hides this one story from the channel from now on

Every click is answered at once with an ephemeral message saying what changed, with a 되돌리기
button that undoes exactly that. Votes are the channel's (a DM's are its user's): `briefings.feedback`;
the menu's choices are the channel's filters: `briefings.filters`. Briefings and alerts build their
story rows with `story_blocks`, so one click means the same wherever the story was shown.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextActionsBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
)

from bot import blocks as bk
from bot.commands import is_dm_channel, workspace_of
from bot.deps import deps_of
from bot.limits import SECTION_TEXT
from bot.render import cut_mrkdwn, inert
from bot.replies import respond_checked
from briefings.feedback import record_vote, remove_vote
from briefings.filters import Kind, add_filter, remove_filter
from briefings.korean import josa
from briefings.models import Story
from briefings.subscriptions import InvalidSetting

log = logging.getLogger(__name__)

VOTE = "story_vote"
MENU = "story_menu"
UNDO = "story_undo"


def story_blocks(story_id: int, line: str) -> list[Block]:
    """A story's line with its menu, and the 👍/👎 under it (the ids the listeners below read)."""
    menu = OverflowMenuElement(
        action_id=MENU,
        options=[
            Option(text=PlainTextObject(text="이 주제 그만 보기"), value=f"topic:{story_id}"),
            Option(text=PlainTextObject(text="이 매체 제외"), value=f"outlet:{story_id}"),
            Option(text=PlainTextObject(text="이미 본 소식"), value=f"seen:{story_id}"),
        ],
    )
    buttons = FeedbackButtonsElement(
        action_id=VOTE,
        positive_button=FeedbackButtonObject(
            text=PlainTextObject(text="👍"), accessibility_label="이런 소식 더 보기", value=f"up:{story_id}"
        ),
        negative_button=FeedbackButtonObject(
            text=PlainTextObject(text="👎"), accessibility_label="이런 소식 덜 보기", value=f"down:{story_id}"
        ),
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn(line, SECTION_TEXT)), accessory=menu),
        ContextActionsBlock(elements=[buttons]),
    ]


def _parse(value: object) -> tuple[str, int] | None:
    """`up:42` → ("up", 42); anything else (a forged or stale payload) → None."""
    if not isinstance(value, str):
        return None
    kind, _, raw = value.partition(":")
    return (kind, int(raw)) if raw.isdigit() and kind else None


def _where(body: dict[str, Any], context: BoltContext) -> tuple[str, str, str]:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    user = (body.get("user") or {}).get("id") or ""
    return workspace_of(context, body), str(channel), str(user)


def _here(channel: str) -> str:
    """Whose settings changed: a DM's are the user's own."""
    return "내" if is_dm_channel(channel, None) else "이 채널의"


def _answer(respond: Respond, text: str, undo: dict[str, Any] | None = None) -> None:
    blocks: list[Block] = [bk.section(text)]
    if undo is not None:
        blocks.append(ActionsBlock(elements=[bk.button("되돌리기", UNDO, bk.encode_value(**undo))]))
    respond_checked(
        respond,
        response_type="ephemeral",
        replace_original=False,
        text=bk.fallback_text(text, escaped=True),
        blocks=bk.check_blocks(blocks),
    )


def on_vote(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    action = (body.get("actions") or [{}])[0]
    parsed = _parse(action.get("value"))
    team, channel, user = _where(body, context)
    if parsed is None or parsed[0] not in ("up", "down") or not channel or not user:
        _answer(respond, "이 버튼은 더 이상 쓸 수 없습니다.")
        return
    kind, story_id = parsed
    try:
        with deps.session() as session:
            story = session.get(Story, story_id)
            if story is None:
                _answer(respond, "이 기사를 더 이상 찾을 수 없습니다.")
                return
            record_vote(session, team, channel, user, story, 1 if kind == "up" else -1, now=deps.now())
            themes = [deps.theme_labels.get(t, t) for t in story.themes or []]
            outlet = story.first_outlet
    except Exception:
        log.exception("feedback vote failed")
        _answer(respond, "죄송합니다. 피드백을 저장하지 못했습니다. 잠시 후 다시 눌러 주세요.")
        return
    tags = ", ".join(f"`#{inert(t)}`" for t in themes)
    if kind == "up":
        what = f"{tags} 소식을 더 위에 보여 드립니다." if tags else "비슷한 소식을 더 위에 보여 드립니다."
        text = f"👍 반영했습니다. {_here(channel)} 브리핑·알림에서 {what}"
    else:
        sinks = ", ".join(filter(None, [tags, f"*{inert(outlet)}*" if outlet else ""]))
        text = f"👎 반영했습니다. {_here(channel)} 브리핑·알림에서 {sinks or '이런'} 소식을 아래로 내립니다."
    _answer(respond, text, {"k": "vote", "s": story_id})


def on_menu(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    action = (body.get("actions") or [{}])[0]
    parsed = _parse((action.get("selected_option") or {}).get("value"))
    team, channel, user = _where(body, context)
    if parsed is None or parsed[0] not in ("topic", "outlet", "seen") or not channel:
        _answer(respond, "이 메뉴는 더 이상 쓸 수 없습니다.")
        return
    choice, story_id = parsed
    try:
        with deps.session() as session:
            story = session.get(Story, story_id)
            if story is None:
                _answer(respond, "이 기사를 더 이상 찾을 수 없습니다.")
                return
            kind: Kind
            if choice == "seen":
                kind, value, shown = "story", str(story.id), "이 기사"
            elif choice == "outlet":
                kind, value, shown = "outlet", story.first_outlet, f"매체 *{inert(story.first_outlet)}*"
            elif story.themes:
                slug = story.themes[0]
                kind, value = "theme", slug
                shown = f"테마 `#{inert(deps.theme_labels.get(slug, slug))}`"
            elif story.keywords:
                kind, value, shown = "keyword", story.keywords[0], f"키워드 *{inert(story.keywords[0])}*"
            else:
                _answer(respond, "이 기사에는 뺄 주제가 없습니다. `/news 제외 <키워드>`로 직접 정해 주세요.")
                return
            readings = [[value]] if kind == "keyword" else []
            added = add_filter(
                session, team, channel, kind, value, now=deps.now(), readings=readings, user_id=user
            )
    except InvalidSetting as exc:
        _answer(respond, inert(str(exc)))
        return
    except Exception:
        log.exception("feedback menu failed")
        _answer(respond, "죄송합니다. 설정을 저장하지 못했습니다. 잠시 후 다시 시도해 주세요.")
        return
    if choice == "seen":
        text = f"이 기사를 {_here(channel)} 브리핑·알림·검색에서 다시 보여 드리지 않습니다."
    elif added:
        text = f"{_here(channel)} 브리핑·알림·검색에서 {josa(shown, '을/를')} 뺍니다."
    else:
        text = f"{josa(shown, '은/는')} 이미 제외 중입니다."
    _answer(respond, text, {"k": "filter", "f": kind, "v": value} if added else None)


def on_undo(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    action = (body.get("actions") or [{}])[0]
    value = bk.decode_value(action.get("value"))
    team, channel, user = _where(body, context)
    done = False
    with deps.session() as session:
        if value.get("k") == "vote" and isinstance(value.get("s"), int):
            done = remove_vote(session, team, channel, user, value["s"])
        elif value.get("k") == "filter" and value.get("f") in ("keyword", "outlet", "theme", "story"):
            done = remove_filter(session, team, channel, value["f"], str(value.get("v", "")))
    _answer(respond, "되돌렸습니다. 이전 설정으로 돌아갔습니다." if done else "되돌릴 것이 없습니다.")


def register(app: App) -> None:
    app.action(VOTE)(on_vote)
    app.action(MENU)(on_menu)
    app.action(UNDO)(on_undo)


__all__ = ["MENU", "UNDO", "VOTE", "register", "story_blocks"]
