"""`briefings worker` (the scheduler alone) and `briefings run` (bot + scheduler in one process)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import typer

from bot.tokens import check_tokens
from briefings.cli.common import console, sessions, settings

if TYPE_CHECKING:
    from bot.scheduler import Jobs


def _logging() -> None:
    from briefings import redact

    redact.install()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A line per job run every minute drowns what matters; our jobs log their own results.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def worker() -> None:
    """스케줄러만 실행합니다: 수집·분석, 매분 브리핑 전달, 보존 기간 정리."""
    from bot.scheduler import Jobs, build_scheduler

    cfg = settings()
    check_tokens(cfg)  # the one token rule, before anything is loaded
    _logging()
    jobs = Jobs(cfg, sessions())
    console.print("형태소 분석기를 불러오는 중…")
    _warm_up(jobs)
    scheduler = build_scheduler(jobs, blocking=True)

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        # The briefing being posted is finished, then the run stops; start() returns once jobs are done.
        jobs.stop.set()
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    console.print(f"Briefings worker 시작 (시간대 {cfg.briefings_tz}). 종료: Ctrl+C")
    scheduler.start()


def _warm_up(jobs: Jobs) -> None:
    """Load Kiwi and the company dictionary once, at start-up; a failure is logged, not fatal."""
    try:
        jobs.digest.warm_up(jobs.sessions)
    except Exception as exc:
        logging.getLogger(__name__).warning("digester not ready at start-up: %s", exc)


def run(
    host: str = typer.Option("0.0.0.0", help="HTTP 모드 수신 주소"),
    port: int = typer.Option(0, min=0, max=65535, help="HTTP 모드 포트 (기본: PORT 설정)"),
) -> None:
    """봇과 스케줄러를 한 프로세스에서 실행합니다 (SLACK_APP_TOKEN이 있으면 Socket Mode)."""
    from bot.app import build_app, check_settings, server_registry
    from bot.scheduler import Jobs, build_scheduler

    cfg = settings()
    check_settings(cfg)  # the one token rule and the signing secret, before Kiwi is loaded
    _logging()
    factory = sessions()
    console.print("형태소 분석기를 불러오는 중… (한 번만)")
    from briefings.digest.nlp import get_nlp

    nlp = get_nlp()  # the one Kiwi of this process: the bot's search and the digester share it
    app = build_app(cfg, sessions=factory, nlp=nlp, registry=server_registry(factory, nlp))
    jobs = Jobs(cfg, factory)
    _warm_up(jobs)
    scheduler = build_scheduler(jobs, blocking=False)
    scheduler.start()
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        jobs.stop.set()  # a briefing run in hand finishes its current briefing, then stops
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    from bot.deps import TTLCache
    from bot.server import start_server
    from briefings.pages.app import pages_for

    pages = pages_for(cfg, factory, cache=TTLCache(ttl=60.0, size=512))
    bound = port or cfg.port
    try:
        if cfg.slack_app_token:
            from bot.socket import start_socket_mode

            handler = start_socket_mode(app, cfg, block=False)
            # Pages and chart images need an HTTP server even in Socket Mode, when they are published.
            web = start_server(app, host, bound, pages=pages) if cfg.briefings_public_url else None
            console.print("Briefings 실행 중: Socket Mode + 스케줄러. 종료: Ctrl+C")
            try:
                stop.wait()
            finally:
                handler.close()  # type: ignore[no-untyped-call]
                if web is not None:
                    web.close()
        else:
            server = start_server(app, host, bound, pages=pages)
            console.print(f"Briefings 실행 중: http://{host}:{bound}/slack/events + 스케줄러. 종료: Ctrl+C")
            try:
                stop.wait()
            finally:
                server.close()
    except KeyboardInterrupt:
        pass
    finally:
        jobs.stop.set()
        scheduler.shutdown(wait=True)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("run")(run)
