"""`briefings demo`: the whole loop in the terminal, with no Slack and no internet (see briefings/demo.py)."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

import typer
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from bot.alerts import alert_panel
from bot.briefing_blocks import briefing_messages, render_terminal, rich_story_line
from briefings.brief import load_theme_labels
from briefings.cli.common import UserError, console, settings
from briefings.demo import DEMO_CHANNEL, DEMO_TEAM, DemoError, DemoResult, run_demo
from briefings.timeutil import utcnow


def _show_lookup(result: DemoResult) -> None:
    res = result.resolution
    assert result.now is not None and result.settings is not None
    title = f"/news {result.query}"
    if res.status != "found" or res.company is None:
        console.print(Panel(Text(f"'{result.query}'에 해당하는 회사를 찾지 못했습니다."), title=title))
        return
    labels = load_theme_labels()
    lines: list[Text] = [Text(f"{res.company.label} · 최근 7일 주요 소식", style="bold")]
    if not result.stories:
        lines.append(Text("최근 7일 동안 주요 소식이 없습니다.", style="dim"))
    for story in result.stories:
        lines.append(rich_story_line(story, result.now, result.settings.tz, labels))
    lines.append(Text("[구독] [구독 해지] [채널에 공유] [더 보기]", style="cyan"))
    console.print(Panel(Group(*lines), title=title, subtitle="나만 보기", border_style="green", expand=False))


def demo(
    live: bool = typer.Option(False, "--live", help="실제 언론사 피드로 (인터넷 필요)"),
    keep: bool = typer.Option(False, "--keep", help="데모 데이터베이스를 지우지 않고 남김"),
) -> None:
    """Slack·인터넷 없이 전체 흐름을 보여 줍니다: 수집 → 분석 → 오늘의 브리핑 → /news 화웨이."""
    logging.basicConfig(level=logging.WARNING)
    base = settings().briefings_home.expanduser()
    try:
        base.mkdir(parents=True, exist_ok=True)
        home = Path(tempfile.mkdtemp(prefix="demo-", dir=base))
    except OSError:
        home = Path(tempfile.mkdtemp(prefix="briefings-demo-"))
    started = time.perf_counter()
    source = "실제 언론사 피드" if live else "로컬 피드 서버"
    console.print(f"[bold]Briefings 데모[/]: {source} → 수집 → 분석 → 브리핑 → /news", highlight=False)

    def step(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - started:5.1f}s[/] ▸ {message}", highlight=False)

    try:
        with console.status("실행 중…"):
            result = run_demo(home, now=utcnow(), live=live, step=step)
    except DemoError as exc:
        raise UserError(str(exc)) from None
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    step(f"기사 {result.articles}건 → 기사 묶음(스토리) {result.story_count}개")
    console.print()
    console.print(f"[bold]#{DEMO_CHANNEL}[/] 채널에 게시될 오늘의 브리핑 (Slack 화면 그대로):")
    render_terminal(result.briefing, console, title=f"Briefings · #{DEMO_CHANNEL.lower()}")
    messages = briefing_messages(result.briefing)
    blocks = sum(len(m.blocks) for m in messages)
    console.print(
        f"[dim]Slack 메시지 {len(messages)}개 (블록 {blocks}개, 링크 미리보기 끔) · 팀 {DEMO_TEAM}[/]",
        highlight=False,
    )
    console.print()
    _show_lookup(result)
    for alert in result.alerts:
        assert result.now is not None and result.settings is not None
        console.print(alert_panel(alert, now=result.now, tz=result.settings.tz, channel=DEMO_CHANNEL))
    if result.chart_png:
        chart = base / "trend-chart.png"
        try:
            chart.write_bytes(result.chart_png)
            console.print(
                f"/news {result.query} 추이 차트 (PNG): [bold]{chart.resolve()}[/]", highlight=False
            )
        except OSError as exc:
            console.print(f"[yellow]차트 파일을 쓰지 못했습니다: {exc.strerror}[/]", highlight=False)
    where = f" 데이터베이스: {home / 'demo.db'}" if keep else ""
    console.print(f"[green]데모 완료[/] ({time.perf_counter() - started:.1f}초).{where}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
