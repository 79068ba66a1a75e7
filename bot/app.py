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
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import actions, commands, home, messages
from bot.deps import LISTENER_THREADS, BotDeps, install
from bot.oauth import installation_store, state_store
from bot.scopes import BOT_SCOPES
from briefings.companies import CachedRegistry, Registry
from briefings.config import Settings
from briefings.lookup import Tokenizer
from briefings.timeutil import utcnow

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """Settings that cannot make a working app; the message says which variable to set."""


def retry_handlers() -> list[RetryHandler]:
    """Retry 429 (honouring Retry-After), 5xx and dropped connections, a bounded number of times."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    return WebClient(
        token=token, base_url=settings.slack_api_url, retry_handlers=retry_handlers(), timeout=10
    )


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise ConfigError("sessions must be bound to an Engine")
    return bind


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
    socket_mode = bool(settings.slack_app_token)
    if not settings.slack_signing_secret and not socket_mode:
        raise ConfigError("SLACK_SIGNING_SECRET를 설정하세요 (HTTP 모드의 요청 서명 검증에 필요합니다).")
    oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    if not oauth and not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN 또는 SLACK_CLIENT_ID/SLACK_CLIENT_SECRET를 설정하세요.")

    common: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "request_verification_enabled": bool(settings.slack_signing_secret),
        "process_before_response": False,
        "raise_error_for_unhandled_request": False,
        # The one pool that runs listeners (each acknowledges, then answers in its thread); the database
        # pool is sized to it (bot/deps.py).
        "listener_executor": ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="bolt-listener"
        ),
    }
    if oauth:
        assert settings.slack_client_id and settings.slack_client_secret
        engine = _engine_of(sessions)
        app = App(
            client=client or make_client(settings),
            oauth_settings=OAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                scopes=BOT_SCOPES,
                installation_store=installation_store(settings.slack_client_id, engine),
                state_store=state_store(engine),
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
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
    for surface in (commands, actions, home, messages):
        surface.register(app)
    return app
