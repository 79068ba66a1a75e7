"""Feed bytes → clean, normalised entries. Decoding is ours, parsing is feedparser's.

Korean feeds often misstate their encoding: the HTTP header says one thing, the XML prolog another,
and `euc-kr` feeds carry CP949-only syllables. feedparser guesses on its own and the result can be
mojibake, so the bytes are decoded here (header, then prolog, then detection; EUC-KR read as CP949)
and feedparser receives UTF-8 whose prolog says so.

Two things are refused before any XML parser sees them: an HTML page served in place of a feed, and
a DOCTYPE that declares entities (entity expansion, "billion laughs"; feeds never need them).
A malformed or truncated document is a fault of the feed, but entries feedparser could salvage with
a title and a link are still kept: losing them would not make the feed healthier.
"""

from __future__ import annotations

import codecs
import io
import re
import xml.sax
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urljoin
from xml.sax.saxutils import unescape as xml_unescape
from zoneinfo import ZoneInfo

import feedparser
from charset_normalizer import from_bytes
from w3lib.url import canonicalize_url

from briefings.gather.dates import entry_date
from briefings.gather.text import clean_text
from briefings.gather.urls import (
    URL_MAX,
    InvalidURLError,
    publisher_url,
    sha1_key,
    title_key,
    url_key,
)

# Legacy Korean labels that all mean "read as CP949" (a superset of EUC-KR used by real sites).
KOREAN_LEGACY = frozenset(
    {
        *("euc_kr", "euc-kr", "euckr", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "korean"),
        *("cp949", "uhc", "windows-949", "x-windows-949", "ms949"),
    }
)
# Charsets that web servers announce by default rather than by knowledge of the document.
WEAK_HEADER_CHARSETS = frozenset({"latin_1", "iso8859-1", "ascii", "cp1252"})
FUTURE_TOLERANCE = timedelta(minutes=10)
OLDEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)
SUMMARY_CHARS = 500
GUID_MAX = 2048
DROP_REASONS = {"bad_char": "쓸 수 없는 문자", "long_url": "너무 긴 주소", "bad_url": "잘못된 주소"}
# Marks, in the decoded document, a character no database can store (a NUL, a lone surrogate written
# as a reference): a noncharacter, legal in XML, never in news text. Items carrying it are dropped.
BAD_CHAR = "\ufdd0"


class FeedParseError(Exception):
    """The body is not a feed we can use. `kind` is a stable machine word; the message is Korean."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    url: str  # the publisher's link (tracking removed): what is stored and posted
    canonical: str  # the dedupe form of `url`
    url_key: str
    guid: str | None
    guid_key: str | None
    title: str
    title_key: str
    summary: str
    body: str | None
    published_at: datetime


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: list[ParsedEntry]
    encoding: str
    # Set when the document was malformed and entries were salvaged from it.
    problem: str | None = None
    # The document ends before its root element closes (cut off in transit): a fault of the feed.
    truncated: bool = False
    skipped: int = 0
    # Items left out because they could not be stored (a lone surrogate, a NUL, a URL too long),
    # counted by reason: the feed's health says so, the rest of the feed is stored.
    dropped: tuple[tuple[str, int], ...] = ()

    @property
    def dropped_note(self) -> str | None:
        if not self.dropped:
            return None
        total = sum(n for _, n in self.dropped)
        reasons = ", ".join(f"{DROP_REASONS.get(reason, reason)} {n}개" for reason, n in self.dropped)
        return f"저장할 수 없는 항목 {total}개를 건너뛰었습니다 ({reasons})"


# --- charset --------------------------------------------------------------------------------------

_PROLOG = re.compile(rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def codec_name(label: str | None) -> str | None:
    """Python codec for a charset label, with every EUC-KR spelling read as CP949; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in KOREAN_LEGACY:
        return "cp949"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp949" if name in KOREAN_LEGACY else name


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def charset_from_document(body: bytes) -> str | None:
    """The encoding the document declares about itself: XML prolog, else an HTML meta tag."""
    head = body[:2048]
    match = _PROLOG.match(head) or _META.search(head)
    return match.group(1).decode("ascii") if match else None


