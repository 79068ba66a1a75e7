"""The daily briefing: what is new for a channel's companies since its previous briefing.

`compose_briefing` is pure (data and `now` in, a frozen `Briefing` out) so ranking, grouping and the
coverage footer are tested without a database; `load_briefing` gathers that data for one channel, and
`BriefingLoader` does the same for many channels while reading each company's stories only once.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from briefings.cadence import is_weekly, window_days
from briefings.config import Settings, get_settings
from briefings.db import in_chunks
from briefings.digest.nlp import Tokenizer, get_nlp
from briefings.feedback import Preferences, load_all_preferences, load_preferences
from briefings.filters import ChannelFilters, hidden_by_filters, hiding_rule, load_all_filters, load_filters
from briefings.gather.failures import label as failure_label
from briefings.lookup import StorySearch, search_terms, search_where, story_view, with_phrases
from briefings.models import Channel, Company, Feed, FetchAttempt, Story, StoryCompany, Subscription
from briefings.ranking import Rank, rank_stories
from briefings.recent import RecentStories, article_terms
from briefings.saved_queries import SavedView, briefing_horizon, list_queries, load_all_queries
from briefings.timeutil import as_utc

TOP_PER_COMPANY = 3
THEME_LINES = 8
FIRST_WINDOW = timedelta(hours=24)
# A story whose first report is older than this before the window is yesterday's news echoing, not new.
ECHO_SLACK = timedelta(hours=24)


@dataclass(frozen=True)
class StoryItem:
    """A story as a briefing shows it; satisfies `bot.render.StoryLike`."""

    id: int
    headline: str
    url: str
    first_outlet: str
    outlets_count: int
    exclusive: bool
    first_published_at: datetime
    last_published_at: datetime
    themes: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()  # primary companies, canonical names
    outlets: tuple[str, ...] = ()
    updated_at: datetime | None = None
    summary: str | None = None
    follows: tuple[str, str] | None = None  # (headline, url) of the earlier story this one develops
    follows_id: int | None = None  # that earlier story's id
    articles_count: int = 1


@dataclass(frozen=True)
class CompanySection:
    company: str
    stories: tuple[StoryItem, ...]
    more: int  # stories beyond the top ones: shown as "외 N건"


@dataclass(frozen=True)
class ThemeLine:
    """A "오늘의 테마" line: a story touching several of the channel's companies, or a followed theme."""

    story: StoryItem
    companies: tuple[str, ...]
    theme: str | None


@dataclass(frozen=True)
class SourceFailure:
    name: str
    error: str


@dataclass(frozen=True)
class Coverage:
    """How gathering went in the briefing's window: the footer reports it so silence is never mistaken."""

    sources_ok: int
    sources_total: int
    failed: tuple[SourceFailure, ...] = ()
    attempts: int = 0


@dataclass(frozen=True)
class Briefing:
    team_id: str
    channel_id: str
    briefing_date: date
    since: datetime
    now: datetime
    tz: str
    subscribed: tuple[str, ...]
    sections: tuple[CompanySection, ...]
    themes: tuple[ThemeLine, ...]
    coverage: Coverage
    theme_labels: Mapping[str, str] = field(default_factory=dict)
    hidden: int = 0  # new stories for this channel that its filters (`/news 제외`) hid
    weekly: bool = False  # a weekly cadence's briefing: the week's stories, ranked by `Rank.WEEK`
    slot: int = 0  # which of the day's briefings (twice a day: 0 or 1)

    @property
    def has_subscriptions(self) -> bool:
        return bool(self.subscribed)

    @property
    def empty(self) -> bool:
        """Nothing new for any subscribed company or followed theme."""
        return not self.themes and not any(s.stories for s in self.sections)

    @property
    def quiet(self) -> tuple[str, ...]:
        """Subscribed companies with nothing new: no story of their own and none in 오늘의 테마."""
        in_themes = {c for line in self.themes for c in line.companies}
        return tuple(s.company for s in self.sections if not s.stories and s.company not in in_themes)

    @property
    def story_count(self) -> int:
        return len(self.themes) + sum(len(s.stories) + s.more for s in self.sections)


