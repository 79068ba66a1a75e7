"""The schema comes only from migrations, and the migrations match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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
    assert {"feeds", "articles", "companies", "subscriptions", "deliveries", "hour_first_ids"} <= tables
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables


def test_upgrade_is_idempotent(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)


_STORY = (
    "INSERT INTO stories (id, headline, url, first_outlet, first_published_at, last_published_at, "
    "outlets_count, articles_count, exclusive, outlets, themes, keywords, updated_at) "
    "VALUES (:id, 'h', 'u', 'o', :at, :at, 1, 1, false, '[]', '[]', '[]', :at)"
)
_ARTICLE = (
    "INSERT INTO articles (id, url, url_key, title_key, outlet, title, summary, published_at, seen_at) "
    "VALUES (:id, 'u', :key, 'k', 'o', 't', '', :at, :at)"
)


def _hour_first_ids(url: str) -> dict[str, tuple[int | None, int | None]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT hour, story_id, article_id FROM hour_first_ids")).all()
    finally:
        engine.dispose()
    # SQLite gives the stored text, PostgreSQL a datetime: compared as "YYYY-MM-DD HH".
    return {str(hour)[:13]: (story, article) for hour, story, article in rows}


def test_hour_first_ids_are_backfilled_then_kept_by_every_write(empty_url: str) -> None:
    """Rows stored before 0019 get their hours' bounds from the migration; rows written after, from
    the database itself, whoever writes them (here plain SQL, as a bulk load does)."""
    upgrade(empty_url, "0018")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            for sid, at in (
                (5, "2026-11-20 23:10:00"),
                (3, "2026-11-20 23:50:00"),
                (7, "2026-11-21 01:00:00"),
            ):
                conn.execute(text(_STORY), {"id": sid, "at": at})
            for aid, at in (
                (12, "2026-11-21 01:20:00"),
                (10, "2026-11-19 22:00:00"),
                (11, "2026-11-21 01:40:00"),
            ):
                conn.execute(text(_ARTICLE), {"id": aid, "key": f"k{aid}", "at": at})
    finally:
        engine.dispose()
    upgrade(empty_url)
    assert _hour_first_ids(empty_url) == {
        "2026-11-19 22": (None, 10),
        "2026-11-20 23": (3, None),
        "2026-11-21 01": (7, 11),
    }
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(_STORY), {"id": 9, "at": "2026-11-22 03:00:00"})  # a new hour
            conn.execute(text(_STORY), {"id": 8, "at": "2026-11-21 01:05:00"})  # a later id: no change
            # A story of 23 h takes a later article: the bound of 1 h drops to its id; that of 23 h
            # stays (a looser bound, never a wrong one).
            conn.execute(text("UPDATE stories SET last_published_at = '2026-11-21 01:30:00' WHERE id = 5"))
            # The same hour again: nothing to lower.
            conn.execute(text("UPDATE stories SET last_published_at = '2026-11-22 03:40:00' WHERE id = 9"))
            conn.execute(text(_ARTICLE), {"id": 13, "key": "k13", "at": "2026-11-18 12:00:00"})
    finally:
        engine.dispose()
    assert _hour_first_ids(empty_url) == {
        "2026-11-18 12": (None, 13),
        "2026-11-19 22": (None, 10),
        "2026-11-20 23": (3, None),
        "2026-11-21 01": (5, 11),
        "2026-11-22 03": (9, None),
    }
