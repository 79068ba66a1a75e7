"""Finding registry companies in Korean articles, on Kiwi's morphemes rather than raw substrings.

* an alias counts only where it starts and ends on morpheme boundaries, so particles fall away
  (화웨이는, 삼성전자가) and a name never matches inside a longer word (KT in KTX or SKT, 애플 in
  애플망고, LG in LG유플러스);
* the next morpheme must be a particle, an ending, punctuation or a space, not another noun
  (아마존강 is not the company), unless it is another name (SKT인텔, where a headline lost its dot);
* at each position the longest alias wins, so 카카오뱅크 is not 카카오 and KT&G is not KT, and a
  group name alone (삼성, LG, SK) is its own group entity;
* whether a found name is the company, and whether the article is about it, is decided by the
  rules of `briefings.companies.context`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from briefings.companies import context as ctx
from briefings.companies.context import (
    AFFILIATE_WORDS,
    ANALYST_CUES,
    BUSINESS_STRONG,
    Article,
    Mention,
    Tally,
    is_word_char,
)
from briefings.companies.index import Registry
from briefings.companies.records import AliasRecord, CompanyHit, CompanyRecord, nfc
from briefings.digest.nlp import KoreanNLP, Morph, MorphColumns, columns

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
_ONE = [1]


def _fold(text: str) -> str:
    """Width and case folded, spaces dropped, the ㈜ kept: how a holding company's alias is told apart."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _is_hanja(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3400" <= ch <= "\u4dbf"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def _same_case(written: str, targets: list[tuple[CompanyRecord, AliasRecord]]) -> bool:
    """Short Latin names count in capitals or exactly as registered (KT, Kia), not in any case."""
    return written.isupper() or any(alias.alias == written for _, alias in targets)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _spaced_variants(alias: str) -> list[str]:
    """'SK 텔레콤' for SK텔레콤: newspapers sometimes put a space where the script changes."""
    out = []
    for i in range(1, len(alias)):
        a, b = alias[i - 1], alias[i]
        if (_is_latin(a) and _is_hangul(b)) or (_is_hangul(a) and _is_latin(b)):
            out.append(alias[:i] + " " + alias[i:])
    return out


def _boundaries(cols: MorphColumns) -> tuple[set[int], dict[int, int]]:
    """Where morphemes (and the words of multi-word ones) end; the first morpheme at each offset."""
    ends = set(cols.ends)
    starts_at: dict[int, int] = {}
    for k, (s, e, tag, form) in enumerate(zip(cols.starts, cols.ends, cols.tags, cols.forms, strict=True)):
        starts_at.setdefault(s, k)
        if tag == "SH" and e - s > 1:
            ends.update(range(s + 1, e))
        elif " " in form:
            words = _word_starts(form, s, e)[1:]
            ends.update(p - 1 for p in words)
            for p in words:
                starts_at.setdefault(p, k)
    return ends, starts_at


def _word_starts(form: str, start: int, end: int) -> list[int]:
    """Where each word of a multi-word morpheme starts (Kiwi reads 네이버 클라우드 as one name).

    Kiwi may also split a run-together name into words the text does not space (시티오브엔젤 comes
    back as 시티 오브 엔젤, six characters of text): then its spaces take no room in the text.
    """
    gap = 1 if len(form) == end - start else 0
    out, pos = [start], start
    for word in form.split(" ")[:-1]:
        pos += len(word) + gap
        if pos < end:
            out.append(pos)
    return out


def _left_ok(text: str, pos: int) -> bool:
    if pos == 0:
        return True
    prev = text[pos - 1]
    if prev.isspace():
        return True
    if prev in _JOINERS:
        return not (pos >= 2 and is_word_char(text[pos - 2]))
    if not is_word_char(prev):
        return True  # punctuation, quotes, brackets, the middle dot of 삼성·LG, ②
    if _is_hanja(prev):
        return True  # 中화웨이, 美애플, and hanja inside a run (中華爲)
    # A Latin name straight after Hangul starts a new word (대만TSMC); Hangul after Hangul does not.
    first = text[pos]
    return _is_latin(first) and first.isalpha() and _is_hangul(prev)


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


