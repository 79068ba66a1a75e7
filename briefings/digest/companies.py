"""The company registry and the matcher that finds companies in Korean articles.

The registry is the project's own data file (`briefings/data/companies.json`) plus whatever operators
add to the database. Matching works on Kiwi's morphemes rather than raw substrings:

* an alias counts only where it starts and ends on morpheme boundaries, so particles fall away
  (화웨이는, 삼성전자가) and a name never matches inside a longer word (KT in KTX or SKT, 애플 in
  애플망고, LG in LG유플러스);
* the next morpheme must be a particle, an ending, punctuation or a space, not another noun
  (아마존강 is not the company), unless it is another name (SKT인텔, where a headline lost its dot);
* at each position the longest alias wins, so 카카오뱅크 is not 카카오 and KT&G is not KT, and a
  group name alone (삼성, LG, SK) is its own group entity;
* aliases that are also ordinary words (애플, 아마존, 라인, 기아 …) count only with company context:
  never next to words of their ordinary sense (퇴치 after 기아), and otherwise with the company's own
  cue words, in a headline, as a proper noun, or near a business word or another company;
* in a game report team names (삼성, LG, KIA, 한국전력) are teams, and a broker quoted as the source
  of an analyst note is not what the note is about.

Word lists live in `briefings/data/company_words.json`, per-company context words in the registry.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from briefings.digest.nlp import KoreanNLP, Morph
from briefings.korean import josa
from briefings.models import Company, CompanyAlias

KINDS = ("company", "group")
MARKETS = ("KOSPI", "KOSDAQ", "KONEX", "NASDAQ", "NYSE", "HKEX", "SSE", "SZSE", "TSE", "TWSE")

# --- records --------------------------------------------------------------------------------------


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


def normalize(text: str) -> str:
    """The key aliases and queries are compared by: NFKC, case-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


# --- the packaged data file --------------------------------------------------------------------


def _data_text(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    return resources.files("briefings").joinpath("data/companies.json").read_text(encoding="utf-8")


def _record_from_entry(entry: dict[str, Any]) -> CompanyRecord:
    name = str(entry["name"]).strip()
    context_only = [str(a).strip() for a in entry.get("context_aliases", [])]
    flagged = {normalize(a) for a in context_only}
    aliases: list[AliasRecord] = []
    seen: set[str] = set()
    for alias in [name, *entry.get("aliases", []), *context_only]:
        alias = str(alias).strip()
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
        cues=tuple(str(c) for c in entry.get("cues", [])),
        anti_cues=tuple(str(c) for c in entry.get("anti_cues", [])),
        strict_context=entry.get("context") == "strict",
        team=bool(entry.get("team", False)),
    )


def load_registry_file(path: Path | None = None) -> list[CompanyRecord]:
    """The project's curated registry (companies and groups), in file order."""
    data = json.loads(_data_text(path))
    return [_record_from_entry(entry) for entry in data["companies"]]


# --- the database ------------------------------------------------------------------------------


def seed_companies(session: Session, records: Iterable[CompanyRecord], *, now: datetime) -> int:
    """Upsert registry records into companies/company_aliases; returns the number of rows written.

    Idempotent (a second run writes nothing). Rows an operator made are never deleted, and an
    operator's company keeps its own fields; registry aliases missing from it are added. Existing
    aliases keep their `needs_context` flag, which an operator may have changed on purpose.
    """
    existing = {
        c.name: c for c in session.scalars(select(Company).options(selectinload(Company.aliases))).all()
    }
    written = 0
    for rec in records:
        company = existing.get(rec.name)
        if company is None:
            company = Company(
                name=rec.name,
                name_en=rec.name_en,
                kind=rec.kind,
                ticker=rec.ticker,
                market=rec.market,
                country=rec.country,
                group_name=rec.group_name,
                source="registry",
                created_at=now,
            )
            session.add(company)
            existing[rec.name] = company
            written += 1
        elif company.source == "registry":
            fields = (rec.name_en, rec.kind, rec.ticker, rec.market, rec.country, rec.group_name)
            current = (
                company.name_en,
                company.kind,
                company.ticker,
                company.market,
                company.country,
                company.group_name,
            )
            if fields != current:
                (
                    company.name_en,
                    company.kind,
                    company.ticker,
                    company.market,
                    company.country,
                    company.group_name,
                ) = fields
                written += 1
        have = {a.alias for a in company.aliases}
        for alias in rec.aliases:
            if alias.alias not in have:
                company.aliases.append(CompanyAlias(alias=alias.alias, needs_context=alias.needs_context))
                have.add(alias.alias)
                written += 1
    session.flush()
    return written


