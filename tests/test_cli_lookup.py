"""`briefings lookup`: the /news answer in the terminal, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from briefings.db import make_engine, make_sessionmaker
from tests.bot.seed import seed_world


def _run(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "lookup", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def seeded(sqlite_url: str) -> str:
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        # The seed's stories are dated relative to now so that the CLI's real clock sees them as recent.
        from briefings.timeutil import utcnow

        seed_world(session, now=utcnow())
    engine.dispose()
    return sqlite_url


def test_lookup_prints_the_company_answer_as_json_and_table(seeded: str) -> None:
    done = _run(seeded, "화훼이", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "found" and out["company"]["name"] == "화웨이"
    assert out["stories"][0]["headline"] == "화웨이, 새 AI 칩 어센드 공개"
    assert out["stories"][0]["outlets_count"] == 12
    table = _run(seeded, "005930", "--days", "3")
    assert table.returncode == 0 and "삼성전자 갤럭시 판매 호조" in table.stdout


def test_lookup_ambiguous_lists_candidates(seeded: str) -> None:
    out = json.loads(_run(seeded, "LG", "--json").stdout)
    assert out["status"] == "ambiguous"
    assert {c["name"] for c in out["candidates"]} == {"LG", "LG전자", "LG유플러스"}


@pytest.mark.parametrize(("args", "expected"), [(["   "], "회사 이름을 입력"), (["가" * 250], "너무 깁니다")])
def test_lookup_bad_input_is_one_line_and_exit_2(seeded: str, args: list[str], expected: str) -> None:
    done = _run(seeded, *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1
