"""Is this URL a feed? If it is a web page, which feed does it announce?

`feeds add` asks before it stores anything: the address must answer with a feed, or with an HTML
page whose `<link rel="alternate" type="application/rss+xml">` (or Atom) points to one. The same
Fetcher as the cycle does the asking, so the same limits and the same private-address refusal hold.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from briefings.config import Settings
from briefings.gather.failures import label
from briefings.gather.fetch import Fetcher, FetchError, FetchResult, resolve_checked
from briefings.gather.parse import FeedParseError, decode_body, parse_feed
from briefings.gather.urls import host_of, publisher_url

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
_HTML = etree.HTMLParser(recover=True, no_network=True)


class NotAFeed(ValueError):
    """The address gives no feed; the message is one Korean line for the operator."""


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str
    title: str | None
    entries: int
    discovered_from: str | None = None  # the HTML page the feed was found behind


def alternate_feeds(page: bytes, content_type: str | None, base_url: str) -> list[str]:
    """Feed URLs an HTML page announces in <link rel="alternate">, in page order."""
    text, _codec = decode_body(page, content_type)
    root = etree.fromstring(text.encode("utf-8"), _HTML) if text.strip() else None
    if root is None:
        return []
    found: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            url = urljoin(base_url, href)
            if url not in found:
                found.append(url)
    return found


def _why(exc: FetchError, settings: Settings) -> str:
    if exc.kind == "private":
        return f"{exc} (내부망 피드를 허용하려면 FEEDS_ALLOW_PRIVATE=1)"
    return f"{label(exc.kind, exc.status)}: {exc}"


async def _find(url: str, settings: Settings, now: datetime) -> FoundFeed:
    async with Fetcher(settings, concurrency=2, per_host=2) as fetcher:

        async def get(address: str) -> FetchResult:
            try:
                return await fetcher.fetch(address)
            except FetchError as exc:
                raise NotAFeed(f"피드를 가져오지 못했습니다 ({_why(exc, settings)})") from None

        first = await get(url)
        try:
            parsed = parse_feed(first.content, content_type=first.content_type, base_url=first.url, now=now)
            return FoundFeed(url, parsed.title, len(parsed.entries))
        except FeedParseError as exc:
            if exc.kind != "html":
                raise NotAFeed(f"피드가 아닙니다: {exc}") from None
        for candidate in alternate_feeds(first.content, first.content_type, first.url):
            try:
                feed_url = publisher_url(candidate)
                answer = await get(feed_url)
                parsed = parse_feed(
                    answer.content, content_type=answer.content_type, base_url=feed_url, now=now
                )
            except (NotAFeed, FeedParseError, ValueError):
                continue
            return FoundFeed(feed_url, parsed.title, len(parsed.entries), discovered_from=url)
        raise NotAFeed(
            '피드가 아닌 웹페이지입니다: 페이지에 RSS/Atom 피드 링크(<link rel="alternate">)도 없습니다'
        )


def find_feed_at(url: str, settings: Settings, *, now: datetime) -> FoundFeed:
    """The feed at `url`, or the one its HTML page announces. Raises NotAFeed."""
    return asyncio.run(_find(url, settings, now))


def check_address(url: str, settings: Settings) -> None:
    """Refuse a private, loopback or link-local host without fetching (for `feeds add --no-check`)."""
    port = 443 if url.startswith("https:") else 80

    async def run() -> None:
        try:
            await resolve_checked(host_of(url), port, allow_private=settings.feeds_allow_private)
        except FetchError as exc:
            if exc.kind == "private":
                raise NotAFeed(_why(exc, settings)) from None
            # An unresolvable name is let through: the feed may live on a network reached later.

    asyncio.run(run())
