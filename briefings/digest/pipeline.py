"""The digester: from stored (or given) articles to companies, themes, keywords, duplicates and stories.

`Digester.analyze` is the stateless part: every text is analysed by Kiwi once, in one batch, and all
the rest (companies, themes, keywords, search terms, shingles, MinHash, topic words) is read off
those morphemes. Only the first `max_chars` characters of a body are analysed. `group_analyses`
turns a batch of analyses into duplicates and stories without a database (what `briefings analyze`
and the evaluation use). `digest_pending` is the stateful part: it takes the articles the gatherer
stored, in publication order, and writes the results, one transaction per batch. Its window of
recent stories lives as long as the process and is brought up to date from the database with only
what other processes digested since (see `_Window`).
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Generator, Hashable, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any
from typing import cast as cast_type

from sqlalchemy import Integer, Table, bindparam, cast, delete, func, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from briefings.companies import (
    CompanyHit,
    CompanyMatcher,
    Registry,
    default_registry,
    registry_from_session,
    seed_if_needed,
)
from briefings.db import in_chunks, insert_rows
from briefings.digest.dedup import (
    TEXT_KEY_BYTES,
    DuplicateIndex,
    Fingerprint,
    lemma_signature,
    word_hash,
)
from briefings.digest.follow_ups import StoryDigest, follow_up_in_window
from briefings.digest.keywords import Background, top_keywords
from briefings.digest.nlp import KoreanNLP, Morph, get_nlp
from briefings.digest.stories import StoryArticle, StoryGrouper, StoryParams, group
from briefings.digest.story_signals import HeadlineSignals, headline_signals
from briefings.digest.summary import LeadSentence, choose_summary, lead_sentences
from briefings.digest.terms import MorphScan, topic_nouns
from briefings.digest.text import analysed_body, analysed_title, clean_title, is_exclusive
from briefings.digest.themes import Taxonomy, default_taxonomy, story_themes
from briefings.heap import grow_young_generation, settle_heap
from briefings.models import (
    Article,
    ArticleTerm,
    ArticleTheme,
    Company,
    DigestState,
    Mention,
    Story,
    StoryCompany,
)
from briefings.timeutil import as_utc

log = logging.getLogger(__name__)

# The lead (where a news story names its subject) for the topic words stories are compared by.
LEAD_CHARS = 300
_TITLE_TOPIC_WEIGHT = 3
KEYWORDS_PER_ARTICLE = 5
KEYWORDS_PER_STORY = 8
THEMES_PER_STORY = 5
# Characters of a body analysed by default (DIGEST_MAX_CHARS); a headline is cut at its own cap.
DEFAULT_MAX_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class ArticleInput:
    id: Hashable
    title: str
    body: str = ""
    url: str | None = None
    published: datetime | None = None
    outlet: str = ""


@dataclass(frozen=True, slots=True)
class ArticleAnalysis:
    id: Hashable
    title: str
    body: str  # without boilerplate
    companies: tuple[CompanyHit, ...]
    themes: tuple[tuple[str, float], ...]
    keywords: tuple[str, ...]
    terms: frozenset[str]
    fingerprint: Fingerprint
    exclusive: bool
    # Text identity after cleaning: copies too short for MinHash are still caught.
    text_key: str
    # Lead sentences that could summarise the article's story (summary.py).
    sentences: tuple[LeadSentence, ...] = ()
    # What grouping compares of the input's headline, read once (None: grouping reads it itself).
    signals: HeadlineSignals | None = None

    @property
    def primaries(self) -> frozenset[str]:
        return frozenset(h.company.name for h in self.companies if h.is_primary)

    @property
    def company_names(self) -> frozenset[str]:
        return frozenset(h.company.name for h in self.companies)

    @property
    def theme_slugs(self) -> list[str]:
        return [slug for slug, _ in self.themes]


def _text_digest(title: str, body: str) -> bytes:
    """Identity of a text after cleaning (spacing and headline tags do not make a new text)."""
    joined = "".join(clean_title(title).split()) + "\x1f" + "".join(body.split())
    return hashlib.sha1(joined.encode("utf-8", "surrogatepass")).digest()


def topic_words(title_morphs: Sequence[Morph], body_morphs: Sequence[Morph]) -> tuple[tuple[int, int], ...]:
    """Hashed headline and lead nouns with counts (headline words weigh more), sorted for stability."""
    counts: Counter[str] = Counter(topic_nouns(body_morphs, end=LEAD_CHARS))
    for word in topic_nouns(title_morphs):
        counts[word] += _TITLE_TOPIC_WEIGHT
    return tuple(sorted((word_hash(w), n) for w, n in counts.items()))


class Digester:
    """Analyses batches of articles. Build once per process: it holds Kiwi, the matcher and the taxonomy."""

    def __init__(
        self,
        registry: Registry,
        nlp: KoreanNLP,
        *,
        taxonomy: Taxonomy | None = None,
        matcher: CompanyMatcher | None = None,
        story_params: StoryParams | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.registry = registry
        self.nlp = nlp
        self.matcher = matcher or CompanyMatcher(registry, nlp)
        self.taxonomy = taxonomy or default_taxonomy()
        self.story_params = story_params or StoryParams()
        self.max_chars = max_chars
        # A fixed prior, never grown: an article gets the same keywords in every process and batch.
        self.background = Background()
        # The stored digest's window of recent stories, kept for the life of the process.
        self.window: _Window | None = None
        # (database, company name -> id) for registries built without ids.
        self.company_ids: tuple[str, dict[str, int]] | None = None

    @classmethod
    def default(cls) -> Digester:
        """The packaged registry and the process-wide Kiwi: for tools without a database."""
        digester = cls(default_registry(), get_nlp())
        settle_digest_heap()
        return digester

    def analyze(self, items: Sequence[ArticleInput]) -> list[ArticleAnalysis]:
        """Analyse a batch; one Kiwi pass over every distinct headline and body."""
        if not items:
            return []
        titles = [analysed_title(it.title) for it in items]
        cleaned: dict[str, str] = {}  # a body repeated in the batch is cleaned once
        bodies = []
        for it in items:
            raw = it.body or ""
            body = cleaned.get(raw)
            if body is None:
                body = cleaned[raw] = analysed_body(raw, self.max_chars)
            bodies.append(body)
        # An article with the headline and body of an earlier one of the batch (a feed item
        # gathered twice, one wire copy under one headline in several feeds) gets that article's
        # analysis, which depends on nothing else; a text repeated alone (an empty lead, one press
        # release under several headlines) goes through Kiwi once. Kiwi is most of the cost.
        first: dict[tuple[str, str], int] = {}
        same_as = [first.setdefault(pair, i) for i, pair in enumerate(zip(titles, bodies, strict=True))]
        uses: Counter[str] = Counter()
        texts: list[str] = []
        for i in first.values():
            for piece in (titles[i], bodies[i]):
                if piece not in uses:
                    texts.append(piece)
                uses[piece] += 1
        stream = self.nlp.tokenize_iter(texts)
        kept: dict[str, list[Morph]] = {}  # morphemes of the texts still to be read again

        def morphs_of(piece: str) -> list[Morph]:
            morphs = kept.get(piece)
            if morphs is None:
                morphs = next(stream)
                if uses[piece] > 1:
                    kept[piece] = morphs
            return morphs

        done: dict[int, ArticleAnalysis] = {}
        out: list[ArticleAnalysis] = []
        try:
            # Each article is analysed as soon as Kiwi hands back its headline and body, while
            # Kiwi's threads go on with the next ones: the analysis hides behind the tokenisation.
            for i, item in enumerate(items):
                j = same_as[i]
                if j != i:  # its signals are read off its own headline, which may differ before cleaning
                    same = items[j].title == item.title
                    signals = done[j].signals if same else headline_signals(item.title)
                    out.append(replace(done[j], id=item.id, signals=signals))
                    continue
                tm = morphs_of(titles[i])
                bm = morphs_of(bodies[i])
                analysis = self._analyse(item.id, titles[i], bodies[i], tm, bm, headline_signals(item.title))
                done[i] = analysis
                out.append(analysis)
        finally:
            stream.close()  # releases the analyser
        return out

    def _analyse(
        self,
        key: Hashable,
        title: str,
        body: str,
        tm: Sequence[Morph],
        bm: Sequence[Morph],
        signals: HeadlineSignals,
    ) -> ArticleAnalysis:
        # One pass over each text's morphemes feeds themes, keywords, terms, shingles, topic words.
        ts, bs = MorphScan(tm), MorphScan(bm, LEAD_CHARS)
        hits = tuple(self.matcher.find(title, body, tm, bm))
        themes = tuple(self.taxonomy.score_runs(bs.runs, ts.runs, morphs=bm, title_morphs=tm))
        sig = lemma_signature([r[0] for r in ts.runs] + [r[0] for r in bs.runs])
        topic: Counter[str] = Counter(bs.nouns[: bs.lead_nouns])
        counts: Counter[str] = Counter(bs.nouns)
        for word in ts.nouns:
            topic[word] += _TITLE_TOPIC_WEIGHT
            counts[word] += _TITLE_TOPIC_WEIGHT
        text_key = _text_digest(title, body)[:TEXT_KEY_BYTES]
        fingerprint = Fingerprint(sig, tuple(sorted((word_hash(w), c) for w, c in topic.items())), text_key)
        return ArticleAnalysis(
            id=key,
            title=title,
            body=body,
            companies=hits,
            themes=themes,
            keywords=tuple(top_keywords(counts, self.background, KEYWORDS_PER_ARTICLE)),
            terms=frozenset(ts.terms | bs.terms),
            fingerprint=fingerprint,
            exclusive=is_exclusive(title),
            text_key=text_key.hex(),
            sentences=lead_sentences(title, body, bm),
            signals=signals,
        )

    def analyze_each(self, items: Sequence[ArticleInput]) -> list[ArticleAnalysis | str]:
        """Like `analyze`, but one text that cannot be analysed fails alone: its place holds the error.

        The batch is analysed in one pass; only when that fails is it done again article by article.
        """
        try:
            return list(self.analyze(items))
        except Exception:
            log.warning("a batch of %d articles failed; analysing them one by one", len(items))
        out: list[ArticleAnalysis | str] = []
        for item in items:
            try:
                out.extend(self.analyze([item]))
            except Exception as exc:
                out.append(error_text(exc))
        return out

    def group(self, items: Sequence[ArticleInput]) -> list[Grouping]:
        """Analyse and group a batch: what `briefings analyze` prints, as values."""
        return group_analyses(items, self.analyze(items), params=self.story_params)


# --- stateless grouping of a batch -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grouping:
    """Story and duplicate of one input, both as input ids (story = its first input's id)."""

    story: Hashable
    duplicate_of: Hashable | None
    summary: str | None = None  # of the story
    themes: tuple[str, ...] = ()  # of the story (`story_themes`)


def error_text(exc: BaseException) -> str:
    """One line that says what went wrong, short enough for a column and a terminal."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}"[:300]


def story_article(item: ArticleInput, analysis: ArticleAnalysis) -> StoryArticle:
    return StoryArticle(
        key=item.id,
        published=as_utc(item.published) if item.published is not None else None,
        title=item.title,
        outlet=item.outlet,
        primaries=analysis.primaries,
        companies=analysis.company_names,
        topic=analysis.fingerprint.topic,
        exclusive=analysis.exclusive,
        signals=analysis.signals,
    )


def find_duplicates(
    items: Sequence[ArticleInput], analyses: Sequence[ArticleAnalysis]
) -> dict[Hashable, Hashable]:
    """Input id -> id of the earlier-published input it copies (same text, or MinHash near-duplicate).

    The same `DuplicateIndex` rule as the stored digest, in the same order (publication time).
    """
    order = sorted(
        range(len(items)),
        key=lambda i: (items[i].published is not None, items[i].published or datetime.min, i),
    )
    index = DuplicateIndex()
    out: dict[Hashable, Hashable] = {}
    for i in order:
        fp = analyses[i].fingerprint
        original = index.find(fp.minhash, fp.text_key)
        if original is not None:
            out[analyses[i].id] = original
        index.add(analyses[i].id, fp.minhash, fp.text_key)
    return out


def group_analyses(
    items: Sequence[ArticleInput],
    analyses: Sequence[ArticleAnalysis],
    *,
    params: StoryParams | None = None,
) -> list[Grouping]:
    """Duplicates and stories of a batch, deterministic, in input order. The same rules as `digest`."""
    if len({it.id for it in items}) != len(items):
        raise ValueError("input ids must be unique")
    dups = find_duplicates(items, analyses)
    stories = group(
        [story_article(it, a) for it, a in zip(items, analyses, strict=True)], duplicates=dups, params=params
    )
    members: dict[Hashable, list[ArticleAnalysis]] = {}
    for it, a in zip(items, analyses, strict=True):
        members.setdefault(stories[it.id], []).append(a)
    summaries = {
        key: choose_summary([a.sentences for a in group_], [a.title for a in group_])
        for key, group_ in members.items()
    }
    themes = {
        key: tuple(story_themes([a.themes for a in group_], limit=THEMES_PER_STORY))
        for key, group_ in members.items()
    }
    return [
        Grouping(stories[it.id], dups.get(it.id), summaries[stories[it.id]], themes[stories[it.id]])
        for it in items
    ]


def group_stories(digester: Digester, items: Sequence[ArticleInput]) -> list[Hashable]:
    """Story id per input (the id of its story's first input): the evaluation's entry point."""
    return [g.story for g in digester.group(items)]


def analysis_json(analysis: ArticleAnalysis, grouping: Grouping) -> dict[str, Any]:
    """One output line of `briefings analyze` (the contract in ARCHITECTURE.md)."""
    return {
        "id": analysis.id,
        "companies": [
            {
                "name": h.company.name,
                "name_en": h.company.name_en,
                "ticker": h.company.ticker,
                "primary": h.is_primary,
                "salience": h.salience,
                "mentions": h.mentions,
            }
            for h in analysis.companies
        ],
        "themes": analysis.theme_slugs,
        "story": grouping.story,
        "duplicate_of": grouping.duplicate_of,
        "summary": grouping.summary,
    }


# --- the stateful digest over the database ---------------------------------------------------------

# How many times a batch is tried again after the database gave up on it (a deadlock, a lock wait).
DB_RETRIES = 5
# Behind by more batches than this, a window is loaded afresh rather than replayed batch by batch.
CATCH_UP_MAX_BATCHES = 500
_STATE = "stories"
# PostgreSQL advisory lock key of story assignment (any constant; "BRFD" in ASCII).
_PG_LOCK_KEY = 0x42524644


@dataclass
class DigestSummary:
    articles: int = 0
    duplicates: int = 0
    new_stories: int = 0
    joined_stories: int = 0
    mentions: int = 0
    batches: int = 0
    seeded_companies: int = 0
    failed: int = 0
    # (article id, headline, error) of the articles that could not be digested, first ones only.
    failures: list[tuple[int, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "articles": self.articles,
            "duplicates": self.duplicates,
            "new_stories": self.new_stories,
            "joined_stories": self.joined_stories,
            "mentions": self.mentions,
            "batches": self.batches,
            "seeded_companies": self.seeded_companies,
            "failed": self.failed,
        }

    def add(self, other: DigestSummary) -> None:
        """Add the articles, copies, stories and mentions another summary counted."""
        self.articles += other.articles
        self.duplicates += other.duplicates
        self.new_stories += other.new_stories
        self.joined_stories += other.joined_stories
        self.mentions += other.mentions

    def fail(self, article_id: int, title: str, error: str) -> None:
        self.failed += 1
        if len(self.failures) < 20:
            self.failures.append((article_id, title, error))


def ensure_companies(session: Session, *, now: datetime) -> int:
    """Seed the packaged registry where it is missing (a new database, or a release that added
    companies); returns the rows written. Operator rows are never touched."""
    return seed_if_needed(session, now=now)


def build_digester(
    session: Session,
    *,
    now: datetime,
    nlp: KoreanNLP | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Digester:
    """A Digester over the registry as stored (seeding it first on a new database)."""
    ensure_companies(session, now=now)
    digester = Digester(registry_from_session(session), nlp or get_nlp(), max_chars=max_chars)
    settle_digest_heap()
    return digester


# Container objects allocated (net of those freed) between the collector's youngest passes.
GC_YOUNG_OBJECTS = 10_000


def settle_digest_heap() -> None:
    """`settle_heap`, and a youngest generation of `GC_YOUNG_OBJECTS` (Python's default is 700).

    The window's new articles, vectors and postings outlive the collector's first passes, and every
    pass that found them alive moved them up to be scanned again, up to full passes over the whole
    window. In a digest of 16,000 articles the collector took 2.1 s of the main thread's 38 s, 0.8 s
    after (no full pass at all). The digest makes little cyclic garbage: four simulated days held the
    same resident memory (`bench.digest_scale days`), and a young pass takes a few milliseconds.
    """
    settle_heap()
    grow_young_generation(GC_YOUNG_OBJECTS)


@dataclass
class _StoryTally:
    """Keyword counts of a story, from its stored list (the same in every process)."""

    keywords: Counter[str] = field(default_factory=Counter)
    # Candidate summary sentences and headlines of the articles seen (the stored summary stands in
    # for the articles of earlier runs).
    sentences: list[tuple[LeadSentence, ...]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    def add(self, article_title: str, sentences: tuple[LeadSentence, ...]) -> None:
        self.sentences.append(sentences)
        self.titles.append(article_title)

    def summary(self) -> str | None:
        """The summary of what was seen, chosen once per batch: a story with no lead sentence among
        its articles has none, so choosing after each article would end with the same result."""
        return choose_summary(self.sentences, self.titles)

    @classmethod
    def from_story(cls, story: Any) -> _StoryTally:
        """From a story's stored keywords and summary (a row or a Story)."""
        t = cls()
        nouns = frozenset(k for k in story.keywords or [] if story.summary and k in story.summary)
        if story.summary and nouns:  # a sentence is weighed by its nouns: one without any cannot be
            t.sentences.append((LeadSentence(story.summary, nouns, 0),))
        for rank, kw in enumerate(story.keywords or []):
            t.keywords[kw] += max(1, 3 - rank // 3)
        return t


@dataclass(frozen=True, slots=True)
class _Digested:
    """A digested article as the window replays it: what its first digest saw, read back."""

    article_id: int
    story_id: int
    published: datetime
    fingerprint: Fingerprint
    story_article: StoryArticle


class _Window:
    """Copies and open stories of the recent past: the state story assignment decides against.

    It is a function of the digested articles and the order they were digested in: every batch,
    whichever process ran it, prunes the window to its first article's time and then adds its
    articles one by one. A process that replays other processes' batches in `digest_seq` order
    therefore holds the window they held, so several workers make the stories one would. The topic
    background is that of the window's articles alone, so memory and idf do not depend on how long
    the process has lived.
    """

    def __init__(self, params: StoryParams, db: str) -> None:
        self.db = db
        self.seq = 0  # the DigestState.seq this window reflects
        self.dups = DuplicateIndex()
        self.grouper = StoryGrouper(params)
        self.horizon: datetime | None = None
        # An article's distinct topic words, for the background to forget when it leaves the window.
        self._topics: dict[int, array[int]] = {}
        self._by_time: list[tuple[datetime, int]] = []  # heap of (published, article id)

    def __len__(self) -> int:
        return len(self._topics)

    def prune(self, upcoming: datetime) -> None:
        """Forget what articles published from `upcoming` on can no longer copy or join."""
        params = self.grouper.params
        horizon = upcoming - params.window - params.max_span
        if self.horizon is None or horizon > self.horizon:
            self.horizon = horizon
        self.grouper.expire(upcoming)
        old: list[int] = []
        heap, topics, background = self._by_time, self._topics, self.grouper.background
        while heap and heap[0][0] < self.horizon:
            _, key = heapq.heappop(heap)
            topic = topics.pop(key, None)
            if topic is not None:
                background.remove(topic)
                old.append(key)
        self.dups.remove(old)

    def observe(self, article_id: int, published: datetime, topic: tuple[tuple[int, int], ...]) -> None:
        """Count an article in the background before it is grouped (as grouping a batch does)."""
        if article_id in self._topics:
            return
        self.grouper.observe(topic)
        self._topics[article_id] = array("I", sorted({h for h, _ in topic}))
        heapq.heappush(self._by_time, (published, article_id))

    def admit(self, story_key: Hashable, sa: StoryArticle, fingerprint: Fingerprint) -> None:
        self.grouper.add(story_key, sa)
        self.dups.add(sa.key, fingerprint.minhash, fingerprint.text_key)

    def replay(self, rows: Sequence[tuple[int, _Digested]]) -> None:
        """Add digested articles, given as (digest_seq, article) in digest order, batch by batch."""
        current: int | None = None
        for seq, d in rows:
            if seq != current:
                current = seq
                self.prune(d.published)
            self.observe(d.article_id, d.published, d.fingerprint.topic)
            self.admit(d.story_id, d.story_article, d.fingerprint)

    def bring_up_to_date(self, session: Session, seq: int, upcoming: datetime) -> None:
        """Replay what other processes digested since this window's `seq` (everything, when new)."""
        if self.horizon is not None and seq == self.seq:
            return
        if self.horizon is None:  # new: the articles that can still matter to `upcoming`
            # (by time, not seq: articles digested before there was a seq have none)
            params = self.grouper.params
            since = upcoming - params.window - params.max_span
            cond = [Article.published_at >= since]
        else:
            cond = [Article.digest_seq > self.seq]
        self.replay(_load_digested(session, cond))
        self.seq = seq


def _load_digested(session: Session, cond: list[Any]) -> list[tuple[int, _Digested]]:
    """Digested articles matching `cond`, in digest order, with their own companies (two queries)."""
    where = [Article.digested_at.is_not(None), Article.story_id.is_not(None), *cond]
    companies: dict[int, set[str]] = {}
    primaries: dict[int, set[str]] = {}
    for aid, name, is_primary in session.execute(
        select(Mention.article_id, Company.name, Mention.is_primary)
        .join(Company, Company.id == Mention.company_id)
        .join(Article, Article.id == Mention.article_id)
        .where(*where)
    ):
        name = sys.intern(name)  # one string per company, however many window articles name it
        companies.setdefault(aid, set()).add(name)
        if is_primary:
            primaries.setdefault(aid, set()).add(name)
    out: list[tuple[int, _Digested]] = []
    for r in session.execute(
        select(
            Article.id,
            Article.story_id,
            Article.published_at,
            Article.minhash,
            Article.title,
            Article.outlet,
            Article.digest_seq,
        )
        .where(*where)
        .order_by(func.coalesce(Article.digest_seq, 0), Article.published_at, Article.id)
    ):
        fp = Fingerprint.decode(r.minhash) if r.minhash else Fingerprint(None, ())
        published = as_utc(r.published_at)
        sa = StoryArticle(
            key=r.id,
            published=published,
            title=r.title,
            outlet=r.outlet,
            primaries=frozenset(primaries.get(r.id, ())),
            companies=frozenset(companies.get(r.id, ())),
            topic=fp.topic,
            exclusive=is_exclusive(r.title),
        )
        out.append((r.digest_seq or 0, _Digested(r.id, r.story_id, published, fp, sa)))
    return out


def _lock_assignment(session: Session, now: datetime) -> int:
    """Take the digest's lock for this transaction and return the shared `seq`.

    PostgreSQL: an advisory transaction lock. SQLite: writing the state row as the transaction's
    first statement takes the database's write lock at once (a later upgrade from a read could
    fail instead of waiting). Either way it is held until commit or rollback.
    """
    session.commit()  # start from a fresh transaction: the lock must be its first statement
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    result = session.execute(update(DigestState).where(DigestState.name == _STATE).values(updated_at=now))
    if not getattr(result, "rowcount", 0):  # a database made before the state row existed
        session.execute(insert(DigestState).values(name=_STATE, seq=0, updated_at=now))
    return int(session.scalar(select(DigestState.seq).where(DigestState.name == _STATE)) or 0)


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A pending article as a batch reads it: its columns, not an ORM object (the batch writes its
    results with plain statements, so nothing needs the session to track it)."""

    id: int
    title: str
    text: str  # the body, else the feed's summary
    url: str
    published_at: datetime
    outlet: str
    analysed_before: bool  # it has a fingerprint: an operator reset it, and its old rows must go


def _claim(session: Session, size: int) -> list[_Claimed]:
    """The oldest pending articles, in a fixed order (publication time, id)."""
    rows = session.execute(
        select(
            Article.id,
            Article.title,
            Article.body,
            Article.summary,
            Article.url,
            Article.published_at,
            Article.outlet,
            Article.minhash.is_not(None),
        )
        .where(Article.digested_at.is_(None), Article.digest_error.is_(None))
        .order_by(Article.published_at, Article.id)
        .limit(size)
        # Never the rows another transaction holds (ignored on SQLite, where the lock is the file's).
        .with_for_update(skip_locked=True)
    )
    return [
        _Claimed(aid, title, body or summary or "", url, published, outlet, bool(again))
        for aid, title, body, summary, url, published, outlet, again in rows
    ]


def _window_for(session: Session, digester: Digester, seq: int, upcoming: datetime) -> _Window:
    db = session.get_bind().engine.url.render_as_string(hide_password=True)
    win = digester.window
    if win is None or win.db != db or seq < win.seq or seq - win.seq > CATCH_UP_MAX_BATCHES:
        win = digester.window = _Window(digester.story_params, db)
    win.bring_up_to_date(session, seq, upcoming)
    return win


def pending_count(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Article)
            .where(Article.digested_at.is_(None), Article.digest_error.is_(None))
        )
        or 0
    )


def digest_pending(
    session: Session,
    digester: Digester,
    *,
    now: datetime,
    batch_size: int = 200,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    seed: bool = True,
) -> DigestSummary:
    """Digest every stored article not digested yet, oldest first, committing after each batch.

    A crash loses at most the batch in progress, which is simply done again next time (its
    articles still have `digested_at` NULL). An article that cannot be digested is marked with its
    error and skipped; the others go on. `progress` is called with the number of articles done.
    `seed=False` skips seeding the registry (a long-lived process seeded it when it built the
    digester, and a tick should cost its articles only).
    """
    summary = DigestSummary(seeded_companies=ensure_companies(session, now=now) if seed else 0)
    session.commit()
    db = session.get_bind().engine.url.render_as_string(hide_password=True)
    if digester.company_ids is None or digester.company_ids[0] != db:
        ids = {name: cid for name, cid in session.execute(select(Company.name, Company.id))}
        digester.company_ids = (db, ids)
    company_ids = digester.company_ids[1]
    done = 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        n = _with_retries(
            session, digester, partial(_digest_batch, session, digester, size, company_ids, summary, now=now)
        )
        if n is None:  # this batch keeps failing: take its articles one at a time
            n = 0
            for _ in range(size):
                claimed: list[int] = []
                single = partial(_digest_batch, session, digester, 1, company_ids, summary, now=now)
                one = _with_retries(session, digester, partial(single, claimed=claimed))
                if one is None:
                    _mark_failed(session, claimed, summary, now=now)
                    one = 1
                if one == 0:
                    break
                n += one
        if n < 0:  # the database stayed unavailable: leave the rest for the next run
            break
        if n == 0:
            break
        done += n
        summary.batches += 1
        if progress is not None:
            progress(n)
        if n < size:  # the claim found fewer than it asked for: nothing else was pending
            break
    return summary


def _with_retries(session: Session, digester: Digester, fn: Callable[[], int]) -> int | None:
    """Run one batch; the database's own refusals (deadlock, lock timeout) are tried again.

    Returns the articles done, None when the batch failed for another reason (its articles are
    then taken one by one), or -1 when the database kept refusing (never fatal: next run).
    """
    for attempt in range(DB_RETRIES):
        try:
            return fn()
        except OperationalError as exc:
            session.rollback()
            digester.window = None  # it may hold part of the batch that was rolled back
            log.warning("digest batch refused by the database (attempt %d): %s", attempt + 1, exc.orig)
            time.sleep(min(2.0, 0.1 * 2**attempt))
        except Exception:
            session.rollback()
            digester.window = None
            log.exception("digest batch failed")
            return None
        except BaseException:
            session.rollback()
            digester.window = None
            raise
    return -1


def _mark_failed(session: Session, claimed: Sequence[int], summary: DigestSummary, *, now: datetime) -> None:
    """Mark the article a one-article batch failed on, so the next runs skip it."""
    if not claimed:
        return
    _lock_assignment(session, now)
    for article in session.scalars(select(Article).where(Article.id.in_(claimed))):
        if article.digested_at is None:
            article.digest_error = "저장 중 오류로 분석하지 못했습니다"
            summary.fail(article.id, article.title, article.digest_error)
    session.commit()


def _digest_batch(
    session: Session,
    digester: Digester,
    size: int,
    company_ids: dict[str, int],
    summary: DigestSummary,
    *,
    now: datetime,
    claimed: list[int] | None = None,
) -> int:
    """Claim, analyse and assign one batch in one transaction, under the digest's lock."""
    seq = _lock_assignment(session, now)
    batch = _claim(session, size)
    if claimed is not None:
        claimed[:] = [a.id for a in batch]
    if not batch:
        session.commit()
        return 0
    items = [ArticleInput(a.id, a.title, a.text, a.url, a.published_at, a.outlet) for a in batch]
    failures: list[tuple[_Claimed, str]] = []
    window: _Window | None = None
    placed: _Placed | None = None
    # Each article's story is decided as soon as its step is analysed (see `_analysed`); the window
    # is brought up to date for the first article analysed.
    with closing(_analysed(digester, items)) as results:
        for article, item, result in zip(batch, items, results, strict=True):
            if isinstance(result, str):
                failures.append((article, result))
                continue
            if window is None or placed is None:
                upcoming = as_utc(article.published_at)
                window = _window_for(session, digester, seq, upcoming)
                window.prune(upcoming)
                placed = _Placed(window)
            placed.add(article, item, result)
    # Counted apart and added once committed: a batch the database rolls back is not counted twice.
    done = DigestSummary()
    if placed is not None:
        _assign(session, placed, company_ids, done, now=now, seq=seq + 1)
    if failures:
        articles = _table(Article)
        session.execute(
            update(articles).where(articles.c.id == bindparam("b_id")),
            [{"b_id": article.id, "digest_error": error} for article, error in failures],
        )
    session.execute(update(DigestState).where(DigestState.name == _STATE).values(seq=seq + 1))
    session.commit()
    summary.add(done)
    if window is not None:
        window.seq = seq + 1
    for article, error in failures:
        log.warning("article %s could not be digested: %s", article.id, error)
        summary.fail(article.id, article.title, error)
    return len(batch)


# Articles analysed per step of a batch: a text that fails sends only its step back through the
# analyser article by article (`analyze_each`), not the whole batch; and each step's stories are
# decided before the next is analysed, so a batch holds a step's analyses, not all of them.
ANALYSIS_STEP = 50


def _analysed(digester: Digester, items: Sequence[ArticleInput]) -> Generator[ArticleAnalysis | str]:
    """`digester.analyze_each(items)`, one result at a time, a step of `ANALYSIS_STEP` at a time.

    All in the caller's thread: Kiwi keeps working memory for each thread that calls it, and analysing
    in a thread of its own raised the resident memory of a long-running digest by about 110 MB
    (`python -m bench.digest_scale days`: 779 against 667 MB after the first day).
    """
    for i in range(0, len(items), ANALYSIS_STEP):
        yield from digester.analyze_each(items[i : i + ANALYSIS_STEP])


class _Placed:
    """A batch's articles with the story each was put in against the window, one by one, in batch
    order: the decisions, before anything is written."""

    def __init__(self, window: _Window) -> None:
        self.window = window
        self.rows: list[tuple[_Claimed, ArticleInput, ArticleAnalysis]] = []
        self.keys: list[Hashable] = []
        self.duplicates: list[Hashable | None] = []
        self.grouped: list[StoryArticle] = []
        self.opened: dict[Hashable, tuple[_Claimed, ArticleAnalysis]] = {}  # provisional key -> first

    def add(self, article: _Claimed, item: ArticleInput, analysis: ArticleAnalysis) -> None:
        window = self.window
        fp = analysis.fingerprint
        window.observe(article.id, as_utc(article.published_at), fp.topic)
        duplicate_of = window.dups.find(fp.minhash, fp.text_key)
        sa = story_article(item, analysis)
        decision = window.grouper.decide(sa, duplicate_of=duplicate_of)
        key: Hashable = decision.story
        if key is None:
            key = ("new", article.id)
            self.opened[key] = (article, analysis)
        window.admit(key, sa, fp)
        self.rows.append((article, item, analysis))
        self.grouped.append(sa)
        self.keys.append(key)
        self.duplicates.append(duplicate_of)


def _assign(
    session: Session,
    placed: _Placed,
    company_ids: dict[str, int],
    summary: DigestSummary,
    *,
    now: datetime,
    seq: int,
) -> None:
    """Write a batch's decided stories in a few statements."""
    window, rows, keys, opened = placed.window, placed.rows, placed.keys, placed.opened
    duplicates, grouped = placed.duplicates, placed.grouped
    grouper = window.grouper
    # Rows of an earlier attempt cannot survive a rollback, but an operator may reset digested_at:
    # an article analysed before has its fingerprint stored.
    again = [a.id for a, _, _ in rows if a.analysed_before]
    if again:
        for model in (Mention, ArticleTheme, ArticleTerm):
            session.execute(delete(model).where(model.article_id.in_(again)))

    # Existing stories, read in one query per chunk; a story deleted meanwhile is opened afresh.
    existing = sorted({k for k in keys if isinstance(k, int)})
    stored: dict[int, Any] = {}
    for part in in_chunks(existing):
        stored.update(
            {
                r.id: r
                for r in session.execute(
                    select(Story.id, Story.keywords, Story.summary, Story.exclusive).where(Story.id.in_(part))
                )
            }
        )
    for article, key in zip((r[0] for r in rows), keys, strict=True):
        if isinstance(key, int) and key not in stored and key not in opened:
            opened[key] = (article, next(r[2] for r in rows if r[0] is article))
    tallies = {sid: _StoryTally.from_story(s) for sid, s in stored.items()}
    # What each story touched will be written: its stored values, then this batch's changes.
    changes: dict[int, dict[str, Any]] = {
        sid: {"exclusive": bool(s.exclusive), "summary": s.summary} for sid, s in stored.items()
    }
    created = _open_stories(session, list(opened.values()), now=now)
    renamed: dict[Hashable, Hashable] = {}
    firsts: dict[int, int] = {}  # new story -> its first article
    for old, sid in zip(opened, created, strict=True):
        first, analysis = opened[old]
        grouper.rename(old, sid)
        renamed[old] = sid
        firsts[sid] = first.id
        changes[sid] = {"exclusive": analysis.exclusive, "summary": None}
        tallies[sid] = _StoryTally()
    summary.new_stories += len(created)
    summary.joined_stories += len(rows) - len(created)

    mentions: list[tuple[int, int, bool, float, int]] = []
    themes: list[tuple[int, str, float]] = []
    terms: list[tuple[str, int, int]] = []
    updates: list[dict[str, Any]] = []
    for (article, _, analysis), key, duplicate_of, sa in zip(rows, keys, duplicates, grouped, strict=True):
        target = renamed.get(key, key)
        assert isinstance(target, int)
        sid = target
        change = changes[sid]
        tally = tallies[sid]
        tally.keywords.update(analysis.keywords)
        tally.add(article.title, analysis.sentences)
        change["exclusive"] = change["exclusive"] or analysis.exclusive
        if firsts.get(sid) == article.id:
            change["follow_up_of_id"] = _follow_up_of(window, sa, sid)
        updates.append(
            {
                "b_id": article.id,
                "story_id": sid,
                "duplicate_of_id": duplicate_of if isinstance(duplicate_of, int) else None,
                "minhash": analysis.fingerprint.encode(),
                "digested_at": now,
                "digest_seq": seq,
                "digest_error": None,
            }
        )
        summary.articles += 1
        summary.duplicates += duplicate_of is not None
        for hit in analysis.companies:
            cid = hit.company.id if hit.company.id is not None else company_ids.get(hit.company.name)
            if cid is None:
                continue
            mentions.append((article.id, cid, hit.is_primary, hit.salience, hit.mentions))
        themes += [(article.id, s, sc) for s, sc in analysis.themes]
        terms += [(t, article.id, sid) for t in sorted(analysis.terms)]
    for sid, tally in tallies.items():
        change = changes[sid]
        change["summary"] = tally.summary() or change["summary"]
        change["keywords"] = [k for k, _ in tally.keywords.most_common(KEYWORDS_PER_STORY)]
    articles = _table(Article)
    session.execute(update(articles).where(articles.c.id == bindparam("b_id")), updates)
    insert_rows(session, _table(Mention), _MENTION_COLUMNS, mentions)
    insert_rows(session, _table(ArticleTheme), ("article_id", "theme", "score"), themes)
    insert_rows(session, _table(ArticleTerm), ("term", "article_id", "story_id"), terms)
    summary.mentions += len(mentions)
    _recount(session, changes, now=now)


_MENTION_COLUMNS = ("article_id", "company_id", "is_primary", "salience", "count")


def _table(model: type[Any]) -> Table:
    """A model's table, for plain multi-row INSERTs that skip the ORM's per-row bulk handling."""
    return cast_type(Table, model.__table__)


def _follow_up_of(window: _Window, article: StoryArticle, story_id: int) -> int | None:
    """The earlier open story a new story develops (follow_ups.py), among the window's stories."""
    grouper = window.grouper
    candidates = [StoryDigest(s.key, tuple(s.articles)) for s in grouper.candidates(article)]
    found = follow_up_in_window(article, story_id, candidates, grouper.article_vector)
    return found if isinstance(found, int) else None


def _open_stories(
    session: Session, firsts: Sequence[tuple[_Claimed, ArticleAnalysis]], *, now: datetime
) -> list[int]:
    """Open one story per article given, in one INSERT with RETURNING; their ids, in that order."""
    if not firsts:
        return []
    values = [
        {
            "headline": a.title,
            "url": a.url,
            "representative_article_id": a.id,
            "first_outlet": a.outlet,
            "first_published_at": a.published_at,
            "last_published_at": a.published_at,
            "outlets_count": 1,
            "articles_count": 1,
            "exclusive": analysis.exclusive,
            "outlets": [a.outlet],
            "themes": [],
            "keywords": [],
            "updated_at": now,
        }
        for a, analysis in firsts
    ]
    stories = _table(Story)
    returning = insert(stories).returning(stories.c.id, sort_by_parameter_order=True)
    return [int(sid) for sid in session.scalars(returning, values)]


def _story_themes(
    session: Session, ids: Sequence[int], members: dict[int, list[Any]]
) -> dict[int, list[str]]:
    """Each story's themes by `story_themes` over all its articles' stored themes, first article first
    (read back, like the counts: a story told over many batches is judged on every article)."""
    scored: dict[int, list[tuple[str, float]]] = {}
    for part in in_chunks(ids):
        for aid, theme, score in session.execute(
            select(ArticleTheme.article_id, ArticleTheme.theme, ArticleTheme.score)
            .join(Article, Article.id == ArticleTheme.article_id)
            .where(Article.story_id.in_(part))
            .order_by(ArticleTheme.article_id, ArticleTheme.score.desc(), ArticleTheme.theme)
        ):
            scored.setdefault(aid, []).append((theme, score))
    return {
        int(sid): story_themes([scored.get(r.id, []) for r in rows], limit=THEMES_PER_STORY)
        for sid, rows in members.items()
    }


def _recount(session: Session, changes: dict[int, dict[str, Any]], *, now: datetime) -> None:
    """Write the stories touched: `changes`, then counts, outlets, span and representative computed
    from their articles.

    Computed, never incremented: however many processes touched a story, its numbers are its rows'.
    """
    ids = sorted(changes)
    members: dict[int, list[Any]] = {}
    for part in in_chunks(ids):
        for r in session.execute(
            select(Article.story_id, Article.id, Article.outlet, Article.published_at)
            .add_columns(Article.title, Article.url)
            .where(Article.story_id.in_(part))
            .order_by(Article.story_id, Article.published_at, Article.id)
        ):
            members.setdefault(r.story_id, []).append(r)
    themes_of = _story_themes(session, ids, members)
    stories = _table(Story)
    written: list[dict[str, Any]] = []
    for sid in ids:
        rows = members.get(sid)
        if not rows:
            continue
        first, last = rows[0], max(rows, key=lambda r: r.published_at)
        outlets = list(dict.fromkeys(r.outlet for r in rows))
        values = {
            "b_id": sid,
            **changes[sid],
            "headline": first.title,
            "url": first.url,
            "first_outlet": first.outlet,
            "representative_article_id": first.id,
            "first_published_at": first.published_at,
            "last_published_at": last.published_at,
            "outlets": outlets,
            "outlets_count": len(outlets),
            "articles_count": len(rows),
            "themes": themes_of[sid],
            "updated_at": now,
        }
        written.append(values)
    # One executemany per set of columns (a new story also gets its follow-up link).
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in written:
        by_columns.setdefault(tuple(values), []).append(values)
    for group_ in by_columns.values():
        session.execute(update(stories).where(stories.c.id == bindparam("b_id")), group_)
    last_published = {v["b_id"]: v["last_published_at"] for v in written}
    # Story companies: the union of their articles' mentions, primary where any article says so.
    for part in in_chunks(ids):
        session.execute(delete(StoryCompany).where(StoryCompany.story_id.in_(part)))
        found = session.execute(
            select(Article.story_id, Mention.company_id, func.max(cast(Mention.is_primary, Integer)))
            .join(Mention, Mention.article_id == Article.id)
            .where(Article.story_id.in_(part))
            .group_by(Article.story_id, Mention.company_id)
        ).all()
        if found:
            session.execute(
                insert(_table(StoryCompany)),
                [
                    {
                        "story_id": sid,
                        "company_id": cid,
                        "is_primary": bool(primary),
                        "last_published_at": last_published[sid],
                    }
                    for sid, cid, primary in found
                    if sid is not None
                ],
            )


__all__ = [
    "ArticleAnalysis",
    "ArticleInput",
    "DigestSummary",
    "Digester",
    "Grouping",
    "analysis_json",
    "build_digester",
    "digest_pending",
    "ensure_companies",
    "find_duplicates",
    "group_analyses",
    "group_stories",
    "pending_count",
]
