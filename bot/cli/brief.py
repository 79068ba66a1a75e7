"""`briefings brief` (render a channel's briefing without posting) and `briefings deliver --now`."""

from __future__ import annotations

import json
import signal
import threading
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select

from bot.briefing_blocks import (
    SlackMessage,
    blocks_json,
    briefing_messages,
    builder_payload,
    builder_url,
    render_terminal,
)
from bot.deliver import DeliverOptions, Outcome, deliver_due, summarize
from bot.tokens import check_tokens
from briefings.brief import BriefingLoader, SlotWindow, channel_tz, day_windows, window_start
from briefings.cadence import slot_times
from briefings.cli.common import UserError, console, db_session, sessions, settings
from briefings.models import Channel, Delivery
from briefings.subscriptions import InvalidSetting, check_slack_id
from briefings.timeutil import as_utc, parse_local, utcnow

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
    on: str | None = typer.Option(
        None, "--date", help="그날 브리핑 시각 기준으로 (YYYY-MM-DD; 하루 두 번이면 두 브리핑 모두)"
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Block Kit 메시지를 JSON으로 출력 (하루 두 번: 브리핑마다 묶어서)"
    ),
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
            # Every briefing of that day, each with the window delivery gives it (twice a day: two).
            times = slot_times(
                row.cadence if row else None, row.briefing_time if row else None, cfg.briefing_time
            )
            windows = day_windows(day, times, tz)
        else:
            now = utcnow()
            windows = [SlotWindow(0, "", window_start(row.covered_until if row else None, now), now)]
        briefings = [
            BriefingLoader(session, now=w.until, settings=cfg).load(
                team, channel, since=w.since, briefing_date=day, channel=row, slot=w.slot
            )
            for w in windows
        ]
    several = len(windows) > 1
    shown = [(w, b, briefing_messages(b)) for w, b in zip(windows, briefings, strict=True)]
    if as_json:

        def pack(messages: list[SlackMessage]) -> list[dict[str, Any]]:
            return [builder_payload(m) for m in messages] if builder else blocks_json(messages)

        if not several:
            typer.echo(json.dumps(pack(shown[0][2]), ensure_ascii=False, indent=2))
            return
        out = [
            {
                "slot": w.slot + 1,
                "time": w.time,
                "since": w.since.isoformat(),
                "until": w.until.isoformat(),
                "messages": pack(messages),
            }
            for w, _b, messages in shown
        ]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if not briefings[0].has_subscriptions:
        console.print(
            f"{team}/{channel}: 구독한 회사가 없어 브리핑이 없습니다. "
            f"`briefings subscribe --team {team} --channel {channel} 삼성전자`처럼 구독하세요.",
            highlight=False,
        )
        return
    for w, briefing, messages in shown:
        heading = slot_heading(w, tz) if several else ""
        if builder:
            if heading:
                typer.echo(heading)
            for n, message in enumerate(messages, start=1):
                where = "채널 메시지" if n == 1 else "스레드 답글"
                typer.echo(f"메시지 {n}/{len(messages)} ({where}, 블록 {len(message.blocks)}개):")
                typer.echo(builder_url(message))  # one unwrapped line, so a terminal keeps it clickable
            continue
        if heading:
            console.print(f"[bold]{heading}[/]", highlight=False)
        title = f"{team} · {channel}" + (f" · {w.time} 브리핑" if several else "")
        render_terminal(briefing, console, title=title)
        if len(messages) > 1:
            console.print(f"[dim]Slack에서는 메시지 1개 + 스레드 답글 {len(messages) - 1}개로 게시됩니다.[/]")


def slot_heading(window: SlotWindow, tz: tzinfo) -> str:
    """`첫 번째 브리핑 (08:00) · 11월 20일 17:00부터 11월 21일 08:00까지`: which of the day's briefings."""
    since, until = (as_utc(t).astimezone(tz) for t in (window.since, window.until))
    nth = _ORDINALS[window.slot] if window.slot < len(_ORDINALS) else str(window.slot + 1)
    return (
        f"{nth} 번째 브리핑 ({window.time}) · "
        f"{since.month}월 {since.day}일 {since:%H:%M}부터 {until.month}월 {until.day}일 {until:%H:%M}까지"
    )


_ORDINALS = ("첫", "두", "세")


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
