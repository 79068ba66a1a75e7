"""Shared, expensive test objects of the digest pipeline (built once per test session)."""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from briefings.digest.pipeline import ArticleInput, Digester
from briefings.models import Article

_TAG = re.compile(r"<[^>]+>")


@cache
def shared_digester() -> Digester:
    """The packaged registry with the process-wide Kiwi; its matcher adds user words once."""
    return Digester.default()


def knews_items(folder: Path) -> dict[str, dict[str, Any]]:
    """knews-rss items by URL, with their HTML summary turned into plain text (as the gatherer does)."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            text = html.unescape(html.unescape(_TAG.sub(" ", item.get("partialText") or "")))
            out.setdefault(
                item["url"],
                {
                    "title": html.unescape(item["title"]),
                    "body": " ".join(text.split()),
                    "published": item["date"],
                    "outlet": item["spec"]["publisher"]["name"],
                },
            )
    return out


def tera_items(path: Path) -> list[dict[str, Any]]:
    """The tera-rss economy items (title, lead, outlet, date as given), in file order."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


TERA_ITEMS = ("tera-rss-economy-2026-02", "items.jsonl")


@cache
def _tera_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def tera_item(path: Path, line: int) -> dict[str, Any]:
    """One tera-rss item by its line: headline and lead unescaped, its KST time made explicit."""
    item: dict[str, Any] = json.loads(_tera_lines(path)[line])
    lead = html.unescape(html.unescape(_TAG.sub(" ", item.get("lead") or "")))
    return {
        "title": html.unescape(html.unescape(item["title"])).strip(),
        "body": " ".join(lead.split()),
        "published": item["date_as_given"].removesuffix("Z").removesuffix(".000") + "+09:00",
        "outlet": item["outlet"],
        "url": item["url"],
    }


def tera_inputs(path: Path, lines: list[int]) -> list[ArticleInput]:
    """Digester inputs of tera-rss items by line (id = line), as the gatherer would store them."""
    out = []
    for line in lines:
        it = tera_item(path, line)
        published = datetime.fromisoformat(it["published"])
        out.append(ArticleInput(line, it["title"], it["body"], it["url"], published, it["outlet"]))
    return out


def stored_article(
    session: Session,
    *,
    url: str,
    title: str,
    body: str,
    outlet: str,
    title_key: str,
    published: datetime,
    seen: datetime,
) -> int:
    """An article row as the gatherer stores it, its keys hashed from `url` and `title_key`."""
    art = Article(
        url=url,
        url_key=hashlib.sha1(url.encode()).hexdigest(),
        title_key=hashlib.sha1(title_key.encode()).hexdigest(),
        outlet=outlet,
        title=title,
        summary="",
        body=body,
        published_at=published,
        seen_at=seen,
    )
    session.add(art)
    session.flush()
    return art.id
