"""Slack tokens encrypted at rest: a wrapper around slack_sdk's installation store.

Bot and user tokens and their refresh tokens are Fernet-encrypted (`cryptography`) on save and
decrypted on find, so a copy of the database (a backup, a replica, a support dump) holds no usable
token without `SLACK_TOKEN_KEY`. Values written before the key was set stay readable and are
encrypted the next time they are saved (a refresh, a reinstall).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from logging import Logger
from typing import TypeVar

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore

PREFIX = "fernet:"
BOT_FIELDS = ("bot_token", "bot_refresh_token")
INSTALLATION_FIELDS = (*BOT_FIELDS, "user_token", "user_refresh_token")

Entity = TypeVar("Entity", Installation, Bot)


class TokenKeyError(ValueError):
    """SLACK_TOKEN_KEY is malformed, missing, or not the key the tokens were saved with."""


def new_key() -> str:
    """A fresh key for SLACK_TOKEN_KEY."""
    return Fernet.generate_key().decode("ascii")


def fernet_for(key: str) -> Fernet:
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise TokenKeyError(
            "SLACK_TOKEN_KEY가 올바르지 않습니다: Fernet 키(URL-safe base64 32바이트)여야 합니다 "
            "(만들기: `briefings token-key`)."
        ) from None


def encrypt(fernet: Fernet | None, value: str | None) -> str | None:
    if fernet is None or not value or value.startswith(PREFIX):
        return value
    return PREFIX + fernet.encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(fernet: Fernet | None, value: str | None) -> str | None:
    if not value or not value.startswith(PREFIX):
        return value
    if fernet is None:
        raise TokenKeyError("저장된 Slack 토큰이 암호화되어 있습니다: SLACK_TOKEN_KEY를 설정하세요.")
    try:
        return fernet.decrypt(value.removeprefix(PREFIX).encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise TokenKeyError(
            "SLACK_TOKEN_KEY로 저장된 Slack 토큰을 풀 수 없습니다: 토큰을 저장할 때와 다른 키입니다."
        ) from None


def _converted(
    entity: Entity, fields: tuple[str, ...], convert: Callable[[str | None], str | None]
) -> Entity:
    out = copy.copy(entity)
    for name in fields:
        setattr(out, name, convert(getattr(entity, name, None)))
    return out


class EncryptedInstallationStore(InstallationStore):
    """Encrypts on save, decrypts on find; deletions go straight to the wrapped store. Without a key
    (`fernet` None) tokens are saved as they are, and an encrypted one found is a clear error."""

    def __init__(self, inner: InstallationStore, fernet: Fernet | None) -> None:
        self.inner = inner
        self.fernet = fernet

    @property
    def logger(self) -> Logger:
        logger: Logger = self.inner.logger
        return logger

    def _enc(self, value: str | None) -> str | None:
        return encrypt(self.fernet, value)

    def _dec(self, value: str | None) -> str | None:
        return decrypt(self.fernet, value)

    def save(self, installation: Installation) -> None:
        self.inner.save(_converted(installation, INSTALLATION_FIELDS, self._enc))

    def save_bot(self, bot: Bot) -> None:
        self.inner.save_bot(_converted(bot, BOT_FIELDS, self._enc))

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        bot = self.inner.find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return None if bot is None else _converted(bot, BOT_FIELDS, self._dec)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self.inner.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else _converted(found, INSTALLATION_FIELDS, self._dec)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self.inner.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_all(enterprise_id=enterprise_id, team_id=team_id)
