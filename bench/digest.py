"""Digest throughput: the whole digester next to bare Kiwi tokenisation of the same texts, same run.

    .venv/bin/python -m bench.digest [--limit N] [--batch 256] [--rounds 3] [--profile]

Texts are real Korean news from ../shared/corpus: knews-rss feed items (headline + summary or body),
the soynlp Naver-news bodies cut into articles at their copyright footers, and YNAT headlines.
Both sides use the same Kiwi object (loaded once, with the company registry's user words) and the
same worker threads. "Kiwi" is `kiwi.tokenize(batch)` over each article's headline and raw body;
"digester" is `Digester.analyze(batch)` (boilerplate stripping, one Kiwi pass, companies, themes,
keywords, search terms, shingles, MinHash, topic words) and, separately, plus the stateless
duplicate and story grouping. Goal: the digester at >= 0.8 of Kiwi's speed.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import html
import json
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from pathlib import Path

from briefings.digest.follow_ups import StoryDigest, follow_up_links
from briefings.digest.pipeline import (
    ArticleAnalysis,
    ArticleInput,
    Digester,
    Grouping,
    group_analyses,
    story_article,
)
from briefings.digest.stories import StoryArticle

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
_TAG = re.compile(r"<[^>]+>")
# The soynlp file is many article bodies run together; each ends with its outlet's copyright footer.
_FOOTER = re.compile(r"무단\s*(?:전재|복제)[^\n]{0,20}?금지\s*[\]>]?")


def link_follow_ups(
    items: Sequence[ArticleInput], analyses: Sequence[ArticleAnalysis], grouped: Sequence[Grouping]
) -> dict[Hashable, Hashable]:
    """The follow-up links between a batch's stories (follow_ups.py), as the digest makes them."""
    members: dict[Hashable, list[StoryArticle]] = {}
    for it, a, g in zip(items, analyses, grouped, strict=True):
        members.setdefault(g.story, []).append(story_article(it, a))
    return follow_up_links(StoryDigest(k, tuple(v)) for k, v in members.items())


