"""Feed markup → plain, NFC-normalised text, in time linear in the input.

libxml2's HTML parser reads the markup once and each later step visits every node once, so no input
can make cleaning quadratic (regexes over tags could: a 72 KB feed took seconds). Scripts, styles and
other invisible elements go with their content; block elements become spaces; inline ones vanish,
so <b>삼성</b>전자 stays one word. Attribute values never leak (<img alt="a > b">). Entities are
unescaped exactly once, by the parser: feedparser has already undone the XML layer, so an article
that writes "&amp;lt;" about HTML keeps its "&lt;".
"""

from __future__ import annotations

import contextlib
import re
import unicodedata

from lxml import etree

# Elements whose content is never text a reader sees.
INVISIBLE = ("script", "style", "noscript", "iframe", "template", "head", "object", "svg", "math")
BLOCKS = (
    *("p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "table", "tbody", "thead"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article", "header"),
    *("footer", "figure", "figcaption", "img", "hr", "dl", "dd", "dt", "pre", "center"),
)
# C0 controls (but tab, line feed, carriage return) and DEL: XML forbids them, libxml2 refuses them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_PARSER = etree.HTMLParser(
    recover=True, no_network=True, remove_comments=True, remove_pis=True, default_doctype=False
)


def squash(value: str) -> str:
    """Runs of (also zero-width) white space become one space; NFC, so 삼성 typed on a Mac matches."""
    return unicodedata.normalize("NFC", _SPACE.sub(" ", value).strip())


# A space before every block tag, opening or closing: its text never runs into the next block's.
_BLOCK_TAG = re.compile(r"<(?=/?(?:" + "|".join(BLOCKS) + r")\b)", re.I)


def _markup_text(value: str) -> str:
    root = etree.fromstring(f"<html><body>{_BLOCK_TAG.sub(' <', value)}</body></html>", _PARSER)
    if root is None:
        return ""
    etree.strip_elements(root, *INVISIBLE, with_tail=False)
    return str(etree.tostring(root, method="text", encoding="unicode", with_tail=False))


def clean_text(value: str | None) -> str:
    """HTML (or plain text that may carry entities) → one line of plain text."""
    if not value:
        return ""
    value = _CONTROLS.sub(" ", value)
    if "<![CDATA[" in value:  # a CDATA section wrapped twice: its markers are not text
        value = value.replace("<![CDATA[", "").replace("]]>", "")
    if "<" in value or "&" in value:
        with contextlib.suppress(ValueError, etree.LxmlError):  # refused by libxml2: kept as text
            value = _markup_text(value)
    return squash(value)
