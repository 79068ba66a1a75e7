"""Which Slack token a process uses, and where it comes from.

One rule for every process (`web`, `worker`, `run`, `deliver`): either one workspace with
`SLACK_BOT_TOKEN`, or many through OAuth with `SLACK_CLIENT_ID`/`SLACK_CLIENT_SECRET` — never both, so
the web app and the worker can never disagree about which token posts a workspace's briefing.

With OAuth, each workspace's bot token is in slack_sdk's installation store (encrypted at rest when
`SLACK_TOKEN_KEY` is set). A Grid workspace's token is found with its organisation's id; an org-wide
install has no team in the store, only the organisation. Tokens that Slack issues with a refresh token
(token rotation) are refreshed with slack_sdk's `TokenRotator` before they expire, and saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, desc, select
from sqlalchemy.orm import Session, sessionmaker

from bot.encrypted_store import EncryptedInstallationStore, TokenKeyError, fernet_for
from bot.oauth import installation_store
from briefings.cli.common import UserError
from briefings.config import Settings
from briefings.models import Subscription

log = logging.getLogger(__name__)

Mode = Literal["single", "oauth"]
# Refresh this long before Slack's expiry (12 hours for rotating tokens), as Bolt does for `/news`.
ROTATE_MINUTES_BEFORE = 120

ONE_TOKEN_RULE = (
    "SLACK_BOT_TOKEN과 SLACK_CLIENT_ID/SLACK_CLIENT_SECRET는 함께 쓸 수 없습니다: 워크스페이스 하나는 "
    "SLACK_BOT_TOKEN만, 여러 워크스페이스(OAuth 설치)는 SLACK_CLIENT_ID/SECRET만 설정하세요."
)


class ConfigError(UserError, ValueError):
    """Settings that cannot make a working app; the message says which variable to set (one line and
    exit status 2 from any command)."""


def token_mode(settings: Settings) -> Mode:
    """`single` (SLACK_BOT_TOKEN) or `oauth` (SLACK_CLIENT_ID/SECRET); both, or neither, is refused."""
    oauth = bool(settings.slack_client_id or settings.slack_client_secret)
    if settings.slack_bot_token and oauth:
        raise ConfigError(ONE_TOKEN_RULE)
    if oauth:
        if not (settings.slack_client_id and settings.slack_client_secret):
            raise ConfigError("OAuth 설치에는 SLACK_CLIENT_ID와 SLACK_CLIENT_SECRET가 모두 필요합니다.")
        return "oauth"
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN 또는 SLACK_CLIENT_ID/SLACK_CLIENT_SECRET를 설정하세요.")
    return "single"


def check_tokens(settings: Settings) -> Mode:
    """Every process's start-up check: the one token rule, and a usable SLACK_TOKEN_KEY."""
    mode = token_mode(settings)
    if settings.slack_token_key:
        try:
            fernet_for(settings.slack_token_key)
        except TokenKeyError as exc:
            raise ConfigError(str(exc)) from None
    return mode


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


def _sqlalchemy_store(store: InstallationStore) -> SQLAlchemyInstallationStore | None:
    inner = store.inner if isinstance(store, EncryptedInstallationStore) else store
    return inner if isinstance(inner, SQLAlchemyInstallationStore) else None


def store_for(settings: Settings, engine: Engine) -> InstallationStore:
    """The OAuth installation store in our database; encrypting when SLACK_TOKEN_KEY is set."""
    assert settings.slack_client_id
    try:
        return installation_store(settings.slack_client_id, engine, settings.slack_token_key)
    except TokenKeyError as exc:
        raise ConfigError(str(exc)) from None


