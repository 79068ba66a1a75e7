"""Full text for feeds that only carry a teaser: fetch the article page and let trafilatura find the body.

Pages are fetched through the same Fetcher (same limits, same per-host politeness), a few at a time;
any failure simply keeps the teaser, because an article with a short summary is still an article.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from briefings.gather.fetch import PAGE_ACCEPT, Fetcher, FetchError, FetchResult
from briefings.gather.parse import ParsedEntry, decode_body

TEASER_CHARS = 400
EXTRACT_CONCURRENCY = 4

# Runs extract_body somewhere it cannot stall the caller (a worker process, with a deadline).
Extract = Callable[[FetchResult], Awaitable[str | None]]


def needs_full_text(entry: ParsedEntry) -> bool:
    """An entry carries only a teaser when neither its body nor its summary is longer than one.

    Some outlets put the whole article in <description>; those are not fetched again.
    """
    return len(entry.body or entry.summary) < TEASER_CHARS


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def extract_body(page: bytes, content_type: str | None, url: str) -> str | None:
    """The article text of an HTML page, or None when trafilatura finds none."""
    import trafilatura  # heavy import, only for full-text feeds

    text, _codec = decode_body(page, content_type)
    result: Any = trafilatura.extract(
        text, url=url, include_comments=False, include_tables=False, favor_precision=True
    )
    if not isinstance(result, str):
        return None
    body = _tidy(result)
    return body or None


async def _in_thread(page: FetchResult) -> str | None:
    return await asyncio.to_thread(extract_body, page.content, page.content_type, page.url)


async def fill_full_text(
    fetcher: Fetcher,
    entries: Sequence[ParsedEntry],
    *,
    concurrency: int = EXTRACT_CONCURRENCY,
    extract: Extract | None = None,
) -> list[ParsedEntry]:
    """Entries with teasers replaced by extracted bodies where that worked; order kept."""
    gate = asyncio.Semaphore(concurrency)
    run_extract = extract or _in_thread

    async def one(entry: ParsedEntry) -> ParsedEntry:
        if not needs_full_text(entry):
            return entry
        async with gate:
            try:
                page = await fetcher.fetch(entry.url, accept=PAGE_ACCEPT)
            except FetchError:
                return entry
        if not page.content:
            return entry
        try:
            body = await run_extract(page)
        except Exception:  # a parser crash on one hostile page must not cost the feed its articles
            return entry
        if not body or len(body) <= len(entry.summary):
            return entry
        return replace(entry, body=body)

    return list(await asyncio.gather(*(one(e) for e in entries)))