# --- pure composition --------------------------------------------------------------------------


def is_new(story: StoryItem, since: datetime, now: datetime) -> bool:
    """New in (since, now]: reported (or first gathered into the story) since, and not an old story's echo."""
    since, now = as_utc(since), as_utc(now)
    if as_utc(story.first_published_at) <= since - ECHO_SLACK:
        return False
    last = as_utc(story.last_published_at)
    updated = as_utc(story.updated_at) if story.updated_at else last
    return (since < last <= now) or (since < updated <= now and last <= now)


def compose_briefing(
    *,
    team_id: str,
    channel_id: str,
    subscribed: Sequence[str],
    stories: Iterable[StoryItem],
    coverage: Coverage,
    since: datetime,
    now: datetime,
    tz: tzinfo,
    followed_themes: Sequence[str] = (),
    theme_labels: Mapping[str, str] | None = None,
    briefing_date: date | None = None,
    top: int = TOP_PER_COMPANY,
    hidden: Callable[[StoryItem], bool] | None = None,
    preferences: Preferences | None = None,
    saved: Sequence[tuple[str, Iterable[StoryItem]]] = (),
    weekly: bool = False,
    slot: int = 0,
) -> Briefing:
    """Group new stories by subscribed company; stories shared by two or more of them go to the themes.

    `stories` may hold anything (other companies' stories, old ones): only new stories whose primary
    companies include a subscribed company, or that carry a followed theme, are kept. `hidden` is the
    channel's filters (`briefings.filters.hidden_by_filters`): such stories are left out and counted.
    `weekly`: the week's briefing, ranked by the week's coverage (`Rank.WEEK`).
    """
    window = as_utc(now) - as_utc(since)
    rule = Rank.WEEK if weekly else Rank.FRESH
    wanted = list(dict.fromkeys(subscribed))
    wanted_set = set(wanted)
    followed = set(followed_themes)
    # Whether each story is new, decided once per story of this briefing (a story is in several of
    # its sections); kept with the briefing only, so no story outlives the composition through it.
    newness: dict[int, bool] = {}

    def new(story: StoryItem) -> bool:
        known = newness.get(story.id)
        if known is None:
            known = newness[story.id] = is_new(story, since, now)
        return known

    seen: set[int] = set()
    fresh: list[StoryItem] = []
    for story in stories:
        if story.id in seen or not new(story):
            continue
        seen.add(story.id)
        fresh.append(story)
    ranked = rank_stories(fresh, now, window, preferences, rule)

    per_company: dict[str, list[StoryItem]] = defaultdict(list)
    theme_lines: list[ThemeLine] = []
    hidden_count = 0
    for story in ranked:
        mine = tuple(c for c in story.companies if c in wanted_set)
        if hidden is not None and hidden(story):
            hidden_count += bool(mine) or bool(followed.intersection(story.themes))
            continue
        if len(mine) >= 2:
            theme_lines.append(ThemeLine(story, story.companies, _first_theme(story, followed)))
        elif len(mine) == 1:
            per_company[mine[0]].append(story)
        elif followed and followed.intersection(story.themes):
            theme_lines.append(ThemeLine(story, story.companies, _first_theme(story, followed)))

    sections = tuple(
        CompanySection(name, tuple(per_company[name][:top]), max(len(per_company[name]) - top, 0))
        for name in wanted
    )
    # A saved query (a keyword, a group with its affiliates) is a section of its own, ranked alike.
    for label, found in saved:
        mine_new = [s for s in found if new(s)]
        kept = [s for s in mine_new if hidden is None or not hidden(s)]
        hidden_count += len(mine_new) - len(kept)
        best = rank_stories(list({s.id: s for s in kept}.values()), now, window, preferences, rule)
        sections += (CompanySection(label, tuple(best[:top]), max(len(best) - top, 0)),)
    local_date = briefing_date or as_utc(now).astimezone(tz).date()
    return Briefing(
        team_id=team_id,
        channel_id=channel_id,
        briefing_date=local_date,
        since=as_utc(since),
        now=as_utc(now),
        tz=str(getattr(tz, "key", tz)),
        subscribed=tuple(wanted) + tuple(label for label, _found in saved),
        sections=sections,
        themes=tuple(theme_lines[:THEME_LINES]),
        coverage=coverage,
        theme_labels=dict(theme_labels or {}),
        hidden=hidden_count,
        weekly=weekly,
        slot=slot,
    )


