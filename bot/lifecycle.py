"""The app's lifecycle in a workspace: `app_uninstalled` and `tokens_revoked`.

Both are acknowledged at once (Bolt acknowledges events before the listener runs, over HTTP and over
Socket Mode alike). An uninstall removes the workspace's tokens from the installation store and its
subscriptions, channel settings and pending briefings from ours; revoked bot tokens are the same as an
uninstall for a bot-only app; a revoked user token removes only that user's installation and personal
subscriptions. A retried event (same `event_id`) changes nothing a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from sqlalchemy.orm import Session

from bot.deps import deps_of
from briefings.workspaces import Forgotten, first_time, forget_user, forget_workspace, was_handled

log = logging.getLogger(__name__)


_STORE = "briefings_installation_store"


def _event_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    # Socket Mode and HTTP both carry the envelope's event_id; the fallback keeps a hand-made event usable.
    return str(body.get("event_id") or f"{event.get('type')}:{event.get('event_ts', '')}")


def _workspace(context: BoltContext) -> tuple[str | None, str | None]:
    """(team, organisation); an org-wide install's events name the organisation only."""
    team_id = None if context.is_enterprise_install else context.team_id
    return team_id, context.enterprise_id


def _once(
    context: BoltContext,
    body: dict[str, Any],
    event: dict[str, Any],
    drop_tokens: Callable[[InstallationStore], None],
    forget: Callable[[Session], Forgotten],
) -> Forgotten | None:
    """Handle an event once: the store's deletions, then ours together with the record of the event."""
    deps = deps_of(context)
    store: InstallationStore | None = context.get(_STORE)
    event_id = _event_id(body, event)
    kind = str(event.get("type"))
    with deps.session() as session:
        if was_handled(session, event_id):
            log.info("%s %s already handled (Slack retried it)", kind, event_id)
            return None
    # The store's deletions come first and are safe to repeat: if this process dies before the
    # event is recorded, Slack's retry finishes the job.
    if store is not None:
        drop_tokens(store)
    with deps.session() as session:
        if not first_time(session, event_id, kind, now=deps.now()):
            session.rollback()
            return None
        return forget(session)


def on_app_uninstalled(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    team_id, enterprise_id = _workspace(context)
    gone = _once(
        context,
        body,
        event,
        lambda store: store.delete_all(enterprise_id=enterprise_id, team_id=team_id),
        lambda session: forget_workspace(session, team_id=team_id, enterprise_id=enterprise_id),
    )
    if gone is not None:
        log.info("uninstalled from %s/%s: removed %s", enterprise_id, team_id, gone)
        if context.get(_STORE) is None:
            log.warning("the app was uninstalled: SLACK_BOT_TOKEN no longer works for %s", team_id)


def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
    team_id, enterprise_id = _workspace(context)
    tokens = event.get("tokens") or {}
    users = [str(u) for u in tokens.get("oauth") or []]
    bot_revoked = bool(tokens.get("bot"))

    def drop_tokens(store: InstallationStore) -> None:
        if bot_revoked:  # the app works only through its bot token: as good as uninstalled
            store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        for user in users:
            store.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user)

    def forget(session: Session) -> Forgotten:
        if bot_revoked:
            return forget_workspace(session, team_id=team_id, enterprise_id=enterprise_id)
        total = Forgotten()
        for user in users:
            total += forget_user(session, team_id=team_id, enterprise_id=enterprise_id, user_id=user)
        return total

    gone = _once(context, body, event, drop_tokens, forget)
    if gone is not None:
        log.info(
            "tokens revoked in %s/%s (bot: %s, users: %d): removed %s",
            enterprise_id,
            team_id,
            bot_revoked,
            len(users),
            gone,
        )


def register(app: App, store: InstallationStore | None = None) -> None:
    """`store` is the OAuth installation store (None with SLACK_BOT_TOKEN: the token is in the env)."""

    def put_store(context: BoltContext, next: Callable[[], None]) -> None:
        context[_STORE] = store
        next()

    app.event("app_uninstalled", middleware=[put_store])(on_app_uninstalled)
    app.event("tokens_revoked", middleware=[put_store])(on_tokens_revoked)
