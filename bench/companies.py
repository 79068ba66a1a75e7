"""Company matching cost next to Kiwi itself: `.venv/bin/python -m bench.companies [--texts N]`.

Real texts from ../shared/corpus (Yonhap headlines as titles, Naver news bodies cut into articles)
are analysed once with Kiwi in one batch, then the matcher runs over the morphemes. The matcher's
time is reported as a share of Kiwi's: the digester's budget for everything beyond tokenisation is
25 % of Kiwi's time, and company matching is one part of it.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from briefings.companies import CompanyMatcher, default_registry
from briefings.digest.nlp import get_nlp

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def load_texts(n: int) -> list[tuple[str, str]]:
    titles_path = CORPUS / "ynat-dacon-headlines" / "train_data_sample7000.tsv"
    bodies_path = CORPUS / "soynlp-naver-news-2018-02-25" / "news.dat"
    with titles_path.open(encoding="utf-8", newline="") as fh:
        titles = [row["title"] for row in csv.DictReader(fh, delimiter="\t")]
    raw = bodies_path.read_text(encoding="utf-8")
    bodies = [raw[i : i + 600] for i in range(0, len(raw), 600)]
    return [(titles[i % len(titles)], bodies[i % len(bodies)]) for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=2000)
    args = parser.parse_args()
    texts = load_texts(args.texts)
    t0 = time.perf_counter()
    nlp = get_nlp()
    matcher = CompanyMatcher(default_registry(), nlp)
    nlp.tokenize_one("준비")  # Kiwi rebuilds once after the registry's user words
    setup = time.perf_counter() - t0

    flat = [part for pair in texts for part in pair]
    t0 = time.perf_counter()
    morphs = nlp.tokenize(flat)
    kiwi = time.perf_counter() - t0

    t0 = time.perf_counter()
    found = 0
    for i, (title, body) in enumerate(texts):
        found += len(matcher.find(title, body, morphs[2 * i], morphs[2 * i + 1]))
    match = time.perf_counter() - t0

    chars = sum(len(t) + len(b) for t, b in texts)
    print(f"texts: {len(texts)} articles, {chars:,} characters; Kiwi + registry load {setup:.1f} s")
    print(f"Kiwi tokenisation : {kiwi:6.2f} s  ({len(texts) / kiwi:7.1f} articles/s)")
    print(f"company matching  : {match:6.2f} s  ({len(texts) / match:7.1f} articles/s, {found} hits)")
    print(f"matching / Kiwi   : {100 * match / kiwi:5.1f} %  (whole-digester budget beyond Kiwi: 25 %)")


if __name__ == "__main__":
    main()
