"""The answers `/news` and its buttons give, as (fallback text, blocks): one place for both surfaces.

Pure of Bolt: functions take the dependencies, an open session and the request's workspace/channel,
so the slash command, the buttons and the terminal share exactly the same logic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot import blocks as bk
from bot import cadence as cadence_command
from bot import filters as filter_commands
from bot import query_answer, saved_queries
from bot.alerts_answers import alerts_answer
from bot.deps import BotDeps
from bot.limits import MAX_BLOCKS
from bot.render import escape_mrkdwn, inert
from briefings.cadence import check_time_change, describe
from briefings.companies import CompanyRef, Resolution, resolve_company
from briefings.delivery.shown import Permalink, follow_up_links
from briefings.digest.follow_ups import saga_order
from briefings.filters import ChannelFilters, count_hidden, filter_conditions, load_filters
from briefings.korean import euro, has_final_consonant, josa
from briefings.lookup import (
    QueryError,
    StorySearch,
    StoryView,
    clean_query,
    query_stories,
    search_articles,
    top_stories,
)
from briefings.models import Story, Subscription
from briefings.pages.links import absolute, company_path, story_path
from briefings.saved_queries import list_queries
from briefings.subscriptions import (
    InvalidSetting,
    channel_settings,
    list_subscriptions,
    set_briefing_time,
    subscribe,
    toggle_theme,
    unsubscribe,
)

Answer = tuple[str, list[bk.BlockDict]]

APOLOGY = "죄송합니다. 일시적인 문제로 답을 드리지 못했습니다. 잠시 후 다시 시도해 주세요."

SUBCOMMANDS: dict[str, str] = {
    "구독": "subscribe",
    "subscribe": "subscribe",
    "sub": "subscribe",
    "해지": "unsubscribe",
    "구독해지": "unsubscribe",
    "unsubscribe": "unsubscribe",
    "unsub": "unsubscribe",
    "목록": "list",
    "list": "list",
    "시간": "time",
    "time": "time",
    "테마": "theme",
    "theme": "theme",
    "추이": "trend",
    "trend": "trend",
    "알림": "alerts",
    "alerts": "alerts",
    "주기": "cadence",
    "cadence": "cadence",
    "제외": "exclude",
    "exclude": "exclude",
    "mute": "exclude",
    "도움말": "help",
    "도움": "help",
    "help": "help",
    "?": "help",
}

MISSING_ARGUMENT = {
    "subscribe": "구독할 회사 이름을 함께 입력해 주세요. 예: `/news 구독 화웨이`",
    "unsubscribe": "구독 해지할 회사 이름을 함께 입력해 주세요. 예: `/news 해지 화웨이`",
    "time": "브리핑 시간을 HH:MM 형식으로 함께 입력해 주세요. 예: `/news 시간 08:30`",
    "theme": "테마 이름을 함께 입력해 주세요. 예: `/news 테마 반도체`",
    "trend": "보도 추이를 볼 회사 이름을 함께 입력해 주세요. 예: `/news 화웨이 추이`",
    "exclude": filter_commands.USAGE,
    "cadence": cadence_command.USAGE,
}


# The subcommands that may also follow their company name.
TRAILING = frozenset({"subscribe", "unsubscribe", "trend"})


class InputError(ValueError):
    """Bad input from a user: the message is a short Korean explanation, shown ephemerally."""


@dataclass(frozen=True, slots=True)
class Command:
    action: Literal[
        "lookup",
        "subscribe",
        "unsubscribe",
        "list",
        "time",
        "theme",
        "alerts",
        "help",
        "trend",
        "exclude",
        "cadence",
    ]
    arg: str = ""


def parse_command(text: str | None) -> Command:
    """`/news` text → what to do; bad input raises `InputError` with the explanation to show."""
    # Slack sends the command text with &, < and > as HTML entities (KT&G arrives as KT&amp;G).
    text = (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    try:
        stripped = clean_query(text)
    except QueryError as exc:
        raise InputError(str(exc)) from None
    head, _, rest = stripped.partition(" ")
    action = SUBCOMMANDS.get(head.casefold())
    if action is None:
        # Korean puts the verb last: `삼성전자 구독` is `구독 삼성전자`.
        front, _, tail = stripped.rpartition(" ")
        if front.strip() and SUBCOMMANDS.get(tail.casefold()) in TRAILING:
            return Command(SUBCOMMANDS[tail.casefold()], front.strip())  # type: ignore[arg-type]
        return Command("lookup", stripped)
    rest = rest.strip()
    if action in MISSING_ARGUMENT and not rest:
        raise InputError(MISSING_ARGUMENT[action])
    return Command(action, rest)  # type: ignore[arg-type]


def quote(text: str, limit: int = 60) -> str:
    """A user's text shown back to them: inert (no mention, no styling) and short."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return inert(text)


