"""The feed list as OPML 2.0, the format feed readers import and export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


class BadOPML(ValueError):
    """Not an OPML document we can read; the message is Korean."""


@dataclass(frozen=True, slots=True)
class OutlineFeed:
    url: str
    title: str
    category: str | None = None


def read_opml(data: bytes) -> list[OutlineFeed]:
    """Every outline with an xmlUrl, with the title of its enclosing folder as the category."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadOPML(f"OPML(XML) 형식이 아닙니다: {exc}") from None
    if root.tag != "opml":
        raise BadOPML(f"OPML 문서가 아닙니다 (<{str(root.tag)[:40]}>)")
    feeds: list[OutlineFeed] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue
        title = (outline.get("title") or outline.get("text") or "").strip()
        parent = outline.getparent()
        category = None
        if parent is not None and parent.tag == "outline" and not parent.get("xmlUrl"):
            category = (parent.get("title") or parent.get("text") or "").strip() or None
        feeds.append(OutlineFeed(url, title, category))
    return feeds


def write_opml(feeds: list[OutlineFeed], *, title: str, now: datetime) -> bytes:
    """OPML 2.0 with one folder per category (feeds without one at the top level)."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            if feed.category not in folders:
                folders[feed.category] = etree.SubElement(
                    body, "outline", text=feed.category, title=feed.category
                )
            parent = folders[feed.category]
        etree.SubElement(parent, "outline", type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
