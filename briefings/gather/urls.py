"""Article and feed URLs: the link as the publisher gave it, and the canonical form articles are keyed by.

Two forms, on purpose. The link we store and post is the publisher's own URL with only campaign tags
(utm_*, fbclid …) and the fragment removed: its path and query keep their bytes, so an EUC-KR search
URL (`?q=%BB%EF`) or a bare query (`view.php?123456`) still opens the same page. The canonical form
(w3lib's, which sorts parameters and normalises percent-encoding byte for byte) is only the dedupe
key, so the same article reached with reordered parameters or an upper-case host is stored once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

# Query parameters that identify a campaign or a click, never the document.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ncid",
        "cmpid",
        "spm",
        "ref_src",
        "ref_url",
    }
)
TRACKING_PREFIXES = ("utm_", "utm-", "hmb_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Longer URLs are refused: the database columns hold 2,048 characters, and so do most browsers.
URL_MAX = 2048


class InvalidURLError(ValueError):
    """Not an absolute http(s) URL."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _strip_tracking(query: str) -> str:
    """Drop campaign parameters, keeping every other byte and separator of the query as given."""
    kept = [part for part in query.split("&") if part and not _is_tracking(part.split("=", 1)[0])]
    return "&".join(kept)


def publisher_url(url: str) -> str:
    """The link as published, minus tracking and fragment; scheme and host normalised (IDN → IDNA).

    Characters that may not appear in a URL (a raw space, raw Hangul) are percent-encoded as UTF-8;
    existing %XX escapes are left exactly as they are.
    """
    url = url.strip()
    if len(url) > URL_MAX:
        raise InvalidURLError(f"주소가 {URL_MAX:,}자를 넘습니다")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"잘못된 주소입니다: {url[:200]}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not hostname:
        raise InvalidURLError(f"http(s) 주소가 아닙니다: {url[:200]}")
    if parts.username or parts.password:
        raise InvalidURLError(f"사용자 정보가 들어간 주소는 받지 않습니다: {hostname[:100]}")
    host = unicodedata.normalize("NFC", hostname).rstrip(".")
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 literal
    if port not in (None, DEFAULT_PORTS[scheme]):
        netloc = f"{netloc}:{port}"
    query = _strip_tracking(parts.query) if parts.query else ""
    try:
        link = safe_url_string(urlunsplit((scheme, netloc, parts.path or "/", query, "")), encoding="utf-8")
    except (UnicodeError, ValueError) as exc:
        raise InvalidURLError(f"호스트 이름이 잘못된 주소입니다: {host[:100]}") from exc
    split = urlsplit(link)
    link = urlunsplit((split.scheme, split.netloc.lower(), split.path, split.query, ""))
    if len(link) > URL_MAX:
        raise InvalidURLError(f"주소가 {URL_MAX:,}자를 넘습니다")
    return link


def canonical_url(url: str) -> str:
    """The dedupe form of a URL (any form: it is made a publisher URL first)."""
    return canonicalize_url(publisher_url(url), keep_fragments=False)


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host and no user info (of any length: a hop may be long)."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port
    except ValueError:
        return False
    return (
        parts.scheme.lower() in DEFAULT_PORTS
        and bool(parts.hostname)
        and not (parts.username or parts.password)
    )


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def sha1_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def url_key(canonical: str) -> str:
    """Key of an already canonical URL (canonicalise first: keys must agree across feeds)."""
    return sha1_key(canonical)


_TITLE_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """Key that survives spacing, punctuation, width and case differences of one headline."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return sha1_key(_TITLE_NOISE.sub("", folded))
