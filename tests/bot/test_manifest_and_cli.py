"""The manifest matches what the app asks for; `briefings web` refuses incomplete settings in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.app import BOT_SCOPES
from bot.socket import socket_mode_handler
from tests.bot.conftest import make_settings
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_declares_the_command_scopes_home_and_interactivity() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/news"]
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    paths = {
        manifest["settings"]["interactivity"]["request_url"].split("/", 3)[3],
        manifest["settings"]["event_subscriptions"]["request_url"].split("/", 3)[3],
        manifest["features"]["slash_commands"][0]["url"].split("/", 3)[3],
    }
    assert paths == {"slack/events"}
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


def test_web_without_signing_secret_is_a_one_line_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", SLACK_BOT_TOKEN="xoxb-x")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "web"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET" in done.stderr and "Traceback" not in done.stderr


def test_socket_mode_handler_uses_the_configured_api_url(sqlite_url: str) -> None:
    from slack_bolt import App

    with FakeSlack() as fake:
        settings = make_settings(fake, sqlite_url, slack_app_token="xapp-1-test")
        app = App(token="xoxb-test", signing_secret="s", token_verification_enabled=False)
        handler = socket_mode_handler(app, settings)
        try:
            assert handler.client.web_client.base_url == fake.api_url
            assert handler.client.app_token == "xapp-1-test"
        finally:
            handler.client.close()
