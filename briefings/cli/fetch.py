"""`briefings fetch [--json] [--force]`: one gather cycle over the due feeds.

Exits 1 when every feed tried failed, naming the likely cause once (no network, no DNS) rather than
once per feed, and says which feeds are waiting out a failure and until when.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from briefings.cli.common import console, db_session, sessions, settings
from briefings.gather.cycle import CycleSummary, FeedFailure, backing_off, run_gather_cycle
from briefings.gather.failures import common_cause, label
from briefings.timeutil import utcnow

SHOWN = 6  # names per line before "외 N개"


def summary_line(summary: CycleSummary) -> str:
    return (
        f"피드 {summary.feeds}개 수집: 성공 {summary.ok}, 변경 없음 {summary.not_modified}, "
        f"실패 {summary.failed} · 새 기사 {summary.new_articles}건"
    )


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" 외 {len(names) - SHOWN}개" if len(names) > SHOWN else "")


def failure_lines(failures: list[FeedFailure]) -> list[str]:
    """Failures grouped by their Korean kind: one line per kind, not one per feed."""
    cause = common_cause([f.kind for f in failures]) if failures else None
    groups: dict[str, list[str]] = defaultdict(list)
    for failure in failures:
        groups[label(failure.kind, failure.status)].append(failure.name)
    lines = [cause] if cause else []
    for kind, names in sorted(groups.items(), key=lambda item: -len(item[1])):
        lines.append(f"  실패 · {kind} ({len(names)}개): {_names(names)}")
    return lines


def backoff_lines(now: datetime) -> list[str]:
    tz = settings().tz
    with db_session() as session:
        waiting = backing_off(session, now)
    if not waiting:
        return []
    soonest = waiting[0][1].astimezone(tz)
    names = [f"{name}({when.astimezone(tz):%m-%d %H:%M}까지)" for name, when, _kind in waiting]
    return [
        f"실패 후 재시도를 기다리는 피드 {len(waiting)}개 (가장 이른 재시도 {soonest:%m-%d %H:%M}): "
        f"{_names(names)}",
        "  지금 다시 시도하려면 `briefings fetch --force`.",
    ]


def fetch_cmd(
    as_json: bool = typer.Option(False, "--json", help="요약을 JSON으로 출력"),
    force: bool = typer.Option(False, "--force", help="재시도 대기(백오프) 중인 피드도 지금 수집"),
) -> None:
    """수집할 때가 된 피드를 한 번 수집합니다."""
    cfg = settings()
    factory = sessions()
    now = utcnow()
    interactive = not as_json and sys.stdout.isatty() and console.is_terminal
    if interactive:
        with Progress(
            TextColumn("[bold]수집[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)

            def advance(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=name[:40])

            summary = run_gather_cycle(factory, cfg, now=now, progress=advance, force=force)
    else:
        summary = run_gather_cycle(factory, cfg, now=now, force=force)
    every_feed_failed = summary.feeds > 0 and summary.failed == summary.feeds
    if as_json:
        typer.echo(json.dumps(summary.as_json()))
    else:
        console.print(summary_line(summary), highlight=False)
        for line in failure_lines(summary.failures):
            console.print(line, highlight=False, markup=False)
        for line in backoff_lines(now):
            console.print(line, highlight=False, markup=False)
    if every_feed_failed:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("fetch")(fetch_cmd)
