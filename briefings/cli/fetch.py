"""`briefings fetch [--json]`: one gather cycle over the due feeds."""

from __future__ import annotations

import json
import sys

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from briefings.cli.common import console, sessions, settings
from briefings.gather.cycle import CycleSummary, run_gather_cycle
from briefings.timeutil import utcnow


def summary_line(summary: CycleSummary) -> str:
    return (
        f"피드 {summary.feeds}개 수집: 성공 {summary.ok}, 변경 없음 {summary.not_modified}, "
        f"실패 {summary.failed} · 새 기사 {summary.new_articles}건"
    )


def fetch_cmd(as_json: bool = typer.Option(False, "--json", help="요약을 JSON으로 출력")) -> None:
    """수집할 때가 된 피드를 한 번 수집합니다."""
    cfg = settings()
    factory = sessions()
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

            summary = run_gather_cycle(factory, cfg, now=utcnow(), progress=advance)
    else:
        summary = run_gather_cycle(factory, cfg, now=utcnow())
    if as_json:
        typer.echo(json.dumps(summary.as_json()))
        return
    console.print(summary_line(summary), highlight=False)
    for name, error in summary.failures[:20]:
        console.print(f"  [yellow]실패[/] {name}: {error[:160]}", highlight=False)
    if len(summary.failures) > 20:
        console.print(f"  … 외 {len(summary.failures) - 20}개 (briefings feeds list)")


def register(app: typer.Typer) -> None:
    app.command("fetch")(fetch_cmd)
