"""Stories: articles about the same event, whichever outlet wrote them, grouped incrementally.

An article joins the most similar open story when (a) it is a near-duplicate of one of its
articles, or (b) its headline-and-lead words are similar enough, where "enough" depends on the
companies it is about: sharing a primary company makes a moderate similarity sufficient, being about
different companies needs a strong one. A story stays open while articles keep arriving within the
window (about two days after its latest article) and for at most `max_span` after its first.

Everything here is pure: articles and times come in as values, decisions come out as values, and
the caller (pipeline.py) writes them to the database.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import chain
from typing import cast

import numpy as np

from briefings.digest.dedup import word_hash
from briefings.digest.keywords import COMMON_NOUNS
from briefings.digest.story_signals import (
    DEFAULT_SIGNALS,
    HeadlineSignals,
    SignalWeights,
    gap_adjustment,
    headline_signals,
    outlet_adjustment,
    pair_adjustment,
)
from briefings.digest.terms import STOP_NOUNS


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """What grouping needs to know about one article."""

    key: Hashable
    published: datetime | None
    title: str
    outlet: str = ""
    primaries: frozenset[str] = frozenset()
    companies: frozenset[str] = frozenset()
    # Hashed topic words (headline and lead) with weights; see pipeline.topic_words. An article held
    # in an open story keeps its vector instead (StoryGrouper.add drops these).
    topic: tuple[tuple[int, int], ...] = ()
    exclusive: bool = False
    # The headline's numbers, subject and kind of report, read once from `title` (None: read it now).
    signals: HeadlineSignals | None = None

    def __post_init__(self) -> None:
        if self.signals is None:
            object.__setattr__(self, "signals", headline_signals(self.title))


@dataclass(frozen=True, slots=True)
class StoryParams:
    window: timedelta = timedelta(hours=48)
    max_span: timedelta = timedelta(days=4)
    # Cosine similarity needed to join, by how the companies relate. Tuned with the headline signals
    # on the tuning days of bench/devset/stories.jsonl (02-10, 02-11): a flat optimum around 0.35.
    same_company: float = 0.35
    no_company: float = 0.35
    other_company: float = 0.75
    # Stories scored per article (the ones sharing the most distinctive words); bounds the cost.
    max_candidates: int = 8
    # A word shared by more open stories than this is too common to find candidates by: skipping it
    # keeps the cost of an article's candidates flat however full the window gets.
    max_postings: int = 300
    # What headlines share beyond words (numbers, subject, kind of report); None = words only.
    signals: SignalWeights | None = DEFAULT_SIGNALS


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """Join `story` (an existing key) or, when it is None, open a new story."""

    story: Hashable | None
    score: float
    reason: str  # "duplicate", "similar" or "new"


@dataclass(slots=True)
class StoryState:
    """An open story as grouping sees it (the database row holds the rest)."""

    key: Hashable
    first_published: datetime | None
    last_published: datetime | None
    articles: list[StoryArticle] = field(default_factory=list)
    primaries: Counter[str] = field(default_factory=Counter)
    companies: set[str] = field(default_factory=set)


class TopicBackground:
    """Document frequencies of hashed topic words, seeded with the words every story uses."""

    _PRIOR_DOCS = 200.0
    _COMMON = {word_hash(w): 40.0 for w in COMMON_NOUNS} | {word_hash(w): 200.0 for w in STOP_NOUNS}

    def __init__(self) -> None:
        self.docs = 0
        self.df: Counter[int] = Counter()

    def add(self, topic: Iterable[tuple[int, int]]) -> None:
        self.docs += 1
        self.df.update({h for h, _ in topic})

    def remove(self, words: Iterable[int]) -> None:
        """Forget a document (its distinct word hashes) that left the window: the background is that
        of the window alone."""
        self.docs -= 1
        df = self.df
        for h in words:
            n = df[h] - 1
            if n > 0:
                df[h] = n
            else:
                del df[h]

    def idf(self, h: int) -> float:
        prior = self._COMMON.get(h, 0.0)
        return math.log((self.docs + self._PRIOR_DOCS + 1.0) / (self.df.get(h, 0) + prior + 1.0))

    def idfs(self, words: Iterable[int]) -> dict[int, float]:
        """`idf` of each word, by the same sum (so the same values), without a call per word."""
        top, df, common, log = self.docs + self._PRIOR_DOCS + 1.0, self.df, self._COMMON, math.log
        return {h: log(top / (df.get(h, 0) + common.get(h, 0.0) + 1.0)) for h in words}


def vector(topic: Iterable[tuple[int, int]], idf: Callable[[int], float]) -> dict[int, float]:
    """Unit-length tf-idf vector of a topic (weights are already counts with headline boost).

    Every topic word is a key, with 0.0 when the topic has no weight at all: the keys are the
    article's words wherever the window needs them after the topic itself is dropped.
    """
    vec = {h: (1.0 + math.log(w)) * idf(h) for h, w in topic}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    if not norm:
        return dict.fromkeys(vec, 0.0)
    return {h: v / norm for h, v in vec.items()}


def cosine(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    # Most pairs share a word or two: intersect first (in C), then add the shared terms in a's order,
    # which gives exactly the sum over all of a (the others would each add zero).
    common = a.keys() & b.keys()
    if not common:
        return 0.0
    return sum([v * b[h] for h, v in a.items() if h in common])


# A vector as arrays: its words in ascending order and their weights (see `cosines`).
Packed = tuple[np.ndarray, np.ndarray]


def pack(vec: Mapping[int, float]) -> Packed | None:
    """A vector as arrays for `cosines`, or None when its words are not in ascending order (a topic
    made by hand rather than by the digester, which sorts it): `cosine` alone then adds as it does."""
    words = np.fromiter(vec, dtype=np.int64, count=len(vec))
    if len(words) > 1 and not bool((words[1:] > words[:-1]).all()):
        return None
    return words, np.fromiter(vec.values(), dtype=np.float64, count=len(vec))


def cosines(vec: Packed, others: Sequence[Packed]) -> list[float]:
    """`cosine(vec, o)` for each of `others`, to the last bit, in a few array operations.

    `cosine` adds the products of shared words in ascending word order (both vectors' order); here a
    row per other vector holds those products in the columns of `vec`'s words, zero elsewhere (adding
    zero changes nothing), and a running sum along each row adds them in the same order.
    """
    words, values = vec
    if not others or not len(words):
        return [0.0] * len(others)
    theirs = np.concatenate([o[0] for o in others])
    column = np.minimum(np.searchsorted(words, theirs), len(words) - 1)
    shared = words[column] == theirs
    row = np.repeat(np.arange(len(others)), [len(o[0]) for o in others])
    products = np.zeros((len(others), len(words)))
    their_values = np.concatenate([o[1] for o in others])
    products[row[shared], column[shared]] = values[column[shared]] * their_values[shared]
    return cast(list[float], np.cumsum(products, axis=1)[:, -1].tolist())


def in_window(story: StoryState, published: datetime | None, params: StoryParams) -> bool:
    if published is None or story.last_published is None or story.first_published is None:
        return True
    if published >= story.last_published:
        return published - story.last_published <= params.window and (
            published - story.first_published <= params.max_span
        )
    # Out of order (a late feed): it must still fall near the story's span.
    return story.first_published - published <= params.window


def required_similarity(article: StoryArticle, story: StoryState, params: StoryParams) -> float:
    mine, theirs = article.primaries, set(story.primaries)
    if mine and theirs:
        return params.same_company if mine & theirs else params.other_company
    if mine & story.companies or theirs & article.companies:
        return params.same_company
    return params.no_company


def _adjustment(article: StoryArticle, other: StoryArticle, params: StoryParams) -> float:
    if params.signals is None:
        return 0.0
    hours = None
    if article.published is not None and other.published is not None:
        hours = (article.published - other.published).total_seconds() / 3600
    out = gap_adjustment(hours, params.signals)
    mine, theirs = article.signals, other.signals
    if article.title and other.title and mine is not None and theirs is not None:
        shared = bool(article.primaries & other.primaries) or bool(article.companies & other.companies)
        out += pair_adjustment(mine, theirs, params.signals, share_company=shared)
        if article.outlet and article.outlet == other.outlet:
            out += outlet_adjustment(mine, theirs, hours, params.signals)
    return out


def decide(
    article: StoryArticle,
    candidates: Sequence[StoryState],
    vectors: Mapping[Hashable, Mapping[int, float]],
    article_vector: Mapping[int, float],
    *,
    duplicate_story: Hashable | None = None,
    params: StoryParams = StoryParams(),
    packed: Mapping[Hashable, Packed | None] | None = None,
    article_packed: Packed | None = None,
) -> StoryDecision:
    """Where one article goes: pure, given the open stories and the articles' vectors.

    `packed` and `article_packed` may give the same vectors as arrays (`pack`): the cosines are then
    computed together, with the same values.
    """
    if duplicate_story is not None:
        return StoryDecision(duplicate_story, 1.0, "duplicate")
    scored = [
        (order, story, [a for a in story.articles if a.key in vectors])
        for order, story in enumerate(candidates)
        if in_window(story, article.published, params)
    ]
    others = [a for _, _, members in scored for a in members]
    similar = _similarities(article_vector, others, vectors, packed, article_packed)
    best: tuple[float, int, Hashable] | None = None
    done = 0
    for order, story, members in scored:
        cos = similar[done : done + len(members)]
        done += len(members)
        sims = [c - _adjustment(article, a, params) for c, a in zip(cos, members, strict=True)]
        if not sims:
            continue
        # The best single match, softened by how the article fits the story as a whole.
        score = 0.7 * max(sims) + 0.3 * (sum(sims) / len(sims))
        margin = score - required_similarity(article, story, params)
        if margin >= 0 and (best is None or (margin, -order) > (best[0], -best[1])):
            best = (margin, order, story.key)
    if best is None:
        return StoryDecision(None, 0.0, "new")
    return StoryDecision(best[2], round(best[0], 4), "similar")


def _similarities(
    article_vector: Mapping[int, float],
    others: Sequence[StoryArticle],
    vectors: Mapping[Hashable, Mapping[int, float]],
    packed: Mapping[Hashable, Packed | None] | None,
    article_packed: Packed | None,
) -> list[float]:
    """The cosine of the article's vector with each of `others`' (together when all are packed)."""
    if packed is not None and article_packed is not None and others:
        theirs = [packed.get(a.key) for a in others]
        if all(p is not None for p in theirs):
            return cosines(article_packed, cast(list[Packed], theirs))
    return [cosine(article_vector, vectors[a.key]) for a in others]


# A word's postings: the slot of the one open story using it (most words), or the set of them.
# Keeping single stories bare saves a set per rare word, the bulk of the window's postings. A story's
# slot is a small number it keeps while open (through a rename too), so ranking an article's candidate
# stories is a few array operations over the slots its words name rather than a dict update per posting.
_Posting = int | set[int]


class StoryGrouper:
    """The open stories of the window and the grouping state around them (one per process).

    An article's vector is computed when it is added, against the background of that moment, so a
    process that replays the same articles in the same order holds the same vectors as the process
    that first grouped them. An article held in an open story keeps its vector (whose keys are its
    words) and headline signals, not its topic: what an open article costs is what grouping reads.
    """

    def __init__(self, params: StoryParams | None = None, background: TopicBackground | None = None) -> None:
        self.params = params or StoryParams()
        self.background = background or TopicBackground()
        self.stories: dict[Hashable, StoryState] = {}
        self.story_of: dict[Hashable, Hashable] = {}
        self._vectors: dict[Hashable, dict[int, float]] = {}
        self._postings: dict[int, _Posting] = {}
        self._opened: dict[Hashable, int] = {}
        self._next_order = 0
        # Slots of open stories: slot -> story key and opening order (the ranking's tie-break).
        self._slot_of: dict[Hashable, int] = {}
        self._slot_keys: list[Hashable | None] = []
        self._slot_order = np.zeros(64, dtype=np.int64)
        self._free_slots: list[int] = []
        # Open articles' vectors as arrays too, for scoring them against an article together.
        self._packed: dict[Hashable, Packed | None] = {}
        # The vector `decide` just made, and as arrays: `add` keeps them for the article.
        self._last: tuple[Hashable, dict[int, float], Packed | None] | None = None

    def observe(self, topic: Iterable[tuple[int, int]]) -> None:
        """Count an article's words in the background without grouping it."""
        self.background.add(topic)

    def article_vector(self, article: StoryArticle) -> dict[int, float]:
        """The article's topic vector against the current background (kept while it is open)."""
        vec = self._vectors.get(article.key)
        if vec is None:
            vec = vector(article.topic, self.background.idf)
        return vec

    def candidates(self, article: StoryArticle, idf: Mapping[int, float] | None = None) -> list[StoryState]:
        """Open stories worth scoring, oldest first: those sharing the most distinctive topic words.

        Stories that share only everyday words can never pass the similarity bar, so ranking them by
        the idf mass of shared words and keeping the best few bounds the cost of every decision.
        `idf` may give the article's word weights already looked up.
        """
        weights = idf if idf is not None else self._idf(article)
        cap = self.params.max_postings
        postings = self._postings
        # The slots each word names, in the article's word order: each story's weight is then summed
        # in that order, as adding word by word would.
        named: list[Iterable[int]] = []
        counts: list[int] = []
        mass: list[float] = []
        for h, _ in article.topic:
            slots = postings.get(h)
            if slots is None:
                continue
            if isinstance(slots, set):
                if len(slots) > cap:
                    continue
                named.append(slots)
                counts.append(len(slots))
            else:
                named.append((slots,))
                counts.append(1)
            mass.append(weights[h])
        if not named:
            return []
        total = sum(counts)
        slot = np.fromiter(chain.from_iterable(named), dtype=np.intp, count=total)
        width = len(self._slot_keys)
        weight = np.repeat(np.asarray(mass, dtype=np.float64), counts)
        shared = np.bincount(slot, weights=weight, minlength=width)
        touched = np.flatnonzero(np.bincount(slot, minlength=width))
        mass_of = shared[touched]
        best = self._best_open(article, touched, mass_of, 2 * self.params.max_candidates)
        if best is None:  # too few of the best few are open to this article's time: rank them all
            best = self._best_open(article, touched, mass_of, len(touched))
            assert best is not None
        best.sort(key=lambda pair: pair[0])
        return [story for _, story in best]

    def _best_open(
        self, article: StoryArticle, touched: np.ndarray, mass: np.ndarray, few: int
    ) -> list[tuple[int, StoryState]] | None:
        """The best stories of `touched` (most shared weight, then the story opened first) that are
        open to the article's time, up to `max_candidates`, looking at the `few` best only (with
        their ties); None when those hold too few and more remain."""
        if len(touched) > few:
            # All stories with at least the weight of the few-th best: the head of the full ranking.
            floor = np.partition(mass, len(mass) - few)[len(mass) - few]
            keep = mass >= floor
            touched, mass = touched[keep], mass[keep]
            complete = False
        else:
            complete = True
        ranked = touched[np.lexsort((self._slot_order[touched], -mass))]
        stories_, params, keys = self.stories, self.params, self._slot_keys
        best: list[tuple[int, StoryState]] = []
        for i in ranked.tolist():
            key = keys[i]
            story = stories_[key]
            if in_window(story, article.published, params):
                best.append((self._opened[key], story))
                if len(best) == params.max_candidates:
                    return best
        return best if complete else None

    def _idf(self, article: StoryArticle) -> dict[int, float]:
        return self.background.idfs(h for h, _ in article.topic)

    def decide(self, article: StoryArticle, *, duplicate_of: Hashable | None = None) -> StoryDecision:
        dup_story = self.story_of.get(duplicate_of) if duplicate_of is not None else None
        weights = self._idf(article)  # each word's idf looked up once, for the vector and the candidates
        vec = vector(article.topic, weights.__getitem__)
        mine = pack(vec)
        self._last = (article.key, vec, mine)
        if dup_story is not None:  # a copy joins its original's story: no candidate is scored
            return decide(article, (), {}, vec, duplicate_story=dup_story, params=self.params)
        candidates = self.candidates(article, weights)
        return decide(
            article,
            candidates,
            self._vectors,
            vec,
            params=self.params,
            packed=self._packed,
            article_packed=mine,
        )

    def add(self, story_key: Hashable, article: StoryArticle) -> StoryState:
        """Put an article into a story (opening it when new) and return the story's state."""
        story = self.stories.get(story_key)
        if story is None:
            story = self.stories[story_key] = StoryState(story_key, article.published, article.published)
            self._opened[story_key] = self._next_order
            self._open_slot(story_key, self._next_order)
            self._next_order += 1
        last = self._last
        if last is not None and last[0] == article.key:
            _, vec, packed = last
        else:
            vec = vector(article.topic, self.background.idf)
            packed = pack(vec)
        self._last = None
        self._vectors[article.key] = vec
        self._packed[article.key] = packed
        story.articles.append(replace(article, topic=()) if article.topic else article)
        story.primaries.update(article.primaries)
        story.companies.update(article.companies)
        if article.published is not None:
            if story.first_published is None or article.published < story.first_published:
                story.first_published = article.published
            if story.last_published is None or article.published > story.last_published:
                story.last_published = article.published
        self.story_of[article.key] = story_key
        slot = self._slot_of[story_key]
        for h in vec:
            self._post(h, slot)
        return story

    def _open_slot(self, story_key: Hashable, order: int) -> None:
        if self._free_slots:
            slot = self._free_slots.pop()
            self._slot_keys[slot] = story_key
        else:
            slot = len(self._slot_keys)
            self._slot_keys.append(story_key)
            if slot == len(self._slot_order):
                self._slot_order = np.concatenate([self._slot_order, np.zeros_like(self._slot_order)])
        self._slot_order[slot] = order
        self._slot_of[story_key] = slot

    def _close_slot(self, story_key: Hashable) -> None:
        slot = self._slot_of.pop(story_key)
        self._slot_keys[slot] = None
        self._free_slots.append(slot)

    def _post(self, h: int, slot: int) -> None:
        postings = self._postings
        current = postings.get(h)
        if current is None:
            postings[h] = slot
        elif isinstance(current, set):
            current.add(slot)
        elif current != slot:
            postings[h] = {current, slot}

    def _unpost(self, h: int, slot: int) -> None:
        postings = self._postings
        current = postings.get(h)
        if isinstance(current, set):
            current.discard(slot)
            if len(current) == 1:
                postings[h] = next(iter(current))
        elif current is not None and current == slot:
            del postings[h]

    def rename(self, old: Hashable, new: Hashable) -> None:
        """Give a story its lasting key (the database id of a story opened under a provisional one)."""
        story = self.stories.pop(old)
        story.key = new
        self.stories[new] = story
        self._opened[new] = self._opened.pop(old)
        slot = self._slot_of[new] = self._slot_of.pop(old)  # its postings name the slot, which stays
        self._slot_keys[slot] = new
        for a in story.articles:
            self.story_of[a.key] = new

    def expire(self, now: datetime) -> list[Hashable]:
        """Close stories that can no longer take articles; returns their keys."""
        closed = [
            k
            for k, s in self.stories.items()
            if s.last_published is not None and now - s.last_published > self.params.window
        ]
        for key in closed:
            self._opened.pop(key, None)
            slot = self._slot_of[key]
            for a in self.stories.pop(key).articles:
                self._packed.pop(a.key, None)
                for h in self._vectors.pop(a.key, ()):
                    self._unpost(h, slot)
                self.story_of.pop(a.key, None)
            self._close_slot(key)
        return closed


def group(
    articles: Sequence[StoryArticle],
    *,
    duplicates: Mapping[Hashable, Hashable] | None = None,
    params: StoryParams | None = None,
) -> dict[Hashable, Hashable]:
    """Group a batch of articles into stories: article key -> key of the story's first article.

    Articles are taken in publication order (ties and missing times in the given order), and every
    article's words are counted in the background first, so the result does not depend on which
    article happens to come first in the background.
    """
    grouper = StoryGrouper(params)
    for a in articles:
        grouper.observe(a.topic)
    order = sorted(
        range(len(articles)),
        key=lambda i: (articles[i].published is not None, articles[i].published or datetime.min, i),
    )
    dups = duplicates or {}
    for i in order:
        a = articles[i]
        decision = grouper.decide(a, duplicate_of=dups.get(a.key))
        grouper.add(decision.story if decision.story is not None else a.key, a)
    first: dict[Hashable, Hashable] = {}
    for a in articles:  # the story's key is its first article in the caller's order
        first.setdefault(grouper.story_of[a.key], a.key)
    return {a.key: first[grouper.story_of[a.key]] for a in articles}
