"""Settings are checked at start-up: one Korean line per bad variable, from every entry point."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from briefings.config import Settings, SettingsError, get_settings
from tests.conftest import process_env


def briefings(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("BRIEFING_TIME", "25:00", "00:00~23:59"),
        ("RETENTION_DAYS", "-5", "1~3650"),
        ("FETCH_MAX_BYTES", "0", "1024~"),
        ("BRIEFINGS_TZ", "Mars/Base", "Asia/Seoul"),
        ("DATABASE_URL", "mysql://root@db/news", "postgresql+psycopg"),
        ("DATABASE_URL", "아무거나", "sqlite:///"),
        ("PORT", "70000", "1~65535"),
        ("PORT", "http", "1~65535"),
        ("FETCH_CONNECT_TIMEOUT", "0", "0초 초과"),
        ("BRIEFING_GRACE_HOURS", "-1", "0~24"),
        ("FEED_INTERVAL_SECONDS", "1", "60~86400"),
        ("USER_AGENT", "", "1~300자"),
    ],
)
def test_a_bad_value_is_one_korean_line_naming_variable_value_and_range(
    name: str, value: str, allowed: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        get_settings(_env_file=None, **{name.lower(): value})
    [line] = caught.value.lines
    assert name in line and f"'{value}'" in line and allowed in line
    assert "허용되는 값" in line and "\n" not in line


def test_every_bad_variable_gets_its_own_line() -> None:
    with pytest.raises(SettingsError) as caught:
        get_settings(_env_file=None, briefing_time="8시", retention_days="0", briefings_tz="Seoul")
    assert len(caught.value.lines) == 3
    assert [line.split()[1] for line in caught.value.lines] == [
        "BRIEFINGS_TZ",
        "BRIEFING_TIME",
        "RETENTION_DAYS",
    ]


def test_secrets_and_passwords_are_not_echoed() -> None:
    with pytest.raises(SettingsError) as caught:
        get_settings(_env_file=None, database_url="mysql://news:hunter2@db/news")
    assert "hunter2" not in caught.value.lines[0] and "news:***@db" in caught.value.lines[0]


def test_good_values_are_normalised() -> None:
    s = get_settings(
        _env_file=None,
        briefing_time=" 8:30 ",
        database_url="postgres://u:p@db:5432/news",
        briefings_tz=" UTC ",
    )
    assert s.briefing_time == "08:30"
    assert s.database_url == "postgresql+psycopg://u:p@db:5432/news"
    assert s.tz.key == "UTC"
    assert get_settings(_env_file=None, database_url="").database_url is None
    assert (
        get_settings(_env_file=None, database_url="sqlite+pysqlite:///x.db").database_url == "sqlite:///x.db"
    )


def test_every_field_says_what_it_accepts() -> None:
    missing = [name for name, info in Settings.model_fields.items() if not info.description]
    assert missing == []


def test_bad_briefings_home_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    s = get_settings(_env_file=None, briefings_home=blocker / "var")
    with pytest.raises(SettingsError, match="BRIEFINGS_HOME"):
        _ = s.db_url


ENTRY_POINTS = [
    ("web",),
    ("worker",),
    ("run",),
    ("fetch",),
    ("db", "upgrade"),
    ("brief", "--team", "T1", "--channel", "C1"),
    ("lookup", "화웨이"),
]


def test_every_entry_point_refuses_bad_settings_before_doing_anything(tmp_path: Path) -> None:
    env = process_env(tmp_path, BRIEFING_TIME="25:00", SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda args: briefings(tmp_path, env, *args), ENTRY_POINTS))
    for args, result in zip(ENTRY_POINTS, results, strict=True):
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert "BRIEFING_TIME" in lines[0] and "25:00" in lines[0] and "Traceback" not in result.stderr
        assert result.stdout.strip() == "", (args, result.stdout)
    assert not (tmp_path / "var").exists()  # nothing was started, not even the database file


def test_a_bad_value_in_dotenv_is_named_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RETENTION_DAYS=-5\nBRIEFINGS_TZ=Mars/Base\n", encoding="utf-8")
    result = briefings(tmp_path, process_env(tmp_path), "fetch")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "BRIEFINGS_TZ" in lines[0] and "'Mars/Base'" in lines[0]
    assert "RETENTION_DAYS" in lines[1] and "'-5'" in lines[1]
