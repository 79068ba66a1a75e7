"""Which themes an article is substantially about: a logistic model over the lexicon's evidence.

The lexicon (themes.py) finds the words; whether they make the article's subject is read off what a
bare word list lacks, as features of one logistic regression per theme (one-vs-rest):
- where the words stand: each theme's score in the headline, the lead and the rest, and the lexicon
  rule's verdict;
- the words themselves by place (`T:인수`, `L:소송`) and the morphemes next to them (`인수>설` is talk
  of a deal, `경찰<수사` a police matter), plus the headline's and the lead's lemmas;
- negation and hedges: how many of a theme's hits a negation voided or a hedge weakened;
- the company's role: whether the article is about a company of the registry (a primary), only
  names one, or names none (a police, party or crime report), and whether a public body heads the
  headline or a partner is named.

The weights are trained by `python -m bench.train_themes` on the tuning data only and kept as data
(briefings/data/theme_model.json); scoring is a sparse dot product, a few microseconds an article.

Not the digester's default: on the held-out days it raises the story themes' micro F1 a little
(`python -m bench.eval --theme-model`), but it loses obvious headline-only cases the rule gets right
(a chip foundry's mass production, a foldable phone unveiled) and the older headline set's recall,
having learned from ~900 articles of two February weeks. `Digester(theme_model=...)` switches it on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from briefings.companies.records import CompanyHit
from briefings.digest.nlp import Morph
from briefings.digest.themes import Evidence, Run, Taxonomy

# Lemmas of the body read as the lead's bag of words (the digester's LEAD_CHARS).
LEAD_CHARS = 300


def features(
    taxonomy: Taxonomy,
    ev: Evidence,
    runs: Sequence[Run],
    title_runs: Sequence[Run],
    companies: Sequence[CompanyHit] = (),
) -> dict[str, float]:
    """An article's features by name (absent = 0): see the module's docstring."""
    f: dict[str, float] = {}
    given = taxonomy.passes(ev)
    for i, theme in enumerate(taxonomy.themes):
        slug = theme.slug
        if ev.title[i]:
            f["title:" + slug] = math.log1p(ev.title[i])
        if ev.lead[i]:
            f["lead:" + slug] = math.log1p(ev.lead[i])
        if ev.tail[i]:
            f["tail:" + slug] = math.log1p(ev.tail[i])
        if ev.scores[i] > 0:
            f["score:" + slug] = math.log1p(ev.scores[i])
        if given[i]:
            f["rule:" + slug] = 1.0
        if ev.negated[i]:
            f["neg:" + slug] = 1.0
        if ev.hedged[i]:
            f["hedge:" + slug] = 1.0
    for word in ev.words:
        f["w:" + word] = 1.0
    for lemma, _, _ in title_runs:
        f["t:" + lemma] = 1.0
    for lemma, start, _ in runs:
        if start >= LEAD_CHARS:
            break
        f["l:" + lemma] = 1.0
    if not companies:
        f["co:none"] = 1.0
    elif any(h.is_primary for h in companies):
        f["co:primary"] = 1.0
    else:
        f["co:named"] = 1.0
    if ev.public:
        f["actor:public"] = 1.0
    if ev.partner:
        f["actor:partner"] = 1.0
    return f


class ThemeModel:
    """One-vs-rest logistic weights over named features; a theme is given at `threshold` or above."""

    def __init__(
        self,
        slugs: Sequence[str],
        names: Sequence[str],
        weights: npt.NDArray[np.float64],
        bias: Sequence[float],
        threshold: float,
    ) -> None:
        if weights.shape != (len(names), len(slugs)):
            raise ValueError(f"weights {weights.shape} for {len(names)} features, {len(slugs)} themes")
        self.slugs = tuple(slugs)
        self.index = {name: k for k, name in enumerate(names)}
        self.weights = weights
        self.bias = np.asarray(bias, dtype=np.float64)
        self.threshold = threshold

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ThemeModel:
        slugs = [str(s) for s in data["themes"]]
        rows = data["weights"]
        names = list(rows)
        weights = np.array([rows[n] for n in names], dtype=np.float64).reshape(len(names), len(slugs))
        return cls(slugs, names, weights, [float(b) for b in data["bias"]], float(data["threshold"]))

    def to_data(self, **about: Any) -> dict[str, Any]:
        names = sorted(self.index, key=self.index.__getitem__)
        return {
            **about,
            "themes": list(self.slugs),
            "threshold": self.threshold,
            "bias": [round(float(b), 4) for b in self.bias],
            "weights": {n: [round(float(w), 4) for w in self.weights[self.index[n]]] for n in names},
        }

    @classmethod
    def load(cls, path: Path | None = None) -> ThemeModel:
        if path is None:
            text = resources.files("briefings").joinpath("data/theme_model.json").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls.from_data(json.loads(text))

    def probabilities(self, feats: dict[str, float]) -> npt.NDArray[np.float64]:
        """P(theme) for each of `slugs`."""
        index = self.index
        rows = [index[n] for n in feats if n in index]
        z = self.bias.copy()
        if rows:
            values = np.fromiter((feats[n] for n in feats if n in index), dtype=np.float64, count=len(rows))
            z += values @ self.weights[rows]
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def themes(self, feats: dict[str, float]) -> list[tuple[str, float]]:
        """The themes given, with their probabilities, best first."""
        p = self.probabilities(feats)
        given = [(self.slugs[i], round(float(p[i]), 3)) for i in np.flatnonzero(p >= self.threshold)]
        return sorted(given, key=lambda x: (-x[1], x[0]))


class Themer:
    """The lexicon and, when given, the model: what the digester asks an article's themes of."""

    def __init__(self, taxonomy: Taxonomy, model: ThemeModel | None = None) -> None:
        if model is not None:
            unknown = set(model.slugs) - set(taxonomy.labels)
            if unknown:
                raise ValueError(f"model themes not in the taxonomy: {sorted(unknown)}")
        self.taxonomy = taxonomy
        self.model = model

    def features(
        self,
        runs: Sequence[Run],
        title_runs: Sequence[Run],
        *,
        morphs: Sequence[Morph] = (),
        title_morphs: Sequence[Morph] = (),
        companies: Sequence[CompanyHit] = (),
    ) -> dict[str, float]:
        ev = self.taxonomy.evidence(runs, title_runs, morphs=morphs, title_morphs=title_morphs)
        return features(self.taxonomy, ev, runs, title_runs, companies)

    def themes(
        self,
        runs: Sequence[Run],
        title_runs: Sequence[Run],
        *,
        morphs: Sequence[Morph] = (),
        title_morphs: Sequence[Morph] = (),
        companies: Sequence[CompanyHit] = (),
    ) -> list[tuple[str, float]]:
        """[(slug, score)] best first: the model's probabilities, or the lexicon rule's scores without it."""
        ev = self.taxonomy.evidence(runs, title_runs, morphs=morphs, title_morphs=title_morphs)
        if self.model is None:
            return self.taxonomy.ranked(ev)
        return self.model.themes(features(self.taxonomy, ev, runs, title_runs, companies))


@cache
def default_model() -> ThemeModel:
    """The packaged model, parsed once per process."""
    return ThemeModel.load()
