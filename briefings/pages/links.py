"""Page addresses, one place for the routes and for the links Slack answers carry.

Links are made of database ids only, so they stay the same for the life of a story or a company. A
chart's address names the last day it shows, so the image behind an address never changes and Slack's
image cache cannot show an old chart under a new message.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

STORY = re.compile(r"^/stories/([1-9][0-9]{0,17})$")
COMPANY = re.compile(r"^/companies/([1-9][0-9]{0,9})$")
CHART = re.compile(r"^/charts/companies/([1-9][0-9]{0,9})-([0-9]{4}-[0-9]{2}-[0-9]{2})\.png$")
STYLESHEET = "/pages.css"
ICON = "/favicon.svg"


def story_path(story_id: int) -> str:
    return f"/stories/{story_id}"


def company_path(company_id: int) -> str:
    return f"/companies/{company_id}"


def chart_path(company_id: int, last_day: date) -> str:
    return f"/charts/companies/{company_id}-{last_day.isoformat()}.png"


def absolute(public_url: str | None, path: str) -> str | None:
    """The public address of a page, None when `briefings web` is not published (no BRIEFINGS_PUBLIC_URL)."""
    return f"{public_url.rstrip('/')}{path}" if public_url else None


def safe_link(url: str | None) -> str | None:
    """A link from a feed, only when it is plain http(s) with a host; anything else is shown unlinked."""
    if not url:
        return None
    candidate = url.strip()
    if any(ch.isspace() or ord(ch) < 0x20 for ch in candidate):
        return None
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return candidate
