"""`/news 삼성전자 HBM -스포츠 기간:30일`: a query with words or operators, answered with ranked stories.

A query of bare words that names a company (`/news 화웨이`, `/news 화 웨 이`) keeps the company answer
of `bot.answers.lookup`; anything else is parsed (`briefings.query`), read against the registry and the
analyser (`briefings.lookup.plan_search`) and answered from the same story ranking.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from bot import blocks as bk
from bot.deps import BotDeps
from bot.render import escape_mrkdwn, inert, story_line, summary_line, truncate
from briefings.filters import ChannelFilters, count_hidden, filter_conditions
from briefings.lookup import QueryError, StorySearch, plan_search, query_stories
from briefings.outlets import known_outlets
from briefings.query import Query, QuerySyntaxError, Vocabulary, parse_query

Answer = tuple[str, list[bk.BlockDict]]


def vocabulary(deps: BotDeps, session: Session) -> Vocabulary:
    """Theme words and outlet names operator values are checked against (kept for a minute)."""
    key = ("query-vocabulary", deps.now().replace(second=0, microsecond=0))
    cached: Vocabulary | None = deps.answers.get(key)
    if cached is None:
        cached = Vocabulary(themes=deps.theme_words(), outlets=known_outlets(session))
        deps.answers.put(key, cached)
    return cached


def parse(deps: BotDeps, session: Session, text: str) -> Query:
    try:
        return parse_query(text, vocabulary(deps, session))
    except QuerySyntaxError as exc:
        raise ValueError(str(exc)) from None


def describe(search: StorySearch, theme_labels: dict[str, str]) -> str:
    """What was searched, as one heading: 삼성전자 · HBM · -스포츠 · 테마:반도체."""
    parts: list[str] = []
    if search.company is not None:
        parts.append(search.company.name)
    parts += search.words
    parts += [f"테마:{theme_labels.get(t, t)}" for t in search.themes]
    parts += [f"매체:{o}" for o in search.outlets]
    parts += [f"-테마:{theme_labels.get(t, t)}" for t in search.exclude_themes]
    parts += [f"-매체:{o}" for o in search.exclude_outlets]
    return " · ".join(parts)


def hidden_note(count: int) -> str:
    return f"이 채널의 제외 설정으로 {count}건을 숨겼습니다 (`/news 제외 목록`)."


def answer_search(
    deps: BotDeps,
    session: Session,
    query: Query,
    search: StorySearch,
    *,
    filters: ChannelFilters | None = None,
) -> Answer:
    now = deps.now()
    days = search.days or deps.days
    filters = filters or ChannelFilters()
    extra = filter_conditions(session.get_bind().dialect.name, filters)
    stories = query_stories(
        session, search, now=now, days=days, limit=deps.page_size, extra=extra, nlp=deps.nlp()
    )
    excluded = count_hidden(session, search, filters, now=now, days=days)
    title = describe(search, deps.theme_labels)
    blocks: list[Block] = [bk.header(f"{truncate(title, 100)} · 최근 {days}일")]
    if not stories:
        shown = inert(truncate(title, 200))
        blocks.append(bk.section(f"최근 {days}일 동안 *{shown}*에 맞는 기사가 없습니다."))
    for i, story in enumerate(stories, start=1):
        about = f"[{escape_mrkdwn(story.company)}] " if story.company else ""
        line = story_line(story, now, deps.tz, theme_labels=deps.theme_labels)
        blocks.append(bk.section(f"{i}. {about}{line}{summary_line(story)}"))
    notes = []
    if query.exclude and search.exclude:
        notes.append("뺀 말: " + ", ".join(inert(w.text) for w in query.exclude))
    if excluded:
        notes.append(hidden_note(excluded))
    notes.append("검색 문법: `/news 도움말`")
    blocks.append(bk.context(" · ".join(notes)))
    text = f"{title}: 최근 {days}일 기사 {len(stories)}건"
    return bk.fallback_text(text), bk.check_blocks(blocks)


def structured(deps: BotDeps, session: Session, query: Query) -> StorySearch:
    """`QueryError` when nothing searchable is left (only stop words)."""
    return plan_search(query, registry=deps.index.get(session), nlp=deps.nlp())


__all__ = ["Answer", "QueryError", "answer_search", "parse", "structured", "vocabulary"]
