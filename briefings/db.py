"""Engines, sessions and schema upgrades. The schema is made only by Alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, create_engine, event, insert
from sqlalchemy.orm import Session, sessionmaker

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"

# Values per `IN (...)`: far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535, so no
# statement ever carries an unbounded list.
IN_CHUNK = 500

T = TypeVar("T")


def in_chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`, one statement each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Rows of plain values (numbers, strings, booleans: what every driver takes as they are) inserted
    by the driver's own executemany, in the session's transaction.

    SQLAlchemy builds and processes a parameter dictionary per row of an executemany, which for the
    digest's tens of search-term rows per article cost more than the database's writing them.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.paramstyle == "qmark":
        marks = ", ".join("?" for _ in columns)
    elif dialect.paramstyle in ("format", "pyformat"):
        marks = ", ".join("%s" for _ in columns)
    else:  # a driver whose placeholders are not written here: SQLAlchemy's own statement
        session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    names = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    sql = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({marks})"
    session.connection().exec_driver_sql(sql, list(rows))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """SQLite gets WAL, foreign keys and a busy timeout, so a bot and a scheduler can share one file."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # A bigger page cache for lookups over a large file. No memory map: every page of the file
            # read through it stays in the process's resident memory (up to the map's size), which
            # then grows with the database instead of staying flat.
            cur.execute("PRAGMA mmap_size=0")
            cur.execute("PRAGMA cache_size=-32768")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit on success, roll back on error: nothing half-written survives a failure."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)
