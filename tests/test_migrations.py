"""The schema comes only from migrations, and the migrations match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.oauth import slack_metadata
from briefings.db import make_engine, upgrade
from briefings.models import Base, compared_on


def test_upgrade_head_on_empty_database_matches_models(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": compared_on(conn.dialect.name)}
            ctx = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(ctx, [Base.metadata, slack_metadata])
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert {"feeds", "articles", "companies", "subscriptions", "deliveries"} <= tables
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables


def test_upgrade_is_idempotent(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)