# --- lookups -----------------------------------------------------------------------------------


def is_subscribed(session: Session, team_id: str, channel_id: str, company_id: int) -> bool:
    found = session.scalar(
        select(Subscription.id).where(
            Subscription.team_id == team_id,
            Subscription.channel_id == channel_id,
            Subscription.company_id == company_id,
        )
    )
    return found is not None


def company_page(
    deps: BotDeps,
    session: Session,
    company: CompanyRef,
    *,
    team_id: str,
    channel_id: str | None,
    offset: int = 0,
    days: int | None = None,
    interactive: bool = True,
    shared_by: str | None = None,
    notice: str | None = None,
    permalink: Permalink | None = None,
) -> Answer:
    """One page of a company's top stories; `channel_id` None hides the subscribe button.

    `permalink` (Slack's, for the channel's own messages): a follow-up's "이어지는 소식" links the
    channel's briefing message that showed the earlier story, where one did."""
    days = days or deps.days
    now = deps.now()
    subscribed = is_subscribed(session, team_id, channel_id, company.id) if channel_id else None
    filters = load_filters(session, team_id, channel_id) if channel_id else ChannelFilters()
    # The same popular company is asked for again and again: one answer per minute is enough, and the
    # "time ago" labels it shows stay true to the minute.
    key = (
        company.id,
        offset,
        days,
        subscribed,
        interactive,
        shared_by,
        notice,
        filters.views,
        now.replace(second=0, microsecond=0),
        (team_id, channel_id) if permalink is not None else None,  # links to this channel's messages
    )
    cached: Answer | None = deps.answers.get(key)
    if cached is not None:
        return cached
    ids = deps.index.get(session).rollup_ids(company.id)  # a group answers with its affiliates' stories
    if filters:  # the channel hides some stories: the same ranking, with the filters in the query
        search = StorySearch(company=company, company_ids=tuple(ids))
        extra = filter_conditions(session.get_bind().dialect.name, filters)
        stories = query_stories(
            session, search, now=now, days=days, limit=deps.page_size + 1, offset=offset, extra=extra
        )
        hidden = count_hidden(session, search, filters, now=now, days=days)
        if hidden:
            notice = " · ".join(filter(None, [notice, query_answer.hidden_note(hidden)]))
    else:
        stories = top_stories(session, ids, now=now, days=days, limit=deps.page_size + 1, offset=offset)
    has_more = len(stories) > deps.page_size
    linked = (team_id, channel_id, permalink) if channel_id and permalink else None
    stories = with_sagas(session, stories[: deps.page_size], linked=linked)
    blocks = bk.company_answer(
        company,
        stories,
        now=now,
        tz=deps.tz,
        days=days,
        offset=offset,
        has_more=has_more,
        subscribed=subscribed,
        interactive=interactive,
        shared_by=shared_by,
        theme_labels=deps.theme_labels,
        notice=notice,
        story_page=lambda story_id: absolute(deps.settings.briefings_public_url, story_path(story_id)),
    )
    blocks = with_page_link(blocks, deps.settings.briefings_public_url, company.id)
    text = f"{company.name}: 최근 {days}일 주요 뉴스 {len(stories)}건"
    answer = (bk.fallback_text(text), blocks)
    deps.answers.put(key, answer)
    return answer


def with_sagas(
    session: Session, stories: list[StoryView], *, linked: tuple[str, str, Permalink] | None = None
) -> list[StoryView]:
    """A page of stories with what each follows up ("이어지는 소식"), each saga told together.

    `linked` (team, channel, Slack's permalinks): the earlier story links the channel's briefing
    message that showed it, where one did; its article otherwise."""
    if not stories:
        return stories
    earlier = aliased(Story)
    rows = session.execute(
        select(Story.id, Story.follow_up_of_id, earlier.headline, earlier.url)
        .join(earlier, earlier.id == Story.follow_up_of_id)
        .where(Story.id.in_([s.id for s in stories]))
    ).all()
    shown: dict[int, str] = {}
    if linked is not None and rows:
        team_id, channel_id, permalink = linked
        ids = {r.follow_up_of_id for r in rows}
        shown = follow_up_links(session, team_id, channel_id, ids, permalink)
    follows = {r.id: (r.headline, shown.get(r.follow_up_of_id, r.url)) for r in rows}
    by_id = {s.id: replace(s, follows=follows.get(s.id)) for s in stories}
    order = saga_order([s.id for s in stories], {r.id: r.follow_up_of_id for r in rows})
    return [by_id[k] for k in order if isinstance(k, int)]


