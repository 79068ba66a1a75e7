"""Themes: a taxonomy kept as data (briefings/data/themes.json), scored on Kiwi lemmas.

An article gets every theme whose weighted lexicon score reaches the threshold (multi-label), so an
alliance about 5G is both 제휴·동맹 and 통신·5G. Lexicon phrases are sequences of lemmas; because Kiwi
may split a compound (업무협약 → 업무 + 협약) or keep it whole, both forms match the same entry.

A bare word list mistakes a mention for the subject, so each hit is weighed by what surrounds it:
- where it stands: the headline names the subject, the lead says what happened, the rest is detail;
  a theme the headline names no word of is more often the lead's aside, and counts less;
- what the headline is about: a market wrap (코스피, 증시, ETF) names sectors as movers (`sector`);
- the words next to it: a theme's `blockers` near a hit void it for that theme (협력 between two
  ministers is diplomacy, not a business alliance; 공개 of a music video is not a product launch;
  블랙록 near 지분 … 취득, a pair, is an index fund's passive stake, not M&A);
- what follows it: a negation (출시 안 해, 출시도 어려워) voids it, a hedge (사임론, 인수설) or a
  concession (대출 규제에도 매수세: the theme is the background) weakens it;
- what precedes it: the object of 공개/내놓 or the occasion of 인사 may show another sense (편지 공개,
  발언 내놓, 설 인사);
- who acts: themes that are things companies do (`corporate`: earnings, deals, launches) weigh
  little when the headline's actor, or the party it names with 와/과, is a ministry, a city or
  another public body (서초구, …협약; SGC문화재단, 서초구청과 …);
  a headline "A, B와 …" names a second company as the actor's partner, which a theme's `partner`
  weight adds to (an alliance the lead tells as 협업 or 손잡고).

Some events are told by two words apart rather than one: 지분을 … 취득, 최대주주가 … 변경, 주식 … 교환.
A theme's `pairs` ("지분+취득") count when the second lemma follows the first within five lemmas;
each of the two alone says little (지분 is any stake, 취득 any purchase). A theme
may set its own `threshold` where its words are rarer or noisier than the rest.

A story's themes are read off its articles' (`story_themes`): what the story is substantially about
is what enough of its outlets say, so the share-move report of a deal takes the deal's theme and a
theme one report names in passing is not given to a story many outlets told.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from briefings.digest.nlp import Morph
from briefings.digest.terms import lemma_runs

_MAX_PHRASE = 4
# How many lemmas after the first word of a pair its second word may stand (지분 31.56%를 … 취득).
_PAIR_SPAN = 5
# How many morphemes after a hit are read for a negation or a hedge (출시 / 하 / 지 / 않 / 는다).
_AFTER_MORPHS = 4
# Tags that end the clause a hit belongs to: a negation beyond them is about something else.
_CLAUSE_END = frozenset({"SF", "SP", "SS", "SSO", "SSC", "EC", "EF", "ETM"})
_QUOTES = frozenset({"SS", "SSO", "SSC"})

Run = tuple[str, int, int]
_NONE: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Theme:
    slug: str
    label: str
    lexicon: tuple[tuple[str, float], ...]
    # Lemmas that, standing near a hit, say the word is not about this theme here.
    blockers: frozenset[str] = frozenset()
    # A thing companies do: weak when a public body heads the headline.
    corporate: bool = False
    # Two lemmas that say the theme together, the second within a few lemmas of the first.
    pairs: tuple[tuple[str, str, float], ...] = ()
    # The theme's own threshold (None: the taxonomy's).
    threshold: float | None = None
    # What a headline naming a partner ("A, B와 …") adds, as a headline word's weight.
    partner: float = 0.0
    # A sector or a technology a market wrap names in passing (반도체 강세에 코스피 …).
    sector: bool = False


@dataclass(frozen=True, slots=True)
class _Hit:
    key: str
    start: int
    end: int
    first: int  # index of the hit's first run
    last: int  # index of the hit's last run


# A headline's actor is the noun before its first comma ("서초구, SGC문화재단과 …", "산업부, …").
_ACTOR_MORPHS = 6
_PUBLIC_SUFFIXES = ("시", "구", "군", "도", "부", "청", "처")
_PUBLIC_PREFIXES = ("국립", "시립", "도립", "구립")


def title_actor(title_morphs: Sequence[Morph]) -> str | None:
    """The noun a headline opens with when it is followed by a comma: who the headline says acts."""
    nouns: list[str] = []
    for m in title_morphs[:_ACTOR_MORPHS]:
        if (m.tag == "SP" and m.form == ",") or (m.form == "-" and nouns):
            # "고양시-고양동부새마을금고, …" names two parties, the first of them acting.
            return "".join(nouns) or None
        if m.tag in ("NNP", "NNG", "SL", "SH", "XSN"):
            nouns.append(m.form)
        elif m.tag not in ("SSO", "SSC", "SW", "SN", "SO"):
            nouns = []
    return None


_PARTNER_TAGS = ("NNP", "SL", "SH")
_WITH = ("와", "과")


def title_partner(title_morphs: Sequence[Morph]) -> str | None:
    """The partner of a headline that reads "ACTOR, PARTNER와 …": a proper noun joined by 와/과 right
    after the actor's comma names a second party to what the actor does (파리바게뜨, LG전자와 …)."""
    for k, m in enumerate(title_morphs[: _ACTOR_MORPHS + 1]):
        if m.tag == "SP" and m.form == ",":
            rest = title_morphs[k + 1 : k + 6]
            for a, b in pairwise(rest):
                if b.form in _WITH and b.tag in ("JC", "JKB"):
                    return a.form if a.tag in _PARTNER_TAGS else None
                if a.tag not in _PARTNER_TAGS and a.tag not in ("SP", "SW"):
                    return None
            return None
    return None


