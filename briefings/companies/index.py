"""The company index and the one resolver: what a typed name means, for every surface alike.

`/news`, `briefings lookup`, `briefings companies list -q` and the digester's registry all resolve
through `Registry.resolve`, so the same typo gets the same answer everywhere. Resolution is tolerant
the way people type in chat: any alias, English or Chinese name (traditional or simplified), a ticker
such as 005930, spacing and case variants, and small typos (화훼이 → 화웨이), compared on Hangul jamo so
one wrong vowel is one small edit. A bare group name (삼성, LG) is ambiguous on purpose: it offers the
group and its main companies instead of guessing one subsidiary; the group's full name (삼성그룹) is
the group itself. A common word (반도체, AI) is never taken for a typo of a name.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal, Protocol

from rapidfuzz import fuzz, process

from briefings.companies.records import (
    CompanyRecord,
    load_registry_file,
    nfc,
    normalize,
    normalize_ticker,
)
from briefings.digest.nlp import Morph

# A typo is accepted only when it is this close (0-100, on jamo) and clearly better than the runner-up;
# closer than SUGGEST it is offered as "did you mean".
FUZZY_ACCEPT = 80.0
FUZZY_SUGGEST = 60.0
FUZZY_MARGIN = 6.0
GROUP_CANDIDATES = 6
MAX_PREFIXED = 12

_HANGUL = re.compile(r"[가-힣]")


def jamo(text: str) -> str:
    """Hangul syllables spelled out as letters (NFD), so 화훼이 and 화웨이 differ by one letter."""
    return unicodedata.normalize("NFD", text)


@dataclass(frozen=True, slots=True)
class CompanyRef:
    """A resolved company as the surfaces show it."""

    id: int
    name: str
    name_en: str
    kind: str
    ticker: str | None
    group_name: str | None

    @property
    def label(self) -> str:
        """`삼성전자 (Samsung Electronics)`: what a button or a heading shows."""
        return f"{self.name} ({self.name_en})" if self.name_en and self.name_en != self.name else self.name


@dataclass(frozen=True, slots=True)
class Resolution:
    """`found` (one company), `ambiguous` (pick one of `candidates`) or `none` (see `suggestions`)."""

    status: Literal["found", "ambiguous", "none"]
    query: str
    company: CompanyRef | None = None
    candidates: tuple[CompanyRef, ...] = ()
    suggestions: tuple[CompanyRef, ...] = ()
    matched_by: str = ""  # name | alias | ticker | fuzzy | group | prefix | ordinary


class Tokenizer(Protocol):
    """What the ordinary-word check needs from the analyser (`KoreanNLP` satisfies it)."""

    def tokenize(self, texts: Sequence[str]) -> Sequence[Sequence[Morph]]: ...


# Kiwi tags whose known morphemes are ordinary vocabulary (common and bound nouns, suffixes, verbs).
_ORDINARY_TAGS = frozenset({"NNG", "NNB", "XSN", "XPN", "VV", "VA", "MAG", "ETM", "ETN", "EC", "EF", "JKS"})
_PROBE = "뷁퉯쀍"  # no such word: Kiwi gives it the id it gives every unknown noun


class OrdinaryWords:
    """Words that are never read as a typo of a company name.

    The theme lexicon's words and labels (반도체, AI, 인공지능), and whatever the analyser knows as
    ordinary vocabulary: every morpheme of the query a known common noun, verb or ending (회사, 전기차,
    없는회사). Kiwi tags an unknown word NNG too, but with its one "unknown" morpheme id, so a typo
    such as 화훼이 is not ordinary. The analyser is only asked when exact matching has failed.
    """

    def __init__(self, words: Iterable[str] = (), analyser: Callable[[], Tokenizer] | None = None) -> None:
        self._words = frozenset(normalize(w) for w in words) - {""}
        self._analyser = analyser
        self._unknown: object = None
        self._lock = threading.Lock()

    def __contains__(self, query: object) -> bool:
        if not isinstance(query, str):
            return False
        if normalize(query) in self._words:
            return True
        if self._analyser is None:
            return False
        nlp = self._analyser()
        with self._lock:
            if self._unknown is None:
                self._unknown = getattr(nlp.tokenize([_PROBE])[0][0], "id", -1)
        morphs = nlp.tokenize([nfc(query.strip())])[0]
        if not morphs or any(m.tag not in _ORDINARY_TAGS for m in morphs):
            return False
        if any(getattr(m, "id", self._unknown) == self._unknown for m in morphs):
            return False
        # One known word (반도체, 회사), or a phrase (없는 회사); not a run of nouns, which is how
        # Kiwi reads many a typo of a name (메가비 = 메가 + 비 for 메그비).
        return len(morphs) == 1 or any(not m.tag.startswith("N") for m in morphs)


@cache
def ordinary_words() -> OrdinaryWords:
    """The process's ordinary words: the packaged theme lexicon and the shared Kiwi analyser."""
    from briefings.digest.nlp import get_nlp
    from briefings.digest.themes import default_taxonomy

    taxonomy = default_taxonomy()
    words = [entry for theme in taxonomy.themes for entry, _weight in theme.lexicon]
    words += [theme.label for theme in taxonomy.themes]
    return OrdinaryWords(words, analyser=get_nlp)