def with_page_link(blocks: list[bk.BlockDict], public_url: str | None, company_id: int) -> list[bk.BlockDict]:
    """ "전체 보도 보기" (the company's page) above the buttons, when `briefings web` is published."""
    page = absolute(public_url, company_path(company_id))
    if page is None or len(blocks) >= MAX_BLOCKS:
        return blocks
    at = len(blocks) - 1 if blocks and blocks[-1].get("type") == "actions" else len(blocks)
    return [*blocks[:at], bk.context(f"<{page}|전체 보도 보기>").to_dict(), *blocks[at:]]


def resolve(deps: BotDeps, session: Session, query: str) -> Resolution:
    return resolve_company(session, query, registry=deps.index.get(session))


def company_by_id(deps: BotDeps, session: Session, company_id: object) -> CompanyRef | None:
    if not isinstance(company_id, int) or isinstance(company_id, bool):
        return None
    return deps.index.get(session).companies.get(company_id)


# A multi-word query read as one company only when it is exactly its name, alias or ticker.
_EXACT_NAME = frozenset({"alias", "ticker", "group"})


def lookup(
    deps: BotDeps,
    session: Session,
    query: str,
    *,
    team_id: str,
    channel_id: str | None,
    permalink: Permalink | None = None,
) -> Answer:
    """`/news 화웨이`: the company's stories, candidates for an ambiguous name, or full-text hits.

    A query with operators, quotes, exclusions or OR, or words beside an exactly named company
    (`삼성전자 HBM`), is answered by `bot.query_answer`.
    """
    try:
        parsed = query_answer.parse(deps, session, query)
    except ValueError as exc:
        raise InputError(escape_mrkdwn(str(exc))) from None
    res = resolve(deps, session, query) if parsed.is_plain else None
    if res is None or (len(parsed.include) > 1 and res.matched_by not in _EXACT_NAME):
        try:
            search = query_answer.structured(deps, session, parsed)
        except QueryError as exc:
            raise InputError(escape_mrkdwn(str(exc))) from None
        if res is None or search.company is not None:
            filters = load_filters(session, team_id, channel_id) if channel_id else ChannelFilters()
            return query_answer.answer_search(deps, session, parsed, search, filters=filters)
    if res.status == "found" and res.company is not None:
        note = None
        if res.matched_by == "fuzzy":
            asked = josa(f"'{quote(query)}'", "을/를")
            found = euro(f"*{escape_mrkdwn(res.company.name)}*")
            note = f"{asked} {found} 찾았습니다."
        return company_page(
            deps,
            session,
            res.company,
            team_id=team_id,
            channel_id=channel_id,
            notice=note,
            permalink=permalink,
        )
    if res.status == "ambiguous":
        return bk.fallback_text(f"{query}: 여러 회사 중 골라 주세요"), bk.candidates_answer(
            query, res.candidates
        )
    hits = search_articles(
        session, query, now=deps.now(), nlp=deps.nlp(), days=deps.search_days, limit=deps.page_size
    )
    blocks = bk.not_found_answer(
        query, res.suggestions, hits, now=deps.now(), tz=deps.tz, days=deps.search_days
    )
    text = f"{query}: 기사 {len(hits)}건" if hits else f"{query}: 찾지 못했습니다"
    return bk.fallback_text(text), blocks


# --- subscriptions and settings -------------------------------------------------------------------


def _resolve_one(deps: BotDeps, session: Session, name: str, action_id: str) -> CompanyRef | Answer:
    res = resolve(deps, session, name)
    if res.status == "found" and res.company is not None:
        return res.company
    if res.status == "ambiguous":
        return bk.fallback_text(f"{name}: 여러 회사 중 골라 주세요"), bk.candidates_answer(
            name, res.candidates, action_id=action_id
        )
    hint = ""
    if res.suggestions:
        hint = (
            " 혹시 "
            + josa(", ".join(f"*{escape_mrkdwn(s.name)}*" for s in res.suggestions), "을/를")
            + " 찾으셨나요?"
        )
    called = "이라는" if has_final_consonant(name) else "라는"
    text = f"'{quote(name)}'{called} 회사를 찾지 못했습니다.{hint}"
    return bk.fallback_text(text, escaped=True), bk.notice(text)


def do_subscribe(
    deps: BotDeps,
    session: Session,
    company: CompanyRef,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    is_dm: bool,
    enterprise_id: str | None = None,
) -> str:
    added = subscribe(
        session,
        team_id,
        channel_id,
        company.id,
        now=deps.now(),
        user_id=user_id,
        is_dm=is_dm,
        enterprise_id=enterprise_id,
    )
    where = "DM으로 매일" if is_dm else "이 채널에서 매일"
    name = escape_mrkdwn(company.name)
    if not added:
        return f"{josa(f'*{name}*', '은/는')} 이미 구독 중입니다."
    return f"*{name}* 구독을 시작했습니다. {where} 브리핑을 받습니다."


