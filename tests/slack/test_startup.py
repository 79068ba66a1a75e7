"""Settings that would make processes disagree, or leak the token, stop every process at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from briefings.config import Settings


def _run(tmp_path: Path, args: list[str], **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", **env_vars)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,  # no .env of a developer's
    )


@pytest.mark.parametrize("args", [["web"], ["worker"], ["run"], ["deliver", "--now"]])
def test_bot_token_together_with_oauth_credentials_is_refused_by_every_process(
    tmp_path: Path, args: list[str]
) -> None:
    done = _run(
        tmp_path,
        args,
        SLACK_BOT_TOKEN="xoxb-1-2-3",
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="shh",
        SLACK_SIGNING_SECRET="sig",
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "SLACK_BOT_TOKEN" in lines[0] and "SLACK_CLIENT_ID" in lines[0]
    assert "xoxb-1-2-3" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    "url", ["http://slack.example.com/api/", "ftp://127.0.0.1/api/", "http:///api/", "slack.com/api/"]
)
def test_api_url_must_be_https_except_on_loopback(url: str) -> None:
    with pytest.raises(ValidationError, match="SLACK_API_URL은 https"):
        Settings(_env_file=None, slack_api_url=url)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "url",
    [
        "https://slack.com/api/",
        "https://proxy.internal:8443/api/",
        "http://127.0.0.1:9/api/",
        "http://localhost/api/",
    ],
)
def test_https_and_loopback_api_urls_are_accepted(url: str) -> None:
    assert Settings(_env_file=None, slack_api_url=url).slack_api_url == url  # type: ignore[call-arg]


def test_a_plain_http_api_url_stops_the_web_process_with_one_line(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        ["web"],
        SLACK_BOT_TOKEN="xoxb-1-2-3",
        SLACK_SIGNING_SECRET="sig",
        SLACK_API_URL="http://attacker.example/api/",
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "SLACK_API_URL" in done.stderr and "Traceback" not in done.stderr
    assert "xoxb-1-2-3" not in done.stderr
