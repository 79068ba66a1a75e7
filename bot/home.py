"""App Home: the user's personal subscriptions (with 해지) and the settings page of their DM briefing and of
every channel briefing they can see (`bot.home_settings`), then the latest top stories of their companies.
Republished whenever the tab opens or a setting changes there (`bot.home_actions`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import blocks as bk
from bot.alerts_answers import baseline_note
from bot.deps import BotDeps, deps_of
from bot.home_settings import page_blocks
from bot.replies import publish_checked
from briefings.companies import CompanyRef
from briefings.lookup import StoryView, top_stories_each
from briefings.settings_page import ChannelPage, load_pages
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


def dm_with(client: WebClient, user_id: str) -> str | None:
    """The user's DM with the app: `conversations.open` answers with the one that exists. None when
    Slack does not say (the caller then goes by the user's personal subscriptions)."""
    try:
        return str(client.conversations_open(users=user_id)["channel"]["id"])
    except Exception:
        log.warning("conversations.open failed for %s", user_id, exc_info=True)
        return None


def own_dm(subscriptions: Sequence[SubscriptionView], user_id: str, dm: str | None) -> list[str]:
    """The user's DM: as Slack named it, else as their personal subscriptions know it (if any)."""
    if dm:
        return [dm]
    return sorted({s.channel_id for s in subscriptions if s.is_dm and s.created_by == user_id})[:1]


def home_payload(
    deps: BotDeps,
    *,
    team_id: str,
    user_id: str,
    visible: set[str] | None,
    dm: str | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    """The user's App Home, read in a fixed number of statements whatever they follow and wherever.

    `notice` heads the view: what the user's last click there did (App Home has no ephemeral answers).
    """
    now = deps.now()
    with deps.session() as session:
        everything = list_team_subscriptions(session, team_id, include_dm=True)
        personal = [s for s in everything if s.is_dm and s.created_by == user_id]
        # Every page read at once: the user's DM with the app and each channel they are a member of
        # (users.conversations lists channels, never DMs).
        shown = own_dm(everything, user_id, dm) + sorted(visible or ())
        pages = load_pages(session, team_id, shown, subscriptions=everything)
        index = deps.index.get(session)
        companies = list(
            {c.id: c for c in (index.companies.get(s.company_id) for s in personal) if c is not None}.values()
        )
        # Every company's latest stories in one query, however many the user follows.
        top = top_stories_each(
            session, [c.id for c in companies], now=now, days=deps.days, limit=STORIES_PER_COMPANY
        )
        latest: list[tuple[CompanyRef, list[StoryView]]] = [(c, top[c.id]) for c in companies]
        note = baseline_note(waiting_for_baseline(session, team_id, {p.channel_id for p in pages}, now=now))
    ids = bk.Ids()

    def blocks_of(page: ChannelPage) -> list[Block]:
        return page_blocks(
            page, ids, theme_labels=deps.theme_labels, default_time=deps.settings.briefing_time
        )

    # A briefing with nothing in it (everything removed) has no settings worth a page.
    dm_page = [b for p in pages if p.is_dm and not p.empty for b in blocks_of(p)]
    channel_pages = [blocks_of(p) for p in pages if not p.is_dm and not p.empty]
    return bk.home_view(
        personal,
        latest,
        now=now,
        tz=deps.tz,
        theme_labels=deps.theme_labels,
        dm_page=dm_page,
        channel_pages=channel_pages,
        notice=notice,
        note=note,
        ids=ids,
    )


HOME_FALLBACK = "Briefings: `/news 구독 회사이름`으로 구독하세요."


def publish_home(
    deps: BotDeps,
    client: WebClient,
    *,
    team_id: str,
    user_id: str,
    notice: str | None = None,
    visible: set[str] | None = None,
    dm: str | None = None,
) -> None:
    """Publish the user's App Home; `visible` and `dm` when the caller has just asked Slack for them."""
    if visible is None:
        visible = visible_channels(client, user_id)
    if dm is None:
        dm = dm_with(client, user_id)
    view = home_payload(deps, team_id=team_id, user_id=user_id, visible=visible, dm=dm, notice=notice)
    publish_checked(client, user_id=user_id, view=view, fallback=HOME_FALLBACK)


def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    team_id = str(context.team_id or context.enterprise_id or "")
    publish_home(deps_of(context), client, team_id=team_id, user_id=str(event.get("user", "")))


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