def title_party(title_morphs: Sequence[Morph]) -> str | None:
    """The nouns joined by 와/과 right after the headline's first comma, whatever their kind
    ("SGC문화재단, 서초구청과 …" → 서초구청): the second party, to tell a public one."""
    for k, m in enumerate(title_morphs[: _ACTOR_MORPHS + 1]):
        if m.tag == "SP" and m.form == ",":
            nouns: list[str] = []
            for n in title_morphs[k + 1 : k + 6]:
                if n.form in _WITH and n.tag in ("JC", "JKB"):
                    return "".join(nouns) or None
                if n.tag not in ("NNP", "NNG", "SL", "SH", "XSN"):
                    return None
                nouns.append(n.form)
            return None
    return None


def _key(entry: str) -> str:
    return "".join(entry.lower().split())


def _strings(data: dict[str, Any], name: str) -> frozenset[str]:
    return frozenset(_key(str(w)) for w in data.get(name, ()))


def _pairs(data: dict[str, Any]) -> tuple[tuple[str, str, float], ...]:
    """`{"지분+취득": 2.0}` → (("지분", "취득", 2.0),)."""
    out = []
    for entry, weight in data.get("pairs", {}).items():
        first, _, second = str(entry).partition("+")
        if not second:
            raise ValueError(f"pair without '+': {entry!r}")
        out.append((_key(first), _key(second), float(weight)))
    return tuple(out)


