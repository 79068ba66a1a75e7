"""No traceback reaches an operator: every command, fed bad input, answers one short Korean line.

Each case is a real `briefings` process with an environment built here (in an empty directory, so
no `.env` is read), against a migrated database. A line that only wraps an unforeseen exception
("예상하지 못한 오류") fails the test as surely as a traceback: every bad input must be foreseen.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer

from briefings.cli.common import run_guarded
from briefings.db import make_engine, make_sessionmaker
from tests.bot.seed import seed_world
from tests.conftest import process_env

HUGE = "가" * 20_000  # 60 kB: well past any field, still under the kernel's limit for one argument
TOKENS = {"SLACK_BOT_TOKEN": "xoxb-1-test", "SLACK_SIGNING_SECRET": "secret"}

CASES: list[tuple[str, tuple[str, ...], dict[str, str]]] = [
    # name, arguments, extra environment
    ("unknown command", ("nope",), {}),
    ("unknown option", ("fetch", "--bogus"), {}),
    ("extra argument", ("digest", "extra"), {}),
    ("db: unknown revision", ("db", "upgrade", "nope"), {}),
    ("feeds add: empty", ("feeds", "add", ""), {}),
    ("feeds add: not a URL", ("feeds", "add", "피드 주소"), {}),
    ("feeds add: ftp", ("feeds", "add", "ftp://news.example.kr/rss"), {}),
    ("feeds add: huge URL", ("feeds", "add", "https://news.example.kr/" + HUGE), {}),
    ("feeds remove: unknown id", ("feeds", "remove", "99999"), {}),
    ("feeds remove: empty", ("feeds", "remove", ""), {}),
    ("feeds remove: huge", ("feeds", "remove", HUGE), {}),
    ("lookup: empty", ("lookup", ""), {}),
    ("lookup: huge", ("lookup", HUGE), {}),
    ("lookup: control characters", ("lookup", "화웨이\x07"), {}),
    ("lookup: days out of range", ("lookup", "화웨이", "--days", "0"), {}),
    ("lookup: days not a number", ("lookup", "화웨이", "--days", "일주일"), {}),
    ("brief: empty team", ("brief", "--team", "", "--channel", "C1"), {}),
    ("brief: channel name", ("brief", "--team", "T1", "--channel", "#general"), {}),
    ("brief: impossible date", ("brief", "--team", "T1", "--channel", "C1", "--date", "2026-02-30"), {}),
    ("brief: word for a date", ("brief", "--team", "T1", "--channel", "C1", "--date", "어제"), {}),
    ("brief: huge team", ("brief", "--team", HUGE, "--channel", "C1"), {}),
    ("deliver: without --now", ("deliver",), {}),
    ("deliver: without a token", ("deliver", "--now"), {}),
    ("deliver: bad time", ("deliver", "--now", "--at", "어제 아침"), TOKENS),
    ("alerts: without --now", ("alerts",), {}),
    ("alerts: without a token", ("alerts", "--now"), {}),
    ("alerts: bad time", ("alerts", "--now", "--at", "어제 아침"), TOKENS),
    ("analyze: missing file", ("analyze", "/nonexistent/articles.jsonl"), {}),
    ("companies add: empty", ("companies", "add", ""), {}),
    ("companies add: huge", ("companies", "add", HUGE), {}),
    ("companies add: bad market", ("companies", "add", "가나전자", "--market", "MARS"), {}),
    ("companies add: bad kind", ("companies", "add", "가나전자", "--kind", "person"), {}),
    ("companies alias: unknown company", ("companies", "alias", "없는회사", "별칭"), {}),
    ("companies alias: empty alias", ("companies", "alias", "화웨이", ""), {}),
    ("subscribe: unknown company", ("subscribe", "--team", "T1", "--channel", "C1", "없는회사"), {}),
    ("subscribe: empty name", ("subscribe", "--team", "T1", "--channel", "C1", ""), {}),
    ("subscribe: huge name", ("subscribe", "--team", "T1", "--channel", "C1", HUGE), {}),
    ("subscribe: no name", ("subscribe", "--team", "T1", "--channel", "C1"), {}),
    ("subscribe: lower-case team", ("subscribe", "--team", "t1", "--channel", "C1", "화웨이"), {}),
    ("unsubscribe: unknown company", ("unsubscribe", "--team", "T1", "--channel", "C1", "없는회사"), {}),
    ("channel: 25 o'clock", ("channel", "--team", "T1", "--channel", "C1", "--time", "25:00"), {}),
    ("channel: empty time", ("channel", "--team", "T1", "--channel", "C1", "--time", ""), {}),
    ("channel: unknown zone", ("channel", "--team", "T1", "--channel", "C1", "--tz", "Mars/Base"), {}),
    ("channel: huge zone", ("channel", "--team", "T1", "--channel", "C1", "--tz", HUGE), {}),
    ("web: without Slack settings", ("web",), {}),
    ("web: port out of range", ("web", "--port", "70000"), TOKENS),
    ("run: port out of range", ("run", "--port", "-1"), TOKENS),
    ("worker: without a token", ("worker",), {}),
    ("demo: unknown option", ("demo", "--bogus"), {}),
]


def _has_hangul(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)


@pytest.fixture
def migrated(sqlite_url: str) -> str:
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        seed_world(session)
        session.commit()
    engine.dispose()
    return sqlite_url


@pytest.mark.timeout(1200)  # some 45 processes: minutes on a busy 2-core machine
def test_every_command_answers_bad_input_with_one_korean_line(migrated: str, tmp_path: Path) -> None:
    base = process_env(tmp_path, DATABASE_URL=migrated)

    def run(case: tuple[str, tuple[str, ...], dict[str, str]]) -> subprocess.CompletedProcess[str]:
        _name, args, extra = case
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env={**base, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, CASES))
    problems = []
    for (name, _args, _extra), result in zip(CASES, results, strict=True):
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        ok = (
            result.returncode not in (0, None)
            and "Traceback" not in result.stderr + result.stdout
            and len(lines) == 1
            and _has_hangul(lines[0])
            and len(lines[0]) <= 400
            and "예상하지 못한 오류" not in lines[0]
        )
        if not ok:
            problems.append(f"{name}: exit {result.returncode}, stderr {result.stderr[:300]!r}")
    assert not problems, "\n".join(problems)


def test_an_unforeseen_error_line_never_shows_a_token_or_a_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["briefings"])
    app = typer.Typer()

    @app.command()
    def post() -> None:  # what a Slack or database error can carry in its text
        raise RuntimeError(
            "refresh failed for xoxe.xoxb-1-SECRETROTATED with refresh_token=xoxe-1-REFRESHME "
            "at postgresql+psycopg://briefings:hunter2@db.internal:5432/briefings"
        )

    with pytest.raises(SystemExit) as exited:
        run_guarded(app)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "예상하지 못한 오류" in err
    for secret in ("SECRETROTATED", "REFRESHME", "hunter2"):
        assert secret not in err
    assert "briefings:***@db.internal" in err
