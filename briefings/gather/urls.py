"""URL canonicalisation and the fixed-width keys articles are deduplicated by.

The same article reaches us with campaign tags (utm_*, fbclid …), fragments, or an upper-case host;
none of those make it a different article, so they are removed before the URL is keyed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


class InvalidURLError(ValueError):
    """Not an absolute http(s) URL."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped.

    The path and the remaining parameters keep their order and case: servers may treat them as
    significant (articleView.html?idxno=123 is a different article from idxno=124).
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURLError(f"http(s) 주소가 아닙니다: {url[:200]}")
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"포트가 잘못된 주소입니다: {url[:200]}") from exc
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]" if port in (None, DEFAULT_PORTS[scheme]) else f"[{host}]:{port}"
    if parts.username or parts.password:
        raise InvalidURLError(f"사용자 정보가 들어간 주소는 받지 않습니다: {host}")
    query = parts.query
    if query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
        query = urlencode(kept, doseq=True)
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def is_http_url(url: str) -> bool:
    try:
        canonical_url(url)
    except InvalidURLError:
        return False
    return True


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
