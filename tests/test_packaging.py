"""The deployment files agree with each other and with the code, without building anything.

`compose.yaml` runs the Procfile's processes and its release step, in the Procfile's order;
`.env.example` lists exactly the settings there are, and loads as valid settings; the guides that
README links to exist and name every scope the manifest asks for.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from briefings.config import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]


def _procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return {name.strip(): command.split() for name, command in (line.split(":", 1) for line in lines if line)}


def _entrypoint() -> list[str]:
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("ENTRYPOINT"):
            value: list[str] = json.loads(line.removeprefix("ENTRYPOINT").strip())
            return value
    raise AssertionError("Dockerfile has no ENTRYPOINT")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return data


def test_compose_runs_the_procfile_commands_after_the_migration() -> None:
    services = _compose()["services"]
    entry = _entrypoint()
    commands = {
        name: [*(svc.get("entrypoint") or entry), *svc.get("command", [])]
        for name, svc in services.items()
        if "build" in svc
    }
    procfile = _procfile()
    assert set(procfile) == {"release", "web", "worker"}
    by_command = {tuple(cmd): name for name, cmd in commands.items()}
    release = by_command[tuple(procfile["release"])]
    assert release == "migrate" and procfile["release"] == ["briefings", "db", "upgrade"]
    for process in ("web", "worker"):
        service = by_command[tuple(procfile[process])]
        assert services[service]["depends_on"] == {release: {"condition": "service_completed_successfully"}}
    assert services[release]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["db"]["image"].startswith("postgres:")


def test_compose_points_every_process_at_its_postgresql() -> None:
    compose = _compose()
    db = compose["services"]["db"]["environment"]
    url = f"postgresql+psycopg://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}"
    for name, svc in compose["services"].items():
        if "build" in svc:
            assert svc["environment"]["DATABASE_URL"] == url, name
            assert get_settings(_env_file=None, database_url=url).database_url == url


def test_dockerfile_is_slim_python_311_and_not_root() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert _entrypoint() == ["briefings"]


def _env_example_names(text: str) -> list[str]:
    return re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.M)


def test_env_example_lists_exactly_the_settings_and_loads(tmp_path: Path) -> None:
    path = ROOT / ".env.example"
    names = _env_example_names(path.read_text(encoding="utf-8"))
    assert sorted(names) == sorted(field.upper() for field in Settings.model_fields)
    assert len(names) == len(set(names))
    settings = Settings(_env_file=path)  # the values shown are valid, and are the defaults
    defaults = Settings(_env_file=None, briefings_home=settings.briefings_home)
    assert settings.model_dump() == defaults.model_dump()


def test_readme_links_the_guides_and_the_slack_guide_names_every_scope() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for guide in ("docs/slack.md", "docs/production.md"):
        assert f"]({guide})" in readme and (ROOT / guide).is_file()
    slack = (ROOT / "docs/slack.md").read_text(encoding="utf-8")
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        assert f"| `{scope}` |" in slack, scope
    for field in Settings.model_fields:
        if field.startswith("slack_") and field != "slack_api_url":
            assert f"`{field.upper()}" in slack, field
    assert "connections:write" in slack and "/invite @Briefings" in slack


def test_changelog_has_an_entry_for_this_release() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog")
    entries = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert entries and entries[0] == "Unreleased"
    assert re.search(r"^### (Added|Changed|Fixed)", text, re.M)
