"""Fixtures of the company directory tests: one Kiwi for the whole session (it takes seconds to load),
and the command line pointed at a test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from briefings.cli import app
from briefings.cli import common as cli_common
from briefings.cli.common import UserError
from briefings.digest.nlp import KoreanNLP, get_nlp

runner = CliRunner()


@pytest.fixture(scope="session")
def nlp() -> KoreanNLP:
    return get_nlp()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI reads its database from the environment, as an operator's shell gives it."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_common.reset()
    yield db_url
    cli_common.reset()


@pytest.fixture
def cli_sqlite(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SQLite only: for tests whose subject is the command line, not the database."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    cli_common.reset()
    yield sqlite_url
    cli_common.reset()


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, standard output and the one-line error of a command."""
    result = runner.invoke(app, list(args))
    error = str(result.exception) if isinstance(result.exception, UserError) else ""
    if result.exception and not isinstance(result.exception, (SystemExit, UserError)):
        raise result.exception
    return result.exit_code, result.stdout, error
