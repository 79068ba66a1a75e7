"""The digester: from stored (or given) articles to companies, themes, keywords, duplicates and stories.

`Digester.analyze` is the stateless part: every text is analysed by Kiwi once, in one batch, and all
the rest (companies, themes, keywords, search terms, shingles, MinHash, topic words) is read off
those morphemes. `group_analyses` turns a batch of analyses into duplicates and stories without a
database (what `briefings analyze` and the evaluation use). `digest_pending` is the stateful part: it
takes the articles the gatherer stored, in publication order, and writes the results, one
transaction per batch, rebuilding its window of recent stories from the database each time.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from briefings.digest.companies import (
    CompanyHit,
    CompanyMatcher,
    Registry,
    default_registry,
    registry_from_session,
    seed_if_needed,
)
from briefings.digest.dedup import DuplicateIndex, Fingerprint, shingles_of_lemmas, signature, word_hash
from briefings.digest.follow_ups import StoryDigest, follow_up_in_window
from briefings.digest.keywords import Background, top_keywords
from briefings.digest.nlp import KoreanNLP, Morph, get_nlp
from briefings.digest.stories import StoryArticle, StoryGrouper, StoryParams, group
from briefings.digest.summary import LeadSentence, choose_summary, lead_sentences
from briefings.digest.terms import MorphScan, topic_nouns
from briefings.digest.text import clean_title, is_exclusive, strip_boilerplate
from briefings.digest.themes import Taxonomy, default_taxonomy
from briefings.models import Article, ArticleTerm, ArticleTheme, Company, Mention, Story, StoryCompany
from briefings.timeutil import as_utc

# The lead (where a news story names its subject) for the topic words stories are compared by.
LEAD_CHARS = 300
_TITLE_TOPIC_WEIGHT = 3
KEYWORDS_PER_ARTICLE = 5
KEYWORDS_PER_STORY = 8
THEMES_PER_STORY = 5


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

    @property
    def primaries(self) -> frozenset[str]:
        return frozenset(h.company.name for h in self.companies if h.is_primary)

    @property
    def company_names(self) -> frozenset[str]:
        return frozenset(h.company.name for h in self.companies)

    @property
    def theme_slugs(self) -> list[str]:
        return [slug for slug, _ in self.themes]


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
    ) -> None:
        self.registry = registry
        self.nlp = nlp
        self.matcher = matcher or CompanyMatcher(registry, nlp)
        self.taxonomy = taxonomy or default_taxonomy()
        self.story_params = story_params or StoryParams()
        self.background = Background()

    @classmethod
    def default(cls) -> Digester:
        """The packaged registry and the process-wide Kiwi: for tools without a database."""
        return cls(default_registry(), get_nlp())

    def analyze(self, items: Sequence[ArticleInput]) -> list[ArticleAnalysis]:
        """Analyse a batch; one Kiwi pass over every headline and body."""
        if not items:
            return []
        titles = [it.title.strip() for it in items]
        bodies = [strip_boilerplate(it.body or "") for it in items]
        texts = [text for pair in zip(titles, bodies, strict=True) for text in pair]
        stream = self.nlp.tokenize_iter(texts)
        partial: list[
            tuple[
                tuple[CompanyHit, ...],
                tuple[tuple[str, float], ...],
                Fingerprint,
                frozenset[str],
                tuple[LeadSentence, ...],
            ]
        ] = []
        nouns: list[Counter[str]] = []
        # Each article is analysed as soon as Kiwi hands back its headline and body, while Kiwi's
        # threads go on with the next ones: the analysis hides behind the tokenisation.
        for i, (tm, bm) in enumerate(zip(stream, stream, strict=True)):
            # One pass over each text's morphemes feeds themes, keywords, terms, shingles, topic words.
            ts, bs = MorphScan(tm), MorphScan(bm, LEAD_CHARS)
            hits = tuple(self.matcher.find(titles[i], bodies[i], tm, bm))
            themes = tuple(self.taxonomy.score_runs(bs.runs, ts.runs))
            sig = signature(shingles_of_lemmas([r[0] for r in ts.runs] + [r[0] for r in bs.runs]))
            topic: Counter[str] = Counter(bs.nouns[: bs.lead_nouns])
            counts: Counter[str] = Counter(bs.nouns)
            for word in ts.nouns:
                topic[word] += _TITLE_TOPIC_WEIGHT
                counts[word] += _TITLE_TOPIC_WEIGHT
            fingerprint = Fingerprint(sig, tuple(sorted((word_hash(w), c) for w, c in topic.items())))
            sentences = lead_sentences(titles[i], bodies[i], bm)
            partial.append((hits, themes, fingerprint, frozenset(ts.terms | bs.terms), sentences))
            nouns.append(counts)
        for counts in nouns:  # the whole batch is background for its own keywords: order-free
            self.background.add(counts)
        out: list[ArticleAnalysis] = []
        for i, item in enumerate(items):
            hits, themes, fingerprint, terms, sentences = partial[i]
            text_key = hashlib.sha1(
                ("".join(clean_title(titles[i]).split()) + "\x1f" + "".join(bodies[i].split())).encode()
            ).hexdigest()
            out.append(
                ArticleAnalysis(
                    id=item.id,
                    title=titles[i],
                    body=bodies[i],
                    companies=hits,
                    themes=themes,
                    keywords=tuple(top_keywords(nouns[i], self.background, KEYWORDS_PER_ARTICLE)),
                    terms=terms,
                    fingerprint=fingerprint,
                    exclusive=is_exclusive(titles[i]),
                    text_key=text_key,
                    sentences=sentences,
                )
            )
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
    )


def find_duplicates(
    items: Sequence[ArticleInput], analyses: Sequence[ArticleAnalysis]
) -> dict[Hashable, Hashable]:
    """Input id -> id of the earlier-published input it copies (same text, or MinHash near-duplicate)."""
    order = sorted(
        range(len(items)),
        key=lambda i: (items[i].published is not None, items[i].published or datetime.min, i),
    )
    index = DuplicateIndex()
    by_text: dict[str, Hashable] = {}
    out: dict[Hashable, Hashable] = {}
    for i in order:
        a = analyses[i]
        original = by_text.get(a.text_key)
        if original is None:
            original = index.find(a.fingerprint.minhash)
        if original is not None:
            out[a.id] = original
        by_text.setdefault(a.text_key, a.id)
        index.add(a.id, a.fingerprint.minhash)
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
    return [Grouping(stories[it.id], dups.get(it.id), summaries[stories[it.id]]) for it in items]


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


@dataclass
class DigestSummary:
    articles: int = 0
    duplicates: int = 0
    new_stories: int = 0
    joined_stories: int = 0
    mentions: int = 0
    batches: int = 0
    seeded_companies: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "articles": self.articles,
            "duplicates": self.duplicates,
            "new_stories": self.new_stories,
            "joined_stories": self.joined_stories,
            "mentions": self.mentions,
            "batches": self.batches,
            "seeded_companies": self.seeded_companies,
        }


def ensure_companies(session: Session, *, now: datetime) -> int:
    """Seed the packaged registry where it is missing (a new database, or a release that added
    companies); returns the rows written. Operator rows are never touched."""
    return seed_if_needed(session, now=now)


def build_digester(session: Session, *, now: datetime, nlp: KoreanNLP | None = None) -> Digester:
    """A Digester over the registry as stored (seeding it first on a new database)."""
    ensure_companies(session, now=now)
    return Digester(registry_from_session(session), nlp or get_nlp())


@dataclass
class _StoryTally:
    """Keyword and theme counts of a story touched in this run (stored lists seed them)."""

    keywords: Counter[str] = field(default_factory=Counter)
    themes: Counter[str] = field(default_factory=Counter)
    # Candidate summary sentences and headlines of the articles seen (the stored summary stands in
    # for the articles of earlier runs).
    sentences: list[tuple[LeadSentence, ...]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    def summary(self, article_title: str, sentences: tuple[LeadSentence, ...]) -> str | None:
        self.sentences.append(sentences)
        self.titles.append(article_title)
        return choose_summary(self.sentences, self.titles)

    @classmethod
    def from_story(cls, story: Story) -> _StoryTally:
        t = cls()
        if story.summary:
            nouns = frozenset(k for k in story.keywords or [] if k in story.summary)
            t.sentences.append((LeadSentence(story.summary, nouns, 0),))
        for rank, kw in enumerate(story.keywords or []):
            t.keywords[kw] += max(1, 3 - rank // 3)
        for theme in story.themes or []:
            t.themes[theme] += max(1, story.articles_count // 2)
        return t


class _Window:
    """Duplicates and open stories of the recent past, rebuilt from stored fingerprints."""

    def __init__(self, params: StoryParams) -> None:
        self.dups = DuplicateIndex()
        self.grouper = StoryGrouper(params)
        self.tallies: dict[int, _StoryTally] = {}
        self.published: dict[int, datetime] = {}  # indexed article -> its time, for pruning

    def add_copy(self, article_id: int, published: datetime, fingerprint: Fingerprint) -> None:
        self.dups.add(article_id, fingerprint.minhash)
        self.published[article_id] = published

    def prune(self, upcoming: datetime) -> None:
        """Forget what articles published from `upcoming` on can no longer join (articles come in order)."""
        self.grouper.expire(upcoming)
        params = self.grouper.params
        old = [k for k, t in self.published.items() if t < upcoming - params.window - params.max_span]
        self.dups.remove(old)
        for k in old:
            del self.published[k]
        for sid in [sid for sid in self.tallies if sid not in self.grouper.stories]:
            del self.tallies[sid]

    @classmethod
    def load(cls, session: Session, since: datetime, params: StoryParams) -> _Window:
        win = cls(params)
        rows = session.execute(
            select(Article.id, Article.story_id, Article.published_at, Article.minhash, Article.title)
            .where(
                Article.digested_at.is_not(None),
                Article.published_at >= since,
                Article.story_id.is_not(None),
            )
            .order_by(Article.published_at, Article.id)
        ).all()
        story_ids = {r.story_id for r in rows}
        primaries: dict[int, set[str]] = {}
        companies: dict[int, set[str]] = {}
        if story_ids:
            for sid, name, is_primary in session.execute(
                select(StoryCompany.story_id, Company.name, StoryCompany.is_primary)
                .join(Company, Company.id == StoryCompany.company_id)
                .where(StoryCompany.story_id.in_(story_ids))
            ):
                companies.setdefault(sid, set()).add(name)
                if is_primary:
                    primaries.setdefault(sid, set()).add(name)
        for r in rows:
            fp = Fingerprint.decode(r.minhash) if r.minhash else Fingerprint(None, ())
            win.add_copy(r.id, as_utc(r.published_at), fp)
            win.grouper.observe(fp.topic)
            win.grouper.add(
                r.story_id,
                StoryArticle(
                    key=r.id,
                    published=r.published_at,
                    title=r.title,
                    primaries=frozenset(primaries.get(r.story_id, ())),
                    companies=frozenset(companies.get(r.story_id, ())),
                    topic=fp.topic,
                ),
            )
        return win


def digest_pending(
    session: Session,
    digester: Digester,
    *,
    now: datetime,
    batch_size: int = 200,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> DigestSummary:
    """Digest every stored article not digested yet, oldest first, committing after each batch.

    A crash loses at most the batch in progress, which is simply done again next time (its
    articles still have `digested_at` NULL). `progress` is called with the number of articles done.
    """
    summary = DigestSummary(seeded_companies=ensure_companies(session, now=now))
    session.commit()
    company_ids: dict[str, int] = {
        name: cid for name, cid in session.execute(select(Company.name, Company.id))
    }
    params = digester.story_params
    done = 0
    window: _Window | None = None
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        batch = list(
            session.scalars(
                select(Article)
                .where(Article.digested_at.is_(None))
                .order_by(Article.published_at, Article.id)
                .limit(size)
                # Two workers on PostgreSQL never take the same articles (ignored on SQLite).
                .with_for_update(skip_locked=True)
            )
        )
        if not batch:
            break
        first = as_utc(batch[0].published_at)
        if window is None:
            window = _Window.load(session, first - params.window - params.max_span, params)
        else:
            window.prune(first)
        try:
            _digest_batch(session, digester, batch, window, company_ids, summary, now=now)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        done += len(batch)
        summary.batches += 1
        if progress is not None:
            progress(len(batch))
    return summary


def _digest_batch(
    session: Session,
    digester: Digester,
    batch: Sequence[Article],
    window: _Window,
    company_ids: dict[str, int],
    summary: DigestSummary,
    *,
    now: datetime,
) -> None:
    items = [
        ArticleInput(a.id, a.title, a.body or a.summary or "", a.url, a.published_at, a.outlet) for a in batch
    ]
    analyses = digester.analyze(items)
    ids = [a.id for a in batch]
    # Rows of an earlier attempt cannot survive a rollback, but an operator may reset digested_at.
    for model in (Mention, ArticleTheme, ArticleTerm):
        session.execute(delete(model).where(model.article_id.in_(ids)))
    mentions: list[dict[str, Any]] = []
    themes: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    for article, item, analysis in zip(batch, items, analyses, strict=True):
        window.grouper.observe(analysis.fingerprint.topic)
        duplicate_of = window.dups.find(analysis.fingerprint.minhash)
        sa = story_article(item, analysis)
        decision = window.grouper.decide(sa, duplicate_of=duplicate_of)
        if decision.story is None:
            story = _new_story(session, article, analysis, now=now)
            story.follow_up_of_id = _follow_up_of(window, sa, story.id)
            summary.new_stories += 1
        else:
            found = session.get(Story, decision.story)
            if found is None:  # deleted meanwhile: start afresh
                story = _new_story(session, article, analysis, now=now)
                summary.new_stories += 1
            else:
                story = found
                _join_story(story, article, analysis, now=now)
                summary.joined_stories += 1
        tally = window.tallies.get(story.id)
        if tally is None:
            tally = window.tallies[story.id] = (
                _StoryTally() if decision.story is None else _StoryTally.from_story(story)
            )
        tally.keywords.update(analysis.keywords)
        tally.themes.update(analysis.theme_slugs)
        story.keywords = [k for k, _ in tally.keywords.most_common(KEYWORDS_PER_STORY)]
        story.themes = [t for t, n in tally.themes.most_common(THEMES_PER_STORY)]
        story.summary = tally.summary(article.title, analysis.sentences) or story.summary
        _story_companies(session, story, analysis, company_ids)
        window.grouper.add(story.id, sa)
        window.add_copy(article.id, as_utc(article.published_at), analysis.fingerprint)

        article.story_id = story.id
        article.duplicate_of_id = duplicate_of if isinstance(duplicate_of, int) else None
        article.minhash = analysis.fingerprint.encode()
        article.digested_at = now
        summary.articles += 1
        summary.duplicates += duplicate_of is not None
        for hit in analysis.companies:
            cid = hit.company.id if hit.company.id is not None else company_ids.get(hit.company.name)
            if cid is None:
                continue
            mentions.append(
                {
                    "article_id": article.id,
                    "company_id": cid,
                    "is_primary": hit.is_primary,
                    "salience": hit.salience,
                    "count": hit.mentions,
                }
            )
        themes += [{"article_id": article.id, "theme": s, "score": sc} for s, sc in analysis.themes]
        terms += [{"article_id": article.id, "term": t} for t in sorted(analysis.terms)]
    for model, rows in ((Mention, mentions), (ArticleTheme, themes), (ArticleTerm, terms)):
        if rows:
            session.execute(insert(model), rows)
    summary.mentions += len(mentions)
    session.flush()


def _follow_up_of(window: _Window, article: StoryArticle, story_id: int) -> int | None:
    """The earlier open story a new story develops (follow_ups.py), among the window's stories."""
    grouper = window.grouper
    candidates = [StoryDigest(s.key, tuple(s.articles)) for s in grouper.candidates(article)]
    found = follow_up_in_window(article, story_id, candidates, grouper.article_vector)
    return found if isinstance(found, int) else None


