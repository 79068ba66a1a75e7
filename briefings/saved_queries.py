"""Keyword subscriptions and groups with their affiliates: saved queries, one briefing section each.

    /news 구독 "HBM"               stories of any company that carry HBM
    /news 구독 "폴더블" 삼성전자     삼성전자's stories that carry 폴더블
    /news 구독 카카오 +계열사        the group and its affiliates (카카오뱅크, 카카오페이 …) in one section

A saved query is stored as read when it was saved (`search_json`), so answering it in a briefing run
needs neither the analyser nor the registry, but for a quoted phrase: its words must stand together in
the text, which the briefing checks as `/news` does (`briefings.lookup.with_phrases`), so the
phrase's readings are stored with what each spells (`adjacent`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from briefings.lookup import StorySearch
from briefings.models import SavedQuery
from briefings.subscriptions import InvalidSetting, ensure_channel

MAX_SAVED = 20  # per channel: each is a briefing section
AFFILIATES = ("+계열사", "+affiliates")


@dataclass(frozen=True, slots=True)
class SavedView:
    label: str
    search: StorySearch


def search_json(search: StorySearch) -> dict[str, Any]:
    return {
        "company": [search.company.id, search.company.name] if search.company else None,
        "company_ids": list(search.company_ids),
        "include": [[list(t) for t in options] for options in search.include],
        "exclude": [list(t) for t in search.exclude],
        "themes": list(search.themes),
        "outlets": list(search.outlets),
        "exclude_themes": list(search.exclude_themes),
        "exclude_outlets": list(search.exclude_outlets),
        "words": list(search.words),
        "adjacent": [[list(terms), key] for terms, key in search.adjacent],
    }


def search_from_json(data: dict[str, Any]) -> StorySearch:
    return StorySearch(
        company_ids=tuple(int(i) for i in data.get("company_ids") or ()),
        include=tuple(tuple(tuple(t) for t in options) for options in data.get("include") or ()),
        exclude=tuple(tuple(t) for t in data.get("exclude") or ()),
        themes=tuple(data.get("themes") or ()),
        outlets=tuple(data.get("outlets") or ()),
        exclude_themes=tuple(data.get("exclude_themes") or ()),
        exclude_outlets=tuple(data.get("exclude_outlets") or ()),
        words=tuple(data.get("words") or ()),
        adjacent=tuple((tuple(terms), str(key)) for terms, key in data.get("adjacent") or ()),
    )


def save_query(
    session: Session,
    team_id: str,
    channel_id: str,
    label: str,
    search: StorySearch,
    *,
    now: datetime,
    user_id: str | None = None,
    is_dm: bool = False,
) -> bool:
    """Save the query; False if the channel already follows it. `InvalidSetting` when it has too many."""
    ensure_channel(session, team_id, channel_id, now=now, is_dm=is_dm)
    existing = session.scalar(
        select(SavedQuery.id).where(
            SavedQuery.team_id == team_id, SavedQuery.channel_id == channel_id, SavedQuery.label == label
        )
    )
    if existing is not None:
        return False
    count = session.scalar(
        select(func.count())
        .select_from(SavedQuery)
        .where(SavedQuery.team_id == team_id, SavedQuery.channel_id == channel_id)
    )
    if (count or 0) >= MAX_SAVED:
        raise InvalidSetting(
            f"키워드 구독은 채널마다 {MAX_SAVED}개까지입니다. 몇 개를 해지한 뒤 추가해 주세요."
        )
    try:
        with session.begin_nested():
            session.add(
                SavedQuery(
                    team_id=team_id,
                    channel_id=channel_id,
                    label=label,
                    search=search_json(search),
                    created_by=user_id,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def remove_query(session: Session, team_id: str, channel_id: str, label: str) -> bool:
    result = session.execute(
        delete(SavedQuery).where(
            SavedQuery.team_id == team_id, SavedQuery.channel_id == channel_id, SavedQuery.label == label
        )
    )
    return bool(getattr(result, "rowcount", 0))


def list_queries(session: Session, team_id: str, channel_id: str) -> list[SavedView]:
    rows = session.scalars(
        select(SavedQuery)
        .where(SavedQuery.team_id == team_id, SavedQuery.channel_id == channel_id)
        .order_by(SavedQuery.id)
    )
    return [SavedView(r.label, search_from_json(r.search)) for r in rows]


def load_all_queries(
    session: Session, *, team_id: str | None = None, channel_ids: Collection[str] | None = None
) -> dict[tuple[str, str], list[SavedView]]:
    """Every channel's saved queries in one query (a delivery run composes for many channels; App
    Home reads a user's channels of one workspace)."""
    stmt = select(SavedQuery).order_by(SavedQuery.id)
    if team_id is not None:
        stmt = stmt.where(SavedQuery.team_id == team_id)
    if channel_ids is not None:
        stmt = stmt.where(SavedQuery.channel_id.in_(list(channel_ids)))
    out: dict[tuple[str, str], list[SavedView]] = {}
    for row in session.scalars(stmt):
        out.setdefault((row.team_id, row.channel_id), []).append(
            SavedView(row.label, search_from_json(row.search))
        )
    return out


def briefing_horizon(since: datetime) -> datetime:
    """How far back a briefing looks for a saved query's stories (new ones may have older first reports)."""
    return since - timedelta(days=1)