_GLOSS_NAME = re.compile(r"[가-힣]{2,6}[(（]([A-Za-z&]{1,6})[)）]")


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
        # The first two folded characters of a key -> its lengths, longest first: most positions whose
        # first character begins some alias begin none with their first two (삼 of 삼성 and of 삼월).
        by_prefix: dict[str, set[int]] = {}
        for key in self._index:
            if len(key) >= 2:
                by_prefix.setdefault(key[:2], set()).add(len(key))
        self._by_prefix = {p: tuple(sorted(ls, reverse=True)) for p, ls in by_prefix.items()}
        self._cues: dict[str, tuple[str, ...]] = {}
        for rec in registry.records:
            cues = {c.casefold() for c in rec.cues}
            cues |= {a.alias.casefold() for a in rec.aliases if not a.needs_context and len(a.alias) > 1}
            self._cues[rec.name] = tuple(sorted(cues - {""}))
        self._holding: dict[str, CompanyRecord] = {}
        for rec in registry.records:
            if rec.kind == "company" and rec.group_name:
                forms = {_fold(a.alias) for a in rec.aliases}
                g = rec.group_name
                if {_fold(f"㈜{g}"), _fold(f"{g}㈜")} & forms:
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

    def _scan(self, text: str, morphs: Sequence[Morph], in_title: bool) -> list[Mention]:
        """Aliases aligned with morpheme boundaries, longest first, left to right, never overlapping."""
        found: list[Mention] = []
        if not text:
            return found
        lengths = self._lengths
        by_prefix = self._by_prefix
        index = self._index
        folded_all = text.casefold()
        folded = folded_all if len(folded_all) == len(text) else None
        cols = columns(morphs)
        tags, forms, ends_of = cols.tags, cols.forms, cols.ends
        starts_at: dict[int, int] | None = None
        ends: set[int] | None = None
        consumed = 0
        last_end = -1  # where the previous name ended: a name may follow it directly (네이버카카오)
        n = len(text)
        for k, s in enumerate(cols.starts):
            if s < consumed:
                continue
            tag = tags[k]
            if tag in _NEVER_STARTS:
                continue
            positions: Iterable[int] = (s,)
            e = ends_of[k]
            if tag == "SH" and e - s > 1:
                positions = range(s, e)  # each hanja of 中華爲 may start a name (華爲)
            elif " " in forms[k]:
                positions = _word_starts(forms[k], s, e)  # Kiwi's own multi-word names: 네이버 클라우드
            for pos in positions:
                if pos < consumed:
                    continue
                lens = lengths.get(text[pos])
                if lens is None:
                    continue
                if folded is not None:
                    # Only the lengths some key with these two characters has (and a one-character
                    # alias): the others cannot be found in the index. Most positions have no key
                    # with their two characters, which leaves the one-character alias or nothing.
                    longer = by_prefix.get(folded[pos : pos + 2])
                    if longer is None:
                        if lens[-1] != 1:
                            continue
                        lens = _ONE
                    else:
                        lens = [n for n in lens if n == 1 or n in longer]
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
                        ends, starts_at = _boundaries(cols)
                    if end not in ends:
                        continue
                    # A name may follow the previous one directly (네이버카카오) or after a dash (삼성-SK).
                    after_name = pos == last_end or (pos - 1 == last_end and text[pos - 1] in _NAME_DASHES)
                    if not (after_name or _left_ok(text, pos)):
                        continue
                    if not self._right_ok(text, folded, pos, end, starts_at, cols, targets):
                        continue
                    found.extend(
                        Mention(rec, alias, in_title, pos, end, tag if pos == s else "SH")
                        for rec, alias in targets
                    )
                    consumed = last_end = end
                    break
                if consumed <= pos and text.find("(", pos, pos + 8) >= 0:
                    glossed = self._glossed_name(text, pos)
                    if glossed is not None:
                        if ends is None or starts_at is None:
                            ends, starts_at = _boundaries(cols)
                        end, targets = glossed
                        if (
                            end in ends
                            and _left_ok(text, pos)
                            and self._right_ok(text, folded, pos, end, starts_at, cols, targets)
                        ):
                            found.extend(Mention(r, a, in_title, pos, end, tag) for r, a in targets)
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
        starts_at: dict[int, int],
        cols: MorphColumns,
        targets: list[tuple[CompanyRecord, AliasRecord]],
    ) -> bool:
        if end >= len(text) or not is_word_char(text[end - 1]):
            return True  # the name ends the text, or ends in a symbol (LGU+도)
        nxt = text[end]
        if nxt.isspace():
            return True
        if nxt in _NAME_DASHES and self._alias_at(text, folded, end + 1)[1]:
            return True  # 삼성-SK, LG-SK: two names
        if nxt in _JOINERS:
            return not (end + 1 < len(text) and is_word_char(text[end + 1]))
        if nxt in "(（":
            return self._glossed_name(text, start) is None  # 엘지(LG)전자 is LG전자, not 엘지
        if not is_word_char(nxt):
            return True
        if _is_hanja(nxt):
            return True  # 삼성電子 is matched by its own alias; 화웨이發, 삼성株 are the company
        k = starts_at.get(end)
        next_tag = cols.tags[k] if k is not None else ""
        next_form = cols.forms[k] if k is not None else ""
        if k is not None and (next_tag.startswith(_RIGHT_TAGS_PREFIX) or next_form in _RIGHT_FORMS):
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
            and k is not None
            and next_tag in ("NNP", "NNG")
            and next_form not in AFFILIATE_WORDS
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
        title_forms = frozenset(columns(title_morphs).forms)
        forms = title_forms | frozenset(columns(body_morphs).forms)
        art = Article(title, body, title_morphs, body_morphs, f"{title}\n{body}".casefold(), forms)
        sure = {mt.record.name for mt in mentions if not mt.alias.needs_context}
        mentions = [
            mt
            for mt in mentions
            if (not mt.alias.needs_context or ctx.in_context(mt, art, sure, self._cues))
            and not (
                mt.record.kind == "group" and ctx.is_gloss(title if mt.in_title else body, mt.start, mt.end)
            )
            and not (not mt.in_title and ctx.in_promo(body, mt.start, mt.end))
        ]
        if not mentions:
            return []

        lead_end = ctx.lead_end(body)
        tallies: dict[str, Tally] = {}
        for mt in mentions:
            t = tallies.get(mt.record.name)
            if t is None:
                t = tallies[mt.record.name] = Tally(mt.record, (0 if mt.in_title else 1, mt.start))
            t.count += 1
            if mt.in_title:
                t.in_title = True
                t.title_positions.append((mt.start, mt.end))
            elif mt.start < lead_end:
                t.in_lead = True
            if mt.alias.alias.endswith(("그룹", "家")):
                t.bare_group = False

        business = bool(forms & BUSINESS_STRONG) or bool(
            ctx.TECH_TEXT.search(title) or ctx.TECH_TEXT.search(body)
        )
        if not business and ctx.is_sports(title, body, title_forms, forms):
            # A game report: 삼성, LG, KIA, 한국전력 are teams here, not companies.
            tallies = {name: t for name, t in tallies.items() if not t.record.team}
        analyst = bool(forms & ANALYST_CUES) or ctx.attribution_suffix(title) is not None
        ctx.drop_brokers(tallies, title, analyst)
        ctx.analyst_holdings(tallies, analyst, self._holding)

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
        title, body = nfc(title), nfc(body)
        title_morphs, body_morphs = self.nlp.tokenize([title, body])
        return self.find(title, body, title_morphs, body_morphs)