def _new_story(session: Session, article: Article, analysis: ArticleAnalysis, *, now: datetime) -> Story:
    story = Story(
        headline=article.title,
        url=article.url,
        representative_article_id=article.id,
        first_outlet=article.outlet,
        first_published_at=article.published_at,
        last_published_at=article.published_at,
        outlets_count=1,
        articles_count=1,
        exclusive=analysis.exclusive,
        outlets=[article.outlet],
        themes=[],
        keywords=[],
        updated_at=now,
    )
    session.add(story)
    session.flush()
    return story


def _join_story(story: Story, article: Article, analysis: ArticleAnalysis, *, now: datetime) -> None:
    published = as_utc(article.published_at)
    if published < as_utc(story.first_published_at):
        # A late feed brought an earlier report: it is the first publisher's headline that stands.
        story.headline = article.title
        story.url = article.url
        story.representative_article_id = article.id
        story.first_outlet = article.outlet
        story.first_published_at = published
    if published > as_utc(story.last_published_at):
        story.last_published_at = published
    outlets = list(story.outlets or [])
    if article.outlet not in outlets:
        outlets.append(article.outlet)
    story.outlets = outlets
    story.outlets_count = len(outlets)
    story.articles_count = (story.articles_count or 0) + 1
    story.exclusive = bool(story.exclusive) or analysis.exclusive
    story.updated_at = now


def _story_companies(
    session: Session, story: Story, analysis: ArticleAnalysis, company_ids: dict[str, int]
) -> None:
    rows = {sc.company_id: sc for sc in story.companies}
    for hit in analysis.companies:
        cid = hit.company.id if hit.company.id is not None else company_ids.get(hit.company.name)
        if cid is None:
            continue
        sc = rows.get(cid)
        if sc is None:
            sc = StoryCompany(
                company_id=cid, is_primary=hit.is_primary, last_published_at=story.last_published_at
            )
            story.companies.append(sc)
            rows[cid] = sc
        elif hit.is_primary:
            sc.is_primary = True
    for sc in rows.values():
        sc.last_published_at = story.last_published_at


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
]