def do_unsubscribe(
    deps: BotDeps, session: Session, company: CompanyRef, *, team_id: str, channel_id: str
) -> str:
    removed = unsubscribe(session, team_id, channel_id, company.id)
    name = escape_mrkdwn(company.name)
    if removed:
        return f"*{name}* 구독을 해지했습니다."
    return f"{josa(f'*{name}*', '은/는')} 구독 중이 아닙니다."


def run_command(
    deps: BotDeps,
    session: Session,
    command: Command,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    is_dm: bool,
    enterprise_id: str | None = None,
    permalink: Permalink | None = None,
) -> Answer:
    """Everything but the lookup itself; `channel_id` is where subscriptions go (the DM for personal).
    `permalink`: Slack's links to the channel's messages, for a saga's earlier briefing message."""
    if command.action == "lookup":
        return lookup(deps, session, command.arg, team_id=team_id, channel_id=channel_id, permalink=permalink)
    if command.action == "help":
        return "/news 사용법", bk.help_answer()
    if command.action == "trend":
        from bot.trend import trend_answer  # bot.trend builds on this module

        found = _resolve_one(deps, session, command.arg, bk.PICK_TREND)
        return found if isinstance(found, tuple) else trend_answer(deps, session, found)
    if command.action == "cadence":
        try:
            return cadence_command.run(
                deps, session, command.arg, team_id=team_id, channel_id=channel_id, is_dm=is_dm
            )
        except InvalidSetting as exc:
            raise InputError(escape_mrkdwn(str(exc))) from None
    if command.action == "exclude":
        try:
            return filter_commands.run(
                deps,
                session,
                command.arg,
                team_id=team_id,
                channel_id=channel_id,
                user_id=user_id,
                is_dm=is_dm,
            )
        except filter_commands.FilterInputError as exc:
            raise InputError(str(exc)) from None
    if command.action in ("subscribe", "unsubscribe") and saved_queries.is_saved_query(command.arg):
        try:
            if command.action == "subscribe":
                return saved_queries.subscribe(
                    deps,
                    session,
                    command.arg,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    is_dm=is_dm,
                )
            return saved_queries.unsubscribe(
                deps, session, command.arg, team_id=team_id, channel_id=channel_id
            )
        except saved_queries.SavedQueryError as exc:
            raise InputError(str(exc)) from None
    if command.action in ("subscribe", "unsubscribe"):
        action_id = bk.SUBSCRIBE if command.action == "subscribe" else bk.UNSUBSCRIBE
        found = _resolve_one(deps, session, command.arg, action_id)
        if isinstance(found, tuple):
            return found
        if command.action == "subscribe":
            text = do_subscribe(
                deps,
                session,
                found,
                team_id=team_id,
                channel_id=channel_id,
                user_id=user_id,
                is_dm=is_dm,
                enterprise_id=enterprise_id,
            )
        else:
            text = do_unsubscribe(deps, session, found, team_id=team_id, channel_id=channel_id)
        return bk.fallback_text(text, escaped=True), bk.notice(text)
    if command.action == "list":
        subs = list_subscriptions(session, team_id, channel_id)
        channel = channel_settings(session, team_id, channel_id)
        schedule = describe(
            channel.cadence if channel else None,
            channel.briefing_time if channel else None,
            deps.settings.briefing_time,
        )
        themes = [deps.theme_labels.get(t, t) for t in (channel.themes if channel else [])]
        saved = [v.label for v in list_queries(session, team_id, channel_id)]
        blocks = bk.subscriptions_answer(subs, schedule=schedule, themes=themes, saved=saved)
        return bk.fallback_text(f"구독 {len(subs)}개"), blocks
    try:
        if command.action == "alerts":
            return alerts_answer(
                session,
                command.arg,
                team_id=team_id,
                channel_id=channel_id,
                is_dm=is_dm,
                now=deps.now(),
                enterprise_id=enterprise_id,
            )
        if command.action == "time":
            current = channel_settings(session, team_id, channel_id)
            check_time_change(current.cadence if current else None)
            hhmm = set_briefing_time(session, team_id, channel_id, command.arg, now=deps.now())
            where = "DM" if is_dm else "이 채널"
            schedule = escape_mrkdwn(describe(current.cadence if current else None, hhmm, hhmm))
            text = f"{where}의 브리핑 시간을 *{schedule}* ({deps.settings.briefings_tz})로 정했습니다."
        else:
            added, themes = toggle_theme(
                session, team_id, channel_id, command.arg, now=deps.now(), known=deps.theme_words()
            )
            labels = ", ".join(deps.theme_labels.get(t, t) for t in themes) or "없음"
            verb = "추가했습니다" if added else "해제했습니다"
            text = f"테마를 {verb}. 현재 관심 테마: {escape_mrkdwn(labels)}"
    except InvalidSetting as exc:
        raise InputError(escape_mrkdwn(str(exc))) from None
    return bk.fallback_text(text, escaped=True), bk.notice(text)
