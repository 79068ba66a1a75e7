"""Tokens at rest are encrypted with SLACK_TOKEN_KEY, and no token reaches a log or an error line."""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.app import build_app
from bot.encrypted_store import TokenKeyError, new_key
from bot.oauth import installation_store
from bot.tokens import BotTokens, ConfigError, engine_of
from briefings import redact
from tests.fakes.slack_api import FakeSlack, Reply
from tests.fakes.slack_auth import Install
from tests.slack.conftest import CLIENT_ID, install, oauth_settings


def _raw_tokens(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        rows = session.execute(text("SELECT bot_token, user_token FROM slack_installations")).all()
        rows += session.execute(text("SELECT bot_token, NULL FROM slack_bots")).all()
    return [value for row in rows for value in row if value]


def test_tokens_are_stored_encrypted_and_read_back_only_with_the_key(
    fake: FakeSlack, sessions: sessionmaker[Session]
) -> None:
    key = new_key()
    engine = engine_of(sessions)
    store = installation_store(CLIENT_ID, engine, key)
    install(store, "TK", "xoxb-secret-bot", user_token="xoxp-secret-user")
    raw = _raw_tokens(sessions)
    assert len(raw) == 3
    assert all(value.startswith("fernet:") and "secret" not in value for value in raw)

    bot = store.find_bot(enterprise_id=None, team_id="TK")
    assert bot is not None and bot.bot_token == "xoxb-secret-bot"
    found = store.find_installation(enterprise_id=None, team_id="TK")
    assert found is not None and found.user_token == "xoxp-secret-user"
    # The worker reads it through the same store and posts with the plain token.
    settings = oauth_settings(fake, sessions, slack_token_key=key)
    assert BotTokens(settings, sessions).token_for("TK") == "xoxb-secret-bot"

    with pytest.raises(TokenKeyError, match="다른 키"):
        installation_store(CLIENT_ID, engine, new_key()).find_bot(enterprise_id=None, team_id="TK")
    with pytest.raises(TokenKeyError, match="SLACK_TOKEN_KEY를 설정"):
        installation_store(CLIENT_ID, engine).find_installation(enterprise_id=None, team_id="TK")


def test_tokens_saved_before_the_key_was_set_stay_readable(
    fake: FakeSlack, sessions: sessionmaker[Session]
) -> None:
    engine = engine_of(sessions)
    install(installation_store(CLIENT_ID, engine), "TP", "xoxb-plain")
    bot = installation_store(CLIENT_ID, engine, new_key()).find_bot(enterprise_id=None, team_id="TP")
    assert bot is not None and bot.bot_token == "xoxb-plain"


def test_a_malformed_key_stops_the_app_with_one_line(
    fake: FakeSlack, sessions: sessionmaker[Session]
) -> None:
    settings = oauth_settings(fake, sessions, slack_token_key="not-a-key")
    with pytest.raises(ConfigError, match="SLACK_TOKEN_KEY가 올바르지 않습니다"):
        build_app(settings, sessions=sessions)


def test_a_failing_refresh_logs_no_token_and_no_secret(
    fake: FakeSlack, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    redact.install()
    settings = oauth_settings(fake, sessions)
    store = installation_store(CLIENT_ID, engine_of(sessions))
    fake.install = Install(team_id="TL", rotating=True)
    # Install through the fake so it holds the refresh token, then let the refresh fail.
    answer = WebClient(base_url=fake.api_url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret="shh", code="c"
    )
    store.save(
        Installation(
            app_id="A0001",
            team_id="TL",
            user_id="U1",
            bot_token=answer["access_token"],
            bot_refresh_token=answer["refresh_token"],
            bot_token_expires_in=60,  # about to expire: the worker refreshes it
            bot_user_id="UBOT",
        )
    )
    fake.script("oauth.v2.access", Reply(200, error="invalid_refresh_token"))
    caplog.set_level(logging.DEBUG)
    token = BotTokens(settings, sessions, store=store).token_for("TL")
    assert token == answer["access_token"]  # still the current one: it has not expired yet
    assert "could not refresh the bot token" in caplog.text
    assert "Sending a request" in caplog.text  # slack_sdk's debug line with the request body was logged
    for secret in (answer["access_token"], answer["refresh_token"], "shh"):
        assert secret not in caplog.text
