"""`briefings web` as operators run it: a real process on waitress, Kiwi loaded before it listens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from briefings.db import make_engine, make_sessionmaker
from tests.bot.conftest import SECRET, SlackUser, wait_for
from tests.bot.seed import seed_world
from tests.fakes.slack_api import FakeSlack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.kiwi
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident size from /proc")
def test_web_loads_kiwi_before_listening_answers_and_stops_on_sigterm(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        seed_world(session)
    engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        DATABASE_URL=sqlite_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
    )
    web = subprocess.Popen(
        [sys.executable, "-m", "bot", "web", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert web.poll() is None, web.communicate()
            assert time.monotonic() < deadline, "briefings web did not start"
            try:
                if httpx.get(url + "/healthz", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # Before any Slack request, the analyser (hundreds of MB) is already in memory.
        assert _rss_mb(web.pid) > 300
        with httpx.Client(timeout=30) as http:
            user = SlackUser(url, fake, http)
            assert user.command("딥시크").status_code == 200  # a word only the full-text search finds
            answer = wait_for(lambda: fake.responses[:1], timeout=90)[0]  # a busy machine: a generous bound
            assert "딥시크" in str(answer), answer
    finally:
        web.send_signal(signal.SIGTERM)
        _out, err = web.communicate(timeout=30)
    assert web.returncode == 0, err
    assert "Traceback" not in err
