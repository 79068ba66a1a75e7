"""Shared fixtures: migrated databases on SQLite always, and on PostgreSQL when TEST_DATABASE_URL is set.

Each test gets its own database copied from a template migrated once per session, so tests (and
several test runs at once) never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from briefings.db import make_engine, make_sessionmaker, upgrade

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def shared_path(*parts: str) -> Path:
    """A file or folder of ../shared: a clean skip where it is absent, a failure under CI=true.

    CI always has ../shared beside the clone, so a missing file there is a broken path, not an
    absent folder, and must not pass silently as a skip.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but shared data is missing: {path}")
        pytest.skip(f"shared data not available: {path}")
    return path


def process_env(home: Path, **values: str) -> dict[str, str]:
    """The environment of a `briefings` process a test starts: only what a process needs, plus `values`.

    Nothing of the developer's environment leaks in; run the process in an empty directory (`cwd`) so
    no `.env` is read either.
    """
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8", "NO_COLOR": "1"}
    env["COLUMNS"] = "200"
    env.update(values)
    return env


def corpus_path(*parts: str) -> Path:
    """A file or folder of ../shared/corpus (see `shared_path`)."""
    return shared_path("corpus", *parts)


def _pg_admin() -> Engine:
    assert PG_URL
    return make_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=None)


def _pg_url_for(dbname: str) -> str:
    assert PG_URL
    return make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"briefings_tpl_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_url_for(name))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_pg_database(template: str | None = None) -> str:
    """A fresh PostgreSQL database (a copy of `template` when given); returns its name."""
    name = f"briefings_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    admin.dispose()
    return name


def drop_pg_database(name: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "briefings.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = new_pg_database(template)
    try:
        yield _pg_url_for(name)
    finally:
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database of each kind that no migration has touched yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = new_pg_database()
    try:
        yield _pg_url_for(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database only: for tests whose subject is not the database."""
    path = tmp_path / "briefings.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)
