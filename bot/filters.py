"""`/news 제외 …`: a channel's filters, added, listed and removed from the slash command.

    /news 제외 스포츠            a keyword (quoted for several words: 제외 "프로 야구")
    /news 제외 매체 한국경제     an outlet (one of the outlets the service reads)
    /news 제외 테마 인사         a theme
    /news 제외 목록              what this channel hides
    /news 제외 해제 스포츠       remove one (해제 매체 …, 해제 테마 …), or 해제 전체

What a filter does is `briefings.filters`; this module reads the command and words the answers.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import blocks as bk
from bot.deps import BotDeps
from bot.limits import SECTION_TEXT
from bot.render import cut_lines, inert
from briefings.filters import (
    MAX_FILTERS,
    Kind,
    add_filter,
    clear_filters,
    describe,
    load_filters,
    remove_filter,
)
from briefings.korean import josa
from briefings.lookup import word_readings
from briefings.outlets import known_outlets
from briefings.subscriptions import InvalidSetting

Answer = tuple[str, list[bk.BlockDict]]

KIND_WORDS: dict[str, Kind] = {
    "매체": "outlet",
    "언론사": "outlet",
    "outlet": "outlet",
    "source": "outlet",
    "테마": "theme",
    "theme": "theme",
    "키워드": "keyword",
    "keyword": "keyword",
}
LIST_WORDS = frozenset({"목록", "list", "보기"})
REMOVE_WORDS = frozenset({"해제", "취소", "삭제", "remove", "off"})
ALL_WORDS = frozenset({"전체", "모두", "all"})

USAGE = (
    "제외할 것을 함께 입력해 주세요. 예: `/news 제외 스포츠`, `/news 제외 매체 한국경제`, "
    "`/news 제외 테마 인사`, `/news 제외 목록`"
)


class FilterInputError(ValueError):
    """Bad input for a filter command; the message is one Korean line, already safe for mrkdwn."""


def _target(deps: BotDeps, session: Session, rest: str) -> tuple[Kind, str, list[list[str]]]:
    """(kind, stored value, keyword readings) for `매체 한국경제`, `테마 인사`, `스포츠`, `"프로 야구"`."""
    head, _, tail = rest.partition(" ")
    kind = KIND_WORDS.get(head.casefold())
    value = tail.strip() if kind else rest.strip()
    kind = kind or "keyword"
    value = value.strip().strip('"“”').strip()
    if not value:
        raise FilterInputError(USAGE)
    if kind == "outlet":
        names = {n.casefold().replace(" ", ""): n for n in known_outlets(session)}
        found = names.get(value.casefold().replace(" ", ""))
        if found is None:
            raise FilterInputError(
                f"'{inert(value[:30])}'라는 매체를 모릅니다. 예: `/news 제외 매체 한국경제`"
            )
        return kind, found, []
    if kind == "theme":
        slug = deps.theme_words().get(value.casefold())
        if slug is None:
            raise FilterInputError(f"'{inert(value[:30])}'라는 테마가 없습니다. 예: `/news 제외 테마 인사`")
        return kind, slug, []
    readings = [list(r) for r in word_readings(value, deps.nlp())]
    if not readings:
        raise FilterInputError(
            f"'{inert(value[:30])}'는 기사에서 가려낼 수 있는 말이 아닙니다 ('뉴스', '관련' 같은 말). "
            "다른 낱말로 입력해 주세요."
        )
    return kind, value, readings


def _label(deps: BotDeps, kind: Kind, value: str) -> str:
    shown = deps.theme_labels.get(value, value) if kind == "theme" else value
    return {"keyword": "키워드", "outlet": "매체", "theme": "테마", "story": "기사"}[
        kind
    ] + f" *{inert(shown)}*"


def run(
    deps: BotDeps,
    session: Session,
    rest: str,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    is_dm: bool,
) -> Answer:
    """The answer to `/news 제외 <rest>`; bad input raises `FilterInputError`."""
    rest = " ".join(rest.split())
    head, _, tail = rest.partition(" ")
    where = "DM" if is_dm else "이 채널"
    if head.casefold() in LIST_WORDS and not tail:
        return list_answer(deps, session, team_id=team_id, channel_id=channel_id, is_dm=is_dm)
    try:
        if head.casefold() in REMOVE_WORDS:
            if not tail:
                raise FilterInputError(
                    "해제할 것을 함께 입력해 주세요. 예: `/news 제외 해제 스포츠`, `/news 제외 해제 전체`"
                )
            if tail.casefold() in ALL_WORDS:
                n = clear_filters(session, team_id, channel_id)
                text = (
                    f"{where}의 제외 설정 {n}개를 모두 해제했습니다."
                    if n
                    else f"{where}에는 제외 설정이 없습니다."
                )
                return bk.fallback_text(text, escaped=True), bk.notice(text)
            kind, value, _readings = _target(deps, session, tail)
            removed = remove_filter(session, team_id, channel_id, kind, value)
            label = _label(deps, kind, value)
            text = (
                f"{label} 제외를 해제했습니다." if removed else f"{josa(label, '은/는')} 제외 중이 아닙니다."
            )
            return bk.fallback_text(text, escaped=True), bk.notice(text)
        kind, value, readings = _target(deps, session, rest)
        added = add_filter(
            session,
            team_id,
            channel_id,
            kind,
            value,
            now=deps.now(),
            readings=readings,
            user_id=user_id,
            is_dm=is_dm,
        )
    except InvalidSetting as exc:
        raise FilterInputError(inert(str(exc))) from None
    label = _label(deps, kind, value)
    if not added:
        text = f"{josa(label, '은/는')} 이미 제외 중입니다."
    else:
        text = f"{where}의 브리핑·알림·검색에서 {josa(label, '을/를')} 뺍니다. 되돌리려면 `/news 제외 해제 …`"
    return bk.fallback_text(text, escaped=True), bk.notice(text)


def list_answer(deps: BotDeps, session: Session, *, team_id: str, channel_id: str, is_dm: bool) -> Answer:
    filters = load_filters(session, team_id, channel_id)
    views = [v for v in filters.views if v.kind != "story"]
    seen = len(filters.views) - len(views)
    where = "DM" if is_dm else "이 채널"
    if not views and not seen:
        text = f"{where}에는 제외 설정이 없습니다. 예: `/news 제외 스포츠`, `/news 제외 매체 한국경제`"
        return bk.fallback_text(text, escaped=True), bk.notice(text)
    lines = [f"*{where}의 제외 설정* ({len(views)}/{MAX_FILTERS}개)"]
    lines += [f"• {inert(describe(v, deps.theme_labels))}" for v in views]
    if seen:
        lines.append(f"• 이미 본 소식으로 숨긴 기사 {seen}건")
    lines.append("해제: `/news 제외 해제 <키워드>`, `/news 제외 해제 매체 <매체>`, `/news 제외 해제 전체`")
    text = cut_lines(lines, SECTION_TEXT)
    return bk.fallback_text(f"제외 설정 {len(views)}개"), bk.check_blocks([bk.section(text)])
