"""Follow-ups: a story of a later day that develops an earlier one is linked to it, not merged into it.

The unveiling after the preview, the ruling after the indictment, the apology after the fine: the later
story is its own event (stories.py keeps it apart: other figures, another subject, hours later), yet a
reader wants to see what it continues. A later story follows up an earlier one when it comes at least
`min_gap` after the earlier story's last article, within `max_gap`, is about the same actors (a
company in common, or the same subject opening their headlines) and its words are close enough to the
earlier story's; with no actor in common it must be closer still and not another event of its kind.

Pure: stories come in as their articles (StoryArticle values), links come out as keys.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from briefings.digest.stories import StoryArticle, TopicBackground, cosine, vector
from briefings.digest.story_signals import HeadlineSignals, kinds_agree, numbers_agree, subjects_agree


@dataclass(frozen=True, slots=True)
class FollowUpParams:
    min_gap: timedelta = timedelta(hours=6)
    max_gap: timedelta = timedelta(days=4)
    # Best article-pair cosine needed when the stories share a company or a headline subject, and when
    # they share neither (then also no conflicting figures and no share move against an announcement:
    # two firms' earnings or two markets' closes are the same kind of event, not one saga).
    same_actor: float = 0.25
    other: float = 0.4


@dataclass(frozen=True, slots=True)
class StoryDigest:
    """What linking needs of a story: its articles and when it started and last had news."""

    key: Hashable
    articles: tuple[StoryArticle, ...]
    # POSIX seconds (0.0 when no article has a time), read once: a story is checked for reach against
    # every story it could follow up, and an open story of the window may hold dozens of articles.
    first: float = field(init=False)
    last: float = field(init=False)

    def __post_init__(self) -> None:
        times = [a.published.timestamp() for a in self.articles if a.published is not None]
        object.__setattr__(self, "first", min(times) if times else 0.0)
        object.__setattr__(self, "last", max(times) if times else 0.0)

    @property
    def companies(self) -> frozenset[str]:
        return frozenset().union(*(a.primaries | a.companies for a in self.articles))


def follow_up_score(later: Sequence[Mapping[int, float]], earlier: Sequence[Mapping[int, float]]) -> float:
    """How close two stories' words are: the best pair of their articles' topic vectors."""
    return max((cosine(a, b) for a in later for b in earlier), default=0.0)


def in_reach(later_first: float, earlier_first: float, earlier_last: float, params: FollowUpParams) -> bool:
    """Whether a story starting at `later_first` comes late enough after an earlier story, and soon enough."""
    return (
        later_first - earlier_last >= params.min_gap.total_seconds()
        and later_first - earlier_first <= params.max_gap.total_seconds()
    )


def follows(
    later: StoryDigest,
    earlier: StoryDigest,
    score: float,
    params: FollowUpParams = FollowUpParams(),
) -> bool:
    """Whether `later` develops `earlier`, given their word closeness (the decision, without I/O)."""
    if not in_reach(later.first, earlier.first, earlier.last, params):
        return False
    if later.companies & earlier.companies or _same_subject(later, earlier):
        return score >= params.same_actor
    return (
        score >= params.other and not _different_kind(later, earlier) and not _other_subjects(later, earlier)
    )


def _different_kind(later: StoryDigest, earlier: StoryDigest) -> bool:
    a, b = _headline(later.articles[0]), _headline(earlier.articles[0])
    return numbers_agree(a, b) < 0 or kinds_agree(a, b) < 0


def _other_subjects(later: StoryDigest, earlier: StoryDigest) -> bool:
    """Every headline of each opens with a subject the other's headlines do not share (카카오 / SAMG엔터):
    the same kind of news about two actors, not one saga."""
    return all(
        subjects_agree(_headline(a), _headline(b)) < 0 for a in later.articles for b in earlier.articles
    )


def _same_subject(later: StoryDigest, earlier: StoryDigest) -> bool:
    return any(
        subjects_agree(_headline(a), _headline(b)) > 0 for a in later.articles for b in earlier.articles
    )


def _headline(article: StoryArticle) -> HeadlineSignals | str:
    """The article's headline signals as read when it was made (the headline itself if never read)."""
    return article.signals or article.title


