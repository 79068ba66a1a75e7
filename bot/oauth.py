"""Slack's OAuth installation and state stores, kept in our own database.

slack_sdk defines the tables; `slack_metadata` describes the same tables so that our Alembic
migrations create them (the stores' own `create_tables()` is never called: the schema is made only
by migrations).
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, String

from bot.encrypted_store import EncryptedInstallationStore, fernet_for

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name
STATE_EXPIRATION_SECONDS = 600
# Room for Fernet-encrypted tokens (SLACK_TOKEN_KEY): slack_sdk's 200 characters fit Slack's own tokens
# only. The store's queries do not depend on the length, so only the schema is widened.
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
TOKEN_LENGTH = 1000


def _build_metadata() -> MetaData:
    metadata = MetaData()
    installations = SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    bots = SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)
    for table in (installations, bots):
        for column in table.c:
            if column.name in TOKEN_COLUMNS:
                column.type = String(TOKEN_LENGTH)
    return metadata


slack_metadata = _build_metadata()


def installation_store(
    client_id: str, engine: Engine, token_key: str | None = None
) -> EncryptedInstallationStore:
    """slack_sdk's SQLAlchemy store, encrypting tokens when a key is given (`TokenKeyError` if malformed)."""
    fernet = fernet_for(token_key) if token_key else None
    return EncryptedInstallationStore(SQLAlchemyInstallationStore(client_id=client_id, engine=engine), fernet)


def state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    return SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine)
