"""Themes: a taxonomy kept as data (briefings/data/themes.json), scored on Kiwi lemmas.

An article gets every theme whose weighted lexicon score reaches the threshold (multi-label), so an
alliance about 5G is both 제휴·동맹 and 통신·5G. Lexicon phrases are sequences of lemmas; because Kiwi
may split a compound (업무협약 → 업무 + 협약) or keep it whole, both forms match the same entry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from briefings.digest.nlp import Morph
from briefings.digest.terms import lemma_runs

_MAX_PHRASE = 4


@dataclass(frozen=True, slots=True)
class Theme:
    slug: str
    label: str
    lexicon: tuple[tuple[str, float], ...]


def _key(entry: str) -> str:
    return "".join(entry.lower().split())


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
    ) -> None:
        self.themes = tuple(themes)
        self.threshold = threshold
        self.title_factor = title_factor
        self.relative_cut = relative_cut
        # A single passing mention in the body is not enough: it takes a repeat, a second word or the title.
        self.body_factor = body_factor
        self.labels = {t.slug: t.label for t in self.themes}
        self._entries: dict[str, list[tuple[int, float]]] = {}
        self._prefixes: set[str] = set()
        for i, theme in enumerate(self.themes):
            for entry, weight in theme.lexicon:
                key = _key(entry)
                self._entries.setdefault(key, []).append((i, weight))
                self._prefixes.update(key[:n] for n in range(1, len(key)))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Taxonomy:
        themes = [
            Theme(
                slug=str(t["slug"]),
                label=str(t["label"]),
                lexicon=tuple((str(k), float(v)) for k, v in t["lexicon"].items()),
            )
            for t in data["themes"]
        ]
        return cls(
            themes,
            threshold=float(data.get("threshold", 2.0)),
            title_factor=float(data.get("title_factor", 2.0)),
            relative_cut=float(data.get("relative_cut", 0.25)),
            body_factor=float(data.get("body_factor", 0.75)),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Taxonomy:
        if path is None:
            text = resources.files("briefings").joinpath("data/themes.json").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls.from_data(json.loads(text))

    def _hits(self, morphs: Sequence[Morph]) -> dict[str, int]:
        return self._hits_in_runs(lemma_runs(morphs))

    def _hits_in_runs(self, runs: Sequence[tuple[str, int, int]]) -> dict[str, int]:
        """How often each lexicon key occurs: single lemmas and adjacent lemma runs, longest first."""
        counts: dict[str, int] = {}
        entries, prefixes = self._entries, self._prefixes
        n = len(runs)
        i = 0
        while i < n:
            joined = runs[i][0]
            best_key, best_len = (joined, 1) if joined in entries else ("", 0)
            end = runs[i][2]
            j = i + 1
            while joined in prefixes and j < n and j - i < _MAX_PHRASE and runs[j][1] <= end + 1:
                joined += runs[j][0]
                end = runs[j][2]
                j += 1
                if joined in entries:
                    best_key, best_len = joined, j - i
            if best_len:
                counts[best_key] = counts.get(best_key, 0) + 1
                i += best_len
            else:
                i += 1
        return counts

    def score(self, morphs: Sequence[Morph], title_morphs: Sequence[Morph] = ()) -> list[tuple[str, float]]:
        """Themes of a text with their scores, best first; only those that pass the threshold."""
        return self.score_runs(lemma_runs(morphs), lemma_runs(title_morphs))

    def score_runs(
        self, runs: Sequence[tuple[str, int, int]], title_runs: Sequence[tuple[str, int, int]] = ()
    ) -> list[tuple[str, float]]:
        """`score` on lemma runs already read off the morphemes (see terms.MorphScan)."""
        scores = [0.0] * len(self.themes)
        for key, count in self._hits_in_runs(runs).items():
            for i, weight in self._entries[key]:
                scores[i] += weight * self.body_factor * (1.0 + 0.5 * math.log(count))
        for key in self._hits_in_runs(title_runs):
            for i, weight in self._entries[key]:
                scores[i] += weight * self.title_factor
        top = max(scores, default=0.0)
        floor = max(self.threshold, top * self.relative_cut)
        ranked = sorted(
            ((self.themes[i].slug, round(s, 3)) for i, s in enumerate(scores) if s >= floor),
            key=lambda p: (-p[1], p[0]),
        )
        return ranked


@cache
def default_taxonomy() -> Taxonomy:
    """The packaged taxonomy, parsed once per process."""
    return Taxonomy.load()


def score_themes(morphs: Sequence[Morph], title_morphs: Sequence[Morph] = ()) -> list[tuple[str, float]]:
    """`Taxonomy.score` with the packaged taxonomy: [(slug, score)], best first."""
    return default_taxonomy().score(morphs, title_morphs)
