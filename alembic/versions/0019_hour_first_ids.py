"""hour first ids: each hour's lower bound of story and article ids, kept by triggers

A search reads its stories and postings from the first id of its window's first hour. Finding that
id took `min(id)` over every row since (20-60 ms for a day or two, 150-400 ms for 30 days on
PostgreSQL at a million articles, for each answer reaching back to an hour not asked before); this
table holds it per hour instead, so a window's bound is the least of its hours' rows.

Triggers keep it, so every writer does (the gatherer's inserts, the digester's story updates, bulk
loads): a new row, or a row moved to another hour, lowers that hour's bound to its id when smaller.
They look before they write, so an hour's row is locked only by the rare write that lowers it.
They are created before the backfill, which then sees every row committed before them.

Hours are stored as the models store times (naive UTC; on SQLite the text SQLAlchemy writes), so a
window's start compares with them as it does with the dates themselves.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, its date column, the bound's column in hour_first_ids)
_KEPT = (("stories", "last_published_at", "story_id"), ("articles", "published_at", "article_id"))


def _hour(dialect: str, value: str) -> str:
    if dialect == "postgresql":
        return f"date_trunc('hour', {value})"
    return f"strftime('%Y-%m-%d %H:00:00.000000', {value})"


def _pg_triggers(table: str, stamp: str, bound: str) -> list[str]:
    function = f"hour_first_ids_{table}"
    hour = _hour("postgresql", f"NEW.{stamp}")
    return [
        f"""
        CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (
                SELECT 1 FROM hour_first_ids WHERE hour = {hour} AND {bound} <= NEW.id
            ) THEN
                INSERT INTO hour_first_ids AS h (hour, {bound}) VALUES ({hour}, NEW.id)
                ON CONFLICT (hour) DO UPDATE SET {bound} = LEAST(h.{bound}, EXCLUDED.{bound});
            END IF;
            RETURN NULL;
        END $$
        """,
        f"CREATE TRIGGER {function}_insert AFTER INSERT ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {function}_moved AFTER UPDATE OF {stamp} ON {table} FOR EACH ROW "
        f"WHEN ({_hour('postgresql', f'OLD.{stamp}')} IS DISTINCT FROM {hour}) "
        f"EXECUTE FUNCTION {function}()",
    ]


def _sqlite_triggers(table: str, stamp: str, bound: str) -> list[str]:
    hour = _hour("sqlite", f"NEW.{stamp}")
    lower = f"""
        INSERT INTO hour_first_ids (hour, {bound}) VALUES ({hour}, NEW.id)
        ON CONFLICT (hour) DO UPDATE
        SET {bound} = min(coalesce({bound}, excluded.{bound}), excluded.{bound});
    """
    # A date SQLite cannot read has no hour: left out rather than failing the write.
    needed = (
        f"{hour} IS NOT NULL AND "
        f"NOT EXISTS (SELECT 1 FROM hour_first_ids WHERE hour = {hour} AND {bound} <= NEW.id)"
    )
    return [
        f"CREATE TRIGGER hour_first_ids_{table}_insert AFTER INSERT ON {table} "
        f"WHEN {needed} BEGIN {lower} END",
        f"CREATE TRIGGER hour_first_ids_{table}_moved AFTER UPDATE OF {stamp} ON {table} "
        f"WHEN {_hour('sqlite', f'OLD.{stamp}')} IS NOT {hour} AND {needed} BEGIN {lower} END",
    ]


def upgrade() -> None:
    op.create_table(
        "hour_first_ids",
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("story_id", sa.BigInteger(), nullable=True),
        sa.Column("article_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_hour_first_ids")),
    )
    dialect = op.get_bind().dialect.name
    pg = dialect == "postgresql"
    for table, stamp, bound in _KEPT:
        for statement in (_pg_triggers if pg else _sqlite_triggers)(table, stamp, bound):
            op.execute(statement)
    for table, stamp, bound in _KEPT:
        hour = _hour(dialect, stamp)
        least = (
            f"LEAST(h.{bound}, EXCLUDED.{bound})"
            if pg
            else f"min(coalesce(h.{bound}, excluded.{bound}), excluded.{bound})"
        )
        # (SQLite's parser needs a WHERE between a SELECT and its ON CONFLICT.)
        op.execute(
            f"INSERT INTO hour_first_ids AS h (hour, {bound}) "
            f"SELECT {hour}, min(id) FROM {table} WHERE {hour} IS NOT NULL GROUP BY {hour} "
            f"ON CONFLICT (hour) DO UPDATE SET {bound} = {least}"
        )


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for table, _stamp, _bound in _KEPT:
        for which in ("insert", "moved"):
            name = f"hour_first_ids_{table}_{which}"
            op.execute(f"DROP TRIGGER {name} ON {table}" if pg else f"DROP TRIGGER {name}")
        if pg:
            op.execute(f"DROP FUNCTION hour_first_ids_{table}()")
    op.drop_table("hour_first_ids")
