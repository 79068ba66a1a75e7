"""Everything App Home shows of a user's briefings, for any number of channels in four statements.

A channel's page is its company subscriptions, saved queries (keywords, groups with affiliates),
followed themes, filters, cadence and alert sensitivity. The rows are read for all the channels at
once (channels, subscriptions, saved queries, filters), so a user in thirty channels costs App Home
what a user in one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from briefings.filters import FilterView, load_all_filters
from briefings.models import Channel
from briefings.saved_queries import SavedView, load_all_queries
from briefings.signals.alerts import as_sensitivity
from briefings.signals.spikes import DEFAULT_SENSITIVITY, Sensitivity
from briefings.subscriptions import SubscriptionView, list_team_subscriptions


@dataclass(frozen=True)
class ChannelPage:
    channel_id: str
    is_dm: bool
    cadence: str | None
    briefing_time: str | None
    sensitivity: Sensitivity
    themes: tuple[str, ...]
    companies: tuple[SubscriptionView, ...]
    saved: tuple[SavedView, ...]
    filters: tuple[FilterView, ...]  # without "이미 본 소식" (one story each: not a setting to manage)

    @property
    def empty(self) -> bool:
        return not (self.companies or self.saved or self.themes or self.filters)


def load_pages(
    session: Session,
    team_id: str,
    channel_ids: Sequence[str],
    subscriptions: Sequence[SubscriptionView] | None = None,
) -> list[ChannelPage]:
    """The pages of `channel_ids` that exist (have a row) in the workspace, in the order given.

    `subscriptions`: the workspace's subscriptions when the caller has read them already (App Home
    has), so they are not read twice.
    """
    wanted = list(dict.fromkeys(channel_ids))
    if not wanted:
        return []
    rows = {
        c.channel_id: c
        for c in session.scalars(
            select(Channel).where(Channel.team_id == team_id, Channel.channel_id.in_(wanted))
        )
    }
    found = [ch for ch in wanted if ch in rows]
    if not found:
        return []
    if subscriptions is None:
        subscriptions = list_team_subscriptions(session, team_id, channel_ids=found, include_dm=True)
    companies: dict[str, list[SubscriptionView]] = {}
    for sub in subscriptions:
        companies.setdefault(sub.channel_id, []).append(sub)
    saved = load_all_queries(session, team_id=team_id, channel_ids=found)
    filters = load_all_filters(session, team_id=team_id, channel_ids=found)
    pages = []
    for ch in found:
        row = rows[ch]
        rules = filters.get((team_id, ch))
        pages.append(
            ChannelPage(
                channel_id=ch,
                is_dm=row.is_dm,
                cadence=row.cadence,
                briefing_time=row.briefing_time,
                sensitivity=(
                    DEFAULT_SENSITIVITY
                    if row.alert_sensitivity is None
                    else as_sensitivity(row.alert_sensitivity)
                ),
                themes=tuple(row.themes or ()),
                companies=tuple(companies.get(ch, ())),
                saved=tuple(saved.get((team_id, ch), ())),
                filters=tuple(v for v in (rules.views if rules else ()) if v.kind != "story"),
            )
        )
    return pages