def follow_up_ids(briefing: Briefing) -> set[int]:
    """The earlier stories the follow-ups of the briefing continue, wherever they are shown: its
    company and saved-query sections and its 오늘의 테마 lines."""
    shown = [s for section in briefing.sections for s in section.stories]
    shown += [line.story for line in briefing.themes]
    return {s.follows_id for s in shown if s.follows_id is not None}


def with_follow_up_links(briefing: Briefing, links: Mapping[int, str]) -> Briefing:
    """The briefing with each follow-up's "이어지는 소식" pointing at `links[earlier story id]` (the
    channel's earlier briefing message that showed it), where there is one; else the article stays."""
    if not links:
        return briefing

    def linked(story: StoryItem) -> StoryItem:
        url = links.get(story.follows_id) if story.follows_id is not None else None
        if url is None or story.follows is None:
            return story
        return replace(story, follows=(story.follows[0], url))

    sections = tuple(replace(s, stories=tuple(linked(x) for x in s.stories)) for s in briefing.sections)
    themes = tuple(replace(line, story=linked(line.story)) for line in briefing.themes)
    return replace(briefing, sections=sections, themes=themes)


def _first_theme(story: StoryItem, followed: set[str]) -> str | None:
    for slug in story.themes:
        if slug in followed:
            return slug
    return story.themes[0] if story.themes else None


# --- scheduling arithmetic (pure) --------------------------------------------------------------


def channel_tz(channel: Channel | None, settings: Settings) -> ZoneInfo:
    """The channel's own zone, else (a DM) its user's zone from Slack, else BRIEFINGS_TZ."""
    names = (channel.timezone, channel.user_tz if channel.is_dm else None) if channel is not None else ()
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return settings.tz


def parse_hhmm(value: str | None, default: str = "08:00") -> time:
    for candidate in (value, default):
        try:
            hh, mm = (candidate or "").strip().split(":")
            return time(int(hh), int(mm))
        except ValueError:
            continue
    return time(8, 0)


def due_at(briefing_date: date, hhmm: str | None, tz: tzinfo, default: str = "08:00") -> datetime:
    """The UTC instant a channel's briefing for `briefing_date` is due (its local time on that date)."""
    local = datetime.combine(briefing_date, parse_hhmm(hhmm, default), tzinfo=tz)
    return as_utc(local)


@dataclass(frozen=True)
class SlotWindow:
    """One briefing of a day: its slot (0 the first), its time, and the window it covers."""

    slot: int
    time: str  # HH:MM
    since: datetime
    until: datetime


def day_windows(briefing_date: date, times: Sequence[str], tz: tzinfo) -> list[SlotWindow]:
    """The windows of a day's briefings (`times`: at least one, `briefings.cadence.slot_times`) as
    delivery covers them: each slot from the one before it, the first from the previous day's last."""
    dues = [due_at(briefing_date, t, tz) for t in times]
    before = [due_at(briefing_date - timedelta(days=1), times[-1], tz), *dues]
    return [SlotWindow(slot, t, before[slot], dues[slot]) for slot, t in enumerate(times)]


def window_start(covered_until: datetime | None, now: datetime, *, max_days: int = 3) -> datetime:
    """Exactly where the previous briefing's window ended; the first briefing covers the last 24 hours.

    `max_days` is the cadence's reach (`briefings.cadence.window_days`: a weekly briefing covers the week).
    """
    start = as_utc(now) - FIRST_WINDOW
    if covered_until is None:
        return start
    last = as_utc(covered_until)
    # A channel silent for a week still gets a briefing of readable size, not a week's backlog.
    return max(last, as_utc(now) - timedelta(days=max_days))


