"""`briefings companies add|alias|unalias|remove|list|seed`: the registry, changed without a release.

Operators' companies and aliases live in the database (source='operator'); `seed` loads the project's
curated registry next to them and never removes what an operator added.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from briefings.cli.common import UserError, console, db_session
from briefings.companies import (
    MARKETS,
    RegistryError,
    add_alias,
    add_company,
    load_registry_file,
    registry_from_session,
    registry_hash,
    remove_alias,
    remove_company,
    seed_companies,
)
from briefings.companies.store import mark_seeded
from briefings.korean import euro, josa
from briefings.models import Company
from briefings.timeutil import utcnow

companies_app = typer.Typer(help="회사 레지스트리 (회사 · 그룹 · 별칭)", no_args_is_help=True)


@companies_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="대표 이름 (예: 화웨이)"),
    en: str = typer.Option("", "--en", help="영문 이름"),
    ticker: str | None = typer.Option(None, "--ticker", help="종목코드 (예: 005930, AAPL, 0700)"),
    market: str | None = typer.Option(None, "--market", help=f"시장 ({', '.join(MARKETS)})"),
    country: str = typer.Option("KR", "--country", help="국가 코드 두 글자"),
    group: str | None = typer.Option(None, "--group", help="소속 그룹 (예: 삼성, LG, SK)"),
    kind: str = typer.Option("company", "--kind", help="company 또는 group"),
    alias: Annotated[list[str] | None, typer.Option("--alias", help="별칭 (여러 번 지정 가능)")] = None,
) -> None:
    """회사를 등록합니다."""
    try:
        with db_session() as session:
            company = add_company(
                session,
                name,
                now=utcnow(),
                name_en=en,
                kind=kind,
                ticker=ticker,
                market=market,
                country=country,
                group_name=group,
                aliases=alias or (),
            )
            label, count = company.name, len(company.aliases)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    console.print(f"회사 등록: {label} (이름·별칭 {count}개)", highlight=False)


@companies_app.command("alias")
def alias_cmd(
    name: str = typer.Argument(..., help="회사 이름 또는 별칭"),
    alias: str = typer.Argument(..., help="추가할 별칭"),
    needs_context: bool = typer.Option(
        False, "--needs-context", help="일반 단어이기도 한 별칭: 기업 문맥이 있을 때만 인정합니다"
    ),
) -> None:
    """회사에 별칭을 추가합니다."""
    try:
        with db_session() as session:
            row = add_alias(session, name, alias, needs_context=needs_context)
            company = row.company.name
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    note = " (문맥 필요)" if needs_context else ""
    console.print(f"별칭 추가: {alias.strip()} → {company}{note}", highlight=False)


@companies_app.command("unalias")
def unalias_cmd(
    name: str = typer.Argument(..., help="회사 이름 또는 별칭"),
    alias: str = typer.Argument(..., help="뺄 별칭"),
) -> None:
    """회사의 별칭을 뺍니다 (대표 이름은 뺄 수 없습니다)."""
    try:
        with db_session() as session:
            company = remove_alias(session, name, alias).name
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    console.print(f"별칭 삭제: {alias.strip()} ✕ {company}", highlight=False)


@companies_app.command("remove")
def remove_cmd(
    name: str = typer.Argument(..., help="지울 회사의 이름 또는 별칭"),
    force: bool = typer.Option(False, "--force", help="구독 중인 채널이 있어도 구독과 함께 지웁니다"),
) -> None:
    """회사를 지웁니다 (별칭, 기사 연결, --force면 구독까지)."""
    try:
        with db_session() as session:
            label = remove_company(session, name, force=force)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    console.print(f"회사 삭제: {label}", highlight=False)


def _as_dict(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "name_en": company.name_en,
        "kind": company.kind,
        "ticker": company.ticker,
        "market": company.market,
        "country": company.country,
        "group": company.group_name,
        "source": company.source,
        "aliases": [
            {"alias": a.alias, "needs_context": a.needs_context}
            for a in company.aliases
            if a.alias != company.name
        ],
    }


def _matching(session: Session, query: str | None) -> tuple[list[Company], str]:
    """The companies a query names, by the same resolver as `/news` and `lookup`; and a hint line."""
    companies = list(
        session.scalars(select(Company).options(selectinload(Company.aliases)).order_by(Company.id))
    )
    if not query or not query.strip():
        return companies, ""
    res = registry_from_session(session).resolve(query)
    hint = ""
    if res.company is not None:
        ids = [res.company.id]
        if res.matched_by == "fuzzy":
            hint = f"{josa(repr(query.strip()), '을/를')} {euro(res.company.name)} 찾았습니다."
    elif res.candidates:
        ids = [c.id for c in res.candidates]
    else:
        ids = []
        if res.suggestions:
            hint = "혹시: " + ", ".join(c.name for c in res.suggestions)
    by_id = {c.id: c for c in companies}
    return [by_id[i] for i in ids if i in by_id], hint


@companies_app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="JSON으로 출력"),
    query: str | None = typer.Option(None, "--query", "-q", help="이름·별칭·종목코드로 찾기"),
) -> None:
    """등록된 회사와 별칭을 보여 줍니다."""
    with db_session() as session:
        found, hint = _matching(session, query)
        rows = [_as_dict(c) for c in found]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        if query:
            raise UserError(f"찾는 회사가 없습니다: {query!r}" + (f" ({hint})" if hint else ""))
        console.print("등록된 회사가 없습니다. `briefings companies seed`로 기본 목록을 넣을 수 있습니다.")
        return
    table = Table(show_lines=False)
    for col in ("#", "이름", "영문", "종목코드", "국가", "그룹", "별칭", "출처"):
        table.add_column(col, overflow="fold")
    for r in rows:
        aliases = ", ".join(a["alias"] + ("*" if a["needs_context"] else "") for a in r["aliases"])
        ticker = f"{r['ticker']} ({r['market']})" if r["ticker"] and r["market"] else (r["ticker"] or "")
        name = r["name"] + (" [그룹]" if r["kind"] == "group" else "")
        table.add_row(
            str(r["id"]), name, r["name_en"], ticker, r["country"], r["group"] or "", aliases, r["source"]
        )
    console.print(table)
    if hint:
        console.print(hint, highlight=False)
    console.print(f"{len(rows)}개 (* 는 기업 문맥이 있어야 인정되는 별칭)", highlight=False)


@companies_app.command("seed")
def seed_cmd() -> None:
    """프로젝트의 기본 회사 목록을 데이터베이스에 넣습니다 (여러 번 실행해도 안전)."""
    records = load_registry_file()
    with db_session() as session:
        written = seed_companies(session, records, now=utcnow())
        mark_seeded(session, registry_hash())
        total = session.query(Company).count()
    console.print(f"기본 회사 목록 {len(records)}개 반영: {written}건 변경, 전체 {total}개", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(companies_app, name="companies")
