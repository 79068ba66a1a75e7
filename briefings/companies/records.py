"""Company records: what the registry knows about one company or group, and the one normalisation.

Records come from the project's data file (`briefings/data/companies.json`) or from the database
(`store.registry_from_session`); everything downstream (the resolver, the matcher) reads only these.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

KINDS = ("company", "group")
MARKETS = ("KOSPI", "KOSDAQ", "KONEX", "NASDAQ", "NYSE", "HKEX", "SSE", "SZSE", "TSE", "TWSE")


@dataclass(frozen=True, slots=True)
class AliasRecord:
    alias: str
    needs_context: bool = False


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """A company or group as the matcher sees it. `aliases` includes the canonical name itself."""

    id: int | None
    name: str
    name_en: str
    kind: str
    ticker: str | None
    market: str | None
    country: str
    group_name: str | None
    aliases: tuple[AliasRecord, ...]
    # Words that show an ambiguous alias means this company (아이폰 for 애플); data file only.
    cues: tuple[str, ...] = ()
    # Words that show the ordinary sense of an ambiguous alias (퇴치 near 기아); data file only.
    anti_cues: tuple[str, ...] = ()
    # Ambiguous aliases count only with the company's own cue words (라인 needs 메신저, 네이버 …).
    strict_context: bool = False
    # Its bare name is also a sports team's (삼성, LG, KIA, 한국전력 …); data file only.
    team: bool = False

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


@dataclass(frozen=True, slots=True)
class CompanyHit:
    """A company found in one article: primary when the article is about it, not just mentioning it."""

    company: CompanyRecord
    is_primary: bool
    salience: float
    mentions: int


def nfc(text: str) -> str:
    """Composed Hangul: macOS and some feeds write 한 as ㅎ+ㅏ+ㄴ (NFD), which no alias would match."""
    return unicodedata.normalize("NFC", text)


_SPACE_PUNCT = re.compile(r"[\s.,·ㆍ\-_'\"’`(){}\[\]]+")
_CORP_MARKERS = tuple(unicodedata.normalize("NFKC", m) for m in ("(주)", "㈜", "주식회사"))
# Traditional, Korean and simplified forms of the characters Chinese company names are written
# with (華為 / 華爲 / 华为): a query in any form finds the name registered in another.
_HANJA_VARIANTS = str.maketrans(
    {
        "爲": "为",
        "為": "为",
        "華": "华",
        "國": "国",
        "電": "电",
        "車": "车",
        "東": "东",
        "際": "际",
        "積": "积",
        "聯": "联",
        "訊": "讯",
        "騰": "腾",
        "網": "网",
        "雲": "云",
        "圖": "图",
        "湯": "汤",
        "視": "视",
        "曠": "旷",
        "榮": "荣",
        "蘋": "苹",
        "興": "兴",
        "寧": "宁",
        "時": "时",
        "亞": "亚",
        "達": "达",
        "偉": "伟",
        "鵬": "鹏",
        "來": "来",
        "團": "团",
        "螞": "蚂",
        "蟻": "蚁",
        "長": "长",
        "儲": "储",
        "紀": "纪",
        "節": "节",
        "動": "动",
        "樹": "树",
        "爾": "尔",
        "軟": "软",
        "發": "发",
        "鴻": "鸿",
        "飛": "飞",
        "產": "产",
        "業": "业",
        "銀": "银",
        "藥": "药",
        "寶": "宝",
        "貿": "贸",
        "機": "机",
    }
)


def normalize(text: str) -> str:
    """The key every name, alias and query is compared by, everywhere: NFKC, case-folded, without
    spaces, dots, hyphens or 주식회사, and Chinese characters in one (simplified) form."""
    text = unicodedata.normalize("NFKC", text).casefold()
    for marker in _CORP_MARKERS:
        text = text.replace(marker, "")
    return _SPACE_PUNCT.sub("", text).translate(_HANJA_VARIANTS)


def normalize_ticker(ticker: str) -> str:
    """Tickers compare upper-case, and Hong Kong codes without their leading zeros (0700 = 700)."""
    t = unicodedata.normalize("NFKC", ticker).strip().upper()
    return t.lstrip("0") or "0" if t.isdigit() and len(t) <= 5 else t


_TICKER_FORMS = {
    "KOSPI": re.compile(r"^[0-9][0-9A-Z]{5}$"),
    "KOSDAQ": re.compile(r"^[0-9][0-9A-Z]{5}$"),
    "KONEX": re.compile(r"^[0-9][0-9A-Z]{5}$"),
    "SSE": re.compile(r"^[0-9]{6}$"),
    "SZSE": re.compile(r"^[0-9]{6}$"),
    "HKEX": re.compile(r"^[0-9]{1,5}$"),
    "TSE": re.compile(r"^[0-9][0-9A-Z]{3}$"),
    "TWSE": re.compile(r"^[0-9]{4,6}$"),
    "NASDAQ": re.compile(r"^[A-Z][A-Z.]{0,5}$"),
    "NYSE": re.compile(r"^[A-Z][A-Z.]{0,5}$"),
}
_TICKER = re.compile(r"^[0-9A-Z][0-9A-Z.]{0,9}$")


def ticker_problem(ticker: str, market: str | None) -> str | None:
    """Why a ticker is not valid for its market (None when it is): 005930 on KOSPI, AAPL on NASDAQ."""
    t = ticker.strip().upper()
    form = _TICKER_FORMS.get(market.upper()) if market else None
    if (form or _TICKER).match(t):
        return None
    where = f"{market.upper()} " if market else ""
    return f"종목코드 형식이 올바르지 않습니다: {ticker!r} ({where}예: 005930, AAPL, 0700)"


def valid_ticker(ticker: str, market: str | None = None) -> bool:
    return ticker_problem(ticker, market) is None


# --- the packaged data file --------------------------------------------------------------------


def registry_text(path: Path | None = None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    return resources.files("briefings").joinpath("data/companies.json").read_text(encoding="utf-8")


def registry_hash(path: Path | None = None) -> str:
    """A content hash of the data file: seeding compares it, so a release's new aliases are applied."""
    return hashlib.sha256(registry_text(path).encode("utf-8")).hexdigest()