def _has_multibyte_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not body.isascii()


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode `body`, trusting the HTTP header, then the document's declaration, then detection.

    A declaration is only taken if the bytes actually decode with it. Two refinements of the order:
    a header charset that servers send by default (ISO-8859-1, ASCII) yields to the document's own
    declaration; and bytes that are valid multi-byte UTF-8 are read as UTF-8 whatever a legacy label
    claims, because CP949 text is practically never valid UTF-8 and the reverse decodes as garbage.
    Returns (text, codec).
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, errors="replace").lstrip("\ufeff"), name
    header = codec_name(charset_from_content_type(content_type))
    declared = codec_name(charset_from_document(body))
    order: list[str] = []
    if header and not (header in WEAK_HEADER_CHARSETS and declared and declared != header):
        order.append(header)
    if declared:
        order.append(declared)
    if any(name not in ("utf-8", "ascii") for name in order) and _has_multibyte_utf8(body):
        order.insert(0, "utf-8")
    if not order:
        # ISO-2022-KR is 7-bit and so valid UTF-8 too: its designator sequence gives it away.
        order.append("iso2022_kr" if b"\x1b$)C" in body[:4096] else "utf-8")
    for name in order:
        try:
            return body.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(body[:200_000]).best()
    detected = codec_name(best.encoding) if best is not None else None
    if detected:
        try:
            return body.decode(detected), detected
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("utf-8", errors="replace"), "utf-8"


# --- clean text ---------------------------------------------------------------------------------


def outlet_from_title(title: str | None) -> str | None:
    """ "한겨레신문 - 경제" → "한겨레신문": the outlet is what precedes a section separator."""
    if not title:
        return None
    head = re.split(r"\s+[-|:>·]\s+|\s*::\s*", title[:1000], maxsplit=1)[0].strip()
    return head[:200] or None


# --- guards ---------------------------------------------------------------------------------------

_PREAMBLE = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*", re.S | re.I)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
FEED_ROOTS = frozenset({"rss", "feed", "rdf"})


def check_document(text: str) -> str:
    """Refuse what must never reach an XML parser or be mistaken for a feed; returns the root tag."""
    stripped = text.lstrip("\ufeff")
    if not stripped.strip():
        raise FeedParseError("empty", "빈 응답입니다")
    preamble = _PREAMBLE.match(stripped)
    end = preamble.end() if preamble else 0
    head = stripped[:end]
    if "<!ENTITY" in head.upper():
        raise FeedParseError("entity", "DOCTYPE에 엔터티 선언이 있어 거부했습니다 (엔터티 확장 공격 방지)")
    root = _ROOT.match(stripped, end)
    if root is None:
        if "<!ENTITY" in stripped[:65536].upper():
            raise FeedParseError("entity", "엔터티 선언이 있어 거부했습니다 (엔터티 확장 공격 방지)")
        raise FeedParseError("not_feed", "XML 피드가 아닙니다")
    name = root.group(1).rsplit(":", 1)[-1].lower()
    if name == "html" or "<!doctype html" in head.lower():
        raise FeedParseError("html", "피드 대신 HTML 페이지가 왔습니다")
    if name not in FEED_ROOTS:
        raise FeedParseError("not_feed", f"피드가 아닌 XML입니다 (<{root.group(1)[:40]}>)")
    return root.group(1)


def is_truncated(text: str, root: str) -> bool:
    return re.search(rf"</{re.escape(root)}\s*>\s*\Z", text[-512:]) is None


_PROLOG_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")


_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_RAW_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")


def _char_ref(match: re.Match[str]) -> str:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    storable = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
    return match.group(0) if storable or 0x10000 <= code <= 0x10FFFF else BAD_CHAR


def mark_bad_characters(text: str) -> str:
    """References to characters XML and the databases refuse become BAD_CHAR; stray controls go.

    Done once over the document, linearly, before any parser: feedparser itself crashes on &#xD800;.
    """
    if "&#" in text:
        text = _CHAR_REF.sub(_char_ref, text)
    if "\x00" in text:
        text = text.replace("\x00", BAD_CHAR)
    return _RAW_CONTROLS.sub(" ", text)


