"""The manifest passes Slack's schema and asks only for scopes the code needs; `briefings web` refuses
incomplete settings in one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.scopes import BOT_SCOPES, NO_SCOPE, SCOPES
from bot.socket import socket_mode_handler
from tests.bot.conftest import make_settings
from tests.conftest import shared_path
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_declares_the_command_scopes_home_and_interactivity() -> None:
    manifest = _manifest()
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/news"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    paths = {
        manifest["settings"]["interactivity"]["request_url"].split("/", 3)[3],
        manifest["settings"]["event_subscriptions"]["request_url"].split("/", 3)[3],
        manifest["features"]["slash_commands"][0]["url"].split("/", 3)[3],
    }
    assert paths == {"slack/events"}
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return data


def test_manifest_validates_against_slacks_published_schema() -> None:
    folder = shared_path("slack", "manifest-schema")

    def sibling(uri: str) -> Resource[Any]:
        # The schema refers to its versions by their GitHub URLs: read the sibling files instead.
        contents = json.loads((folder / uri.rsplit("/", 1)[-1]).read_text(encoding="utf-8"))
        return Resource.from_contents(contents, default_specification=DRAFT7)

    schema = json.loads((folder / "manifest.schema.json").read_text(encoding="utf-8"))
    validator = Draft7Validator(schema, registry=Registry(retrieve=sibling))  # type: ignore[call-arg]
    problems = [
        f"{'/'.join(map(str, sub.absolute_path))}: {sub.message[:120]}"
        for error in validator.iter_errors(_manifest())
        for sub in (error.context or [error])
        if "_metadata" not in sub.message
    ]
    assert problems == []
    assert validator.is_valid(_manifest())


# slack_sdk helpers that make several Web API calls.
COMPOSITE_CALLS = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}


def _called_in_code() -> set[str]:
    """Every Web API method the app's code calls through slack_sdk (`client.chat_postMessage(` …)."""
    pattern = re.compile(r"\.((?:chat|conversations|users|views|apps|auth|oauth|files)_[A-Za-z_0-9]+)\(")
    found: set[str] = set()
    for folder in ("bot", "briefings"):
        for path in (ROOT / folder).rglob("*.py"):
            for name in pattern.findall(path.read_text(encoding="utf-8")):
                family, _, method = name.partition("_")
                if name in COMPOSITE_CALLS:
                    found.update(COMPOSITE_CALLS[name])
                    continue
                found.add(
                    f"{family}.{method.replace('_', '.')}" if family == "oauth" else f"{family}.{method}"
                )
    return found


def test_the_manifest_asks_for_the_documented_scopes_and_every_call_has_its_scope() -> None:
    manifest = _manifest()
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    called = _called_in_code()
    needs_a_scope = {
        m for m in called if m.split(".")[0] in ("chat", "conversations", "users", "views", "files")
    }
    covered = {m for info in SCOPES.values() for m in info.needed_by}
    # A few methods need no scope of its own; every other call must be covered by an asked-for scope.
    assert needs_a_scope - covered - set(NO_SCOPE) == set()
    assert set(NO_SCOPE) <= called and not set(NO_SCOPE) & covered
    assert "message.im" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert 'app.event("message")' in (ROOT / "bot" / "messages.py").read_text(encoding="utf-8")


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


def test_no_scope_is_asked_for_without_a_call_or_event_that_needs_it() -> None:
    manifest = _manifest()
    called = _called_in_code()
    events = {f"event:{e}" for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    commands = {f"command:{c['command']}" for c in manifest["features"]["slash_commands"]}
    used = called | events | commands
    assert {scope for scope, info in SCOPES.items() if not set(info.needed_by) & used} == set()
