"""Text helpers shared by every Slack surface (lookups, App Home, daily briefings).

Everything that comes from a feed or a user goes through `escape_mrkdwn` before it reaches Slack, so a
headline or a query containing `<!channel>` or `<@U123>` shows as text and can never ping anyone.
Headlines, outlet names and queries also go through `inert`: their mrkdwn marks cannot restyle the
message, and invisible direction controls cannot reverse or hide the text around them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from urllib.parse import quote

from briefings.timeutil import as_utc

# Slack treats only these three characters as control characters in mrkdwn.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069) and the invisible direction
# marks (U+200E/200F, U+061C): in a headline they can flip or hide what follows it on the line.
_BIDI = str.maketrans(dict.fromkeys([0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
# mrkdwn has no escape character: the marks become their full-width twins, which look alike in Korean
# text (3～4일) and style nothing.
_MARKS = str.maketrans({"*": "＊", "_": "＿", "~": "～", "`": "｀"})


class StoryLike(Protocol):
    """What a story line needs: satisfied by `briefings.models.Story` and `briefings.lookup.StoryView`."""

    @property
    def headline(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def outlets_count(self) -> int: ...
    @property
    def first_outlet(self) -> str: ...
    @property
    def first_published_at(self) -> datetime: ...
    @property
    def themes(self) -> Sequence[str]: ...
    @property
    def exclusive(self) -> bool: ...


def escape_mrkdwn(text: str) -> str:
    """`&`, `<`, `>` as entities: Slack then shows them literally and never parses mentions or links."""
    return text.translate(_BIDI).translate(_ESCAPES)


def inert(text: str) -> str:
    """Text from outside (a headline, an outlet, a query) that shows exactly as written in mrkdwn."""
    return escape_mrkdwn(text).translate(_MARKS)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut (Block Kit rejects longer texts).

    Cut raw text, before escaping; for text that is already mrkdwn use `cut_mrkdwn`.
    """
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def cut_mrkdwn(text: str, limit: int) -> str:
    """At most `limit` characters of mrkdwn, never ending inside an entity (`&amp;`) or a `<link|label>`."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):  # escaped text has no bare `&`: this one starts a cut entity
        cut = cut[: cut.rfind("&")]
    return cut + "…"


def cut_lines(lines: Sequence[str], limit: int) -> str:
    """Whole mrkdwn lines joined while they fit in `limit`; `…` marks dropped ones."""
    whole = "\n".join(lines)
    if len(whole) <= limit:
        return whole
    out: list[str] = []
    used = 0
    for line in lines:
        cost = len(line) + (1 if out else 0)
        if used + cost > limit - 2:  # room for the "\n…" that says lines were dropped
            return "\n".join(out) + "\n…" if out else cut_mrkdwn(line, limit)
        out.append(line)
        used += cost
    return "\n".join(out)


def _safe_url(url: str) -> str | None:
    """Only http(s) links, with the characters that would end a Slack link percent-encoded."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


MAX_LINK_URL = 2000  # longer URLs are not links: a story line must fit a section with its neighbours


def link(url: str, text: str) -> str:
    """A mrkdwn link `<url|text>` with the text made inert; plain text when the URL is unusable."""
    label = inert(" ".join(text.split())) or escape_mrkdwn(url[:200])
    safe = _safe_url(url)
    if safe is None or len(safe) > MAX_LINK_URL:
        return label
    return f"<{safe.replace('&', '&amp;')}|{label}>"


def time_ago(dt: datetime, now: datetime, tz: tzinfo) -> str:
    """How long ago, the way Korean readers say it: 방금, 5분 전, 3시간 전, 어제, 11월 20일."""
    dt, now = as_utc(dt), as_utc(now)
    delta = now - dt
    if delta < timedelta(minutes=1):
        return "방금"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)}분 전"
    local, local_now = dt.astimezone(tz), now.astimezone(tz)
    days = (local_now.date() - local.date()).days
    if delta < timedelta(hours=24) and (days == 0 or delta < timedelta(hours=6)):
        return f"{int(delta.total_seconds() // 3600)}시간 전"
    if days == 1:
        return "어제"
    if local.year == local_now.year:
        return f"{local.month}월 {local.day}일"
    return f"{local.year}년 {local.month}월 {local.day}일"


def outlets_text(first_outlet: str, outlets_count: int) -> str:
    """`연합뉴스 외 4개 매체`: the first publisher and how many others carried the story."""
    outlet = inert(truncate(" ".join(first_outlet.split()), 60)) or "출처 미상"
    others = max(outlets_count - 1, 0)
    return f"{outlet} 외 {others}개 매체" if others else outlet


MAX_TAGS = 5


def theme_tags(themes: Sequence[str], labels: Mapping[str, str] | None = None) -> str:
    """Theme slugs as short tags (`#반도체 #AI`), shown with their Korean label when one is known."""
    names = [(labels or {}).get(slug, slug) for slug in themes if slug][:MAX_TAGS]
    return " ".join(f"`#{inert(truncate(name, 40))}`" for name in names)


def summary_line(story: object, max_chars: int = 300) -> str:
    """The story's summary on its own quoted line under the headline, or "" when it has none."""
    summary = getattr(story, "summary", None)
    if not summary:
        return ""
    return "\n>" + escape_mrkdwn(truncate(summary, max_chars))


FOLLOW_UP = "이어지는 소식"


def follows_of(story: object) -> tuple[str, str] | None:
    """(headline, link) of the earlier story this one develops: the channel's briefing message that
    showed it where there was one (`briefings.delivery.shown`), else its article; None for none."""
    follows = getattr(story, "follows", None)
    return (str(follows[0]), str(follows[1])) if follows else None


def follow_up_line(story: object, max_chars: int = 120) -> str:
    """ "이어지는 소식" under a story that develops an earlier one, linking the earlier story: the one
    rendering of it wherever a story is shown (briefing sections and theme lines, alerts, `/news`)."""
    follows = follows_of(story)
    if follows is None:
        return ""
    headline, url = follows
    return f"\n_{FOLLOW_UP}: " + link(url, truncate(headline, max_chars)) + "_"


def story_line(
    story: StoryLike,
    now: datetime,
    tz: tzinfo,
    *,
    theme_labels: Mapping[str, str] | None = None,
    max_headline: int = 300,
) -> str:
    """One mrkdwn line per story: [단독] headline (linked) · outlets · time ago in `tz` · theme tags."""
    parts = []
    prefix = "*[단독]* " if story.exclusive and "[단독]" not in story.headline else ""
    parts.append(prefix + "*" + link(story.url, truncate(story.headline, max_headline)) + "*")
    parts.append(outlets_text(story.first_outlet, story.outlets_count))
    parts.append(time_ago(story.first_published_at, now, tz))
    line = " · ".join(parts)
    tags = theme_tags(story.themes, theme_labels)
    return f"{line}  {tags}" if tags else line
