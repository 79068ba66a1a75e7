"""`briefings brief` (render a channel's briefing without posting) and `briefings deliver --now`."""

from __future__ import annotations

import json
import signal
import threading
from datetime import date, datetime, timedelta

import typer
from rich.table import Table
from sqlalchemy import select

from bot.briefing_blocks import blocks_json, briefing_messages, builder_payload, builder_url, render_terminal
from bot.deliver import DeliverOptions, Outcome, deliver_due, summarize
from bot.tokens import check_tokens
from briefings.brief import BriefingLoader, channel_tz, due_at, window_start
from briefings.cli.common import UserError, console, db_session, sessions, settings
from briefings.models import Channel, Delivery
from briefings.subscriptions import InvalidSetting, check_slack_id
from briefings.timeutil import parse_local, utcnow

STATUS_LABELS = {
    "posted": "[green]게시[/]",
    "recovered": "[green]복구(이미 게시됨 확인)[/]",
    "empty": "[dim]새 소식 없음(게시 안 함)[/]",
    "skipped": "[yellow]건너뜀[/]",
    "failed": "[red]실패(재시도 안 함)[/]",
    "retry": "[yellow]일시 오류(다음에 재시도)[/]",
    "unconfirmed": "[yellow]게시 여부 확인 불가(다시 게시하지 않음)[/]",
    "fenced": "[dim]다른 작업자가 이어받음[/]",
}


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"날짜 형식이 잘못되었습니다: {value!r} (예: 2026-11-22)") from None


def _parse_at(value: str | None) -> datetime:
    """A naive --at time is read in BRIEFINGS_TZ, as the person typing it means it."""
    if not value:
        return utcnow()
    try:
        return parse_local(value, settings().tz)
    except ValueError:
        raise UserError(f"시각 형식이 잘못되었습니다: {value!r} (예: 2026-11-22T08:00:00+09:00)") from None


def _require(value: str, what: str) -> str:
    try:
        return check_slack_id(value, what)
    except InvalidSetting as exc:
        raise UserError(str(exc)) from None


def brief_cmd(
    team: str = typer.Option(..., "--team", help="워크스페이스(팀) ID, 예: T0001"),
    channel: str = typer.Option(..., "--channel", help="채널 ID (개인 구독은 사용자 ID)"),
    on: str | None = typer.Option(None, "--date", help="그날 브리핑 시각 기준으로 (YYYY-MM-DD)"),
    as_json: bool = typer.Option(False, "--json", help="Block Kit 메시지를 JSON으로 출력"),
    builder: bool = typer.Option(
        False, "--builder", help="메시지마다 Block Kit Builder 링크 (--json과 함께: Builder에 붙여 넣을 JSON)"
    ),
) -> None:
    """채널의 브리핑을 게시하지 않고 보여 줍니다."""
    team, channel = _require(team, "팀"), _require(channel, "채널")
    day = _parse_date(on)
    cfg = settings()
    with db_session() as session:
        row = session.scalar(select(Channel).where(Channel.team_id == team, Channel.channel_id == channel))
        tz = channel_tz(row, cfg)
        if day is not None:
            now = due_at(day, row.briefing_time if row else None, tz, cfg.briefing_time)
            since = now - timedelta(hours=24)
        else:
            now = utcnow()
            since = window_start(row.covered_until if row else None, now)
        loader = BriefingLoader(session, now=now, settings=cfg)
        briefing = loader.load(team, channel, since=since, briefing_date=day, channel=row)
    messages = briefing_messages(briefing)
    if builder and as_json:
        typer.echo(json.dumps([builder_payload(m) for m in messages], ensure_ascii=False, indent=2))
        return
    if as_json:
        typer.echo(json.dumps(blocks_json(messages), ensure_ascii=False, indent=2))
        return
    if not briefing.has_subscriptions:
        console.print(
            f"{team}/{channel}: 구독한 회사가 없어 브리핑이 없습니다. "
            f"`briefings subscribe --team {team} --channel {channel} 삼성전자`처럼 구독하세요.",
            highlight=False,
        )
        return
    if builder:
        for n, message in enumerate(messages, start=1):
            where = "채널 메시지" if n == 1 else "스레드 답글"
            typer.echo(f"메시지 {n}/{len(messages)} ({where}, 블록 {len(message.blocks)}개):")
            typer.echo(builder_url(message))  # one unwrapped line, so a terminal keeps it clickable
        return
    render_terminal(briefing, console, title=f"{team} · {channel}")
    if len(messages) > 1:
        console.print(f"[dim]Slack에서는 메시지 1개 + 스레드 답글 {len(messages) - 1}개로 게시됩니다.[/]")


def _table(outcomes: list[Outcome]) -> Table:
    table = Table(title="브리핑 전달 결과")
    for col in ("팀", "채널", "날짜", "결과", "메시지/오류"):
        table.add_column(col)
    for o in outcomes:
        thread = f" (+스레드 {o.messages - 1})" if o.messages > 1 else ""
        detail = o.error or (f"ts {o.message_ts}{thread}" if o.message_ts else "")
        label = STATUS_LABELS.get(o.status, o.status)
        day = o.briefing_date.isoformat() + (f" #{o.slot + 1}" if o.slot else "")  # a second slot: "#2"
        table.add_row(o.team_id, o.channel_id, day, label, detail)
    return table


def deliver_cmd(
    now_flag: bool = typer.Option(False, "--now", help="지금 전달할 브리핑을 모두 한 번 게시하고 종료"),
    at: str | None = typer.Option(None, "--at", hidden=True, help="이 시각인 것처럼 실행 (ISO 8601)"),
) -> None:
    """전달할 때가 된 브리핑을 한 번씩 게시합니다 (cron 배포용)."""
    if not now_flag:
        raise UserError("`briefings deliver --now`처럼 --now를 붙여 실행하세요.")
    cfg = settings()
    check_tokens(cfg)  # the one token rule
    now = _parse_at(at)
    stop = threading.Event()
    # SIGTERM: the briefing in hand is finished and recorded, the rest wait for the next run.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set())
    outcomes = deliver_due(sessions(), now=now, settings=cfg, options=DeliverOptions(should_stop=stop.is_set))
    if outcomes:
        console.print(_table(outcomes))
    counts = summarize(outcomes)
    summary = ", ".join(f"{STATUS_LABELS.get(k, k)} {v}" for k, v in sorted(counts.items()))
    console.print(f"전달할 브리핑 {len(outcomes)}건" + (f": {summary}" if summary else " (지금은 없음)"))
    with db_session() as session:
        stuck = session.scalars(
            select(Delivery)
            .where(Delivery.status == "failed", Delivery.briefing_date >= (now - timedelta(days=7)).date())
            .order_by(Delivery.briefing_date.desc(), Delivery.id)
            .limit(20)
        ).all()
        shown = {(o.team_id, o.channel_id, o.briefing_date) for o in outcomes}
        old = [d for d in stuck if (d.team_id, d.channel_id, d.briefing_date) not in shown]
        if old:
            table = Table(title="최근 전달 실패 (재시도하지 않음: 채널 설정을 확인하세요)")
            for col in ("팀", "채널", "날짜", "오류"):
                table.add_column(col)
            for d in old:
                table.add_row(d.team_id, d.channel_id, d.briefing_date.isoformat(), d.error or "")
            console.print(table)


def register(app: typer.Typer) -> None:
    app.command("brief")(brief_cmd)
    app.command("deliver")(deliver_cmd)
