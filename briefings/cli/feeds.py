"""`briefings feeds …`: add, list, remove, enable, disable, import, export: the feed list and its health."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from briefings.cli.common import UserError, console, db_session, settings
from briefings.gather.discover import NotAFeed, check_address, find_feed_at
from briefings.gather.failures import label
from briefings.gather.opml import BadOPML
from briefings.gather.registry import (
    FeedRegistryError,
    add_feed,
    check_zone,
    export_opml,
    feed_state,
    find_feed,
    health_record,
    import_defaults,
    import_opml,
    list_feeds,
    normalise_feed_url,
    remove_feed,
    set_enabled,
)
from briefings.timeutil import utcnow

feeds_app = typer.Typer(help="피드 목록 관리", no_args_is_help=True)

STATE_LABELS = {
    "ok": "[green]정상[/]",
    "failing": "[yellow]실패 중[/]",
    "disabled": "[red]중지[/]",
    "new": "대기",
}


@feeds_app.command("add")
def add_cmd(
    url: str = typer.Argument(..., help="RSS/Atom 피드 주소 (또는 피드 링크가 있는 웹페이지)"),
    name: str | None = typer.Option(None, "--name", help="표시 이름"),
    outlet: str | None = typer.Option(None, "--outlet", help="매체 이름 (없으면 피드 제목에서)"),
    full_text: bool = typer.Option(False, "--full-text", help="요약만 주는 피드의 기사 본문을 가져옵니다"),
    tz: str | None = typer.Option(None, "--tz", help="시간대 없는 날짜를 읽을 시간대 (기본: BRIEFINGS_TZ)"),
    utc_is_local: bool = typer.Option(
        False, "--utc-is-local", help="피드가 현지 시각에 잘못 'Z'(UTC)를 붙이는 경우 그 시간대로 읽습니다"
    ),
    no_check: bool = typer.Option(False, "--no-check", help="지금 가져와 피드인지 확인하지 않습니다"),
) -> None:
    """피드를 추가합니다. 주소가 피드인지 가져와 확인하고, 웹페이지면 그 안의 피드 링크를 찾습니다."""
    cfg = settings()
    try:
        address = normalise_feed_url(url)
        zone = check_zone(tz)
        with db_session() as session:
            existing = find_feed(session, address)
            if existing is not None:
                raise FeedRegistryError(f"이미 등록된 피드입니다: #{existing.id} {existing.url}")
        if no_check:
            check_address(address, cfg)
        else:
            found = find_feed_at(address, cfg, now=utcnow())
            if found.discovered_from:
                console.print(f"웹페이지에서 피드를 찾았습니다: {found.url}", highlight=False)
            address = normalise_feed_url(found.url)
            name = name or found.title
        with db_session() as session:
            feed = add_feed(
                session,
                address,
                now=utcnow(),
                name=name,
                outlet=outlet,
                full_text=full_text,
                interval_seconds=cfg.feed_interval_seconds,
                tz=zone,
                utc_is_local=utc_is_local,
            )
            feed_id, feed_url = feed.id, feed.url
    except (FeedRegistryError, NotAFeed) as exc:
        raise UserError(str(exc)) from None
    suffix = " (본문 수집)" if full_text else ""
    console.print(f"피드 #{feed_id} 추가: {feed_url}{suffix}", highlight=False)


def _toggle(ref: str, enabled: bool) -> None:
    try:
        with db_session() as session:
            feed = set_enabled(session, ref, enabled, now=utcnow())
            feed_id, feed_name = feed.id, feed.name
    except FeedRegistryError as exc:
        raise UserError(str(exc)) from None
    console.print(f"피드 #{feed_id} {feed_name}: {'다시 수집합니다' if enabled else '수집을 멈췄습니다'}")


@feeds_app.command("enable")
def enable_cmd(ref: str = typer.Argument(..., help="피드 번호 또는 주소")) -> None:
    """멈춘 피드를 다시 수집합니다 (연속 실패 기록은 지웁니다)."""
    _toggle(ref, True)


@feeds_app.command("disable")
def disable_cmd(ref: str = typer.Argument(..., help="피드 번호 또는 주소")) -> None:
    """피드 수집을 멈춥니다 (기사와 기록은 남습니다)."""
    _toggle(ref, False)


@feeds_app.command("import")
def import_cmd(file: str = typer.Argument(..., help="OPML 파일")) -> None:
    """OPML 파일의 피드를 추가합니다 (이미 있는 피드는 건너뜁니다)."""
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"파일을 읽을 수 없습니다: {path} ({exc.strerror or exc})") from None
    try:
        with db_session() as session:
            added, present, refused = import_opml(
                session, data, now=utcnow(), interval_seconds=settings().feed_interval_seconds
            )
    except BadOPML as exc:
        raise UserError(str(exc)) from None
    console.print(f"OPML에서 피드 {added}개 추가, {present}개는 이미 있습니다.", highlight=False)
    for line in refused[:10]:
        console.print(f"  건너뜀: {line}", highlight=False, markup=False)


@feeds_app.command("export")
def export_cmd(
    target: str | None = typer.Option(None, "--output", "-o", help="저장할 파일 (없으면 표준 출력)"),
) -> None:
    """피드 목록을 OPML로 내보냅니다."""
    output = Path(target) if target else None
    with db_session() as session:
        data = export_opml(session, now=utcnow())
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UserError(f"파일에 쓸 수 없습니다: {output} ({exc.strerror or exc})") from None
    console.print(f"피드 목록을 {output}에 저장했습니다.", highlight=False)


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


def _problem(feed_kind: str | None, status: int | None, error: str | None, reason: str | None) -> str:
    if reason:
        return reason
    if not error:
        return ""
    return label(feed_kind, status, error)


@feeds_app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="JSON으로 출력"),
    wide: bool = typer.Option(False, "--wide", help="주소와 오류 원문까지 넓게 출력"),
) -> None:
    """피드 목록과 상태 (마지막 성공, 다음 시도, 문제). 80칸에 맞추며 --wide는 주소까지 보여 줍니다."""
    with db_session() as session:
        feeds = list_feeds(session)
        if as_json:
            typer.echo(json.dumps([health_record(f) for f in feeds], ensure_ascii=False, indent=2))
            return
        if not feeds:
            console.print("등록된 피드가 없습니다. `briefings feeds add URL` 또는 `feeds import-defaults`.")
            return
        table = Table(
            title=f"피드 {len(feeds)}개 (시각: {settings().briefings_tz})",
            box=None,
            header_style="bold underline",
            pad_edge=False,
            padding=(0, 1, 0, 0),
            expand=False,
        )
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("이름", max_width=None if wide else 16, overflow="ellipsis", no_wrap=not wide)
        table.add_column("상태", no_wrap=True)
        table.add_column("마지막 성공", no_wrap=True)
        table.add_column("다음 시도", no_wrap=True)
        table.add_column("문제", max_width=None if wide else 24, overflow="ellipsis", no_wrap=not wide)
        if wide:
            table.add_column("주소", no_wrap=True, overflow="ignore")
        for feed in feeds:
            problem = (
                feed.disabled_reason or feed.last_error or ""
                if wide
                else _problem(feed.last_kind, feed.last_status, feed.last_error, feed.disabled_reason)
            )
            row: list[str | Text] = [
                str(feed.id),
                Text(feed.name + (" ·본문" if feed.full_text else "")),
                STATE_LABELS[feed_state(feed)],
                _local(feed.last_success_at),
                _local(feed.next_attempt_at) if feed.enabled else "-",
                Text(problem if wide else problem[:60]),
            ]
            if wide:
                row.append(Text(feed.url))
            table.add_row(*row)
        # Wide output is for wide terminals and pipes (grep): lines as long as their content.
        (Console(width=max(console.width, 2400)) if wide else console).print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")