def follow_up_links(
    stories: Iterable[StoryDigest], params: FollowUpParams = FollowUpParams()
) -> dict[Hashable, Hashable]:
    """Later story key -> the earlier story it follows up (the closest one), for a batch of stories.

    Only pairs that can link are compared: within the time window, sharing a topic word (else their
    cosine is 0), and close enough in words for the laxer of the two thresholds.
    """
    stories = sorted(stories, key=lambda s: s.first)
    background = TopicBackground()
    for s in stories:
        for a in s.articles:
            background.add(a.topic)
    # Each word's idf once (the background no longer changes); a story's vectors only when compared.
    idf = {h: background.idf(h) for h in background.df}
    vectors: dict[int, list[dict[int, float]]] = {}

    def vectors_of(i: int) -> list[dict[int, float]]:
        if i not in vectors:
            vectors[i] = [vector(a.topic, idf.__getitem__) for a in stories[i].articles]
        return vectors[i]

    words = [frozenset(h for a in s.articles for h, _ in a.topic) for s in stories]
    firsts = [s.first for s in stories]
    lasts = [s.last for s in stories]
    min_gap, max_gap = params.min_gap.total_seconds(), params.max_gap.total_seconds()
    floor = min(params.same_actor, params.other)
    links: dict[Hashable, Hashable] = {}
    for i, later in enumerate(stories):
        start = firsts[i]
        best: tuple[float, Hashable] | None = None
        # Earlier stories in reach (`in_reach`), oldest first: sorted by start, those that started at
        # most `max_gap` before, that ended at least `min_gap` before, and that share a topic word.
        for j in range(bisect_left(firsts, start - max_gap, 0, i), i):
            if start - lasts[j] < min_gap or start - firsts[j] > max_gap or words[i].isdisjoint(words[j]):
                continue
            score = follow_up_score(vectors_of(i), vectors_of(j))
            if score < floor:
                continue
            earlier = stories[j]
            if follows(later, earlier, score, params) and (best is None or score > best[0]):
                best = (score, earlier.key)
        if best is not None:
            links[later.key] = best[1]
    return links


def follow_up_in_window(
    article: StoryArticle,
    story_key: Hashable,
    open_stories: Iterable[StoryDigest],
    vector_of: Callable[[StoryArticle], Mapping[int, float]],
    params: FollowUpParams = FollowUpParams(),
) -> Hashable | None:
    """The earlier open story a newly opened story (its first article) follows up, or None."""
    later = StoryDigest(story_key, (article,))
    mine = [vector_of(article)]
    start, floor = later.first, min(params.same_actor, params.other)
    best: tuple[float, Hashable] | None = None
    for earlier in open_stories:
        # Out of reach in time, or too far in words for either threshold: `follows` would say no.
        if earlier.key == story_key or not in_reach(start, earlier.first, earlier.last, params):
            continue
        score = follow_up_score(mine, [vector_of(a) for a in earlier.articles])
        if score < floor:
            continue
        if follows(later, earlier, score, params) and (best is None or score > best[0]):
            best = (score, earlier.key)
    return None if best is None else best[1]


def saga_order(ranked: Sequence[Hashable], follow_up_of: Mapping[Hashable, Hashable]) -> list[Hashable]:
    """Stories in their ranked order, each saga told together: where a story and the story it follows
    up are both in `ranked`, the saga takes the place of its best-ranked member and its members follow
    one another oldest first (the earlier story, then what continues it), so a reader of `/news` sees
    the preview, the ruling and the apology as one thread rather than scattered down the page."""
    present = set(ranked)

    def root(key: Hashable) -> Hashable:
        seen = {key}
        while (up := follow_up_of.get(key)) is not None and up in present and up not in seen:
            seen.add(up)
            key = up
        return key

    members: dict[Hashable, list[Hashable]] = {}
    for key in ranked:
        members.setdefault(root(key), []).append(key)

    def depth(key: Hashable) -> int:
        n, seen = 0, {key}
        while (up := follow_up_of.get(key)) is not None and up in present and up not in seen:
            seen.add(up)
            key, n = up, n + 1
        return n

    out: list[Hashable] = []
    done: set[Hashable] = set()
    for key in ranked:
        r = root(key)
        if r in done:
            continue
        done.add(r)
        # Oldest first: a story comes after the one it follows up (its depth in the chain is larger).
        out += sorted(members[r], key=lambda k: (depth(k), ranked.index(k)))
    return out
