"""Process entry point: the domain commands plus the ones that talk to Slack (web, worker, run, …)."""

from __future__ import annotations

from briefings.cli import _register_all, app
from briefings.cli.common import run_guarded

_register_all(app, "bot.cli")


def main() -> None:
    run_guarded(app)


if __name__ == "__main__":
    main()
