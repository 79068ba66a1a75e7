"""The buttons of App Home's settings page: 해지, 해제 and the alert sensitivity menu.

A click may change the user's own DM briefing (`conversations.open` names it), or a channel's
briefing when the user is a member of that channel (`users.conversations`, read at the click).
Whatever happens, App Home is published again with one Korean line at its top saying what the click
did: App Home has no ephemeral answers, and a stale button (a row removed since, pressed twice)
deserves an answer too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import blocks as bk
from bot.commands import is_dm_channel, workspace_of
from bot.deps import BotDeps, deps_of
from bot.home import dm_with, own_dm, publish_home, visible_channels
from bot.home_settings import SENSITIVITY, UNFILTER, UNSAVE, UNTHEME
from bot.render import inert, truncate
from briefings.filters import FilterView, describe, remove_filter
from briefings.korean import josa
from briefings.saved_queries import remove_query
from briefings.signals.alert_settings import set_alert_sensitivity
from briefings.subscriptions import (
    InvalidSetting,
    channel_settings,
    list_team_subscriptions,
    remove_theme,
    unsubscribe,
)

log = logging.getLogger(__name__)

STALE = "이 버튼은 더 이상 쓸 수 없습니다. 화면을 새로 고쳤습니다."
NOT_YOURS_DM = "다른 사람의 개인 브리핑 설정은 바꿀 수 없습니다."
NOT_MEMBER = "이 채널의 멤버만 그 채널의 설정을 바꿀 수 있습니다."
NO_CHANNELS = "채널 목록을 확인하지 못했습니다. 잠시 후 다시 눌러 주세요."
FAILED = "죄송합니다. 설정을 바꾸지 못했습니다. 잠시 후 다시 눌러 주세요."

# What a press changes: (deps, session, team, channel, the button's value) → the line to show.
Change = Callable[[BotDeps, Session, str, str, dict[str, Any]], str]


def _unsubscribed(shown: str, removed: bool) -> str:
    """A company's or a saved query's 해지: done now, or done before (a stale button)."""
    return f"{shown} 구독을 해지했습니다." if removed else f"{josa(shown, '은/는')} 이미 해지된 구독입니다."


def _unsubscribe(deps: BotDeps, session: Session, team: str, ch: str, value: dict[str, Any]) -> str:
    company_id = value.get("c")
    if not isinstance(company_id, int):
        return STALE
    company = deps.index.get(session).companies.get(company_id)
    name = f"*{inert(truncate(company.name, 60))}*" if company else "이 회사"
    return _unsubscribed(name, unsubscribe(session, team, ch, company_id))


def _unsave(deps: BotDeps, session: Session, team: str, ch: str, value: dict[str, Any]) -> str:
    query = value.get("l")
    if not isinstance(query, str):
        return STALE
    shown = inert(truncate(query, 80))
    return _unsubscribed(shown, remove_query(session, team, ch, query))


def _untheme(deps: BotDeps, session: Session, team: str, ch: str, value: dict[str, Any]) -> str:
    slug = value.get("t")
    if not isinstance(slug, str):
        return STALE
    shown = f"테마 {inert(deps.theme_labels.get(slug, slug))}"
    if not remove_theme(session, team, ch, slug):
        return f"{josa(shown, '은/는')} 이미 해제되었습니다."
    return f"{josa(shown, '을/를')} 더 이상 따라가지 않습니다."


def _unfilter(deps: BotDeps, session: Session, team: str, ch: str, value: dict[str, Any]) -> str:
    kind, rule = value.get("k"), value.get("v")
    if kind not in ("keyword", "outlet", "theme") or not isinstance(rule, str):
        return STALE
    shown = inert(describe(FilterView(kind, rule), deps.theme_labels))
    if not remove_filter(session, team, ch, kind, rule):
        return f"제외 설정 {josa(shown, '은/는')} 이미 해제되었습니다."
    return f"제외 설정 {josa(shown, '을/를')} 해제했습니다."


def _sensitivity(deps: BotDeps, session: Session, team: str, ch: str, value: dict[str, Any]) -> str:
    if channel_settings(session, team, ch) is None:
        return "이 채널의 설정을 더 이상 찾을 수 없습니다."
    level = set_alert_sensitivity(
        session, team, ch, str(value.get("s", "")), now=deps.now(), is_dm=is_dm_channel(ch, None)
    )
    # Every level ends in a final consonant (민감, 보통, 둔감, 끔): always 으로.
    return f"급증 알림 민감도를 *{level}*으로 정했습니다."


CHANGES: dict[str, Change] = {
    bk.HOME_UNSUBSCRIBE: _unsubscribe,
    UNSAVE: _unsave,
    UNTHEME: _untheme,
    UNFILTER: _unfilter,
    SENSITIVITY: _sensitivity,
}


def on_press(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    deps = deps_of(context)
    team, user = workspace_of(context, body), str((body.get("user") or {}).get("id", ""))
    action = (body.get("actions") or [{}])[0]
    raw = action.get("value") or (action.get("selected_option") or {}).get("value")
    value = bk.decode_value(raw if isinstance(raw, str) else None)
    change = CHANGES.get(bk.action_kind(str(action.get("action_id", ""))))
    ch = value.get("ch")
    visible: set[str] | None = None
    dm = dm_with(client, user)
    with deps.session() as session:
        mine = own_dm(list_team_subscriptions(session, team, include_dm=True), user, dm)
    if change is None or not isinstance(ch, str) or not ch:
        notice = STALE
    elif ch in mine:
        notice = ""
    elif is_dm_channel(ch, None):
        notice = NOT_YOURS_DM
    else:
        visible = visible_channels(client, user)
        notice = NO_CHANNELS if visible is None else "" if ch in visible else NOT_MEMBER
    if change is not None and isinstance(ch, str) and not notice:
        try:
            with deps.session() as session:
                notice = change(deps, session, team, ch, value)
        except InvalidSetting as exc:
            notice = inert(str(exc))
        except Exception:
            log.exception("App Home setting failed")
            notice = FAILED
    publish_home(deps, client, team_id=team, user_id=user, notice=notice, visible=visible, dm=dm)


def register(app: App) -> None:
    for kind in CHANGES:
        app.action(bk.action_pattern(kind))(on_press)
