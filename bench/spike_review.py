"""Which companies spike on which real days: the detector over nine economic dailies' RSS.

    .venv/bin/python -m bench.spike_review [--sensitivity 보통] [--limit N] [--stories 3] [--cache FILE]

The 30,764 items of ../shared/corpus/tera-rss-economy-2026-02 (2026-02-06 .. 02-20, headline and lead)
go through the digester as the service runs it: one analysis per item (companies, primary subject,
keywords), then the stateless duplicate and story grouping of `briefings analyze`. Each company is
then counted as `signals.counts` counts it (distinct stories and outlets a KST day, the articles whose
main subject it is) and every day with a baseline is tested as the scheduler tests it, as though every
company were followed since the first complete day of the corpus (02-07; 02-06 is a partial day).

For each alert that would be posted (a spike that starts that day) it prints the count against the
usual, the words that rose and the top stories, so each can be read and judged. The corpus is for
internal evaluation only: headlines are printed on the terminal, never written to a file.
"""

from __future__ import annotations

import argparse
import pickle
import time
from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bench.digest_scale import load_items
from briefings.digest.pipeline import ArticleInput, Digester, group_analyses
from briefings.signals.alerts import rising_words
from briefings.signals.counts import kst_day
from briefings.signals.spikes import BASELINE_DAYS, SENSITIVITIES, DayCount, Sensitivity, spike_starts

FIRST_COMPLETE_DAY = date(2026, 2, 7)
LAST_DAY = date(2026, 2, 20)
BATCH = 256
KEYWORDS_PER_STORY = 8


@dataclass
class StoryAgg:
    headline: str
    outlets: set[str] = field(default_factory=set)
    keywords: Counter[str] = field(default_factory=Counter)


def analyse(
    limit: int | None,
) -> tuple[dict[tuple[str, date], set[Hashable]], dict[tuple[str, date], set[str]], dict[Hashable, StoryAgg]]:
    items = load_items()[:limit] if limit else load_items()
    digester = Digester.default()
    inputs = [
        ArticleInput(
            id=i,
            title=it["title"],
            body=it["lead"],
            url=it["url"],
            published=it["published"],
            outlet=it["outlet"],
        )
        for i, it in enumerate(items)
    ]
    t0 = time.perf_counter()
    analyses = []
    for start in range(0, len(inputs), BATCH):
        analyses.extend(digester.analyze(inputs[start : start + BATCH]))
    t1 = time.perf_counter()
    groupings = group_analyses(inputs, analyses, params=digester.story_params)
    t2 = time.perf_counter()
    print(f"{len(inputs)} items: analysis {t1 - t0:.0f} s, grouping {t2 - t1:.0f} s")
    stories: dict[tuple[str, date], set[Hashable]] = defaultdict(set)
    outlets: dict[tuple[str, date], set[str]] = defaultdict(set)
    aggs: dict[Hashable, StoryAgg] = {}
    for item, analysis, grouping in zip(inputs, analyses, groupings, strict=True):
        agg = aggs.setdefault(grouping.story, StoryAgg(item.title))
        agg.outlets.add(item.outlet)
        agg.keywords.update(analysis.keywords)
        assert item.published is not None
        day = kst_day(item.published)
        for name in analysis.primaries:
            stories[(name, day)].add(grouping.story)
            outlets[(name, day)].add(item.outlet)
    return stories, outlets, aggs


def story_keywords(agg: StoryAgg) -> list[str]:
    return [w for w, _ in agg.keywords.most_common(KEYWORDS_PER_STORY)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sensitivity", choices=SENSITIVITIES, default="보통")
    parser.add_argument("--limit", type=int, default=None, help="only the first N items (a quick look)")
    parser.add_argument("--stories", type=int, default=3, help="top stories printed per spike")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep the analysed counts here (outside the project) for reruns",
    )
    args = parser.parse_args()
    level: Sensitivity = args.sensitivity
    if args.cache is not None and args.cache.is_file():
        stories, outlets, aggs = pickle.loads(args.cache.read_bytes())
    else:
        stories, outlets, aggs = analyse(args.limit)
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps((stories, outlets, aggs)))
    companies = sorted({name for name, _day in stories})
    days = [FIRST_COMPLETE_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_COMPLETE_DAY).days + 1)]
    found: list[tuple[date, str, str, float, list[str], list[StoryAgg]]] = []
    per_level: Counter[str] = Counter()
    for name in companies:
        counts = [DayCount(d, len(stories.get((name, d), ())), len(outlets.get((name, d), ()))) for d in days]
        for day in days:
            for other in SENSITIVITIES:
                if spike_starts(counts, day, observed_since=FIRST_COMPLETE_DAY, sensitivity=other):
                    per_level[other] += 1
            decision = spike_starts(counts, day, observed_since=FIRST_COMPLETE_DAY, sensitivity=level)
            if decision is None:
                continue
            today = [aggs[s] for s in stories[(name, day)]]
            before = [
                aggs[s]
                for back in range(1, BASELINE_DAYS + 1)
                for s in stories.get((name, day - timedelta(days=back)), ())
            ]
            words = rising_words(
                [story_keywords(a) for a in today], [story_keywords(a) for a in before], exclude={name}
            )
            top = sorted(today, key=lambda a: (-len(a.outlets), a.headline))[: args.stories]
            found.append((day, name, decision.text(), decision.p_value, words, top))
    evaluable = [d for d in days if (d - FIRST_COMPLETE_DAY).days >= 7]
    print(
        f"{len(companies)} companies with a story as main subject; days tested: "
        f"{evaluable[0]} .. {evaluable[-1]} ({len(evaluable)} days)"
    )
    print("alerts that would be posted: " + ", ".join(f"{lv} {per_level[lv]}" for lv in SENSITIVITIES))
    print(f"\n{level}: {len(found)} spikes")
    for day, name, text, p, words, top in sorted(found):
        print(f"\n{day} ({'월화수목금토일'[day.weekday()]}) {name}: {text}, p = {p:.1e}")
        if words:
            print("  떠오른 단어: " + " · ".join(words))
        for agg in top:
            print(f"  - {agg.headline} ({len(agg.outlets)}개 매체)")


if __name__ == "__main__":
    main()