def engine_of(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise ConfigError("sessions must be bound to an Engine")
    return bind


class BotTokens:
    """Each workspace's bot token: SLACK_BOT_TOKEN for one workspace, else from the installations."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        store: InstallationStore | None = None,
        rotate_minutes_before: int = ROTATE_MINUTES_BEFORE,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.mode = token_mode(settings)
        self.store = store
        self.rotator: TokenRotator | None = None
        if self.mode == "oauth":
            assert settings.slack_client_id and settings.slack_client_secret
            self.store = store or store_for(settings, engine_of(sessions))
            self.rotator = TokenRotator(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                client=WebClient(
                    base_url=settings.slack_api_url, retry_handlers=retry_handlers(), timeout=10
                ),
            )
        self.rotate_minutes_before = rotate_minutes_before

    def client_for(
        self, team_id: str, enterprise_id: str | None = None, is_enterprise_install: bool | None = None
    ) -> WebClient:
        """A client with the workspace's token; without one Slack answers `not_authed` (never another
        workspace's token)."""
        return make_client(self.settings, self.token_for(team_id, enterprise_id, is_enterprise_install))

    def token_for(
        self, team_id: str, enterprise_id: str | None = None, is_enterprise_install: bool | None = None
    ) -> str | None:
        if self.mode == "single":
            return self.settings.slack_bot_token
        assert self.store is not None
        if enterprise_id is None:
            enterprise_id = self.enterprise_of(team_id)
        found: Installation | Bot | None = None
        if not is_enterprise_install:
            found = self._latest(enterprise_id, team_id, org_wide=False)
        if found is None and enterprise_id is not None:
            found = self._latest(enterprise_id, None, org_wide=True)  # an org-wide install
        if found is None:
            return None
        try:
            return self._fresh(found).bot_token
        except SlackTokenRotationError as exc:
            # Refreshed early, so the current token usually still works; if not, Slack says token_expired.
            log.error("could not refresh the bot token of %s/%s: %s", enterprise_id, team_id, exc)
            return found.bot_token

    def _latest(
        self, enterprise_id: str | None, team_id: str | None, *, org_wide: bool
    ) -> Installation | Bot | None:
        assert self.store is not None
        installation = self.store.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide
        )
        if installation is not None and installation.bot_token:
            return installation
        return self.store.find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide
        )

    def _fresh(self, found: Installation | Bot) -> Installation | Bot:
        """The same install with its bot token refreshed and saved when it is about to expire."""
        if self.rotator is None or not found.bot_refresh_token:
            return found
        assert self.store is not None
        minutes = self.rotate_minutes_before
        refreshed: Installation | Bot | None
        if isinstance(found, Installation):  # the installation row and its bot row, as Bolt saves them
            refreshed = self.rotator.perform_token_rotation(
                installation=found, minutes_before_expiration=minutes
            )
            save: Callable[[Any], None] = self.store.save
        else:
            refreshed = self.rotator.perform_bot_token_rotation(bot=found, minutes_before_expiration=minutes)
            save = self.store.save_bot
        if refreshed is None:
            return found
        save(refreshed)
        log.info("refreshed the bot token of %s/%s", found.enterprise_id, found.team_id)
        return refreshed

    def enterprise_of(self, team_id: str) -> str | None:
        """The organisation a workspace belongs to: as recorded with its subscriptions, or else as recorded
        with its own install (rows made before organisations were recorded)."""
        with self.sessions() as session:
            recorded = session.scalar(
                select(Subscription.enterprise_id)
                .where(Subscription.team_id == team_id, Subscription.enterprise_id.is_not(None))
                .limit(1)
            )
        if recorded is not None:
            return recorded
        sql_store = _sqlalchemy_store(self.store) if self.store is not None else None
        if sql_store is None:
            return None
        bots = sql_store.bots
        with sql_store.engine.connect() as conn:
            row = conn.execute(
                select(bots.c.enterprise_id)
                .where(bots.c.client_id == sql_store.client_id, bots.c.team_id == team_id)
                .order_by(desc(bots.c.installed_at))
                .limit(1)
            ).first()
        return None if row is None else row[0]
