"""`briefings feeds add|list|remove|import-defaults`: the feed list and each feed's health."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text

from briefings.cli.common import UserError, console, db_session, settings
from briefings.gather.registry import (
    FeedRegistryError,
    add_feed,
    feed_state,
    health_record,
    import_defaults,
    list_feeds,
    remove_feed,
)
from briefings.timeutil import utcnow

feeds_app = typer.Typer(help="피드 목록 관리", no_args_is_help=True)

STATE_LABELS = {
    "ok": "[green]정상[/]",
    "failing": "[yellow]실패 중[/]",
    "disabled": "[red]중지[/]",
    "new": "대기",
}
COLUMNS = ("#", "이름", "상태", "마지막 성공", "응답", "연속 실패", "다음 시도", "오류 / 중지 사유")


@feeds_app.command("add")
def add_cmd(
    url: str = typer.Argument(..., help="RSS/Atom 피드 주소"),
    name: str | None = typer.Option(None, "--name", help="표시 이름"),
    outlet: str | None = typer.Option(None, "--outlet", help="매체 이름 (없으면 피드 제목에서)"),
    full_text: bool = typer.Option(False, "--full-text", help="요약만 주는 피드의 기사 본문을 가져옵니다"),
) -> None:
    """피드를 추가합니다."""
    cfg = settings()
    try:
        with db_session() as session:
            feed = add_feed(
                session,
                url,
                now=utcnow(),
                name=name,
                outlet=outlet,
                full_text=full_text,
                interval_seconds=cfg.feed_interval_seconds,
            )
            feed_id, feed_url = feed.id, feed.url
    except FeedRegistryError as exc:
        raise UserError(str(exc)) from None
    suffix = " (본문 수집)" if full_text else ""
    console.print(f"피드 #{feed_id} 추가: {feed_url}{suffix}", highlight=False)


@feeds_app.command("remove")
def remove_cmd(ref: str = typer.Argument(..., help="피드 번호 또는 주소")) -> None:
    """피드를 삭제합니다 (수집한 기사는 남습니다)."""
    try:
        with db_session() as session:
            feed = remove_feed(session, ref)
            feed_id, feed_url = feed.id, feed.url
    except FeedRegistryError as exc:
        raise UserError(str(exc)) from None
    console.print(f"피드 #{feed_id} 삭제: {feed_url}", highlight=False)


@feeds_app.command("import-defaults")
def import_defaults_cmd() -> None:
    """기본 한국 언론사 피드 목록을 추가합니다 (이미 있는 피드는 건너뜁니다)."""
    with db_session() as session:
        added, present = import_defaults(
            session, now=utcnow(), interval_seconds=settings().feed_interval_seconds
        )
    console.print(f"기본 피드 {added}개 추가, {present}개는 이미 있습니다.")


def _local(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(settings().tz).strftime("%m-%d %H:%M")


@feeds_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="JSON으로 출력")) -> None:
    """피드 목록과 상태 (마지막 성공, 상태 코드, 연속 실패, 다음 시도, 오류)."""
    with db_session() as session:
        feeds = list_feeds(session)
        if as_json:
            typer.echo(json.dumps([health_record(f) for f in feeds], ensure_ascii=False, indent=2))
            return
        if not feeds:
            console.print("등록된 피드가 없습니다. `briefings feeds add URL` 또는 `feeds import-defaults`.")
            return
        table = Table(title=f"피드 {len(feeds)}개 (시각: {settings().briefings_tz})", show_lines=False)
        for column in COLUMNS:
            table.add_column(column, overflow="fold")
        for feed in feeds:
            problem = feed.disabled_reason or feed.last_error or ""
            table.add_row(
                str(feed.id),
                Text(feed.name + (" ·본문" if feed.full_text else "")),
                STATE_LABELS[feed_state(feed)],
                _local(feed.last_success_at),
                str(feed.last_status) if feed.last_status is not None else "-",
                str(feed.consecutive_failures),
                _local(feed.next_attempt_at) if feed.enabled else "-",
                Text(problem[:160]),
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")
