"""`briefings digest [--json]` and `briefings analyze [FILE]`: the digester from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Hashable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from briefings.cli.common import UserError, console, db_session, settings
from briefings.timeutil import as_utc, utcnow

ANALYZE_BATCH = 512


def summary_line(summary: Any) -> str:
    line = (
        f"기사 {summary.articles}건 분석: 새 스토리 {summary.new_stories}개, 기존 스토리에 합류 "
        f"{summary.joined_stories}건, 중복 {summary.duplicates}건, 기업 언급 {summary.mentions}건"
    )
    if summary.failed:
        line += f", 분석 실패 {summary.failed}건(건너뜀)"
    return line


def failure_lines(summary: Any) -> list[str]:
    """One line per article that could not be digested: which one, and why."""
    lines = [f"  실패: 기사 {aid} {title[:40]!r}: {error}" for aid, title, error in summary.failures]
    if summary.failed > len(summary.failures):
        lines.append(f"  … 외 {summary.failed - len(summary.failures)}건")
    return lines


def digest_cmd(as_json: bool = typer.Option(False, "--json", help="요약을 JSON으로 출력")) -> None:
    """수집된 기사 중 아직 분석하지 않은 것을 분석해 스토리로 묶습니다."""
    from briefings.digest.pipeline import build_digester, digest_pending, pending_count

    now = utcnow()
    max_chars = settings().digest_max_chars
    with db_session() as session:
        pending = pending_count(session)
        digester = build_digester(session, now=now, max_chars=max_chars)
        session.commit()
        interactive = not as_json and bool(pending) and sys.stdout.isatty() and console.is_terminal
        if interactive:
            with Progress(
                TextColumn("[bold]분석[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("", total=pending)
                summary = digest_pending(session, digester, now=now, progress=lambda n: bar.advance(task, n))
        else:
            summary = digest_pending(session, digester, now=now)
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
        return
    console.print(summary_line(summary), highlight=False)
    for line in failure_lines(summary):
        console.print(line, highlight=False, markup=False)


# --- analyze -------------------------------------------------------------------------------------


def _parse_time(value: Any, lineno: int) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise UserError(f"{lineno}번째 줄: published 는 ISO-8601 문자열이어야 합니다")
    try:
        return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise UserError(f"{lineno}번째 줄: published 시각을 읽을 수 없습니다: {value[:40]!r}") from None


def read_inputs(stream: IO[str]) -> Iterator[Any]:
    """ArticleInput per non-blank JSON line; a bad line is a UserError naming its number."""
    from briefings.digest.pipeline import ArticleInput

    seen: set[Hashable] = set()
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{lineno}번째 줄: JSON이 아닙니다 ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise UserError(f"{lineno}번째 줄: JSON 객체가 아닙니다")
        ident = obj.get("id")
        if ident is None or isinstance(ident, (dict, list, bool, float)):
            raise UserError(f"{lineno}번째 줄: id (문자열 또는 정수)가 없습니다")
        if ident in seen:
            raise UserError(f"{lineno}번째 줄: id {ident!r} 가 중복됩니다")
        seen.add(ident)
        title, body = obj.get("title"), obj.get("body", "")
        if not isinstance(title, str) or not title.strip():
            raise UserError(f"{lineno}번째 줄: title 이 없습니다")
        if body is None:
            body = ""
        if not isinstance(body, str):
            raise UserError(f"{lineno}번째 줄: body 는 문자열이어야 합니다")
        for key in ("url", "outlet"):
            if obj.get(key) is not None and not isinstance(obj.get(key), str):
                raise UserError(f"{lineno}번째 줄: {key} 는 문자열이어야 합니다")
        yield ArticleInput(
            id=ident,
            title=title,
            body=body,
            url=obj.get("url"),
            published=_parse_time(obj.get("published"), lineno),
            outlet=obj.get("outlet") or "",
        )


def analyze_cmd(
    file: str = typer.Argument("-", help="JSON Lines 파일 (생략하거나 - 이면 표준 입력)"),
) -> None:
    """기사(JSON Lines)를 데이터베이스 없이 분석합니다: 한 줄에 하나씩 결과 JSON을 출력합니다."""
    if file == "-":
        items = list(read_inputs(sys.stdin))
    else:
        path = Path(file)
        if not path.is_file():
            raise UserError(f"파일이 없습니다: {file}")
        try:
            with path.open(encoding="utf-8") as fh:
                items = list(read_inputs(fh))
        except UnicodeDecodeError:
            raise UserError(f"UTF-8 텍스트 파일이 아닙니다: {file}") from None
    if not items:
        return
    from briefings.digest.pipeline import Digester, analysis_json, group_analyses

    digester = Digester.default()
    # Analysed in batches so a large file never holds every text's morphemes at once; the output does
    # not depend on the batch size (grouping sees the whole input).
    analyses = [
        a for i in range(0, len(items), ANALYZE_BATCH) for a in digester.analyze(items[i : i + ANALYZE_BATCH])
    ]
    groupings = group_analyses(items, analyses, params=digester.story_params)
    out = sys.stdout
    for analysis, grouping in zip(analyses, groupings, strict=True):
        out.write(json.dumps(analysis_json(analysis, grouping), ensure_ascii=False) + "\n")
    out.flush()


def register(app: typer.Typer) -> None:
    app.command("digest")(digest_cmd)
    app.command("analyze")(analyze_cmd)
