"""`/news 구독 "HBM"`, `/news 구독 "폴더블" 삼성전자`, `/news 구독 카카오 +계열사`: saved queries.

A quoted word makes a subscription a saved query (read with the `/news` query syntax); `+계열사` after
a company follows its whole group in one section. Plain `구독 카카오` stays the company alone
(`bot.answers`). What is stored and how a briefing answers it: `briefings.saved_queries`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import blocks as bk
from bot import query_answer
from bot.deps import BotDeps
from bot.render import escape_mrkdwn, inert
from briefings.korean import josa
from briefings.lookup import QueryError, StorySearch
from briefings.saved_queries import AFFILIATES, remove_query, save_query
from briefings.subscriptions import InvalidSetting

Answer = tuple[str, list[bk.BlockDict]]


class SavedQueryError(ValueError):
    """Bad input; the message is one Korean line, already safe for mrkdwn."""


def is_saved_query(arg: str) -> bool:
    """Whether `구독 <arg>` means a saved query rather than one company."""
    text = arg.strip()
    return any(q in text for q in '"“”') or text.casefold().endswith(AFFILIATES)


def _affiliates(deps: BotDeps, session: Session, name: str) -> tuple[str, StorySearch]:
    registry = deps.index.get(session)
    res = registry.resolve(name)
    company = res.company or (res.candidates[0] if res.status == "ambiguous" and res.candidates else None)
    if company is None or res.matched_by == "fuzzy":
        raise SavedQueryError(
            f"'{inert(name[:40])}'라는 회사를 찾지 못했습니다. 예: `/news 구독 카카오 +계열사`"
        )
    if company.kind == "group":
        ids = registry.rollup_ids(company.id)
    else:
        group = company.group_name
        ids = [company.id] + [c.id for c in registry.companies.values() if group and c.group_name == group]
    ids = list(dict.fromkeys(ids))
    if len(ids) < 2:
        raise SavedQueryError(
            f"*{escape_mrkdwn(company.name)}*에는 등록된 계열사가 없습니다. "
            f"`/news 구독 {inert(company.name)}`로 구독해 주세요."
        )
    return f"{company.name} +계열사", StorySearch(company=company, company_ids=tuple(ids))


def _read(deps: BotDeps, session: Session, arg: str) -> tuple[str, StorySearch]:
    text = " ".join(arg.split())
    for suffix in AFFILIATES:
        if text.casefold().endswith(suffix):
            return _affiliates(deps, session, text[: -len(suffix)].strip())
    try:
        parsed = query_answer.parse(deps, session, text)
        search = query_answer.structured(deps, session, parsed)
    except (ValueError, QueryError) as exc:
        raise SavedQueryError(escape_mrkdwn(str(exc))) from None
    return text.replace("“", '"').replace("”", '"'), search


def subscribe(
    deps: BotDeps, session: Session, arg: str, *, team_id: str, channel_id: str, user_id: str, is_dm: bool
) -> Answer:
    label, search = _read(deps, session, arg)
    try:
        added = save_query(
            session, team_id, channel_id, label, search, now=deps.now(), user_id=user_id, is_dm=is_dm
        )
    except InvalidSetting as exc:
        raise SavedQueryError(inert(str(exc))) from None
    shown = f"*{inert(label)}*"
    where = "DM" if is_dm else "이 채널"
    if not added:
        text = f"{josa(shown, '은/는')} 이미 구독 중입니다."
    else:
        text = f"{shown} 구독을 시작했습니다. {where}의 브리핑에 이 구독의 소식이 한 묶음으로 실립니다."
    return bk.fallback_text(text, escaped=True), bk.notice(text)


def unsubscribe(deps: BotDeps, session: Session, arg: str, *, team_id: str, channel_id: str) -> Answer:
    text = " ".join(arg.split()).replace("“", '"').replace("”", '"')
    label = text
    for suffix in AFFILIATES:
        if text.casefold().endswith(suffix):
            label, _search = _affiliates(deps, session, text[: -len(suffix)].strip())
    shown = f"*{inert(label)}*"
    if remove_query(session, team_id, channel_id, label):
        reply = f"{shown} 구독을 해지했습니다."
    else:
        reply = f"{josa(shown, '은/는')} 구독 중이 아닙니다. 구독 목록: `/news 목록`"
    return bk.fallback_text(reply, escaped=True), bk.notice(reply)