class Taxonomy:
    """Themes and a lookup from joined lemma n-grams to (theme index, weight)."""

    def __init__(
        self,
        themes: Sequence[Theme],
        *,
        threshold: float = 2.0,
        title_factor: float = 2.0,
        relative_cut: float = 0.25,
        body_factor: float = 0.75,
        lead_chars: int | None = None,
        tail_factor: float | None = None,
        context_chars: int = 0,
        negators: frozenset[str] = frozenset(),
        hedges: frozenset[str] = frozenset(),
        hedge_factor: float = 1.0,
        not_followed_by: dict[str, frozenset[str]] | None = None,
        not_preceded_by: dict[str, frozenset[str]] | None = None,
        concessives: frozenset[str] = frozenset(),
        public_actors: frozenset[str] = frozenset(),
        public_factor: float = 1.0,
        untitled_factor: float = 1.0,
        market_words: frozenset[str] = frozenset(),
        market_factor: float = 1.0,
    ) -> None:
        self.themes = tuple(themes)
        self.threshold = threshold
        self.title_factor = title_factor
        self.relative_cut = relative_cut
        # A single passing mention in the body is not enough: it takes a repeat, a second word or the title.
        self.body_factor = body_factor
        # Past the lead a word is detail: it counts `tail_factor` of a lead word (None: no lead cut).
        self.lead_chars = lead_chars
        self.tail_factor = body_factor if tail_factor is None else tail_factor
        self.context_chars = context_chars
        self.negators = negators
        self.hedges = hedges
        self.hedge_factor = hedge_factor
        # Entries another sense of which shows in the next morpheme (인사 + 하 = to greet).
        self.not_followed_by = not_followed_by or {}
        # Entries another sense of which shows in the word before them, particles skipped: the thing
        # made public or put forward (편지를 공개, 발언 내놓), the occasion of a greeting (설 인사).
        self.not_preceded_by = not_preceded_by or {}
        # Endings that make a hit's clause the background of another one (규제에도 매수세, 해킹
        # 사태에도 호실적, 죄송하지만): the theme is what the story happened despite, counted as a hedge.
        self.concessives = concessives
        # A government body heading the headline: its 협약 or 투자 is policy, not a company's deal.
        self.public_actors = public_actors
        self.public_factor = public_factor
        # A theme the headline does not name is the lead's aside more often than its subject.
        self.untitled_factor = untitled_factor
        # A headline about the market (코스피, 증시, ETF) names sectors as movers, not as the subject.
        self.market_words = market_words
        self.market_factor = market_factor
        self.labels = {t.slug: t.label for t in self.themes}
        self._entries: dict[str, list[tuple[int, float]]] = {}
        self._prefixes: set[str] = set()
        # first lemma of a pair -> [(second lemma, theme index, weight)]
        self._pairs: dict[str, list[tuple[str, int, float]]] = {}
        for i, theme in enumerate(self.themes):
            for entry, weight in theme.lexicon:
                key = _key(entry)
                self._entries.setdefault(key, []).append((i, weight))
                self._prefixes.update(key[:n] for n in range(1, len(key)))
            for first, second, weight in theme.pairs:
                self._pairs.setdefault(first, []).append((second, i, weight))
        self._floors = [threshold if t.threshold is None else t.threshold for t in self.themes]
        self._partnered = [(i, t.partner) for i, t in enumerate(self.themes) if t.partner]
        self._blocked = any(t.blockers for t in self.themes) and context_chars > 0
        # Keys of which some theme has blockers: only their hits need their neighbours read.
        self._guarded = frozenset(
            key for key, pairs in self._entries.items() if any(self.themes[i].blockers for i, _ in pairs)
        )

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Taxonomy:
        themes = [
            Theme(
                slug=str(t["slug"]),
                label=str(t["label"]),
                lexicon=tuple((str(k), float(v)) for k, v in t["lexicon"].items()),
                blockers=_strings(t, "blockers"),
                corporate=bool(t.get("corporate", False)),
                pairs=_pairs(t),
                threshold=None if t.get("threshold") is None else float(t["threshold"]),
                partner=float(t.get("partner", 0.0)),
                sector=bool(t.get("sector", False)),
            )
            for t in data["themes"]
        ]
        lead = data.get("lead_chars")
        tail = data.get("tail_factor")
        return cls(
            themes,
            threshold=float(data.get("threshold", 2.0)),
            title_factor=float(data.get("title_factor", 2.0)),
            relative_cut=float(data.get("relative_cut", 0.25)),
            body_factor=float(data.get("body_factor", 0.75)),
            lead_chars=None if lead is None else int(lead),
            tail_factor=None if tail is None else float(tail),
            context_chars=int(data.get("context_chars", 0)),
            negators=_strings(data, "negators"),
            hedges=_strings(data, "hedges"),
            hedge_factor=float(data.get("hedge_factor", 1.0)),
            public_actors=_strings(data, "public_actors"),
            public_factor=float(data.get("public_factor", 1.0)),
            untitled_factor=float(data.get("untitled_factor", 1.0)),
            market_words=_strings(data, "market_words"),
            market_factor=float(data.get("market_factor", 1.0)),
            not_followed_by={
                _key(k): frozenset(str(f) for f in v) for k, v in data.get("not_followed_by", {}).items()
            },
            not_preceded_by={
                _key(k): frozenset(str(f) for f in v) for k, v in data.get("not_preceded_by", {}).items()
            },
            concessives=_strings(data, "concessives"),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Taxonomy:
        if path is None:
            text = resources.files("briefings").joinpath("data/themes.json").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls.from_data(json.loads(text))

    def is_public(self, actor: str | None) -> bool:
        """A ministry, city, district or office (산업부, 서초구, 국세청) or a listed public actor."""
        if not actor:
            return False
        return (
            actor in self.public_actors
            or (len(actor) >= 3 and actor.endswith(_PUBLIC_SUFFIXES))
            or actor.startswith(_PUBLIC_PREFIXES)
        )

    def _hits_in_runs(self, runs: Sequence[Run]) -> list[_Hit]:
        """Lexicon keys in order of appearance: single lemmas and adjacent lemma runs, longest first.

        Keys are lower-case; Kiwi keeps the case of proper nouns, among them the registry's names it
        was given as user words (오픈AI, 챗GPT), so those are lowered before the lookup."""
        hits: list[_Hit] = []
        entries, prefixes = self._entries, self._prefixes
        n = len(runs)
        i = 0
        while i < n:
            joined = runs[i][0].lower()
            best_key, best_len = (joined, 1) if joined in entries else ("", 0)
            end = runs[i][2]
            j = i + 1
            while joined in prefixes and j < n and j - i < _MAX_PHRASE and runs[j][1] <= end + 1:
                joined += runs[j][0].lower()
                end = runs[j][2]
                j += 1
                if joined in entries:
                    best_key, best_len = joined, j - i
            if best_len:
                last = i + best_len - 1
                hits.append(_Hit(best_key, runs[i][1], runs[last][2], i, last))
                i += best_len
            else:
                i += 1
        return hits

    def _other_sense(self, morphs: Sequence[Morph], key: str, end: int) -> bool:
        """The morpheme right after `key` (ending at `end`) shows another sense of it (인사+하, 목표+치)."""
        k = bisect_left(morphs, end, key=lambda m: m.start)
        return k < len(morphs) and morphs[k].form in self.not_followed_by[key]

    def _preceded_by_other_sense(self, morphs: Sequence[Morph], hit: _Hit) -> bool:
        """The content morpheme before the hit, particles and quotes skipped, shows another sense."""
        k = bisect_left(morphs, hit.start, key=lambda m: m.start) - 1
        while k >= 0 and (morphs[k].tag.startswith("J") or morphs[k].tag in _QUOTES):
            k -= 1
        return k >= 0 and morphs[k].form in self.not_preceded_by[hit.key]

    def _after(self, morphs: Sequence[Morph], hit: _Hit) -> float:
        """1 for a plain hit, 0 when the clause negates it or a neighbouring morpheme shows another
        sense, `hedge_factor` when it only reports talk of it or is the background of a concession."""
        if not morphs or not (
            self.negators or self.hedges or self.concessives or self.not_followed_by or self.not_preceded_by
        ):
            return 1.0
        if hit.key in self.not_followed_by and self._other_sense(morphs, hit.key, hit.end):
            return 0.0
        if hit.key in self.not_preceded_by and self._preceded_by_other_sense(morphs, hit):
            return 0.0
        k = bisect_left(morphs, hit.end, key=lambda m: m.start)
        previous = ""  # a concession may be two morphemes (에 + 도 = 에도)
        for m in morphs[k : k + _AFTER_MORPHS]:
            form = m.form
            if form in self.negators:
                return 0.0
            if form in self.hedges or (
                self.concessives and (form in self.concessives or previous + form in self.concessives)
            ):
                return self.hedge_factor
            if m.tag in _CLAUSE_END:
                break
            previous = form
        return 1.0

    def _blocked_themes(self, runs: Sequence[Run], hit: _Hit) -> frozenset[int]:
        """Themes whose blockers stand within `context_chars` of the hit (same text)."""
        lo, hi = hit.start - self.context_chars, hit.end + self.context_chars
        near: set[str] = set()
        i = hit.first - 1
        while i >= 0 and runs[i][2] >= lo:
            near.add(runs[i][0])
            i -= 1
        i = hit.last + 1
        while i < len(runs) and runs[i][1] <= hi:
            near.add(runs[i][0])
            i += 1
        return frozenset(
            t for t, theme in enumerate(self.themes) if theme.blockers and not near.isdisjoint(theme.blockers)
        )

    def _add(
        self,
        scores: list[float],
        runs: Sequence[Run],
        morphs: Sequence[Morph],
        *,
        title: bool,
    ) -> None:
        seen: dict[str, int] = {}
        for hit in self._hits_in_runs(runs):
            factor = self._after(morphs, hit)
            if not factor:
                continue
            if title:
                if hit.key in seen:  # a headline says a word once
                    continue
                factor *= self.title_factor
            else:
                where = self.body_factor
                if self.lead_chars is not None and hit.start >= self.lead_chars:
                    where = self.tail_factor
                # Repeats add less and less (1, 0.5·log n ...), as before: tf is sublinear.
                repeat = seen.get(hit.key, 0)
                factor *= where * (1.0 if repeat == 0 else 0.5 * (math.log(repeat + 1) - math.log(repeat)))
            seen[hit.key] = seen.get(hit.key, 0) + 1
            guarded = self._blocked and hit.key in self._guarded
            blocked = self._blocked_themes(runs, hit) if guarded else _NONE
            for i, weight in self._entries[hit.key]:
                if i not in blocked:
                    scores[i] += weight * factor
        if self._pairs:
            self._add_pairs(scores, runs, morphs, title=title)

    def _add_pairs(
        self, scores: list[float], runs: Sequence[Run], morphs: Sequence[Morph], *, title: bool
    ) -> None:
        """Pairs of lemmas (지분 … 취득): each pair counts once per text, where its first word stands."""
        pairs = self._pairs
        starts = [i for i, run in enumerate(runs) if run[0] in pairs]
        found: set[tuple[str, str, int]] = set()
        for i in starts:
            run = runs[i]
            if run[0] in self.not_followed_by and self._other_sense(morphs, run[0], run[2]):
                continue
            wanted = pairs[run[0]]
            window = runs[i + 1 : i + 1 + _PAIR_SPAN]
            for second, theme, weight in wanted:
                if (run[0], second, theme) in found:
                    continue
                for j, later in enumerate(window, i + 1):
                    if later[0] == second:
                        hit = _Hit(second, run[1], later[2], i, j)
                        # A pair is blocked like a word (블랙록 … 지분 취득 is an index fund's stake).
                        if self.themes[theme].blockers and theme in self._blocked_themes(runs, hit):
                            found.add((run[0], second, theme))
                            break
                        factor = self._after(morphs, hit)
                        if title:
                            factor *= self.title_factor
                        elif self.lead_chars is not None and run[1] >= self.lead_chars:
                            factor *= self.tail_factor
                        else:
                            factor *= self.body_factor
                        scores[theme] += weight * factor
                        found.add((run[0], second, theme))
                        break

    def score(self, morphs: Sequence[Morph], title_morphs: Sequence[Morph] = ()) -> list[tuple[str, float]]:
        """Themes of a text with their scores, best first; only those that pass the threshold."""
        return self.score_runs(
            lemma_runs(morphs), lemma_runs(title_morphs), morphs=morphs, title_morphs=title_morphs
        )

    def score_runs(
        self,
        runs: Sequence[Run],
        title_runs: Sequence[Run] = (),
        *,
        morphs: Sequence[Morph] = (),
        title_morphs: Sequence[Morph] = (),
    ) -> list[tuple[str, float]]:
        """`score` on lemma runs already read off the morphemes (see terms.MorphScan).

        `morphs`/`title_morphs` (the same texts' morphemes) let what follows a hit count (a negation, a
        hedge, another sense) and name the headline's actor; without them only the lemmas count.
        """
        scores = [0.0] * len(self.themes)
        self._add(scores, runs, morphs, title=False)
        if self.untitled_factor != 1.0 and title_runs:
            titled = [0.0] * len(self.themes)
            self._add(titled, title_runs, title_morphs, title=True)
            # A theme the headline does not name is more often the lead's aside than its subject.
            scores = [t + (s if t else s * self.untitled_factor) for s, t in zip(scores, titled, strict=True)]
        else:
            self._add(scores, title_runs, title_morphs, title=True)
        if self.market_factor != 1.0 and any(r[0] in self.market_words for r in title_runs):
            for i, theme in enumerate(self.themes):
                if theme.sector:
                    scores[i] *= self.market_factor
        partner = title_partner(title_morphs) if self._partnered else None
        public_partner = self.public_factor != 1.0 and self.is_public(title_party(title_morphs))
        if partner and not public_partner:
            for i, weight in self._partnered:
                scores[i] += weight * self.title_factor
        # A company's deal with a district or a ministry (서초구와 협약) is policy as much as the reverse.
        if self.public_factor != 1.0 and (public_partner or self.is_public(title_actor(title_morphs))):
            for i, theme in enumerate(self.themes):
                if theme.corporate:
                    scores[i] *= self.public_factor
        top = max(scores, default=0.0)
        cut = top * self.relative_cut
        ranked = sorted(
            (
                (self.themes[i].slug, round(s, 3))
                for i, s in enumerate(scores)
                if s >= self._floors[i] and s >= cut
            ),
            key=lambda p: (-p[1], p[0]),
        )
        return ranked


# A story has a theme when articles carrying it make this share of the story, its first article
# (the representative, which tells the event itself) counting STORY_LEAD_WEIGHT articles. Chosen on a
# grid over the tuning days' stories (02-10/02-11) as the digester groups them: 0.4 is the middle of
# the shares (0.34-0.5) that do equally well there with a lead weight of 2.
STORY_SHARE = 0.4
STORY_LEAD_WEIGHT = 2.0


def story_themes(
    articles: Sequence[Sequence[tuple[str, float]]],
    *,
    share: float = STORY_SHARE,
    lead_weight: float = STORY_LEAD_WEIGHT,
    limit: int | None = None,
) -> list[str]:
    """A story's themes from its articles' scored themes (`Taxonomy.score`), the first article first.

    Best first: by the weight of the articles carrying the theme, then by their summed scores. A story
    theme is always some article's theme, so an article's themes are a superset index of its story's.
    """
    carried: dict[str, float] = {}
    evidence: dict[str, float] = {}
    for k, themes in enumerate(articles):
        weight = lead_weight if k == 0 else 1.0
        for slug, score in themes:
            carried[slug] = carried.get(slug, 0.0) + weight
            evidence[slug] = evidence.get(slug, 0.0) + score
    total = lead_weight + max(0, len(articles) - 1)
    kept = sorted(
        (slug for slug, w in carried.items() if w >= share * total - 1e-9),
        key=lambda slug: (-carried[slug], -evidence[slug], slug),
    )
    return kept if limit is None else kept[:limit]


@cache
def default_taxonomy() -> Taxonomy:
    """The packaged taxonomy, parsed once per process."""
    return Taxonomy.load()


def score_themes(morphs: Sequence[Morph], title_morphs: Sequence[Morph] = ()) -> list[tuple[str, float]]:
    """`Taxonomy.score` with the packaged taxonomy: [(slug, score)], best first."""
    return default_taxonomy().score(morphs, title_morphs)
