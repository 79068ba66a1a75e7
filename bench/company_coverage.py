"""How many real headlines name a registry company, with the registry against an earlier one.

    git show REV:briefings/data/companies.json > /tmp/before.json
    python -m bench.company_coverage --before /tmp/before.json --days 2026-02-12,2026-02-13

Reads tera-rss headlines from `../shared/corpus` (internal-testing licence: nothing is written out but
counts and, with --show, the gained headlines on the terminal).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from bench.corpus_refs import corpus_root
from briefings.companies import CompanyMatcher, Registry, default_registry, load_registry_file
from briefings.digest.nlp import get_nlp


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="an earlier companies.json")
    parser.add_argument("--days", required=True, help="KST days, comma-separated (2026-02-12,2026-02-13)")
    parser.add_argument("--show", type=int, default=0, help="print this many gained headlines at random")
    parser.add_argument("--corpus", type=Path, default=None, help="the shared corpus folder")
    args = parser.parse_args()
    nlp = get_nlp()
    before = CompanyMatcher(Registry(load_registry_file(args.before)), nlp)
    now = CompanyMatcher(default_registry(), nlp)
    days = set(args.days.split(","))
    path = corpus_root(args.corpus) / "tera-rss-economy-2026-02" / "items.jsonl"
    with path.open(encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh]
    # The dates are KST written with a wrong "Z": the first ten characters are the KST day.
    titles = list(dict.fromkeys(i["title"] for i in items if i["date_as_given"][:10] in days))
    found_before = found_now = 0
    gained: list[tuple[str, list[str]]] = []
    for title, morphs in zip(titles, nlp.tokenize(titles), strict=True):
        old = {h.company.name for h in before.find(title, "", morphs, [])}
        new = {h.company.name for h in now.find(title, "", morphs, [])}
        found_before += bool(old)
        found_now += bool(new)
        if new - old:
            gained.append((title, sorted(new - old)))
    n = len(titles) or 1
    print(
        f"{len(titles)} headlines of {', '.join(sorted(days))}: a company in {found_before} "
        f"({found_before / n:.1%}) before, {found_now} ({found_now / n:.1%}) now; {len(gained)} gained"
    )
    for title, names in random.Random(1).sample(gained, min(args.show, len(gained))):
        print(", ".join(names), "|", title)


if __name__ == "__main__":
    main()
