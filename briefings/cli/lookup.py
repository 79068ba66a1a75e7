"""`briefings lookup QUERY`: the `/news` answer in the terminal, for operators and scripts (`--json`)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from briefings.cli.common import UserError, console, db_session, settings
from briefings.companies import CompanyRef, Resolution, registry_from_session
from briefings.korean import josa
from briefings.lookup import QueryError, clean_query, search_articles, top_stories
from briefings.timeutil import utcnow


def _outlets_label(hit: dict[str, Any]) -> str:
    """`연합뉴스 외 4개 매체` for a story several outlets reprinted, the outlet alone otherwise."""
    others = int(hit.get("outlets_count") or 1) - 1
    return f"{hit['outlet']} 외 {others}개 매체" if others > 0 else str(hit["outlet"])


def _company(ref: CompanyRef) -> dict[str, Any]:
    return {"id": ref.id, "name": ref.name, "name_en": ref.name_en, "kind": ref.kind, "ticker": ref.ticker}


def _picked(res: Resolution, pick: int | None) -> Resolution:
    """`--pick N`: the Nth of an ambiguous answer's candidates (as numbered in its list)."""
    if pick is None:
        return res
    if res.status != "ambiguous":
        raise UserError("--pick은 후보가 여럿일 때만 쓸 수 있습니다.")
    if not 1 <= pick <= len(res.candidates):
        raise UserError(f"--pick은 1부터 {len(res.candidates)} 사이의 번호여야 합니다.")
    chosen = res.candidates[pick - 1]
    return Resolution("found", res.query, company=chosen, matched_by="pick")


def lookup(
    query: str = typer.Argument(..., help="회사 이름, 별칭, 영문명 또는 종목코드"),
    days: int = typer.Option(7, "--days", min=1, max=90, help="최근 며칠의 기사"),
    limit: int = typer.Option(5, "--limit", min=1, max=50, help="보여 줄 기사 수"),
    as_json: bool = typer.Option(False, "--json", help="JSON으로 출력"),
    pick: int | None = typer.Option(None, "--pick", min=1, help="후보가 여럿일 때 고를 번호"),
) -> None:
    """/news 와 같은 답: 회사의 최근 주요 기사 (없는 회사면 기사 본문 검색)."""
    try:
        text = clean_query(query)
    except QueryError as exc:
        raise UserError(str(exc).replace("`/news 화웨이`", "`briefings lookup 화웨이`")) from None
    now = utcnow()
    tz = settings().tz
    out: dict[str, Any] = {
        "query": text,
        "status": "none",
        "company": None,
        "candidates": [],
        "suggestions": [],
        "stories": [],
        "articles": [],
    }
    with db_session() as session:
        registry = registry_from_session(session)
        res = _picked(registry.resolve(text), pick)
        out["status"] = res.status
        out["candidates"] = [_company(c) for c in res.candidates]
        out["suggestions"] = [_company(c) for c in res.suggestions]
        if res.company is not None:
            out["company"] = _company(res.company)
            ids = registry.rollup_ids(res.company.id)  # a group answers with its affiliates' stories
            stories = top_stories(session, ids, now=now, days=days, limit=limit)
            out["stories"] = [
                {
                    "headline": s.headline,
                    "url": s.url,
                    "outlets_count": s.outlets_count,
                    "first_outlet": s.first_outlet,
                    "first_published_at": s.first_published_at.isoformat(),
                    "themes": list(s.themes),
                    "exclusive": s.exclusive,
                    "company": s.company or res.company.name,
                }
                for s in stories
            ]
        elif res.status == "none":
            from briefings.digest.nlp import get_nlp

            hits = search_articles(session, text, now=now, nlp=get_nlp(), days=max(days, 30), limit=limit)
            out["articles"] = [
                {
                    "title": h.title,
                    "url": h.url,
                    "outlet": h.outlet,
                    "outlets_count": h.outlets_count,
                    "published_at": h.published_at.isoformat(),
                }
                for h in hits
            ]
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    if res.company is not None:
        table = Table(title=f"{escape(res.company.label)} · 최근 {days}일 주요 뉴스", show_lines=False)
        grouped = any(s.company for s in stories)
        for col in ("#", *(("회사",) if grouped else ()), "제목", "매체", "시각 (KST)", "테마"):
            table.add_column(col)
        for i, s in enumerate(stories, start=1):
            outlets = s.first_outlet + (f" 외 {s.outlets_count - 1}개" if s.outlets_count > 1 else "")
            title = ("[단독] " if s.exclusive and "[단독]" not in s.headline else "") + s.headline
            when = s.first_published_at.astimezone(tz).strftime("%m-%d %H:%M")
            table.add_row(
                str(i),
                *((escape(s.company),) if grouped else ()),
                f"[link={escape(s.url)}]{escape(title)}[/link]",
                escape(outlets),
                when,
                escape(", ".join(s.themes)),
            )
        if stories:
            console.print(table)
        else:
            console.print(f"최근 {days}일 동안 {escape(res.company.name)} 관련 주요 기사가 없습니다.")
    elif res.status == "ambiguous":
        console.print(f"'{escape(text)}'에 해당하는 회사가 여럿입니다:")
        for i, c in enumerate(res.candidates, start=1):
            console.print(f"  {i}. {escape(c.label)}", highlight=False)
        console.print(
            f"번호로 고르려면: briefings lookup '{escape(text)}' --pick N (또는 정확한 이름으로 다시 찾기)",
            highlight=False,
        )
    else:
        if out["articles"]:
            unknown = josa(f"'{escape(text)}'", "은/는")
            console.print(f"등록된 회사 중 {unknown} 없어, 기사 본문에서 찾았습니다:")
            for a in out["articles"]:
                console.print(
                    f"• [link={escape(a['url'])}]{escape(a['title'])}[/link] · {escape(_outlets_label(a))}"
                )
        else:
            hint = ", ".join(escape(c.name) for c in res.suggestions)
            console.print(
                f"'{escape(text)}'에 대한 회사나 기사를 찾지 못했습니다." + (f" 혹시: {hint}" if hint else "")
            )


def register(app: typer.Typer) -> None:
    app.command("lookup")(lookup)
