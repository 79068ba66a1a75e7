"""Fixture feeds built in code: RSS 2.0 and Atom documents with Korean sample text written for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass
class Item:
    title: str
    link: str
    guid: str | None = None
    description: str = ""
    published: datetime | str | None = None
    content: str | None = None


def _date(value: datetime | str | None) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else format_datetime(value, usegmt=True)
    return f"<pubDate>{escape(text)}</pubDate>"


def rss(
    items: list[Item],
    *,
    title: str = "가나경제 - 산업",
    encoding: str | None = "utf-8",
    codec: str = "utf-8",
) -> bytes:
    """An RSS 2.0 document; `encoding` is what the prolog claims, `codec` what the bytes really are."""
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    parts = [
        prolog,
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>{escape(title)}</title><link>https://news.example.kr/</link>",
        "<description>테스트용 피드</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title><link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        parts.append(f"<description>{escape(item.description)}</description>")
        if item.content is not None:
            parts.append(f"<content:encoded><![CDATA[{item.content}]]></content:encoded>")
        parts.append(_date(item.published))
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(codec)


def atom(items: list[Item], *, title: str = "다라일보") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>urn:test:feed</id><updated>2026-11-20T00:00:00Z</updated>",
    ]
    for item in items:
        stamp = item.published.isoformat() if isinstance(item.published, datetime) else item.published
        parts.append(
            f'<entry><title>{escape(item.title)}</title><link href="{escape(item.link)}"/>'
            f"<id>{escape(item.guid or item.link)}</id><updated>{stamp}</updated>"
            f'<summary type="html">{escape(item.description)}</summary></entry>'
        )
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")


def items(count: int, *, host: str = "news.example.kr", prefix: str = "반도체", start: int = 1) -> list[Item]:
    """`count` distinct items with Korean headlines and bodies."""
    return [
        Item(
            title=f"{prefix} 수출 {n}개월 연속 증가…삼성전자·SK하이닉스 실적 개선 기대",
            link=f"https://{host}/article/{n}?utm_source=rss&utm_medium=feed",
            guid=f"{host}-{n}",
            description=f"<p>산업통상자원부는 {n}일 {prefix} 수출이 전년 대비 늘었다고 밝혔다.</p>",
        )
        for n in range(start, start + count)
    ]