# --- loading ---------------------------------------------------------------------------------------


class BriefingLoader:
    """Loads briefings for many channels of one run, reading the recent stories once.

    Stories, their companies, the stories they follow up, coverage and theme labels are each read in
    one query per kind, whatever the number of channels, companies or followed themes: composing for
    a thousand channels costs a few queries, not thousands.
    """

    def __init__(
        self,
        session: Session,
        *,
        now: datetime,
        settings: Settings | None = None,
        nlp: Callable[[], Tokenizer] | None = None,
    ) -> None:
        """`nlp`: the analyser a saved query's quoted phrase is checked with, asked for only when a
        channel has one (the process's one Kiwi, `briefings.digest.nlp.get_nlp`, by default)."""
        self.session = session
        self.now = as_utc(now)
        self.settings = settings or get_settings()
        self._nlp = nlp
        # A phrase's stories since a bound, checked once in the run however many channels save it.
        self._phrased: dict[tuple[StorySearch, datetime], list[StoryItem]] = {}
        self._company_stories: dict[int, list[StoryItem]] = {}
        self._coverage: dict[datetime, Coverage] = {}
        self._names: dict[int, str] | None = None
        self._theme_labels: dict[str, str] | None = None
        self._horizon = self.now - timedelta(days=3) - ECHO_SLACK
        self._subs: dict[tuple[str, str], list[int]] | None = None
        self._channels: dict[tuple[str, str], Channel] | None = None
        self._filters: dict[tuple[str, str], ChannelFilters] | None = None
        self._preferences: dict[tuple[str, str], Preferences] | None = None
        self._saved: dict[tuple[str, str], list[SavedView]] | None = None
        self._all_prefetched = False
        # Every story updated after the bound, for followed themes: (bound, stories).
        self._recent: tuple[datetime, list[StoryItem]] | None = None
        # The prefetched stories with their index terms: every channel's saved queries and keyword
        # filters are answered from it.
        self._index: RecentStories[StoryItem] | None = None

    def prefetch(self) -> None:
        """Read every channel, subscription and recent story at once (a delivery run needs most)."""
        subs: dict[tuple[str, str], list[int]] = defaultdict(list)
        for team_id, channel_id, company_id in self.session.execute(
            select(Subscription.team_id, Subscription.channel_id, Subscription.company_id).order_by(
                Subscription.id
            )
        ):
            subs[(team_id, channel_id)].append(company_id)
        self._subs = dict(subs)
        self._channels = {(c.team_id, c.channel_id): c for c in self.session.scalars(select(Channel))}
        self._filters = load_all_filters(self.session)
        self._preferences = load_all_preferences(self.session)
        self._saved = load_all_queries(self.session)
        recent = Story.last_published_at >= self._horizon
        items, by_company = self._load_items(recent)
        self._company_stories = {cid: [items[sid] for sid in sids] for cid, sids in by_company.items()}
        self._all_prefetched = True
        self._recent = (self._horizon, list(items.values()))
        wanted = frozenset().union(
            *(search_terms(v.search) for views in self._saved.values() for v in views),
            *(f.terms for f in self._filters.values()),
        )
        self._index = self._read_index(recent, items, by_company, wanted)

    def _read_index(
        self,
        where: ColumnElement[bool],
        items: dict[int, StoryItem],
        by_company: dict[int, list[int]],
        terms: frozenset[str],
    ) -> RecentStories[StoryItem]:
        """These stories with their primary companies and which of `terms` their articles carry."""
        companies: dict[int, list[int]] = defaultdict(list)
        for cid, sids in by_company.items():
            for sid in sids:
                companies[sid].append(cid)
        found = article_terms(self.session, where, terms) if terms and items else {}
        return RecentStories(items, companies, found, terms)

    def subscriptions(self, team_id: str, channel_id: str) -> list[int]:
        if self._subs is not None:
            return list(self._subs.get((team_id, channel_id), []))
        rows = self.session.scalars(
            select(Subscription.company_id)
            .where(Subscription.team_id == team_id, Subscription.channel_id == channel_id)
            .order_by(Subscription.id)
        )
        return list(rows)

    def load(
        self,
        team_id: str,
        channel_id: str,
        *,
        since: datetime | None = None,
        briefing_date: date | None = None,
        channel: Channel | None = None,
        company_ids: Sequence[int] | None = None,
        slot: int = 0,
    ) -> Briefing:
        if channel is None and self._channels is not None:
            channel = self._channels.get((team_id, channel_id))
        elif channel is None:
            channel = self.session.scalar(
                select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
            )
        tz = channel_tz(channel, self.settings)
        last = channel.covered_until if channel else None
        reach = window_days(channel.cadence if channel else None)
        start = as_utc(since) if since else window_start(last, self.now, max_days=reach)
        self._reach(start)
        ids = list(company_ids) if company_ids is not None else self.subscriptions(team_id, channel_id)
        names = self._company_names()
        subscribed = [names[i] for i in ids if i in names]
        stories = self._stories_of(ids)
        followed = list(channel.themes) if channel and channel.themes else []
        if followed:
            stories.extend(self._stories_with_themes(followed, start))
        views = (
            self._saved.get((team_id, channel_id), [])
            if self._saved is not None
            else list_queries(self.session, team_id, channel_id)
        )
        saved = self._saved_sections(views, briefing_horizon(start))
        return compose_briefing(
            team_id=team_id,
            channel_id=channel_id,
            subscribed=subscribed,
            stories=stories,
            coverage=self.coverage(start),
            since=start,
            now=self.now,
            tz=tz,
            followed_themes=followed,
            theme_labels=self.theme_labels(),
            briefing_date=briefing_date,
            hidden=self._hidden_rule(
                team_id, channel_id, stories + [s for _l, found in saved for s in found]
            ),
            preferences=self._preferences_of(team_id, channel_id),
            saved=saved,
            weekly=is_weekly(channel.cadence if channel else None),
            slot=slot,
        )

    def _saved_sections(
        self, views: Sequence[SavedView], since: datetime
    ) -> list[tuple[str, list[StoryItem]]]:
        """Each saved query's stories updated since `since`: from the run's stories when they cover
        it, else all of the channel's queries read together (a fixed number of statements either way)."""
        if not views:
            return []
        index = self._index
        if index is None or not all(index.covers(v.search) for v in views):
            wheres = [w for v in views if (w := search_where(self.session, v.search, since=since))]
            if not wheres:
                return [(v.label, []) for v in views]
            where = or_(*(and_(*w) for w in wheres))
            items, by_company = self._load_items(where)
            terms = frozenset().union(*(search_terms(v.search) for v in views))
            index = self._read_index(where, items, by_company, terms)
        return [(v.label, self._with_phrases(v.search, since, index.find(v.search, since))) for v in views]

    def _with_phrases(self, search: StorySearch, since: datetime, found: list[StoryItem]) -> list[StoryItem]:
        """A quoted phrase's words next to each other in the text, as `/news` checks them: the index
        only says that a story has every word somewhere (`briefings.lookup.with_phrases`)."""
        if not search.adjacent or not found:
            return found
        key = (search, as_utc(since))
        kept = self._phrased.get(key)
        if kept is None:
            page = [(story_view(s), s) for s in found]  # a StoryItem has a StoryView's columns
            kept = [s for _view, s in with_phrases(self.session, search, page, self._analyser())]
            self._phrased[key] = kept
        return kept

    def _analyser(self) -> Tokenizer:
        # Kiwi (seconds, hundreds of MB) is loaded for a phrase only, and once a process.
        return self._nlp() if self._nlp is not None else get_nlp()

    def _preferences_of(self, team_id: str, channel_id: str) -> Preferences | None:
        if self._preferences is None:
            return load_preferences(self.session, team_id, channel_id)
        return self._preferences.get((team_id, channel_id))

    def _hidden_rule(
        self, team_id: str, channel_id: str, stories: Sequence[StoryItem]
    ) -> Callable[[StoryItem], bool] | None:
        """The channel's filters as a rule over its candidate stories (their terms read in one query)."""
        if self._filters is not None:
            filters = self._filters.get((team_id, channel_id), ChannelFilters())
        else:
            filters = load_filters(self.session, team_id, channel_id)
        if not filters:
            return None
        index = self._index
        if (
            index is not None
            and filters.terms <= index.known_terms
            and all(s.id in index.items for s in stories)
        ):
            return lambda story: hidden_by_filters(story, filters, index.terms_of(story.id))
        return hiding_rule(self.session, filters, stories)

    def _reach(self, start: datetime) -> None:
        """A window older than the stories read so far (a weekly briefing): read back to it."""
        horizon = start - ECHO_SLACK
        if horizon < self._horizon:
            self._horizon = horizon
            self._company_stories = {}
            self._all_prefetched = False
            self._recent = None
            self._index = None

    def _company_names(self) -> dict[int, str]:
        if self._names is None:
            self._names = dict(self.session.execute(select(Company.id, Company.name)).all())
        return self._names

    def theme_labels(self) -> dict[str, str]:
        if self._theme_labels is None:
            self._theme_labels = load_theme_labels()
        return self._theme_labels

    def _stories_of(self, company_ids: Sequence[int]) -> list[StoryItem]:
        """The recent primary stories of these companies; the ones not read yet in one query."""
        missing = [] if self._all_prefetched else [c for c in company_ids if c not in self._company_stories]
        missing = list(dict.fromkeys(missing))
        for part in in_chunks(missing):
            wanted = select(StoryCompany.story_id).where(
                StoryCompany.company_id.in_(part),
                StoryCompany.is_primary.is_(True),
                StoryCompany.last_published_at >= self._horizon,
            )
            items, by_company = self._load_items(Story.id.in_(wanted))
            for cid in part:
                self._company_stories[cid] = [items[sid] for sid in by_company.get(cid, [])]
        return [item for cid in company_ids for item in self._company_stories.get(cid, [])]

    def _stories_with_themes(self, themes: Sequence[str], since: datetime) -> list[StoryItem]:
        bound = since - ECHO_SLACK
        if self._recent is None or bound < self._recent[0]:
            items, _ = self._load_items(Story.last_published_at > min(bound, self._horizon))
            self._recent = (min(bound, self._horizon), list(items.values()))
        wanted = set(themes)
        return [s for s in self._recent[1] if s.last_published_at > bound and wanted.intersection(s.themes)]

    def _load_items(self, where: ColumnElement[bool]) -> tuple[dict[int, StoryItem], dict[int, list[int]]]:
        """Stories matching `where` as StoryItems by id, and story ids per primary company.

        Three queries, each filtered the same way (never a list of story ids): the stories, their
        primary companies, and the earlier stories they follow up.
        """
        names = self._company_names()
        rows = self.session.scalars(select(Story).where(where).order_by(Story.id)).all()
        if not rows:
            return {}, {}
        primaries: dict[int, list[int]] = defaultdict(list)
        for story_id, company_id in self.session.execute(
            select(StoryCompany.story_id, StoryCompany.company_id)
            .join(Story, Story.id == StoryCompany.story_id)
            .where(where, StoryCompany.is_primary.is_(True))
            .order_by(StoryCompany.story_id, StoryCompany.company_id)
        ):
            primaries[story_id].append(company_id)
        earlier = aliased(Story)
        follows = {
            sid: (earlier_id, headline, url)
            for sid, earlier_id, headline, url in self.session.execute(
                select(Story.id, earlier.id, earlier.headline, earlier.url)
                .join(earlier, earlier.id == Story.follow_up_of_id)
                .where(where)
            )
        }
        items: dict[int, StoryItem] = {}
        for s in rows:
            item = story_item(s, [names[c] for c in primaries.get(s.id, []) if c in names])
            if s.id in follows:
                earlier_id, headline, url = follows[s.id]
                item = replace(item, follows=(headline, url), follows_id=earlier_id)
            items[s.id] = item
        by_company: dict[int, list[int]] = defaultdict(list)
        for s in rows:
            for company_id in primaries.get(s.id, []):
                by_company[company_id].append(s.id)
        return items, dict(by_company)

    def coverage(self, since: datetime) -> Coverage:
        cached = self._coverage.get(since)
        if cached is None:
            cached = load_coverage(self.session, since=since, now=self.now)
            self._coverage[since] = cached
        return cached