# Elements that carry (often escaped) text. feedparser hears about escaped text through one SAX
# callback per entity, which made a 1 MB escaped description take seconds; as a CDATA section the
# same text arrives in one piece. Only elements without child elements are rewritten.
_TEXT_ELEMENT = re.compile(
    r"<(title|description|summary|content|content:encoded|subtitle|dc:description)((?:\s[^<>]*)?)>"
    r"([^<]*)</\1\s*>"
)
_XML_ESCAPE = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7}));")
_XML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _xml_unescape(match: re.Match[str]) -> str:
    if match.group(1):
        return _XML_NAMED[match.group(1)]
    code = int(match.group(2), 16) if match.group(2) else int(match.group(3))
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else BAD_CHAR


_UNKNOWN_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});)")


def _as_cdata(match: re.Match[str]) -> str:
    body = match.group(3)
    if "&" not in body or _UNKNOWN_ENTITY.search(body):  # &nbsp; is not XML: left to the parser
        return match.group(0)
    if "&#" in body:
        unescaped = _XML_ESCAPE.sub(_xml_unescape, body)
    else:  # the common case, at the speed of str.replace
        unescaped = xml_unescape(body, {"&quot;": '"', "&apos;": "'"})
    name, attributes = match.group(1), match.group(2)
    return f"<{name}{attributes}><![CDATA[{unescaped.replace(']]>', ']]]]><![CDATA[>')}]]></{name}>"


def escaped_text_as_cdata(text: str) -> str:
    """Escaped text of feed elements rewritten as CDATA: the same document to any XML parser."""
    return _TEXT_ELEMENT.sub(_as_cdata, text) if "&" in text else text


def as_utf8_document(text: str) -> bytes:
    """UTF-8 bytes whose prolog agrees with them, so feedparser has nothing left to guess."""
    text = escaped_text_as_cdata(mark_bad_characters(text))
    return _PROLOG_ENCODING.sub(r'\1"utf-8"', text.lstrip("\ufeff"), count=1).encode("utf-8")


# --- entries --------------------------------------------------------------------------------------

UTF8_HEADERS = {"content-type": "application/xml; charset=utf-8"}


