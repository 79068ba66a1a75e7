"""The outlets a user may name (`매체:한국경제`, `/news 제외 매체 …`): curated feeds and the feeds table.

An outlet is what stories record as theirs (`Story.first_outlet`, `Story.outlets`): the `outlet` of a
feed, or its name when it has none. A name nobody publishes under is refused, so a typo is never a
filter that silently matches nothing.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from briefings.gather.registry import load_default_feeds
from briefings.models import Feed


@cache
def _curated() -> frozenset[str]:
    """The packaged feed list's outlets: read once per process (parsing it cost more than a query)."""
    return frozenset(f.outlet or f.name for f in load_default_feeds())


def known_outlets(session: Session) -> frozenset[str]:
    names = set(_curated())
    for outlet, name in session.execute(select(Feed.outlet, Feed.name)):
        names.add(outlet or name)
    return frozenset(n for n in names if n)