def _record_from_row(company: Company, packaged: dict[str, CompanyRecord]) -> CompanyRecord:
    known = packaged.get(company.name)
    rows = {a.alias: a.needs_context for a in company.aliases}
    aliases = [AliasRecord(company.name, rows.pop(company.name, False))]
    aliases += [AliasRecord(alias, flag) for alias, flag in rows.items()]
    return CompanyRecord(
        id=company.id,
        name=company.name,
        name_en=company.name_en,
        kind=company.kind,
        ticker=company.ticker,
        market=company.market,
        country=company.country,
        group_name=company.group_name,
        aliases=tuple(aliases),
        cues=known.cues if known else (),
        anti_cues=known.anti_cues if known else (),
        strict_context=known.strict_context if known else False,
        team=known.team if known else False,
    )


def registry_from_session(session: Session) -> Registry:
    """The registry as stored (registry and operator rows), with the data file's context words."""
    packaged = {rec.name: rec for rec in load_registry_file()}
    companies = session.scalars(
        select(Company).options(selectinload(Company.aliases)).order_by(Company.id)
    ).all()
    return Registry(_record_from_row(c, packaged) for c in companies)


# --- operators' changes ------------------------------------------------------------------------

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


class RegistryError(ValueError):
    """An operator's change that cannot be made; the message is one Korean line for the user."""


def ticker_problem(ticker: str, market: str | None) -> str | None:
    """Why a ticker is not valid for its market (None when it is): 005930 on KOSPI, AAPL on NASDAQ."""
    t = ticker.strip().upper()
    form = _TICKER_FORMS.get(market.upper()) if market else None
    if (form or _TICKER).match(t):
        return None
    where = f"{market.upper()} " if market else ""
    return f"종목코드 형식이 올바르지 않습니다: {ticker!r} ({where}예: 005930, AAPL, 0700)"


def _alias_owner(session: Session, alias: str) -> Company | None:
    key = normalize(alias)
    for company in session.scalars(select(Company).options(selectinload(Company.aliases))):
        if normalize(company.name) == key or any(normalize(a.alias) == key for a in company.aliases):
            return company
    return None


def find_company(session: Session, name: str) -> Company | None:
    """A stored company by its canonical name, or failing that by one of its aliases."""
    company = session.scalars(select(Company).where(Company.name == name.strip())).first()
    return company if company is not None else _alias_owner(session, name)


def add_company(
    session: Session,
    name: str,
    *,
    now: datetime,
    name_en: str = "",
    kind: str = "company",
    ticker: str | None = None,
    market: str | None = None,
    country: str = "KR",
    group_name: str | None = None,
    aliases: Sequence[str] = (),
) -> Company:
    """Register a company (source='operator'); the matcher picks it up on its next registry load."""
    name = " ".join(name.split())
    if not name:
        raise RegistryError("회사 이름이 비어 있습니다.")
    if len(name) > 100:
        raise RegistryError("회사 이름이 너무 깁니다 (100자 이하).")
    if kind not in KINDS:
        raise RegistryError(f"알 수 없는 종류입니다: {kind!r} (company 또는 group)")
    if market is not None:
        market = market.strip().upper()
        if market not in MARKETS:
            raise RegistryError(f"알 수 없는 시장입니다: {market!r} ({', '.join(MARKETS)})")
    if ticker is not None:
        ticker = ticker.strip().upper()
        problem = ticker_problem(ticker, market)
        if problem:
            raise RegistryError(problem)
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RegistryError(f"국가 코드는 두 글자여야 합니다: {country!r} (예: KR, US, CN)")
    for text in (name, *aliases):
        owner = _alias_owner(session, text)
        if owner is not None:
            raise RegistryError(f"이미 등록된 이름입니다: {text!r} ({owner.name})")
    company = Company(
        name=name,
        name_en=name_en.strip(),
        kind=kind,
        ticker=ticker,
        market=market,
        country=country,
        group_name=group_name.strip() if group_name else None,
        source="operator",
        created_at=now,
    )
    company.aliases.append(CompanyAlias(alias=name, needs_context=False))
    for alias in dict.fromkeys(" ".join(a.split()) for a in aliases):
        if alias and alias != name:
            company.aliases.append(CompanyAlias(alias=alias, needs_context=False))
    session.add(company)
    session.flush()
    return company


def add_alias(session: Session, name: str, alias: str, *, needs_context: bool = False) -> CompanyAlias:
    """Give a stored company another name. Re-adding its own alias only updates `needs_context`."""
    alias = " ".join(alias.split())
    if not alias:
        raise RegistryError("별칭이 비어 있습니다.")
    if len(alias) > 100:
        raise RegistryError("별칭이 너무 깁니다 (100자 이하).")
    company = find_company(session, name)
    if company is None:
        raise RegistryError(f"등록되지 않은 회사입니다: {name!r}")
    owner = _alias_owner(session, alias)
    if owner is not None and owner.id != company.id:
        raise RegistryError(f"별칭 {josa(repr(alias), '은/는')} 이미 다른 회사({owner.name})의 이름입니다.")
    for row in company.aliases:
        if row.alias == alias:
            if row.needs_context == needs_context:
                raise RegistryError(f"이미 등록된 별칭입니다: {alias!r} ({company.name})")
            row.needs_context = needs_context
            session.flush()
            return row
    row = CompanyAlias(alias=alias, needs_context=needs_context)
    company.aliases.append(row)
    session.flush()
    return row


