"""Builds the Bolt `App` from settings; each Slack surface registers its own listeners.

One workspace with `SLACK_BOT_TOKEN`, or many through OAuth (`SLACK_CLIENT_ID` / `SLACK_CLIENT_SECRET`)
with slack_sdk's SQLAlchemy installation and state stores in our database. Every Web API call goes to
`SLACK_API_URL` and is retried by slack_sdk's handlers on rate limits, server errors and dropped
connections.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from sqlalchemy.orm import Session, sessionmaker

from bot import actions, commands, feedback, home, home_actions, lifecycle, messages, trend
from bot.deps import LISTENER_THREADS, BotDeps, install
from bot.oauth import state_store
from bot.scopes import BOT_SCOPES
from bot.tokens import (
    ROTATE_MINUTES_BEFORE,
    ConfigError,
    check_tokens,
    engine_of,
    make_client,
    retry_handlers,
    store_for,
)
from briefings import redact
from briefings.companies import CachedRegistry, Registry
from briefings.companies.store import UserDictionary
from briefings.config import Settings
from briefings.lookup import Tokenizer
from briefings.timeutil import utcnow

__all__ = ["BOT_SCOPES", "ConfigError", "build_app", "make_client", "retry_handlers", "server_registry"]

log = logging.getLogger(__name__)


REINSTALL = (
    "이 워크스페이스에는 Briefings 설치 정보가 없습니다. 관리자에게 앱을 다시 설치해 달라고 요청해 주세요."
)


def server_registry(sessions: sessionmaker[Session], nlp: UserDictionary) -> CachedRegistry:
    """The company index of `briefings web` and `run`, loaded before the first request is accepted:
    its names already in `nlp`'s dictionary and the whole of it out of the collector's full passes,
    so no answer pays for either."""
    index = CachedRegistry(settle=True)
    index.teach(nlp)
    with sessions() as session:
        index.get(session)
    return index


def _index_cache(registry: object) -> CachedRegistry:
    """The company index cache: the caller's, a fixed index the caller built, or a fresh one."""
    if isinstance(registry, CachedRegistry):
        return registry
    cache = CachedRegistry()
    if isinstance(registry, Registry):
        cache.prime(registry)
    elif registry is not None:
        log.warning(
            "build_app: ignoring registry of type %s (expected CachedRegistry or Registry)", type(registry)
        )
    return cache


def check_settings(settings: Settings) -> bool:
    """Refuse, with one line, settings that cannot make a working app; True when OAuth is used.

    Called by every entry point before anything slow is loaded."""
    socket_mode = bool(settings.slack_app_token)
    if not settings.slack_signing_secret and not socket_mode:
        raise ConfigError("SLACK_SIGNING_SECRET를 설정하세요 (HTTP 모드의 요청 서명 검증에 필요합니다).")
    return check_tokens(settings) == "oauth"


def build_app(
    settings: Settings,
    *,
    sessions: sessionmaker[Session],
    client: WebClient | None = None,
    nlp: Tokenizer | None = None,
    registry: CachedRegistry | Registry | None = None,
    clock: Callable[[], datetime] = utcnow,
    token_verification_enabled: bool = True,
) -> App:
    """The Bolt app for `briefings web` / `run` (Socket Mode or HTTP) with every surface registered."""
    redact.install()
    oauth = check_settings(settings)
    store: InstallationStore | None = None

    common: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "request_verification_enabled": bool(settings.slack_signing_secret),
        "process_before_response": False,
        "raise_error_for_unhandled_request": False,
        # What a user of a workspace without an installation sees instead of Bolt's English apology.
        "user_facing_authorize_error_message": REINSTALL,
        # The one pool that runs listeners (each acknowledges, then answers in its thread); the database
        # pool is sized to it (bot/deps.py).
        "listener_executor": ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="bolt-listener"
        ),
    }
    if oauth:
        assert settings.slack_client_id and settings.slack_client_secret
        engine = engine_of(sessions)
        store = store_for(settings, engine)
        app_client = client or make_client(settings)
        app = App(
            client=app_client,
            # Bolt's default authorize would refresh rotating tokens through slack.com whatever
            # SLACK_API_URL says; this one uses our client.
            authorize=InstallationStoreAuthorize(  # type: ignore[arg-type]  # Bolt accepts an Authorize
                installation_store=store,
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                client=app_client,
                token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
                logger=log,
            ),
            oauth_settings=OAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                scopes=BOT_SCOPES,
                installation_store=store,
                state_store=state_store(engine),
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
                # Rotating tokens are refreshed (and saved) this long before they expire.
                token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
            ),
            **common,
        )
    else:
        app_client = client or make_client(settings, settings.slack_bot_token)
        if app_client.token is None:
            app_client.token = settings.slack_bot_token  # a caller's client without a token: use ours
        app = App(client=app_client, token_verification_enabled=token_verification_enabled, **common)

    deps = BotDeps(
        settings=settings,
        sessions=sessions,
        index=_index_cache(registry),
        nlp_factory=(lambda: nlp) if nlp is not None else None,
        clock=clock,
    )

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        log.error(
            "unhandled error for %s: %s", body.get("type") or body.get("command"), error, exc_info=error
        )
        return None

    install(app, deps)
    for surface in (commands, actions, trend, feedback, home, home_actions, messages):
        surface.register(app)
    lifecycle.register(app, store)
    return app
