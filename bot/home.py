"""App Home: the user's personal subscriptions (with 해지), the channel subscriptions they can see, and the
latest top stories of their companies. Republished whenever the tab opens or a subscription changes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import blocks as bk
from bot.alerts_answers import baseline_note
from bot.deps import BotDeps, deps_of
from bot.home_settings import settings_blocks
from bot.limits import MAX_HOME_BLOCKS
from bot.replies import publish_checked
from briefings.companies import CompanyRef
from briefings.lookup import StoryView, top_stories_each
from briefings.signals.alert_store import waiting_for_baseline
from briefings.subscriptions import SubscriptionView, list_team_subscriptions

log = logging.getLogger(__name__)

MAX_CHANNEL_PAGES = 5
STORIES_PER_COMPANY = 2


def visible_channels(client: WebClient, user_id: str) -> set[str] | None:
    """Channels the user is a member of (the ones whose subscriptions they may see); None if unknown."""
    channels: set[str] = set()
    cursor: str | None = None
    try:
        for _ in range(MAX_CHANNEL_PAGES):
            resp = client.users_conversations(
                user=user_id, types="public_channel,private_channel", limit=200, cursor=cursor
            )
            channels.update(str(c["id"]) for c in resp.get("channels") or [])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
    except Exception:
        log.warning("users.conversations failed for %s", user_id, exc_info=True)
        return None
    return channels


def home_payload(deps: BotDeps, *, team_id: str, user_id: str, visible: set[str] | None) -> dict[str, Any]:
    now = deps.now()
    with deps.session() as session:
        everything = list_team_subscriptions(session, team_id, include_dm=True)
        personal = [s for s in everything if s.is_dm and s.created_by == user_id]
        channel_subs: list[SubscriptionView] = [
            s for s in everything if not s.is_dm and visible is not None and s.channel_id in visible
        ]
        index = deps.index.get(session)
        companies = list(
            {c.id: c for c in (index.companies.get(s.company_id) for s in personal) if c is not None}.values()
        )
        # Every company's latest stories in one query, however many the user follows.
        top = top_stories_each(
            session, [c.id for c in companies], now=now, days=deps.days, limit=STORIES_PER_COMPANY
        )
        latest: list[tuple[CompanyRef, list[StoryView]]] = [(c, top[c.id]) for c in companies]
        followed = {s.channel_id for s in personal} | {s.channel_id for s in channel_subs}
        note = baseline_note(waiting_for_baseline(session, team_id, followed, now=now))
        settings = settings_blocks(deps, session, team_id=team_id, user_id=user_id)
    view = bk.home_view(personal, channel_subs, latest, now=now, tz=deps.tz, theme_labels=deps.theme_labels)
    room = MAX_HOME_BLOCKS - len(view["blocks"]) - 1  # the baseline note may follow
    if room > 2:
        view["blocks"] += bk.check_blocks(settings[:room], max_blocks=MAX_HOME_BLOCKS)
    if note and len(view["blocks"]) < MAX_HOME_BLOCKS:
        view["blocks"].append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return view


HOME_FALLBACK = "Briefings: `/news 구독 회사이름`으로 구독하세요."


def publish_home(deps: BotDeps, client: WebClient, *, team_id: str, user_id: str) -> None:
    view = home_payload(deps, team_id=team_id, user_id=user_id, visible=visible_channels(client, user_id))
    publish_checked(client, user_id=user_id, view=view, fallback=HOME_FALLBACK)


def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    team_id = str(context.team_id or context.enterprise_id or "")
    publish_home(deps_of(context), client, team_id=team_id, user_id=str(event.get("user", "")))


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
