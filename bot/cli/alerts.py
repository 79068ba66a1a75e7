"""`briefings alerts --now`: post every spike alert that is due, once, then exit (cron-style, like
`deliver --now`; the scheduler does the same after each digest)."""

from __future__ import annotations

import signal
import threading

import typer
from rich.table import Table

from bot.alerts import AlertOutcome, post_alerts
from bot.cli.brief import STATUS_LABELS, _parse_at
from bot.deliver import DeliverOptions
from bot.tokens import check_tokens
from briefings.cli.common import UserError, console, sessions, settings


def _table(outcomes: list[AlertOutcome]) -> Table:
    table = Table(title="급증 알림 결과")
    for col in ("팀", "채널", "회사", "날짜", "결과", "내용/오류"):
        table.add_column(col)
    for o in outcomes:
        label = STATUS_LABELS.get(o.status, o.status)
        table.add_row(o.team_id, o.channel_id, o.company, o.day.isoformat(), label, o.error or o.text)
    return table


def alerts_cmd(
    now_flag: bool = typer.Option(False, "--now", help="지금 보낼 급증 알림을 모두 한 번 게시하고 종료"),
    at: str | None = typer.Option(None, "--at", hidden=True, help="이 시각인 것처럼 실행 (ISO 8601)"),
) -> None:
    """보도량이 평소보다 크게 늘어난 회사의 급증 알림을 한 번씩 게시합니다 (cron 배포용)."""
    if not now_flag:
        raise UserError("`briefings alerts --now`처럼 --now를 붙여 실행하세요.")
    cfg = settings()
    check_tokens(cfg)
    now = _parse_at(at)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set())
    outcomes = post_alerts(sessions(), now=now, settings=cfg, options=DeliverOptions(should_stop=stop.is_set))
    if outcomes:
        console.print(_table(outcomes))
    posted = sum(o.status in ("posted", "recovered") for o in outcomes)
    console.print(f"급증 알림 {len(outcomes)}건" + (f": 게시 {posted}건" if outcomes else " (지금은 없음)"))


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts_cmd)
