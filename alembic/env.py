"""Alembic environment: the URL comes from the caller's config or from briefings' Settings."""

from __future__ import annotations

from alembic import context

from bot.oauth import slack_metadata
from briefings.config import get_settings
from briefings.db import make_engine
from briefings.models import Base, compared_on

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().db_url
# Our models plus slack_sdk's OAuth installation/state tables: both are created only by migrations.
target_metadata = [Base.metadata, slack_metadata]


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=compared_on(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
