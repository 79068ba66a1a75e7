"""`briefings analyze`: JSON lines in, one JSON line out per input, in input order, deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefings.cli import app
from briefings.cli.common import UserError
from briefings.cli.digest import title_from_text
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
    ("bad", "message"),
    [
        ("not json", "JSON이 아닙니다"),
        ('{"title": "no id"}', "id"),
        ('{"id": 2, "title": "", "body": ""}', "비어 있습니다"),
        ('{"id": 1, "title": "b"}', "중복"),
        ("[1, 2]", "JSON 객체가 아닙니다"),
        ('{"id": 2, "title": "a", "published": "yesterday"}', "published"),
        ('{"id": 2, "title": "a", "body": 5}', "body"),
    ],
)
def test_a_bad_line_gets_an_error_object_and_the_rest_is_analysed(bad: str, message: str) -> None:
    good = json.dumps(LINES[0], ensure_ascii=False)
    stdin = '{"id": 1, "title": "삼성전자, 5G 장비 공개"}\n' + bad + "\n" + good + "\n"
    result = CliRunner().invoke(app, ["analyze"], input=stdin)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["id"] == 1 and "companies" in rows[0]
    assert set(rows[1]) == {"line", "id", "error"} and rows[1]["line"] == 2
    assert rows[1]["error"].startswith("2번째 줄: ") and message in rows[1]["error"]
    assert rows[2]["id"] == "a" and {c["name"] for c in rows[2]["companies"]} >= {"화웨이", "삼성전자"}


def test_the_error_reaches_the_operator_as_one_korean_line_and_a_non_zero_exit() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "analyze", "-"],
        input='{"id": 1, "title": "ok"}\nnot json\n',
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows[0]["id"] == 1 and rows[1] == {"line": 2, "id": None, "error": rows[1]["error"]}
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("오류:") and "1개 줄" in lines[0]
    assert "Traceback" not in proc.stderr


def test_a_text_without_a_headline_takes_it_from_its_first_line_or_sentence() -> None:
    pasted = {"id": "p", "body": "화웨이, 삼성전자와 5G 협력\n화웨이는 1일 삼성전자와 업무협약을 맺었다."}
    paragraph = {
        "id": "q",
        "title": "  ",
        "body": "삼성전자가 1일 새 폴더블폰을 공개했다. 가격은 지난해와 같다.",
    }
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in (pasted, paragraph))
    result = CliRunner().invoke(app, ["analyze"], input=stdin)
    assert result.exit_code == 0, result.stdout
    p, q = (json.loads(line) for line in result.stdout.splitlines())
    assert p["title"] == "화웨이, 삼성전자와 5G 협력"
    assert {c["name"] for c in p["companies"]} == {"화웨이", "삼성전자"}
    assert q["title"] == "삼성전자가 1일 새 폴더블폰을 공개했다."
    assert [c["name"] for c in q["companies"]] == ["삼성전자"]


def test_title_from_text_cuts_a_long_first_sentence_at_a_word() -> None:
    long = "가" * 50 + " " + "나" * 100
    title, body = title_from_text(long)
    assert title == "가" * 50 + "…" and body == long
    assert title_from_text("") == ("", "")


def test_decomposed_hangul_is_normalised_before_analysis() -> None:
    nfd = unicodedata.normalize("NFD", "삼성전자, 새 반도체 공장 착공")
    assert nfd != "삼성전자, 새 반도체 공장 착공"
    result = CliRunner().invoke(app, ["analyze"], input=json.dumps({"id": 1, "title": nfd}) + "\n")
    assert result.exit_code == 0
    row = json.loads(result.stdout)
    assert row["title"] == "삼성전자, 새 반도체 공장 착공"
    assert [c["name"] for c in row["companies"]] == ["삼성전자"]


def test_a_missing_file_is_an_error() -> None:
    result = CliRunner().invoke(app, ["analyze", "/nonexistent/in.jsonl"])
    assert isinstance(result.exception, UserError) and "파일이 없습니다" in str(result.exception)