def seed_if_needed(session: Session, *, now: datetime) -> int:
    """Seed the packaged registry unless it is already there: cheap enough for every digest run."""
    records = load_registry_file()
    stored = session.scalars(select(Company.name).where(Company.source == "registry")).all()
    if len(set(stored) & {r.name for r in records}) == len(records):
        return 0
    return seed_companies(session, records, now=now)


# --- the registry --------------------------------------------------------------------------------

_HANGUL = re.compile(r"[가-힣]")


def _jamo(text: str) -> str:
    """Hangul syllables spelled out as letters (NFD), for edit distances that see 훼 vs 웨 as close."""
    return unicodedata.normalize("NFD", text)


def normalize_ticker(ticker: str) -> str:
    """Tickers compare upper-case, and Hong Kong codes without their leading zeros (0700 = 700)."""
    t = ticker.strip().upper()
    return t.lstrip("0") or "0" if t.isdigit() and len(t) <= 5 else t


def valid_ticker(ticker: str, market: str | None = None) -> bool:
    return ticker_problem(ticker, market) is None


class Registry:
    """Companies and groups by name, alias and ticker. Read-only once built; rebuild to refresh."""

    def __init__(self, records: Iterable[CompanyRecord]) -> None:
        self.records: tuple[CompanyRecord, ...] = tuple(records)
        self._by_name: dict[str, CompanyRecord] = {}
        self._by_alias: dict[str, list[CompanyRecord]] = {}
        self._by_ticker: dict[str, list[CompanyRecord]] = {}
        for rec in self.records:
            self._by_name.setdefault(normalize(rec.name), rec)
            for key in {normalize(a.alias) for a in rec.aliases} | {normalize(rec.name_en)} - {""}:
                self._by_alias.setdefault(key, []).append(rec)
            if rec.ticker:
                self._by_ticker.setdefault(normalize_ticker(rec.ticker), []).append(rec)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[CompanyRecord]:
        return iter(self.records)

    def by_name(self, name: str) -> CompanyRecord | None:
        return self._by_name.get(normalize(name))

    def by_alias(self, alias: str) -> list[CompanyRecord]:
        """Every record with this name, English name or alias (spacing and case ignored)."""
        return list(self._by_alias.get(normalize(alias), ()))

    def by_ticker(self, ticker: str) -> list[CompanyRecord]:
        return list(self._by_ticker.get(normalize_ticker(ticker), ()))

    def lookup(self, query: str) -> list[CompanyRecord]:
        """Exact resolution of a user's query: canonical name first, then aliases, then tickers."""
        exact = self.by_name(query)
        if exact is not None:
            return [exact]
        found = self.by_alias(query)
        return found if found else self.by_ticker(query)

    def suggest(self, query: str, limit: int = 5, score_cutoff: float = 75.0) -> list[CompanyRecord]:
        """Close spellings (화훼이 → 화웨이), best first: for typos and "did you mean" answers.

        Hangul is compared letter by letter (jamo), so one wrong vowel costs one letter, not a syllable.
        """
        from rapidfuzz import fuzz, process

        key = _jamo(normalize(query))
        if not key:
            return []
        choices = {alias: _jamo(alias) for alias in self._by_alias}
        hits = process.extract(key, choices, scorer=fuzz.ratio, limit=limit * 3, score_cutoff=score_cutoff)
        out: list[CompanyRecord] = []
        for _jamo_form, _score, alias in sorted(hits, key=lambda h: (-h[1], len(h[2]), h[2])):
            for rec in self._by_alias[alias]:
                if rec not in out:
                    out.append(rec)
        return out[:limit]

    def members(self, group_name: str) -> list[CompanyRecord]:
        """The companies of a group (삼성 → 삼성전자, 삼성SDI …), without the group entity itself."""
        return [r for r in self.records if r.group_name == group_name and r.kind == "company"]

    def user_words(self) -> list[tuple[str, str, float]]:
        """Aliases for Kiwi's user dictionary, so multi-part names come out as one morpheme.

        Only unambiguous Korean names of three or more characters: short or ordinary words (애플,
        기아) would change how Kiwi splits unrelated text, and Latin names are split by script anyway.
        """
        words: dict[str, tuple[str, str, float]] = {}
        for rec in self.records:
            for a in rec.aliases:
                form = a.alias
                if (
                    a.needs_context
                    or len(form) < 3
                    or not _HANGUL.search(form)
                    or not all(ch.isalnum() for ch in form)
                ):
                    continue
                words.setdefault(form, (form, "NNP", 0.0))
        return sorted(words.values())


# --- matching ----------------------------------------------------------------------------------


