"""The feed list as operators manage it: add, remove, enable, import and export, and each feed's health."""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from briefings.gather.opml import OutlineFeed, read_opml, write_opml
from briefings.gather.urls import host_of, publisher_url
from briefings.models import Feed

DEFAULTS_RESOURCE = "feeds.toml"


class FeedRegistryError(ValueError):
    """Bad input for the feed list (invalid URL, duplicate, unknown feed); the message is Korean."""


@dataclass(frozen=True, slots=True)
class DefaultFeed:
    url: str
    name: str
    outlet: str
    category: str
    full_text: bool = False


def load_default_feeds() -> list[DefaultFeed]:
    """The project's curated list (briefings/data/feeds.toml)."""
    raw = resources.files("briefings").joinpath("data", DEFAULTS_RESOURCE).read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    return [
        DefaultFeed(
            url=item["url"],
            name=item["name"],
            outlet=item["outlet"],
            category=item.get("category", ""),
            full_text=bool(item.get("full_text", False)),
        )
        for item in data["feeds"]
    ]


def normalise_feed_url(url: str) -> str:
    try:
        return publisher_url(url)
    except ValueError as exc:
        raise FeedRegistryError(f"올바른 http(s) 피드 주소가 아닙니다: {url.strip()[:200]}") from exc


def check_zone(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    try:
        return ZoneInfo(name.strip()).key
    except (ZoneInfoNotFoundError, ValueError):
        raise FeedRegistryError(f"알 수 없는 시간대입니다: {name.strip()[:60]} (예: Asia/Seoul)") from None


def find_feed(session: Session, ref: str) -> Feed | None:
    """A feed by id ("12", "#12") or by URL (as given or canonical)."""
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        return session.get(Feed, int(ref.lstrip("#")))
    candidates = {ref}
    with contextlib.suppress(ValueError):
        candidates.add(publisher_url(ref))
    return session.scalar(select(Feed).where(Feed.url.in_(candidates)))


def add_feed(
    session: Session,
    url: str,
    *,
    now: datetime,
    name: str | None = None,
    outlet: str | None = None,
    category: str | None = None,
    full_text: bool = False,
    interval_seconds: int = 900,
    tz: str | None = None,
    utc_is_local: bool = False,
) -> Feed:
    canonical = normalise_feed_url(url)
    zone = check_zone(tz)
    existing = session.scalar(select(Feed).where(Feed.url == canonical))
    if existing is not None:
        raise FeedRegistryError(f"이미 등록된 피드입니다: #{existing.id} {existing.url}")
    name = (name or "").strip() or outlet or host_of(canonical)
    feed = Feed(
        url=canonical,
        name=name[:200],
        outlet=outlet.strip()[:200] if outlet and outlet.strip() else None,
        category=category,
        full_text=full_text,
        interval_seconds=interval_seconds,
        created_at=now,
        tz=zone,
        utc_is_local=utc_is_local,
    )
    session.add(feed)
    session.flush()
    return feed


def remove_feed(session: Session, ref: str) -> Feed:
    """Delete a feed (its fetch log goes with it; its articles stay, detached)."""
    feed = find_feed(session, ref)
    if feed is None:
        raise FeedRegistryError(f"등록되지 않은 피드입니다: {ref.strip()[:200]}")
    session.delete(feed)
    session.flush()
    return feed


def import_defaults(session: Session, *, now: datetime, interval_seconds: int = 900) -> tuple[int, int]:
    """Add every default feed not yet present; returns (added, already there)."""
    existing = set(session.scalars(select(Feed.url)))
    added = 0
    for item in load_default_feeds():
        url = publisher_url(item.url)
        if url in existing:
            continue
        add_feed(
            session,
            url,
            now=now,
            name=item.name,
            outlet=item.outlet,
            category=item.category or None,
            full_text=item.full_text,
            interval_seconds=interval_seconds,
        )
        existing.add(url)
        added += 1
    return added, len(load_default_feeds()) - added


def set_enabled(session: Session, ref: str, enabled: bool, *, now: datetime) -> Feed:
    """Stop or resume a feed; resuming forgets the failure run, so it is due at once."""
    feed = find_feed(session, ref)
    if feed is None:
        raise FeedRegistryError(f"등록되지 않은 피드입니다: {ref.strip()[:200]}")
    feed.enabled = enabled
    if enabled:
        feed.disabled_reason = None
        feed.consecutive_failures = 0
        feed.next_attempt_at = now
    else:
        feed.disabled_reason = "운영자가 중지했습니다"
    session.flush()
    return feed


def import_opml(
    session: Session, data: bytes, *, now: datetime, interval_seconds: int = 900
) -> tuple[int, int, list[str]]:
    """Add the OPML's feeds not yet present; returns (added, already there, refused lines)."""
    existing = set(session.scalars(select(Feed.url)))
    added = present = 0
    refused: list[str] = []
    for outline in read_opml(data):
        try:
            url = normalise_feed_url(outline.url)
        except FeedRegistryError as exc:
            refused.append(str(exc))
            continue
        if url in existing:
            present += 1
            continue
        add_feed(
            session,
            url,
            now=now,
            name=outline.title or None,
            category=(outline.category or "")[:50] or None,
            interval_seconds=interval_seconds,
        )
        existing.add(url)
        added += 1
    return added, present, refused


def export_opml(session: Session, *, now: datetime) -> bytes:
    feeds = [OutlineFeed(f.url, f.name, f.category) for f in list_feeds(session)]
    return write_opml(feeds, title="Briefings 피드 목록", now=now)


def feed_state(feed: Feed) -> str:
    if not feed.enabled:
        return "disabled"
    if feed.last_attempt_at is None:
        return "new"
    return "failing" if feed.consecutive_failures else "ok"


def health_record(feed: Feed) -> dict[str, Any]:
    """One feed's health as plain data (the `feeds list --json` row)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": feed.id,
        "url": feed.url,
        "name": feed.name,
        "outlet": feed.outlet,
        "category": feed.category,
        "full_text": feed.full_text,
        "state": feed_state(feed),
        "enabled": feed.enabled,
        "last_success_at": iso(feed.last_success_at),
        "last_attempt_at": iso(feed.last_attempt_at),
        "last_status": feed.last_status,
        "consecutive_failures": feed.consecutive_failures,
        "next_attempt_at": iso(feed.next_attempt_at),
        "last_kind": feed.last_kind,
        "last_error": feed.last_error,
        "tz": feed.tz,
        "utc_is_local": feed.utc_is_local,
        "disabled_reason": feed.disabled_reason,
    }


def list_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.id)))
