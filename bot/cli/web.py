"""`briefings web`: the Slack app in HTTP mode (events, slash commands, OAuth install, health check)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import typer

from briefings.cli.common import console, sessions, settings


def _stop(_sig: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)  # waitress's loop ends on SystemExit and lets its threads finish


def web(
    host: str = typer.Option("0.0.0.0", help="수신 주소"),
    port: int = typer.Option(0, min=0, max=65535, help="포트 (기본: PORT 설정, 3000)"),
    threads: int = typer.Option(16, min=1, max=256, help="요청 처리 스레드 수"),
) -> None:
    """Slack 앱을 HTTP 모드로 실행합니다: /slack/events, /slack/install, /slack/oauth_redirect, /healthz,
    그리고 기사·회사 페이지 (/stories/ID, /companies/ID)."""
    from bot.app import build_app, check_settings, server_registry
    from bot.deps import TTLCache
    from bot.server import Limits, serve
    from briefings import redact
    from briefings.pages.app import pages_for

    cfg = settings()
    check_settings(cfg)  # the one token rule and the signing secret, before Kiwi is loaded
    redact.install()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    factory = sessions()
    # Kiwi and the company index are loaded before the first request is accepted: loading them inside
    # a request would hold every acknowledgement behind it for seconds.
    console.print("형태소 분석기와 회사 목록을 불러오는 중…")
    from briefings.digest.nlp import get_nlp

    nlp = get_nlp()
    app = build_app(cfg, sessions=factory, nlp=nlp, registry=server_registry(factory, nlp))
    bound = port or cfg.port
    console.print(f"준비 완료. Briefings Slack 앱 (HTTP 모드): http://{host}:{bound}/slack/events")
    signal.signal(signal.SIGTERM, _stop)
    pages = pages_for(cfg, factory, cache=TTLCache(ttl=60.0, size=512))
    serve(app, host, bound, Limits(threads=threads), pages=pages)


def register(app: typer.Typer) -> None:
    app.command("web")(web)