def _record_from_entry(entry: dict[str, Any]) -> CompanyRecord:
    name = nfc(str(entry["name"]).strip())
    context_only = [nfc(str(a).strip()) for a in entry.get("context_aliases", [])]
    flagged = {normalize(a) for a in context_only}
    aliases: list[AliasRecord] = []
    seen: set[str] = set()
    for alias in [name, *entry.get("aliases", []), *context_only]:
        alias = nfc(str(alias).strip())
        # Spelling variants that differ only in spacing or width (LG U+, LGU+, LGU＋) are all kept:
        # the matcher reads text as written.
        if not alias or alias.casefold() in seen:
            continue
        seen.add(alias.casefold())
        aliases.append(AliasRecord(alias, normalize(alias) in flagged))
    return CompanyRecord(
        id=None,
        name=name,
        name_en=str(entry.get("name_en", "")),
        kind=str(entry.get("kind", "company")),
        ticker=entry.get("ticker"),
        market=entry.get("market"),
        country=str(entry.get("country", "KR")),
        group_name=entry.get("group"),
        aliases=tuple(aliases),
        cues=tuple(nfc(str(c)) for c in entry.get("cues", [])),
        anti_cues=tuple(nfc(str(c)) for c in entry.get("anti_cues", [])),
        strict_context=entry.get("context") == "strict",
        team=bool(entry.get("team", False)),
    )


def load_registry_file(path: Path | None = None) -> list[CompanyRecord]:
    """The project's curated registry (companies and groups), in file order."""
    data = json.loads(registry_text(path))
    return [_record_from_entry(entry) for entry in data["companies"]]
