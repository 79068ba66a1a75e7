"""One row per distinct article.

An article is the same one when its canonical URL matches, when its GUID matches within the outlet,
or when the outlet serves the same headline again under another URL within a few days. The decisions
(`select_new`, `edited_titles`) are pure functions over keys already stored; `store_entries` does the
I/O around them. A re-served article with a new date or an edited title is therefore never stored
twice and never counts as new again, but an edited headline on the same GUID replaces the stored one.

Queries take keys in chunks: PostgreSQL allows 65,535 parameters a statement, and one feed of
22,000 items would otherwise carry more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from briefings.db import in_chunks
from briefings.gather.parse import ParsedEntry
from briefings.models import Article

# Two items of one outlet with the same headline this close together are one story re-served.
# Further apart they are different articles that happen to share a title (daily columns, "오늘의 일정").
TITLE_WINDOW = timedelta(days=3)
# Keys per statement: three lists of this many stay far below PostgreSQL's 65,535 parameters.
CHUNK = 5000


@dataclass(slots=True)
class KnownKeys:
    """What the database already holds for a batch's keys (within one outlet for guid/title)."""

    url_keys: set[str] = field(default_factory=set)
    guid_keys: set[str] = field(default_factory=set)
    titles: dict[str, list[datetime]] = field(default_factory=dict)
    # (article id, stored title) per GUID key of the outlet: for edited headlines.
    by_guid: dict[str, tuple[int, str]] = field(default_factory=dict)

    def has_title(self, key: str, published_at: datetime) -> bool:
        return any(abs(published_at - when) <= TITLE_WINDOW for when in self.titles.get(key, ()))


def reliable_guids(entries: Sequence[ParsedEntry]) -> set[str]:
    """GUID keys that identify one URL each: a feed that reuses one GUID for many items has none."""
    urls_per_guid: dict[str, set[str]] = {}
    for entry in entries:
        if entry.guid_key:
            urls_per_guid.setdefault(entry.guid_key, set()).add(entry.url_key)
    return {key for key, urls in urls_per_guid.items() if len(urls) == 1}


def select_new(entries: Sequence[ParsedEntry], known: KnownKeys) -> list[ParsedEntry]:
    """Entries that are new articles: not in `known` and not a repeat of an earlier entry of the batch."""
    guids = reliable_guids(entries)
    seen = KnownKeys(set(known.url_keys), set(known.guid_keys), {k: list(v) for k, v in known.titles.items()})
    fresh: list[ParsedEntry] = []
    for entry in entries:
        guid = entry.guid_key if entry.guid_key in guids else None
        if entry.url_key in seen.url_keys or (guid and guid in seen.guid_keys):
            continue
        if seen.has_title(entry.title_key, entry.published_at):
            continue
        fresh.append(entry)
        seen.url_keys.add(entry.url_key)
        if guid:
            seen.guid_keys.add(guid)
        seen.titles.setdefault(entry.title_key, []).append(entry.published_at)
    return fresh


def edited_titles(entries: Sequence[ParsedEntry], known: KnownKeys) -> list[tuple[int, ParsedEntry]]:
    """(stored article id, entry) where the outlet re-served a stored GUID under a new headline."""
    guids = reliable_guids(entries)
    edits: dict[int, ParsedEntry] = {}
    for entry in entries:
        if entry.guid_key not in guids or entry.guid_key not in known.by_guid:
            continue
        article_id, title = known.by_guid[entry.guid_key]
        if entry.title != title and article_id not in edits:
            edits[article_id] = entry
    return sorted(edits.items(), key=lambda pair: pair[0])


def load_known(session: Session, outlet: str, entries: Sequence[ParsedEntry]) -> KnownKeys:
    """The stored keys that matter to this batch, one query of three index lookups per chunk."""
    known = KnownKeys()
    for part in in_chunks(entries, CHUNK):
        _load_known(session, outlet, part, known)
    return known


