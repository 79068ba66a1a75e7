"""`briefings analyze`: JSON lines in, one JSON line out per input, in input order, deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefings.cli import app
from briefings.cli.common import UserError
from tests.digest.helpers import shared_digester

pytestmark = pytest.mark.kiwi

ROOT = Path(__file__).resolve().parents[2]

LINES = [
    {
        "id": "a",
        "title": "[단독] 화웨이, 삼성전자와 5G 업무협약 체결",
        "body": "[서울=뉴시스]홍길동 기자 = 화웨이는 1일 삼성전자와 "
        "5G 통신장비 업무협약(MOU)을 체결했다고 밝혔다. "
        "양사는 클라우드 분야에서도 협력한다. 화웨이 관계자는 한국 시장을 중시한다고 말했다.",
        "published": "2024-05-01T01:00:00Z",
        "outlet": "뉴시스",
        "url": "https://example.com/a",
    },
    {"id": 7, "title": "여름철 애플망고 빙수 인기", "body": "호텔 빙수 가격이 올랐다."},
    {
        "id": "c",
        "title": "화웨이·삼성전자, 5G 협력 MOU",
        "body": "(서울=연합뉴스) 김철수 기자 = 화웨이는 1일 "
        "삼성전자와 5G 통신장비 업무협약(MOU)을 체결했다고 밝혔다. "
        "양사는 클라우드 분야에서도 협력한다. 화웨이 관계자는 한국 시장을 중시한다고 말했다.",
        "published": "2024-05-01T03:00:00+00:00",
    },
]


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    shared_digester()  # Kiwi and the registry's user words, once for the module


def run(args: list[str], stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(app, args, input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_one_line_out_per_input_in_input_order(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in LINES) + "\n\n", encoding="utf-8")
    code, out = run(["analyze", str(path)])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", 7, "c"]
    a, mango, c = rows
    assert {x["name"] for x in a["companies"]} == {"화웨이", "삼성전자"}
    samsung = next(x for x in a["companies"] if x["name"] == "삼성전자")
    assert samsung == {
        "name": "삼성전자",
        "name_en": samsung["name_en"],
        "ticker": "005930",
        "primary": True,
        "salience": samsung["salience"],
        "mentions": samsung["mentions"],
    }
    assert samsung["name_en"].startswith("Samsung") and samsung["mentions"] >= 2
    assert {"alliance", "telecom"} <= set(a["themes"])
    assert mango["companies"] == [] and mango["themes"] == []
    assert a["story"] == "a" and c["story"] == "a" and mango["story"] == 7
    assert c["duplicate_of"] == "a" and a["duplicate_of"] is None and mango["duplicate_of"] is None


def test_stdin_and_dash_give_the_same_deterministic_output(tmp_path: Path) -> None:
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in LINES)
    first = run(["analyze"], text)
    assert first[0] == 0 and len(first[1].splitlines()) == 3
    assert run(["analyze", "-"], text) == first
    assert run(["analyze"], text) == first


def test_empty_input_prints_nothing() -> None:
    assert run(["analyze"], "\n \n") == (0, "")


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"id": 1, "title": "ok"}\nnot json\n', "2번째 줄"),
        ('{"id": 1, "title": "ok"}\n{"title": "no id"}\n', "2번째 줄"),
        ('{"id": 1, "title": ""}\n', "1번째 줄"),
        ('{"id": 1, "title": "a"}\n{"id": 1, "title": "b"}\n', "중복"),
        ("[1, 2]\n", "1번째 줄"),
        ('{"id": 1, "title": "a", "published": "yesterday"}\n', "1번째 줄"),
        ('{"id": 1, "title": "a", "body": 5}\n', "1번째 줄"),
    ],
)
def test_a_bad_line_is_an_error_naming_the_line(stdin: str, message: str) -> None:
    result = CliRunner().invoke(app, ["analyze"], input=stdin)
    assert isinstance(result.exception, UserError)
    assert message in str(result.exception)
    assert result.stdout == ""


def test_the_error_reaches_the_operator_as_one_korean_line_and_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "analyze", "-"],
        input='{"id": 1, "title": "ok"}\nnot json\n',
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("오류:") and "2번째 줄" in lines[0]
    assert "Traceback" not in proc.stderr


def test_a_missing_file_is_an_error() -> None:
    result = CliRunner().invoke(app, ["analyze", "/nonexistent/in.jsonl"])
    assert isinstance(result.exception, UserError) and "파일이 없습니다" in str(result.exception)