def story_item(story: Story, companies: Sequence[str]) -> StoryItem:
    return StoryItem(
        id=story.id,
        headline=story.headline,
        url=story.url,
        first_outlet=story.first_outlet,
        outlets_count=story.outlets_count,
        exclusive=story.exclusive,
        first_published_at=story.first_published_at,
        last_published_at=story.last_published_at,
        themes=tuple(story.themes or ()),
        companies=tuple(companies),
        outlets=tuple(story.outlets or ()),
        updated_at=story.updated_at,
        summary=story.summary,
        articles_count=story.articles_count,
    )


def load_coverage(session: Session, *, since: datetime, now: datetime) -> Coverage:
    """Per enabled feed: fetched successfully at least once in (since, now]? Failures say their kind."""
    since, now = as_utc(since), as_utc(now)
    feeds = session.execute(
        select(Feed.id, Feed.name, Feed.enabled, Feed.disabled_reason).order_by(Feed.id)
    ).all()
    if not feeds:
        return Coverage(0, 0)
    window = and_(FetchAttempt.at > since, FetchAttempt.at <= now)
    stats = {
        feed_id: (int(total or 0), int(ok or 0))
        for feed_id, total, ok in session.execute(
            select(
                FetchAttempt.feed_id,
                func.count(),
                func.sum(case((FetchAttempt.ok.is_(True), 1), else_=0)),
            )
            .where(window)
            .group_by(FetchAttempt.feed_id)
        )
    }
    # The latest failure of each feed, in plain Korean (never the exception text).
    last_error: dict[int, str] = {}
    for feed_id, kind, status, error in session.execute(
        select(FetchAttempt.feed_id, FetchAttempt.kind, FetchAttempt.status, FetchAttempt.error)
        .where(window, FetchAttempt.ok.is_(False))
        .order_by(FetchAttempt.at)
    ):
        last_error[feed_id] = failure_label(kind, status, error)
    ok = 0
    failed: list[SourceFailure] = []
    total = 0
    attempts = 0
    for feed_id, name, enabled, disabled_reason in feeds:
        tried, succeeded = stats.get(feed_id, (0, 0))
        attempts += tried
        if not enabled and not tried:
            continue
        total += 1
        if succeeded:
            ok += 1
        elif tried:
            failed.append(SourceFailure(name, last_error.get(feed_id, failure_label(None))))
        else:
            failed.append(SourceFailure(name, "수집 중지" if disabled_reason else "수집 시도 없음"))
    return Coverage(ok, total, tuple(failed), attempts)


def load_theme_labels() -> dict[str, str]:
    """Korean labels of theme slugs from the digester's taxonomy (slugs shown as they are without it)."""
    try:
        theme_module = importlib.import_module("briefings.digest.themes")
        labels = theme_module.default_taxonomy().labels
    except Exception:  # a missing or broken taxonomy must not stop a briefing
        return {}
    return {str(k): str(v) for k, v in labels.items()}


def load_briefing(
    session: Session,
    team_id: str,
    channel_id: str,
    *,
    now: datetime,
    since: datetime | None = None,
    briefing_date: date | None = None,
    settings: Settings | None = None,
) -> Briefing:
    """The briefing a channel would get at `now` (no subscriptions: a briefing with nothing subscribed)."""
    loader = BriefingLoader(session, now=now, settings=settings)
    return loader.load(team_id, channel_id, since=since, briefing_date=briefing_date)