def _load_known(session: Session, outlet: str, entries: Sequence[ParsedEntry], known: KnownKeys) -> None:
    if not entries:
        return
    url_keys = sorted({e.url_key for e in entries})
    guid_keys = sorted({e.guid_key for e in entries if e.guid_key})
    title_keys = sorted({e.title_key for e in entries})
    # Three ORed terms, each matching one index exactly (url_key; outlet+title_key; outlet+guid_key):
    # "outlet AND (title OR guid)" would make SQLite walk every article of the outlet.
    terms: list[ColumnElement[bool]] = [
        Article.url_key.in_(url_keys),
        and_(Article.outlet == outlet, Article.title_key.in_(title_keys)),
    ]
    if guid_keys:
        terms.append(and_(Article.outlet == outlet, Article.guid_key.in_(guid_keys)))
    query = select(
        Article.url_key,
        Article.guid_key,
        Article.title_key,
        Article.published_at,
        Article.outlet,
        Article.id,
        Article.title,
    ).where(or_(*terms))
    wanted_urls, wanted_guids, wanted_titles = set(url_keys), set(guid_keys), set(title_keys)
    for row_url, row_guid, row_title, when, row_outlet, row_id, title in session.execute(query):
        if row_url in wanted_urls:
            known.url_keys.add(row_url)
        if row_outlet != outlet:
            continue
        if row_guid and row_guid in wanted_guids:
            known.guid_keys.add(row_guid)
            known.by_guid.setdefault(row_guid, (row_id, title))
        if row_title in wanted_titles:
            known.titles.setdefault(row_title, []).append(when)


def find_new(session: Session, outlet: str, entries: Sequence[ParsedEntry]) -> list[ParsedEntry]:
    if not entries:
        return []
    return select_new(entries, load_known(session, outlet, entries))


def _row(entry: ParsedEntry, *, feed_id: int | None, outlet: str, now: datetime) -> dict[str, object]:
    return {
        "url": entry.url,
        "canonical_url": entry.canonical,
        "url_key": entry.url_key,
        "guid": entry.guid,
        "guid_key": entry.guid_key,
        "title_key": entry.title_key,
        "feed_id": feed_id,
        "outlet": outlet[:200],
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "published_at": entry.published_at,
        "seen_at": now,
    }


def insert_articles(
    session: Session,
    entries: Sequence[ParsedEntry],
    *,
    feed_id: int | None,
    outlet: str,
    now: datetime,
    careful: bool = False,
) -> list[int]:
    """Insert already-deduplicated entries in one multi-row statement; returns the new ids.

    Should another process have stored one of them meanwhile, the unique url_key raises
    IntegrityError; the caller then rolls back and calls again with `careful=True`, which inserts
    row by row in savepoints and skips the duplicates, so a race never loses the rest.
    """
    if not entries:
        return []
    rows = [_row(e, feed_id=feed_id, outlet=outlet, now=now) for e in entries]
    if not careful:
        # A plain executemany (no RETURNING) is the fastest insert on SQLite and PostgreSQL alike;
        # the ids are then read back through the unique url_key index.
        session.execute(insert(cast(Table, Article.__table__)), rows)
        keys = [e.url_key for e in entries]
        found: list[int] = []
        for part in in_chunks(keys, CHUNK):
            found.extend(session.scalars(select(Article.id).where(Article.url_key.in_(part))))
        return sorted(found)
    ids: list[int] = []
    for row in rows:
        try:
            with session.begin_nested():
                ids.extend(session.scalars(insert(Article).returning(Article.id), [row]))
        except IntegrityError:
            continue
    return ids


def store_entries(
    session: Session,
    entries: Sequence[ParsedEntry],
    *,
    feed_id: int | None,
    outlet: str,
    now: datetime,
    careful: bool = False,
) -> list[int]:
    """Store the entries that are new articles and edited headlines; returns the new article ids."""
    if not entries:
        return []
    known = load_known(session, outlet, entries)
    for article_id, entry in edited_titles(entries, known):
        session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(title=entry.title, title_key=entry.title_key)
        )
    fresh = select_new(entries, known)
    return insert_articles(session, fresh, feed_id=feed_id, outlet=outlet, now=now, careful=careful)