def _ref(rec: CompanyRecord, cid: int) -> CompanyRef:
    return CompanyRef(cid, rec.name, rec.name_en or "", rec.kind or "company", rec.ticker, rec.group_name)


class Registry:
    """Companies and groups by name, alias and ticker, and the resolver over them.

    Read-only once built; rebuild to refresh. Records without a database id (the packaged file alone)
    are numbered in file order, as a fresh database seeded from the file numbers them.
    """

    def __init__(self, records: Iterable[CompanyRecord], *, version: int = 0) -> None:
        self.records: tuple[CompanyRecord, ...] = tuple(records)
        self.version = version
        self.companies: dict[int, CompanyRef] = {}
        self._records: dict[int, CompanyRecord] = {}
        self._keys: dict[str, list[int]] = {}
        self._tickers: dict[str, list[int]] = {}
        self._members: dict[str, list[int]] = {}
        self._groups: dict[str, list[int]] = {}
        self._fuzzy_keys: list[str] = []
        self._fuzzy_ids: list[int] = []
        for pos, rec in enumerate(self.records):
            cid = rec.id if rec.id is not None else pos + 1
            self.companies[cid] = _ref(rec, cid)
            self._records[cid] = rec
            for text in (rec.name, rec.name_en, *(a.alias for a in rec.aliases)):
                self._add_key(text, cid)
            if rec.ticker:
                ids = self._tickers.setdefault(normalize_ticker(rec.ticker), [])
                if cid not in ids:
                    ids.append(cid)
            if rec.group_name:
                into = self._groups if rec.kind == "group" else self._members
                into.setdefault(normalize(rec.group_name), []).append(cid)

    def _add_key(self, text: str, cid: int) -> None:
        key = normalize(text)
        if not key:
            return
        ids = self._keys.get(key)
        if ids is None:
            self._keys[key] = [cid]
            self._fuzzy_keys.append(jamo(key))
            self._fuzzy_ids.append(cid)
        elif cid not in ids:
            ids.append(cid)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[CompanyRecord]:
        return iter(self.records)

    # --- exact look-ups ---

    def record(self, company_id: int) -> CompanyRecord | None:
        return self._records.get(company_id)

    def by_name(self, name: str) -> CompanyRecord | None:
        """The record whose canonical name this is (spacing, case and punctuation ignored)."""
        key = normalize(name)
        for cid in self._keys.get(key, ()):
            rec = self._records[cid]
            if normalize(rec.name) == key:
                return rec
        return None

    def by_alias(self, alias: str) -> list[CompanyRecord]:
        """Every record with this name, English name or alias (spacing and case ignored)."""
        return [self._records[cid] for cid in self._keys.get(normalize(alias), ())]

    def by_ticker(self, ticker: str) -> list[CompanyRecord]:
        return [self._records[cid] for cid in self._tickers.get(normalize_ticker(ticker), ())]

    def members(self, group_name: str) -> list[CompanyRecord]:
        """The companies of a group (삼성 → 삼성전자, 삼성SDI …), without the group entity itself."""
        return [self._records[cid] for cid in self._members.get(normalize(group_name), ())]

    def member_ids(self, company_id: int) -> list[int]:
        """A group's companies in registry order (the main ones first); [] for a company."""
        ref = self.companies.get(company_id)
        if ref is None or ref.kind != "group":
            return []
        for key in (ref.group_name, ref.name, ref.name_en):
            if key and self._members.get(normalize(key)):
                return list(self._members[normalize(key)])
        return []

    def rollup_ids(self, company_id: int) -> list[int]:
        """The companies whose stories answer for this one: itself, and a group's affiliates."""
        return [company_id, *self.member_ids(company_id)]

    # --- the resolver ---

    def resolve(self, query: str, *, ordinary: OrdinaryWords | None = None) -> Resolution:
        """What a user typed: one company, a short list of candidates, or nothing (with hints).

        Names and aliases first, then tickers; a common word stops there (it goes to full-text
        search); then one typo, then a prefix shared by several names (삼성 without a group entry).
        """
        key = normalize(query)
        if not key:
            return Resolution("none", query)
        if key in self._keys:
            return self._from_ids(query, self._keys[key], "alias")
        ticker = normalize_ticker(query)
        if ticker in self._tickers:
            return self._from_ids(query, self._tickers[ticker], "ticker")
        words = ordinary if ordinary is not None else ordinary_words()
        if query in words:
            return Resolution("none", query, matched_by="ordinary")
        fuzzy = self._fuzzy(key, 5)
        if fuzzy and len(key) >= 2:
            top, score = fuzzy[0]
            runner_up = fuzzy[1][1] if len(fuzzy) > 1 else 0.0
            if score >= FUZZY_ACCEPT and score - runner_up >= FUZZY_MARGIN:
                return self._from_ids(query, [top.id], "fuzzy")
        prefixed = sorted({cid for k, ids in self._keys.items() if k.startswith(key) for cid in ids})
        if len(key) >= 2 and 1 < len(prefixed) <= MAX_PREFIXED:
            refs = tuple(self.companies[i] for i in prefixed[: GROUP_CANDIDATES + 1])
            return Resolution("ambiguous", query, candidates=refs, matched_by="prefix")
        if len(prefixed) == 1 and len(key) >= 2:
            return Resolution("found", query, company=self.companies[prefixed[0]], matched_by="prefix")
        return Resolution("none", query, suggestions=tuple(ref for ref, _ in fuzzy[:3]))

    def _fuzzy(self, key: str, limit: int) -> list[tuple[CompanyRef, float]]:
        if not self._fuzzy_keys:
            return []
        hits = process.extract(
            jamo(key), self._fuzzy_keys, scorer=fuzz.ratio, limit=limit * 4, score_cutoff=FUZZY_SUGGEST
        )
        best: dict[int, float] = {}
        for _choice, score, pos in hits:
            cid = self._fuzzy_ids[pos]
            best[cid] = max(best.get(cid, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [(self.companies[cid], score) for cid, score in ranked]

    def _group_candidates(self, group: CompanyRef) -> tuple[CompanyRef, ...]:
        members = [self.companies[i] for i in self.member_ids(group.id)[:GROUP_CANDIDATES]]
        return (group, *members)

    def _names_group_itself(self, query: str, group: CompanyRef) -> bool:
        """삼성그룹, LG Group: the group's full name, not its bare key (삼성, LG) or a short alias (엘지)."""
        key = normalize(query)
        if group.group_name and key == normalize(group.group_name):
            return False
        full = key in {normalize(group.name), normalize(group.name_en)}
        return full or key.endswith((normalize("그룹"), normalize("group")))

    def _from_ids(self, query: str, ids: Iterable[int], how: str) -> Resolution:
        refs = sorted((self.companies[i] for i in set(ids)), key=lambda r: (r.kind != "group", r.id))
        if len(refs) == 1:
            ref = refs[0]
            if ref.kind == "group" and self.member_ids(ref.id) and not self._names_group_itself(query, ref):
                return Resolution(
                    "ambiguous", query, candidates=self._group_candidates(ref), matched_by="group"
                )
            return Resolution("found", query, company=ref, matched_by=how)
        groups = [r for r in refs if r.kind == "group"]
        cands = list(self._group_candidates(groups[0])) if groups else []
        cands += [r for r in refs if r not in cands]
        return Resolution("ambiguous", query, candidates=tuple(cands[: GROUP_CANDIDATES + 1]), matched_by=how)

    # --- the analyser ---

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


def default_registry() -> Registry:
    """The packaged registry without a database (for `analyze`, tests and tools)."""
    return Registry(load_registry_file())
