"""`briefings web`: the Slack app in HTTP mode (events, slash commands, OAuth install, health check)."""

from __future__ import annotations

import logging

import typer

from briefings.cli.common import UserError, console, sessions, settings


def web(
    host: str = typer.Option("0.0.0.0", help="수신 주소"),
    port: int = typer.Option(0, min=0, max=65535, help="포트 (기본: PORT 설정, 3000)"),
) -> None:
    """Slack 앱을 HTTP 모드로 실행합니다: /slack/events, /slack/install, /slack/oauth_redirect, /healthz."""
    from bot.app import ConfigError, build_app
    from bot.server import serve

    cfg = settings()
    try:
        app = build_app(cfg, sessions=sessions())
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bound = port or cfg.port
    console.print(f"Briefings Slack 앱 (HTTP 모드): http://{host}:{bound}/slack/events")
    serve(app, host, bound)


def register(app: typer.Typer) -> None:
    app.command("web")(web)