def feedparser_parse(document: bytes) -> Any:
    """feedparser on trusted UTF-8 bytes. Its HTML sanitiser is off: all markup is stripped afterwards."""
    return feedparser.parse(
        io.BytesIO(document),
        response_headers=UTF8_HEADERS,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def entry_time(parsed: Any, now: datetime, zone: tzinfo = UTC, utc_is_local: bool = False) -> datetime:
    """Publication time in UTC (zone-less dates read in `zone`); missing, implausible or future → `now`."""
    when = entry_date(parsed, zone=zone, utc_is_local=utc_is_local)
    if when is None or when > now + FUTURE_TOLERANCE or when < OLDEST_PLAUSIBLE:
        return now
    return when


def _teaser(text: str) -> str:
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text.rfind(" ", 0, SUMMARY_CHARS)
    return text[: cut if cut > SUMMARY_CHARS // 2 else SUMMARY_CHARS] + "…"


def normalise_entry(
    parsed: Any,
    *,
    base_url: str | None,
    now: datetime,
    zone: tzinfo = UTC,
    utc_is_local: bool = False,
) -> ParsedEntry | str | None:
    """One feedparser entry → ParsedEntry; None when it has no usable link or title (a quiet skip);
    a reason word (DROP_REASONS) when it cannot be stored at all."""
    guid_raw = parsed.get("id") or parsed.get("guid")
    guid = guid_raw.strip()[:GUID_MAX] if isinstance(guid_raw, str) and guid_raw.strip() else None
    link = parsed.get("link") or ""
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not isinstance(link, str) or not link.strip():
        return None
    if base_url:
        link = urljoin(base_url, link.strip())
    if len(link) > URL_MAX:
        return "long_url"
    try:
        url = publisher_url(link)
        canonical = canonicalize_url(url, keep_fragments=False)
    except (InvalidURLError, ValueError):
        return "bad_url"
    if len(canonical) > URL_MAX:
        return "long_url"
    title = clean_text(parsed.get("title"))
    if not title:
        return None
    summary = clean_text(parsed.get("summary"))
    body: str | None = None
    contents = parsed.get("content") or []
    if contents:
        text = clean_text(" ".join(str(c.get("value", "")) for c in contents))
        if len(text) > len(summary):
            body = text
    if not summary and body:
        summary = _teaser(body)
    if body == summary:
        body = None
    if any(BAD_CHAR in value for value in (title, summary, body or "", guid or "", url)):
        return "bad_char"
    return ParsedEntry(
        url=url,
        canonical=canonical,
        url_key=url_key(canonical),
        guid=guid,
        guid_key=sha1_key(guid) if guid else None,
        title=title,
        title_key=title_key(title),
        summary=summary,
        body=body,
        published_at=entry_time(parsed, now, zone, utc_is_local),
    )


def parse_feed(
    body: bytes,
    *,
    content_type: str | None = None,
    base_url: str | None = None,
    now: datetime,
    zone: tzinfo = UTC,
    utc_is_local: bool = False,
) -> ParsedFeed:
    """Decode, guard, parse and normalise one feed document. Raises FeedParseError if nothing is usable.

    `zone` is the feed's time zone, for dates written without an offset; `utc_is_local` reads a
    "Z" or GMT as that zone too, for feeds that stamp local time with a wrong "Z".
    """
    text, encoding = decode_body(body, content_type)
    root = check_document(text)
    result = feedparser_parse(as_utf8_document(text))
    problem: str | None = None
    exc = result.get("bozo_exception") if result.get("bozo") else None
    if isinstance(exc, xml.sax.SAXException):
        problem = f"XML 형식 오류: {exc}"[:300]
    entries: list[ParsedEntry] = []
    skipped = 0
    dropped: Counter[str] = Counter()
    seen: set[str] = set()
    last_kept = False
    for raw in result.entries:
        entry = normalise_entry(raw, base_url=base_url, now=now, zone=zone, utc_is_local=utc_is_local)
        last_kept = isinstance(entry, ParsedEntry)
        if isinstance(entry, str):
            dropped[entry] += 1
            continue
        if entry is None:
            skipped += 1
            continue
        if entry.url_key in seen:
            continue
        seen.add(entry.url_key)
        entries.append(entry)
    truncated = problem is not None and is_truncated(text, root)
    if truncated:
        problem = f"XML이 중간에 끊겼습니다: {problem}"[:300]
        # The document's last entry may have been cut mid-text: keep only those it finished.
        if last_kept and entries:
            entries = entries[:-1]
    if problem and not entries and not dropped:
        raise FeedParseError("truncated" if truncated else "malformed", problem)
    version = result.get("version") or ""
    if not version and not entries and not result.feed:
        raise FeedParseError("not_feed", "피드로 해석할 수 없습니다")
    title = clean_text(result.feed.get("title")) or None
    return ParsedFeed(
        title=title,
        entries=entries,
        encoding=encoding,
        problem=problem,
        truncated=truncated,
        skipped=skipped,
        dropped=tuple(sorted(dropped.items())),
    )


def parse_outcome(
    content: bytes,
    content_type: str | None,
    base_url: str,
    now: datetime,
    zone: str = "UTC",
    utc_is_local: bool = False,
) -> ParsedFeed | tuple[str, str]:
    """parse_feed with its failure as plain data, so it can come back from a worker process.

    It lives here, beside parse_feed, so a worker has everything it needs imported before its first job.
    """
    try:
        return parse_feed(
            content,
            content_type=content_type,
            base_url=base_url,
            now=now,
            zone=ZoneInfo(zone),
            utc_is_local=utc_is_local,
        )
    except FeedParseError as exc:
        return exc.kind, str(exc)