def load_texts(limit: int | None, headlines: int = 1000) -> list[ArticleInput]:
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found: {CORPUS}")
    items: list[ArticleInput] = []
    seen: set[str] = set()
    for path in sorted((CORPUS / "knews-rss" / "jsons").glob("*.json")):
        for it in json.loads(path.read_text(encoding="utf-8")):
            if it["url"] in seen:
                continue
            seen.add(it["url"])
            body = " ".join(html.unescape(html.unescape(_TAG.sub(" ", it.get("partialText") or ""))).split())
            published = datetime.fromisoformat(it["date"].replace("Z", "+00:00"))
            outlet = it["spec"]["publisher"]["name"]
            items.append(
                ArticleInput(f"k{len(items)}", html.unescape(it["title"]), body, it["url"], published, outlet)
            )
    raw = (CORPUS / "soynlp-naver-news-2018-02-25" / "news.dat").read_text(encoding="utf-8")
    pos = 0
    for m in _FOOTER.finditer(raw):
        chunk = raw[pos : m.end()]
        pos = m.end()
        if len(chunk) > 200:
            title = chunk[:40]
            items.append(ArticleInput(f"s{len(items)}", title, chunk))
    with (CORPUS / "ynat-dacon-headlines" / "train_data_sample7000.tsv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for n, row in enumerate(reader):
            if n >= headlines:
                break
            if len(row) >= 2 and row[1].strip():
                items.append(ArticleInput(f"y{row[0]}", row[1]))
    return items[:limit] if limit else items


def batches(items: Sequence[ArticleInput], size: int) -> list[Sequence[ArticleInput]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall time and CPU time of all the process's threads (steadier on a machine shared with others)."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N texts")
    ap.add_argument("--headlines", type=int, default=1000, help="YNAT headlines to add (of 7,000)")
    ap.add_argument("--batch", type=int, default=256, help="articles per batch (as digest_pending uses)")
    ap.add_argument("--rounds", type=int, default=2, help="timed rounds per side (median reported)")
    ap.add_argument(
        "--profile", action="store_true", help="print the digester's top functions (main thread's CPU time)"
    )
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    digester = Digester.default()  # Kiwi loaded once, the registry's names in its user dictionary
    kiwi = digester.nlp.kiwi
    load_s = time.perf_counter() - t0
    items = load_texts(args.limit, args.headlines)
    chars = sum(len(it.title) + len(it.body) for it in items)
    groups = batches(items, args.batch)
    print(
        f"texts: {len(items)} ({chars / 1e6:.2f} M chars), batches of {args.batch}, "
        f"Kiwi workers: {kiwi.num_workers}, setup {load_s:.1f} s"
    )

    def bare_kiwi() -> None:
        for b in groups:
            for _tokens in kiwi.tokenize([it.title for it in b] + [it.body for it in b]):
                pass

    from briefings.digest.text import strip_boilerplate

    stripped = [[it.title.strip() for it in b] + [strip_boilerplate(it.body) for it in b] for b in groups]

    def digester_kiwi() -> None:
        # Kiwi alone over exactly the texts the digester gives it (headlines, bodies without chrome),
        # in one call per batch as the digester makes it.
        for texts in stripped:
            for _tokens in digester.nlp.tokenize_iter(texts):
                pass

    def analyze_only() -> None:
        for b in groups:
            digester.analyze(b)

    grouping_s: list[float] = []

    def analyze_and_group() -> None:
        spent = 0.0
        for b in groups:
            analyses = digester.analyze(b)
            t0 = time.perf_counter()
            grouped = group_analyses(b, analyses)  # duplicates, stories and each story's summary
            link_follow_ups(b, analyses, grouped)
            spent += time.perf_counter() - t0
        grouping_s.append(spent)

    bare_kiwi()  # warm-up: first-call costs are nobody's
    analyze_only()
    # Interleave the sides so background load on the shared machine hits both alike.
    sides = {
        "kiwi": bare_kiwi,
        "analyze": analyze_only,
        "own_kiwi": digester_kiwi,
        "group": analyze_and_group,
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, fn in sides.items():
            runs[name].append(timed(fn))
    wall = {name: statistics.median(w for w, _ in r) for name, r in runs.items()}
    cpu = {name: statistics.median(c for _, c in r) for name, r in runs.items()}
    n = len(items)
    k, a, g, dk = wall["kiwi"], wall["analyze"], wall["group"], wall["own_kiwi"]
    print(f"bare Kiwi tokenize      : {n / k:8.1f} articles/s  ({k:.2f} s wall, {cpu['kiwi']:.2f} s CPU)")
    print(
        f"digester analyze        : {n / a:8.1f} articles/s  ({a:.2f} s wall, {cpu['analyze']:.2f} s CPU)  "
        f"speed {k / a:.2f} of Kiwi (CPU: {cpu['kiwi'] / cpu['analyze']:.2f})"
    )
    print(
        f"+ stories, summaries,   : {n / g:8.1f} articles/s  ({g:.2f} s wall, {cpu['group']:.2f} s CPU)  "
        f"speed {k / g:.2f} of Kiwi (CPU: {cpu['kiwi'] / cpu['group']:.2f})"
    )
    grouping = statistics.median(grouping_s[-args.rounds :])
    print(
        f"  follow-ups (the whole digester); of which duplicates, stories, summaries and follow-ups "
        f"alone: {grouping:.2f} s ({100 * grouping / g:.1f} % of that run)"
    )
    extra = 100 * (cpu["analyze"] - cpu["own_kiwi"]) / cpu["analyze"]
    print(
        f"analysis beyond tokenisation: {extra:.1f} % of the digester's CPU time "
        f"(Kiwi alone on its cleaned texts: {dk:.2f} s wall, {cpu['own_kiwi']:.2f} s CPU)"
    )
    verdict = "OK" if k / g >= 0.8 else "BELOW GOAL"
    print(f"goal: the whole digester >= 0.80 of bare Kiwi speed -> {verdict} (wall {k / g:.2f})")

    if args.profile:
        # The main thread's CPU time: what the analysis adds to Kiwi's threads, whatever the load.
        prof = cProfile.Profile(time.thread_time)
        prof.enable()
        analyze_and_group()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
