"""`briefings companies add|alias|list|seed` against a real database, as an operator uses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.companies.conftest import run


def listed(*args: str) -> list[dict[str, object]]:
    code, out, err = run("companies", "list", "--json", *args)
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_seed_then_list_and_query(cli_db: str) -> None:
    code, out, _ = run("companies", "seed")
    assert code == 0 and "반영" in out
    code, out, _ = run("companies", "seed")
    assert code == 0 and "0건 변경" in out
    rows = listed()
    assert len(rows) >= 300
    [samsung] = listed("--query", "005930")
    assert samsung["name"] == "삼성전자" and samsung["market"] == "KOSPI" and samsung["source"] == "registry"
    assert {"alias": "삼성電", "needs_context": False} in samsung["aliases"]  # type: ignore[operator]
    assert [r["name"] for r in listed("--query", "화훼이")] == ["화웨이"]  # a typo still finds it
    code, out, _ = run("companies", "list", "--query", "화웨이")
    assert code == 0 and "화웨이" in out and "華爲" in out


def test_operator_adds_a_company_and_aliases(cli_db: str) -> None:
    code, out, _ = run(
        "companies", "add", "딥마인드", "--en", "DeepMind", "--country", "GB", "--alias", "구글 딥마인드"
    )
    assert code == 0 and "딥마인드" in out
    code, out, _ = run("companies", "alias", "딥마인드", "딥마", "--needs-context")
    assert code == 0 and "문맥" in out
    [row] = listed("--query", "딥마인드")
    assert row["source"] == "operator" and row["country"] == "GB" and row["kind"] == "company"
    assert row["aliases"] == [
        {"alias": "구글 딥마인드", "needs_context": False},
        {"alias": "딥마", "needs_context": True},
    ]
    code, _, _ = run("companies", "add", "메그비", "--ticker", "0700", "--market", "HKEX", "--country", "CN")
    assert code == 0
    [megvii] = listed("--query", "메그비")
    assert megvii["ticker"] == "0700" and megvii["market"] == "HKEX"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("companies", "alias", "없는회사", "별칭"), "등록되지 않은 회사"),
        (("companies", "add", "새회사", "--ticker", "12", "--market", "KOSPI"), "종목코드"),
        (("companies", "add", "새회사", "--alias", "화웨이"), "이미 등록된 이름"),
        (("companies", "alias", "화웨이", "샤오미"), "다른 회사"),
        (("companies", "list", "--query", "전혀없는회사이름"), "찾는 회사가 없습니다"),
    ],
)
def test_bad_input_is_one_korean_error(cli_sqlite: str, args: tuple[str, ...], message: str) -> None:
    assert run("companies", "seed")[0] == 0
    code, _, error = run(*args)
    assert code != 0 and message in error


def test_errors_reach_the_terminal_as_one_line_and_exit_2(sqlite_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": sqlite_url}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "companies", "alias", "없는회사", "별칭"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "등록되지 않은 회사" in done.stderr
    assert "Traceback" not in done.stderr
