"""App Home as the settings page of the user's DM briefing: cadence, keyword subscriptions, filters.

Each keyword subscription and filter has its button (해지, 해제); a click is checked against the user's
own DM (the channel of their personal subscriptions), so App Home can never change another's settings.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, DividerBlock, MarkdownTextObject, SectionBlock
from sqlalchemy.orm import Session

from bot import blocks as bk
from bot.commands import workspace_of
from bot.deps import BotDeps, deps_of
from bot.render import inert
from briefings.cadence import label
from briefings.filters import describe, load_filters, remove_filter
from briefings.saved_queries import list_queries, remove_query
from briefings.subscriptions import channel_settings, list_team_subscriptions

UNSAVE = "home_unsave"
UNFILTER = "home_unfilter"
MAX_ROWS = 15  # of each kind: the home tab's 100 blocks are shared with subscriptions and news


def dm_channels(session: Session, team_id: str, user_id: str) -> list[str]:
    """The user's DM with the app, as their personal subscriptions know it."""
    subs = list_team_subscriptions(session, team_id, include_dm=True)
    return sorted({s.channel_id for s in subs if s.is_dm and s.created_by == user_id})


def _row(text: str, button_text: str, action: str, i: int, value: str) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=text), accessory=bk.button(button_text, bk.action_id(action, i), value)
    )


def settings_blocks(deps: BotDeps, session: Session, *, team_id: str, user_id: str) -> list[Block]:
    channels = dm_channels(session, team_id, user_id)
    blocks: list[Block] = [DividerBlock(), bk.header("내 브리핑 설정")]
    if not channels:
        blocks.append(
            bk.section(
                "앱 DM에서 `/news 구독 회사이름`으로 개인 브리핑을 시작하면 여기서 설정을 바꿀 수 있습니다."
            )
        )
        return blocks
    ch = channels[0]
    channel = channel_settings(session, team_id, ch)
    cadence = label(channel.cadence if channel else None)
    when = channel.briefing_time if channel else deps.settings.briefing_time
    blocks.append(
        bk.section(f"*주기*: {cadence} {inert(when)} · 바꾸기: `/news 주기 평일 08:00`, `/news 주기 매주 월`")
    )
    saved = list_queries(session, team_id, ch)
    if saved:
        blocks.append(bk.context("*키워드·계열사 구독*"))
    for i, view in enumerate(saved[:MAX_ROWS]):
        blocks.append(_row(inert(view.label), "해지", UNSAVE, i, bk.encode_value(ch=ch, l=view.label)))
    filters = load_filters(session, team_id, ch)
    shown = [v for v in filters.views if v.kind != "story"]
    blocks.append(
        bk.context(f"*제외 설정* {len(shown)}개 · 추가: `/news 제외 스포츠`, `/news 제외 매체 한국경제`")
    )
    for i, rule in enumerate(shown[:MAX_ROWS]):
        text = inert(describe(rule, deps.theme_labels))
        blocks.append(_row(text, "해제", UNFILTER, i, bk.encode_value(ch=ch, k=rule.kind, v=rule.value)))
    return blocks


def _own(session: Session, team_id: str, user_id: str, channel: object) -> str | None:
    return channel if isinstance(channel, str) and channel in dm_channels(session, team_id, user_id) else None


def on_unsave(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = workspace_of(context, body), str((body.get("user") or {}).get("id", ""))
    value = bk.decode_value((body.get("actions") or [{}])[0].get("value"))
    with deps.session() as session:
        ch = _own(session, team_id, user_id, value.get("ch"))
        if ch is not None and isinstance(value.get("l"), str):
            remove_query(session, team_id, ch, value["l"])
    _republish(deps, client, team_id, user_id)


def on_unfilter(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    team_id, user_id = workspace_of(context, body), str((body.get("user") or {}).get("id", ""))
    value = bk.decode_value((body.get("actions") or [{}])[0].get("value"))
    with deps.session() as session:
        ch = _own(session, team_id, user_id, value.get("ch"))
        if (
            ch is not None
            and value.get("k") in ("keyword", "outlet", "theme")
            and isinstance(value.get("v"), str)
        ):
            remove_filter(session, team_id, ch, value["k"], value["v"])
    _republish(deps, client, team_id, user_id)


def _republish(deps: BotDeps, client: WebClient, team_id: str, user_id: str) -> None:
    from bot.home import publish_home  # bot.home builds its view with this module's blocks

    publish_home(deps, client, team_id=team_id, user_id=user_id)


def register(app: App) -> None:
    app.action(bk.action_pattern(UNSAVE))(on_unsave)
    app.action(bk.action_pattern(UNFILTER))(on_unfilter)