def _load_words() -> dict[str, tuple[str, ...]]:
    """The matcher's word lists (briefings/data/company_words.json): data, tuned without code."""
    text = resources.files("briefings").joinpath("data/company_words.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {k: tuple(v) for k, v in data.items() if not k.startswith("_")}


_WORDS = _load_words()
# Near an ambiguous alias (애플, 아마존, 기아 …) these make it read as a company.
BUSINESS_CUES = frozenset(_WORDS["business_cues"])
# Company news proper: a text with one of them is never taken for a game report.
_BUSINESS_STRONG = frozenset(_WORDS["business_strong"])
# Sports reports name teams by their owners (삼성, LG, KIA, 한국전력 …); these words give them away,
# the "title" ones only in a headline (한화 감독, 두산 수비), the suffixes as one word (두산베어스, 광주구장).
_SPORTS_STRONG = frozenset(_WORDS["sports_strong"])
_SPORTS_WEAK = frozenset(_WORDS["sports_weak"])
_SPORTS_TITLE = frozenset(_WORDS["sports_title"])
_SPORTS_SUFFIXES = _WORDS["sports_suffixes"]
# Words that continue a company name into an affiliate's (IBK투자, KB증권, SK텔레콤).
_AFFILIATE_WORDS = frozenset(_WORDS["affiliate_words"])
# Analyst notes ("대신증권 삼성물산 시총 극대화할 것", "…배당확대 기대-SK"): the broker is not the subject.
_ANALYST_CUES = frozenset(_WORDS["analyst_cues"])

# Morphemes that may follow a name inside the same word: particles (J…), the copula, endings,
# suffixes, punctuation, hanja (화웨이發, 삼성株), and a few bound nouns (삼성전자측, 화웨이폰).
_RIGHT_TAGS_PREFIX = ("J", "E", "VCP", "XS", "SS", "SF", "SP", "SE", "SO", "SW", "SH")
_RIGHT_FORMS = frozenset({"측", "쪽", "등", "들", "폰", "주", "株", "發", "社", "家", "號"})
# Characters that glue two names into one (KT&G, S-Oil, LG U+, Amazon.com): a name ends elsewhere.
_JOINERS = frozenset("&＆+＋-_@.")
_NAME_DASHES = frozenset("-–/")
# Particles, endings, suffixes, verb and adjective stems (알리- of 알리기 is not 알리바바's 알리) and
# sentence punctuation never begin a name: skipped unexamined.
_NEVER_STARTS = frozenset(
    "JKS JKC JKG JKO JKB JKV JKQ JX JC EP EF EC ETN ETM XSN XSV XSA XSM VCP VCN VV VA VX SF SP SE".split()  # noqa: SIM905
)
_LEAD_CHARS = 150
_CONTEXT_WINDOW = 60
_ANTI_WINDOW = 20
_BROKER_SUFFIXES = ("증권", "투자증권", "금융투자")


def _is_hanja(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3400" <= ch <= "\u4dbf"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def _is_word_char(ch: str) -> bool:
    """Letters and digits that continue a word (circled numbers, symbols and punctuation do not)."""
    return ch.isalpha() or ("0" <= ch <= "9")


def _same_case(written: str, targets: list[tuple[CompanyRecord, AliasRecord]]) -> bool:
    """Short Latin names count in capitals or exactly as registered (KT, Kia), not in any case."""
    return written.isupper() or any(alias.alias == written for _, alias in targets)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(slots=True)
class _Mention:
    record: CompanyRecord
    alias: AliasRecord
    in_title: bool
    start: int
    end: int
    tag: str


@dataclass(slots=True)
class _Tally:
    record: CompanyRecord
    first: tuple[int, int]  # (0 title / 1 body, offset): a stable order
    in_title: bool = False
    in_lead: bool = False
    count: int = 0
    # Whether every mention was a bare group name (삼성, LG), not "삼성그룹".
    bare_group: bool = True
    title_positions: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Article:
    title: str
    body: str
    title_morphs: Sequence[Morph]
    body_morphs: Sequence[Morph]
    folded: str  # title and body, case-folded, for cue look-ups
    forms: frozenset[str]


def _spaced_variants(alias: str) -> list[str]:
    """'SK 텔레콤' for SK텔레콤: newspapers sometimes put a space where the script changes."""
    out = []
    for i in range(1, len(alias)):
        a, b = alias[i - 1], alias[i]
        if (_is_latin(a) and _is_hangul(b)) or (_is_hangul(a) and _is_latin(b)):
            out.append(alias[:i] + " " + alias[i:])
    return out


class CompanyMatcher:
    """Finds registry companies in an analysed article. Pure: no database, no clock.

    Building one adds the registry's names to Kiwi's user dictionary (once per process), so build
    it before analysing the texts you pass to `find`.
    """

    def __init__(self, registry: Registry, nlp: KoreanNLP | None) -> None:
        self.registry = registry
        self.nlp = nlp
        if nlp is not None:
            nlp.add_user_words(registry.user_words())
        # alias key (case-folded, exact characters) -> its companies (one, or several for a shared
        # alias such as 현대기아차), in registry order so results never depend on dict order.
        self._index: dict[str, list[tuple[CompanyRecord, AliasRecord]]] = {}
        for rec in registry.records:
            for alias in rec.aliases:
                keys = [alias.alias.casefold()]
                if len(alias.alias) >= 4:
                    keys += [v.casefold() for v in _spaced_variants(alias.alias)]
                for key in keys:
                    targets = self._index.setdefault(key, [])
                    if all(t[0] is not rec for t in targets):
                        targets.append((rec, alias))
        # First character (either case) -> alias lengths, longest first: one look-up per morpheme.
        lengths: dict[str, set[int]] = {}
        for key in self._index:
            for first in {key[0], key[0].upper()}:
                lengths.setdefault(first, set()).add(len(key))
        self._lengths = {ch: sorted(ls, reverse=True) for ch, ls in lengths.items()}
        self._cues: dict[str, tuple[str, ...]] = {}
        for rec in registry.records:
            cues = {c.casefold() for c in rec.cues}
            cues |= {a.alias.casefold() for a in rec.aliases if not a.needs_context and len(a.alias) > 1}
            self._cues[rec.name] = tuple(sorted(cues - {""}))
        self._holding: dict[str, CompanyRecord] = {}
        for rec in registry.records:
            if rec.kind == "company" and rec.group_name:
                forms = {normalize(a.alias) for a in rec.aliases}
                g = rec.group_name
                if {normalize(f"㈜{g}"), normalize(f"{g}㈜")} & forms:
                    self._holding.setdefault(g, rec)

    # --- scanning one text ---

    def _alias_at(
        self, text: str, folded: str | None, pos: int
    ) -> tuple[int, list[tuple[CompanyRecord, AliasRecord]]]:
        """The longest alias starting at pos, whatever the boundaries: (end, targets) or (pos, [])."""
        if pos >= len(text):
            return pos, []
        lens = self._lengths.get(text[pos].casefold())
        if lens:
            n = len(text)
            for length in lens:
                end = pos + length
                if end > n:
                    continue
                key = folded[pos:end] if folded is not None else text[pos:end].casefold()
                hit = self._index.get(key)
                if hit:
                    return end, hit
        return pos, []

    def _scan(self, text: str, morphs: Sequence[Morph], in_title: bool) -> list[_Mention]:
        """Aliases aligned with morpheme boundaries, longest first, left to right, never overlapping."""
        found: list[_Mention] = []
        if not text:
            return found
        lengths = self._lengths
        index = self._index
        folded_all = text.casefold()
        folded = folded_all if len(folded_all) == len(text) else None
        starts_at: dict[int, Morph] | None = None
        ends: set[int] | None = None
        consumed = 0
        last_end = -1  # where the previous name ended: a name may follow it directly (네이버카카오)
        n = len(text)
        for m in morphs:
            s = m.start
            if s < consumed or m.tag in _NEVER_STARTS:
                continue
            positions: Iterable[int] = (s,)
            if m.tag == "SH" and m.len > 1:
                positions = range(s, s + m.len)  # each hanja of 中華爲 may start a name (華爲)
            elif " " in m.form:
                positions = _word_starts(m)  # Kiwi's own multi-word names: 네이버 클라우드
            for pos in positions:
                if pos < consumed:
                    continue
                lens = lengths.get(text[pos])
                if lens is None:
                    continue
                for length in lens:
                    end = pos + length
                    if end > n:
                        continue
                    key = folded[pos:end] if folded is not None else text[pos:end].casefold()
                    targets = index.get(key)
                    if targets is None:
                        continue
                    if length <= 3 and key.isascii() and not _same_case(text[pos:end], targets):
                        continue  # "Ms Zabidah" is not MS, "kt" (the baseball club's logo) not KT
                    if ends is None or starts_at is None:
                        ends, starts_at = _boundaries(morphs)
                    if end not in ends:
                        continue
                    # A name may follow the previous one directly (네이버카카오) or after a dash (삼성-SK).
                    after_name = pos == last_end or (pos - 1 == last_end and text[pos - 1] in _NAME_DASHES)
                    if not (after_name or _left_ok(text, pos)):
                        continue
                    if not self._right_ok(text, folded, pos, end, starts_at, targets):
                        continue
                    tag = m.tag if pos == s else "SH"
                    for rec, alias in targets:
                        found.append(_Mention(rec, alias, in_title, pos, end, tag))
                    consumed = last_end = end
                    break
                if consumed <= pos and "(" in text[pos : pos + 8]:
                    glossed = self._glossed_name(text, pos)
                    if glossed is not None:
                        if ends is None or starts_at is None:
                            ends, starts_at = _boundaries(morphs)
                        end, targets = glossed
                        if (
                            end in ends
                            and _left_ok(text, pos)
                            and self._right_ok(text, folded, pos, end, starts_at, targets)
                        ):
                            found.extend(_Mention(r, a, in_title, pos, end, m.tag) for r, a in targets)
                            consumed = last_end = end
        return found

    def _glossed_name(
        self, text: str, pos: int
    ) -> tuple[int, list[tuple[CompanyRecord, AliasRecord]]] | None:
        """A name spelled in Hangul with its Latin form in brackets: 엘지(LG)전자 is LG전자."""
        m = _GLOSS_NAME.match(text, pos)
        if m is None:
            return None
        latin = m.group(1)
        virtual = latin + text[m.end() : m.end() + 30]
        end, targets = self._alias_at(virtual, virtual.casefold(), 0)
        if end <= len(latin):
            return None  # the bracket alone (엘지(LG)) glosses a group name, handled elsewhere
        return m.end() + end - len(latin), targets

    def _right_ok(
        self,
        text: str,
        folded: str | None,
        start: int,
        end: int,
        starts_at: dict[int, Morph],
        targets: list[tuple[CompanyRecord, AliasRecord]],
    ) -> bool:
        if end >= len(text) or not _is_word_char(text[end - 1]):
            return True  # the name ends the text, or ends in a symbol (LGU+도)
        nxt = text[end]
        if nxt.isspace():
            return True
        if nxt in _NAME_DASHES and self._alias_at(text, folded, end + 1)[1]:
            return True  # 삼성-SK, LG-SK: two names
        if nxt in _JOINERS:
            return not (end + 1 < len(text) and _is_word_char(text[end + 1]))
        if nxt in "(（":
            return self._glossed_name(text, start) is None  # 엘지(LG)전자 is LG전자, not 엘지
        if not _is_word_char(nxt):
            return True
        if _is_hanja(nxt):
            return True  # 삼성電子 is matched by its own alias; 화웨이發, 삼성株 are the company
        m = starts_at.get(end)
        if m is not None and (m.tag.startswith(_RIGHT_TAGS_PREFIX) or m.form in _RIGHT_FORMS):
            return True
        # Two names run together where a headline lost its separator (SKT인텔, 네이버카카오).
        if self._alias_at(text, folded, end)[1]:
            return True
        # A Latin or long company name straight before a Hangul noun, where a headline lost its
        # separator (KT한국관광공사, LG유플러스부산은행); not a group name, whose Hangul continuation
        # is usually an unregistered affiliate (SK텔링크), nor before a word that makes a longer
        # company name (IBK투자증권, 삼성전자서비스).
        return (
            (_is_latin(text[end - 1]) or end - start >= 4)
            and _is_hangul(nxt)
            and m is not None
            and m.tag in ("NNP", "NNG")
            and m.form not in _AFFILIATE_WORDS
            and all(t[0].kind == "company" for t in targets)
            and all(_is_latin(ch) for ch in text[start:end])
        )

    # --- the article ---

    def find(
        self,
        title: str,
        body: str,
        title_morphs: Sequence[Morph],
        body_morphs: Sequence[Morph],
    ) -> list[CompanyHit]:
        """Companies in an article (title and body analysed separately), most salient first."""
        mentions = self._scan(title, title_morphs, True) + self._scan(body, body_morphs, False)
        if not mentions:
            return []
        title_forms = frozenset(m.form for m in title_morphs)
        forms = title_forms | frozenset(m.form for m in body_morphs)
        art = _Article(title, body, title_morphs, body_morphs, f"{title}\n{body}".casefold(), forms)
        sure = {mt.record.name for mt in mentions if not mt.alias.needs_context}
        mentions = [
            mt
            for mt in mentions
            if (not mt.alias.needs_context or self._in_context(mt, art, sure))
            and not (
                mt.record.kind == "group" and _is_gloss(title if mt.in_title else body, mt.start, mt.end)
            )
            and not (not mt.in_title and _in_promo(body, mt.start, mt.end))
        ]
        if not mentions:
            return []

        lead_end = _lead_end(body)
        tallies: dict[str, _Tally] = {}
        for mt in mentions:
            t = tallies.get(mt.record.name)
            if t is None:
                t = tallies[mt.record.name] = _Tally(mt.record, (0 if mt.in_title else 1, mt.start))
            t.count += 1
            if mt.in_title:
                t.in_title = True
                t.title_positions.append((mt.start, mt.end))
            elif mt.start < lead_end:
                t.in_lead = True
            if mt.alias.alias.endswith(("그룹", "家")):
                t.bare_group = False

        business = bool(forms & _BUSINESS_STRONG) or bool(_TECH_TEXT.search(title) or _TECH_TEXT.search(body))
        if not business and _is_sports(title, body, title_forms, forms):
            # A game report: 삼성, LG, KIA, 한국전력 are teams here, not companies.
            tallies = {name: t for name, t in tallies.items() if not t.record.team}
        analyst = bool(forms & _ANALYST_CUES) or _attribution_suffix(title) is not None
        self._drop_brokers(tallies, title, analyst)
        self._analyst_holdings(tallies, analyst)

        hits: list[tuple[tuple[Any, ...], CompanyHit]] = []
        for t in tallies.values():
            is_primary = t.in_title or t.in_lead or t.count >= 3
            salience = 0.5 * t.in_title + 0.2 * t.in_lead + min(0.3, 0.1 * t.count)
            hit = CompanyHit(t.record, is_primary, round(salience, 3), t.count)
            hits.append(((not is_primary, -hit.salience, t.first, t.record.name), hit))
        hits.sort(key=lambda h: h[0])
        return [h for _, h in hits]

    def find_text(self, title: str, body: str = "") -> list[CompanyHit]:
        """`find` on raw text, analysing it with this matcher's Kiwi (convenience for tools and tests)."""
        if self.nlp is None:
            raise ValueError("CompanyMatcher was built without an analyser")
        title_morphs, body_morphs = self.nlp.tokenize([title, body])
        return self.find(title, body, title_morphs, body_morphs)

    # --- rules over the whole article ---

    def _in_context(self, mt: _Mention, art: _Article, sure: set[str]) -> bool:
        """Whether an ambiguous alias (애플, 기아, 라인 …) reads as the company here.

        Words that show the ordinary sense near the mention (퇴치 after 기아, 열대우림 after 아마존)
        always win. Otherwise a `strict` company needs its own cue words somewhere in the article;
        the others count in a headline, when Kiwi reads the word as a proper noun, or with a
        business word near the mention or another company in the article.
        """
        rec = mt.record
        text = art.title if mt.in_title else art.body
        window = text[max(0, mt.start - _ANTI_WINDOW) : mt.end + _ANTI_WINDOW].casefold()
        if any(anti.casefold() in window for anti in rec.anti_cues):
            return False
        if any(cue in art.folded for cue in self._cues.get(rec.name, ())):
            return True
        if rec.strict_context:
            return False
        if mt.in_title or mt.tag in ("NNP", "SL", "SH"):
            return True
        if sure - {rec.name}:
            return True
        morphs = art.title_morphs if mt.in_title else art.body_morphs
        lo, hi = mt.start - _CONTEXT_WINDOW, mt.end + _CONTEXT_WINDOW
        return any(lo <= m.start <= hi and m.form in BUSINESS_CUES for m in morphs)

    @staticmethod
    def _drop_brokers(tallies: dict[str, _Tally], title: str, analyst: bool) -> None:
        """A broker quoted as the source of an analyst note is not what the article is about."""
        if not analyst and not title:
            return
        suffix = _attribution_suffix(title)
        for name, t in list(tallies.items()):
            if not name.endswith(_BROKER_SUFFIXES) and not (
                suffix and t.title_positions and t.title_positions[-1][1] == len(title.rstrip())
            ):
                continue
            leading = bool(t.title_positions) and t.title_positions[0][0] == 0 and len(tallies) > 1
            trailing = bool(suffix) and any(end == len(title.rstrip()) for _, end in t.title_positions)
            # "NH투자증권, 삼성증권 목표가 상향": the second broker is the note's subject.
            subject = bool(t.title_positions) and not leading and not trailing
            if leading or trailing or (analyst and not subject):
                del tallies[name]

    def _analyst_holdings(self, tallies: dict[str, _Tally], analyst: bool) -> None:
        """In an analyst note a bare group name is the listed holding company ("한화" = ㈜한화).

        Elsewhere a group name alone (삼성, LG, SK) stays the group, whatever subsidiaries the
        article also names.
        """
        if not analyst:
            return
        for name, t in list(tallies.items()):
            rec = t.record
            if rec.kind != "group" or not t.bare_group or not t.in_title or not rec.group_name:
                continue
            holding = self._holding.get(rec.group_name)
            if holding is None or any(
                m.record.group_name == rec.group_name for m in tallies.values() if m is not t
            ):
                continue
            target = tallies.setdefault(holding.name, _Tally(holding, t.first))
            target.count += t.count
            target.in_title |= t.in_title
            target.in_lead |= t.in_lead
            target.first = min(target.first, t.first)
            del tallies[name]


_GLOSS_NAME = re.compile(r"[가-힣]{2,6}[(（]([A-Za-z&]{1,6})[)）]")
_PROMO_BRACKET = re.compile(r"\[[^\[\]\n]{0,20}\]")
_PROMO_WORDS = ("친구", "구독", "채널", "제보", "바로가기", "다운", "클릭", "공유", "팔로우")


def _in_promo(text: str, start: int, end: int) -> bool:
    """Share buttons and promotions left in a body ([카카오 친구맺기], [페이스북]) name no subject."""
    for m in _PROMO_BRACKET.finditer(text, max(0, start - 21), min(len(text), end + 21)):
        if m.start() < start and end < m.end():
            inner = m.group()[1:-1].strip()
            return len(inner) == end - start or any(w in inner for w in _PROMO_WORDS)
    return False


def _is_gloss(text: str, start: int, end: int) -> bool:
    """A name in brackets straight after a word glosses that word: 엘지(LG)전자, 에스케이텔레콤(SK)."""
    return (
        start >= 2
        and text[start - 1] in "(（"
        and end < len(text)
        and text[end] in ")）"
        and _is_word_char(text[start - 2])
    )


def _is_sports(title: str, body: str, title_forms: frozenset[str], forms: frozenset[str]) -> bool:
    """A game report: a sports word in the headline, or several in the text (one stray 농구 is not)."""
    strong = len(forms & _SPORTS_STRONG) + sum(1 for f in forms if f.endswith(_SPORTS_SUFFIXES))
    strong += len(_SPORTS_RECORD.findall(body))
    weak = len(forms & _SPORTS_WEAK)
    in_title = title_forms & (_SPORTS_STRONG | _SPORTS_TITLE) or _SPORTS_RECORD.search(title)
    return bool(in_title) or strong >= 2 or (strong >= 1 and weak >= 1) or weak >= 3


# A win-loss record (2승, 3연패, 24승 23패): 승 and 패 alone are too common a morpheme to count.
_SPORTS_RECORD = re.compile(r"\d+\s*(?:연승|연패|승|패)(?=[은는이가을를도째,.…]|\s|$)")
# Technology words Kiwi splits (5G → 5 + G): written so, they mark company news, not a game report.
_TECH_TEXT = re.compile(r"\b(?:[56]G|LTE|IPTV|ICT|IoT|AI)\b")


_ATTRIBUTION = re.compile(r"[-–—]\s*([A-Za-z0-9가-힣]{1,12})\s*$")


def _attribution_suffix(title: str) -> str | None:
    """The source named after a final dash ("…배당확대 기대-SK"), as analyst notes are titled."""
    m = _ATTRIBUTION.search(title)
    return m.group(1) if m else None


def _boundaries(morphs: Sequence[Morph]) -> tuple[set[int], dict[int, Morph]]:
    ends: set[int] = set()
    starts_at: dict[int, Morph] = {}
    for m in morphs:
        s = m.start
        e = s + m.len
        ends.add(e)
        starts_at.setdefault(s, m)
        if m.tag == "SH" and m.len > 1:
            ends.update(range(s + 1, e))
        elif " " in m.form:
            ends.update(p - 1 for p in _word_starts(m)[1:])
            for p in _word_starts(m)[1:]:
                starts_at.setdefault(p, m)
    return ends, starts_at


def _word_starts(m: Morph) -> list[int]:
    """Where each word of a multi-word morpheme starts (Kiwi reads 네이버 클라우드 as one name)."""
    return [m.start] + [m.start + i + 1 for i, ch in enumerate(m.form) if ch == " "]


def _left_ok(text: str, pos: int) -> bool:
    if pos == 0:
        return True
    prev = text[pos - 1]
    if prev.isspace():
        return True
    if prev in _JOINERS:
        return not (pos >= 2 and _is_word_char(text[pos - 2]))
    if not _is_word_char(prev):
        return True  # punctuation, quotes, brackets, the middle dot of 삼성·LG, ②
    if _is_hanja(prev):
        return True  # 中화웨이, 美애플, and hanja inside a run (中華爲)
    # A Latin name straight after Hangul starts a new word (대만TSMC); Hangul after Hangul does not.
    first = text[pos]
    return _is_latin(first) and first.isalpha() and _is_hangul(prev)


# Sentence ends, also where a crawl glued sentences together ("…밝혔다.SKT는"), but not in 1.5.
_SENTENCE_END = re.compile(r"(?<=[다요음임])\.(?!\d)|[.?!](?=\s)|\n")


def _lead_end(body: str) -> int:
    """Where the lead ends: the first sentence, but at least 40 and at most 150 characters."""
    if not body:
        return 0
    m = _SENTENCE_END.search(body, 40)
    end = m.end() if m else len(body)
    return min(end, _LEAD_CHARS)


# --- the evaluation's yardstick ----------------------------------------------------------------


def substring_baseline(registry: Registry, title: str, body: str = "") -> set[str]:
    """Canonical names of every company whose name or alias occurs anywhere as a plain substring.

    The naive matcher the evaluation compares against (it finds KT in KTX and 애플 in 애플망고).
    """
    text = f"{title}\n{body}".casefold()
    found: set[str] = set()
    for rec in registry.records:
        if any(a.alias.casefold() in text for a in rec.aliases if a.alias):
            found.add(rec.name)
    return found


def default_registry() -> Registry:
    """The packaged registry without a database (for `analyze`, tests and tools)."""
    return Registry(load_registry_file())
