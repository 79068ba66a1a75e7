"""`briefings subscribe|unsubscribe|channel`: `/news 구독`, `해지` and `시간`, without Slack.

So a channel's briefing can be set up and looked at (`briefings brief --builder`) before the Slack app
exists. Company names go through the same resolver as `/news`; a name that is ambiguous or unknown
stops the command with one line per name, and nothing is changed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from briefings.cadence import check_time_change, describe
from briefings.cli.common import UserError, console, db_session, err_console, settings
from briefings.companies import CompanyRef, resolve_company
from briefings.korean import has_final_consonant
from briefings.lookup import QueryError, clean_query
from briefings.subscriptions import (
    InvalidSetting,
    channel_settings,
    check_slack_id,
    list_subscriptions,
    set_briefing_time,
    set_timezone,
    subscribe,
    unsubscribe,
)
from briefings.timeutil import utcnow

TeamOption = Annotated[str, typer.Option("--team", help="워크스페이스(팀) ID, 예: T0123ABCD")]
ChannelOption = Annotated[str, typer.Option("--channel", help="채널 ID, 예: C0123ABCD (개인 구독은 DM ID)")]
NamesArgument = Annotated[
    list[str], typer.Argument(help="회사 이름, 별칭, 영문명 또는 종목코드 (여러 개 가능)")
]


def _ids(team: str, channel: str) -> tuple[str, str]:
    try:
        return check_slack_id(team, "팀"), check_slack_id(channel, "채널")
    except InvalidSetting as exc:
        raise UserError(str(exc)) from None


def _problem(name: str, session: Session) -> tuple[CompanyRef | None, str | None]:
    """The company a name means, or the Korean line saying why it means none or several."""
    try:
        text = clean_query(name)
    except QueryError as exc:
        return None, ("회사 이름이 비어 있습니다." if not name.strip() else str(exc))
    res = resolve_company(session, text)
    if res.status == "found" and res.company is not None:
        return res.company, None
    if res.status == "ambiguous":
        names = ", ".join(c.name for c in res.candidates)
        return None, f"'{text}'에 해당하는 회사가 여럿입니다: {names}. 정확한 이름으로 다시 입력하세요."
    hint = f" 혹시: {', '.join(c.name for c in res.suggestions)}" if res.suggestions else ""
    called = "이라는" if has_final_consonant(text) else "라는"
    return None, f"'{text}'{called} 회사를 찾지 못했습니다.{hint}"


def _resolve_all(session: Session, names: list[str]) -> list[CompanyRef]:
    """Every name's company, or exit 2 after one line per name that is not exactly one company."""
    found: list[CompanyRef] = []
    problems: list[str] = []
    for name in names:
        company, problem = _problem(name, session)
        if problem is not None:
            problems.append(problem)
        elif company is not None and company not in found:
            found.append(company)
    if problems:
        for line in problems:
            err_console.print(f"[bold red]오류:[/] {escape(line)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2)
    return found


def _schedule(session: Session, team: str, channel: str) -> str:
    row = channel_settings(session, team, channel)
    cfg = settings()
    tz = row.timezone if row and row.timezone else cfg.briefings_tz
    when = describe(row.cadence if row else None, row.briefing_time if row else None, cfg.briefing_time)
    return f"{when} ({tz})"


def _listed(label: str, names: list[str]) -> list[str]:
    return [f"{label}: {', '.join(names)}"] if names else []


def _report(team: str, channel: str, *parts: str) -> None:
    """`T1/C1 · 구독 시작: 삼성전자, 화웨이 · 브리핑 매일 08:00 (Asia/Seoul)` on one line."""
    console.print(escape(" · ".join([f"{team}/{channel}", *parts])), highlight=False, soft_wrap=True)


def subscribe_cmd(team: TeamOption, channel: ChannelOption, names: NamesArgument) -> None:
    """채널이 회사를 구독하게 합니다 (Slack의 `/news 구독`과 같음)."""
    team, channel = _ids(team, channel)
    now = utcnow()
    with db_session() as session:
        companies = _resolve_all(session, names)
        added = [c.name for c in companies if subscribe(session, team, channel, c.id, now=now)]
        already = [c.name for c in companies if c.name not in added]
        when = _schedule(session, team, channel)
    _report(team, channel, *_listed("구독 시작", added), *_listed("이미 구독 중", already), f"브리핑 {when}")


def unsubscribe_cmd(team: TeamOption, channel: ChannelOption, names: NamesArgument) -> None:
    """채널의 회사 구독을 해지합니다 (Slack의 `/news 해지`와 같음)."""
    team, channel = _ids(team, channel)
    with db_session() as session:
        companies = _resolve_all(session, names)
        removed = [c.name for c in companies if unsubscribe(session, team, channel, c.id)]
        absent = [c.name for c in companies if c.name not in removed]
    _report(team, channel, *_listed("구독 해지", removed), *_listed("구독 중이 아님", absent))


def channel_cmd(
    team: TeamOption,
    channel: ChannelOption,
    at: Annotated[str | None, typer.Option("--time", help="매일 브리핑 시각 HH:MM (예: 08:30)")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="채널의 시간대 (예: Asia/Seoul)")] = None,
) -> None:
    """채널의 브리핑 시각과 시간대를 바꾸거나, 지금 설정과 구독 목록을 보여 줍니다."""
    team, channel = _ids(team, channel)
    now = utcnow()
    with db_session() as session:
        try:
            if at is not None:
                row = channel_settings(session, team, channel)
                check_time_change(row.cadence if row else None)
                set_briefing_time(session, team, channel, at, now=now)
            if tz is not None:
                set_timezone(session, team, channel, tz, now=now)
        except InvalidSetting as exc:
            raise UserError(str(exc)) from None
        when = _schedule(session, team, channel)
        subs = [s.company_name for s in list_subscriptions(session, team, channel)]
    changed = "설정 변경 · " if at is not None or tz is not None else ""
    companies = ", ".join(subs) if subs else "없음 (`briefings subscribe`로 추가)"
    console.print(
        f"{team}/{channel} · {changed}브리핑 {when} · 구독: {companies}", highlight=False, soft_wrap=True
    )


def register(app: typer.Typer) -> None:
    app.command("subscribe")(subscribe_cmd)
    app.command("unsubscribe")(unsubscribe_cmd)
    app.command("channel")(channel_cmd)
