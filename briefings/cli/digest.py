"""`briefings digest [--json]` and `briefings analyze [FILE]`: the digester from the command line."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from briefings.cli.common import UserError, console, db_session, err_console, settings
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

# A headline taken from the text itself is its first line, cut at the first sentence when that line
# is a whole paragraph.
_DERIVED_TITLE_CHARS = 120
_SENTENCE_END = re.compile(r"(?<=[.?!])\s|(?<=다\.)|(?<=[?!。])")


@dataclass(frozen=True, slots=True)
class LineError:
    """A line `analyze` could not read: reported on its own output line, the rest goes on."""

    lineno: int
    id: Hashable | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.lineno, "id": self.id, "error": self.message}


class _BadLine(ValueError):
    pass


def _parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _BadLine("published 는 ISO-8601 문자열이어야 합니다")
    try:
        return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise _BadLine(f"published 시각을 읽을 수 없습니다: {value[:40]!r}") from None


def title_from_text(body: str) -> tuple[str, str]:
    """(headline, rest of the body) for a text pasted without a headline.

    A first line short enough to be a headline is one, and leaves the body; a first line that is a
    whole paragraph gives its first sentence, and the body stays whole (that sentence is its lead).
    """
    lines = body.strip().splitlines()
    if not lines:
        return "", ""
    first = lines[0].strip()
    if len(first) <= _DERIVED_TITLE_CHARS and len(lines) > 1:
        return first, "\n".join(lines[1:]).strip()
    m = _SENTENCE_END.search(first)
    sentence = first[: m.start()].strip() if m else first
    if len(sentence) > _DERIVED_TITLE_CHARS:
        cut = sentence.rfind(" ", 0, _DERIVED_TITLE_CHARS)
        sentence = sentence[: cut if cut > 0 else _DERIVED_TITLE_CHARS].rstrip() + "…"
    return sentence, body.strip()


def _text_field(obj: dict[str, Any], key: str, *, normalise: bool = True) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _BadLine(f"{key} 는 문자열이어야 합니다")
    # Decomposed Hangul (NFD, as macOS writes it) would match no company name.
    return unicodedata.normalize("NFC", value) if normalise else value


def parse_line(obj: Any) -> Any:
    """The ArticleInput of one decoded JSON line; _BadLine says what is wrong with it."""
    from briefings.digest.pipeline import ArticleInput

    if not isinstance(obj, dict):
        raise _BadLine("JSON 객체가 아닙니다")
    ident = obj.get("id")
    if ident is None or isinstance(ident, (dict, list, bool, float)):
        raise _BadLine("id (문자열 또는 정수)가 없습니다")
    # The body is normalised by the digester, and only the part it keeps (DIGEST_MAX_CHARS): normalising
    # a 20 MB body here would cost more than analysing it.
    title, body = _text_field(obj, "title").strip(), _text_field(obj, "body", normalise=False)
    if not title:
        title, body = title_from_text(body)
        title = unicodedata.normalize("NFC", title)
    if not title:
        raise _BadLine("title 도 body 도 비어 있습니다")
    url, outlet = _text_field(obj, "url"), _text_field(obj, "outlet")
    return ArticleInput(
        id=ident,
        title=title,
        body=body,
        url=url or None,
        published=_parse_time(obj.get("published")),
        outlet=outlet,
    )


def read_inputs(stream: IO[str]) -> Iterator[Any]:
    """An ArticleInput or a LineError per non-blank line, in order: one bad line stops nothing."""
    seen: set[Hashable] = set()
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        ident: Hashable | None = None
        try:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _BadLine(f"JSON이 아닙니다 ({exc.msg})") from None
            if isinstance(obj, dict) and isinstance(obj.get("id"), (str, int)):
                ident = obj["id"]
            item = parse_line(obj)
            if item.id in seen:
                raise _BadLine(f"id {item.id!r} 가 중복됩니다")
        except _BadLine as exc:
            yield LineError(lineno, ident, f"{lineno}번째 줄: {exc}")
            continue
        seen.add(item.id)
        yield item


def _read_file(file: str) -> list[Any]:
    if file == "-":
        return list(read_inputs(sys.stdin))
    path = Path(file)
    if not path.is_file():
        raise UserError(f"파일이 없습니다: {file}")
    try:
        with path.open(encoding="utf-8") as fh:
            return list(read_inputs(fh))
    except UnicodeDecodeError:
        raise UserError(f"UTF-8 텍스트 파일이 아닙니다: {file}") from None


def analyze_cmd(
    file: str = typer.Argument("-", help="JSON Lines 파일 (생략하거나 - 이면 표준 입력)"),
) -> None:
    """기사(JSON Lines)를 데이터베이스 없이 분석합니다: 한 줄에 하나씩 결과 JSON을 출력합니다.

    읽을 수 없는 줄은 그 자리에 오류 객체({"line", "id", "error"})로 출력하고 나머지를 분석합니다.
    그런 줄이 하나라도 있으면 종료 코드는 1입니다.
    """
    rows = _read_file(file)
    items = [r for r in rows if not isinstance(r, LineError)]
    failed = [r for r in rows if isinstance(r, LineError)]
    results: dict[Hashable, dict[str, Any]] = {}
    if items:
        from briefings.digest.pipeline import Digester, analysis_json, group_analyses

        digester = Digester.default()
        digester.max_chars = settings().digest_max_chars  # the same cut as the service's digest
        # Analysed in batches so a large file never holds every text's morphemes at once; the output
        # does not depend on the batch size (grouping sees the whole input).
        analyses = [
            a
            for i in range(0, len(items), ANALYZE_BATCH)
            for a in digester.analyze(items[i : i + ANALYZE_BATCH])
        ]
        groupings = group_analyses(items, analyses, params=digester.story_params)
        for item, analysis, grouping in zip(items, analyses, groupings, strict=True):
            results[item.id] = {**analysis_json(analysis, grouping), "title": item.title}
    out = sys.stdout
    for row in rows:
        line = row.as_json() if isinstance(row, LineError) else results[row.id]
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()
    if failed:
        err_console.print(
            f"오류: {len(failed)}개 줄을 분석하지 못했습니다 (출력의 error 항목)", highlight=False
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("digest")(digest_cmd)
    app.command("analyze")(analyze_cmd)
