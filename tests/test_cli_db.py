"""`briefings db upgrade` makes the schema and brings the packaged company registry with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from briefings.cli import app
from briefings.cli import common as cli_common
from briefings.companies import resolve_company
from briefings.db import make_engine, make_sessionmaker
from briefings.models import Company

runner = CliRunner()


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    cli_common.reset()
    yield url
    cli_common.reset()


def test_upgrade_seeds_registry_once_so_lookups_resolve(empty_db: str) -> None:
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "회사 레지스트리" in first.output
    second = runner.invoke(app, ["db", "upgrade"])
    assert second.exit_code == 0 and "회사 레지스트리" not in second.output

    engine = make_engine(empty_db)
    try:
        with make_sessionmaker(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Company)) >= 300
            found = resolve_company(session, "화훼이")
            assert found.company is not None and found.company.name == "화웨이"
    finally:
        engine.dispose()
