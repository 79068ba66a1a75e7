"""Train the theme model (briefings/data/theme_model.json) on the tuning data only.

    python -m bench.train_themes            # cross-validate, train on all tuning data, write the weights
    python -m bench.train_themes --dry-run  # cross-validate and print, write nothing
    python -m bench.train_themes --speed    # CPU time of the theme scoring per article

Training data: the RSS articles of the tuning days (02-10, 02-11; each with its story's themes,
story_themes.jsonl) and the tuning items of other days (theme_items.jsonl, each with its own). The
held-out days (02-12, 02-13) are never read here.

Settings (the L2 strength and the probability threshold) are chosen by two-fold cross-validation
inside the tuning data: fit on 02-10 and one half of the other-days items, score 02-11 and the other
half, and the reverse. The score is what `make eval` reports: micro F1 of each article's story
themes, stories as the digester groups them (the other-days items are one-article stories).
Everything is deterministic: the same data give the same weights.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Hashable, Sequence
from dataclasses import asdict, astuple, dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from bench.corpus_refs import corpus_root
from bench.eval import OTHER_DAYS, TUNE, Digest, Item, load, prf, theme_labelled

MODEL_PATH = Path(__file__).resolve().parents[1] / "briefings/data/theme_model.json"
# A word, headline lemma or lead lemma must occur in this many training articles to be a feature.
MIN_COUNT = 3
# The weight grid (L2 strength on the mean log-loss) and the probability thresholds tried.
L2_GRID = (0.0001, 0.0003, 0.001)
BOW_GRID = (0.0, 0.25)
PRIOR_GRID = (2.0,)
# A theme with fewer positive training articles keeps the lexicon rule (`learned`).
MIN_POSITIVES = 15
THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
# Weights smaller than this are dropped from the data file: they move no probability that matters.
KEEP = 0.005
SEED = 20260210

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Setting:
    l2: float  # L2 strength on the mean log-loss
    bow: float  # scale of the headline and lead lemmas (smaller: held back more)
    prior: float  # how strongly the lexicon rule starts the logit (see `prior`)
    threshold: float = 0.5


GRID = tuple(Setting(l2, bow, p) for l2 in L2_GRID for bow in BOW_GRID for p in PRIOR_GRID)


class Data:
    """Features and gold themes of the tuning articles, with their stories and folds."""

    def __init__(
        self, feats: list[dict[str, float]], gold: list[set[str]], story: list[Hashable], fold: list[int]
    ):
        self.feats, self.gold, self.story, self.fold = feats, gold, story, fold


def gather() -> tuple[Data, list[str]]:
    """Read the tuning articles through the digester: features, gold, the digester's own stories."""
    from briefings.digest.pipeline import group_analyses

    corpus_root(None)
    labelled = theme_labelled(load("stories.jsonl"), load("theme_items.jsonl"))
    digest = Digest()
    slugs = [t.slug for t in digest.fresh().taxonomy.themes]
    feats: list[dict[str, float]] = []
    gold: list[set[str]] = []
    story: list[Hashable] = []
    fold: list[int] = []

    tune_items, tune_gold = labelled[TUNE]
    digester = digest.fresh()
    inputs = digest.inputs([i.text for i in tune_items])
    groups = group_analyses(inputs, digester.analyze(inputs), params=digester.story_params)
    feats += digester.theme_features(inputs)
    gold += tune_gold
    story += [("tune", g.story) for g in groups]
    fold += [_day_fold(i) for i in tune_items]

    other_items, other_gold = labelled[OTHER_DAYS]
    order = list(range(len(other_items)))
    random.Random(SEED).shuffle(order)
    half = {k: n % 2 for n, k in enumerate(order)}
    feats += digest.fresh().theme_features(digest.inputs([i.text for i in other_items]))
    gold += other_gold
    story += [("other", k) for k in range(len(other_items))]
    fold += [half[k] for k in range(len(other_items))]
    return Data(feats, gold, story, fold), slugs


def _day_fold(item: Item) -> int:
    day = str(item.row.get("day", ""))
    if day not in ("2026-02-10", "2026-02-11"):
        raise ValueError(f"a tuning article of another day: {day}")
    return 0 if day == "2026-02-10" else 1


def vocabulary(feats: Sequence[dict[str, float]]) -> list[str]:
    """Lexicon features always; words and lemmas only when seen in MIN_COUNT articles."""
    counts: dict[str, int] = {}
    for f in feats:
        for name in f:
            counts[name] = counts.get(name, 0) + 1
    sparse = ("w:", "t:", "l:")
    return sorted(n for n, c in counts.items() if c >= MIN_COUNT or not n.startswith(sparse))


def matrix(feats: Sequence[dict[str, float]], names: Sequence[str]) -> Matrix:
    index = {n: k for k, n in enumerate(names)}
    x = np.zeros((len(feats), len(names)))
    for r, f in enumerate(feats):
        for n, v in f.items():
            k = index.get(n)
            if k is not None:
                x[r, k] = v
    return x


def group_scale(names: Sequence[str], bow: float) -> Matrix:
    """Column scales: headline and lead lemmas count `bow` of the rest, so the L2 holds them back more
    (a lemma seen in a handful of articles is weaker evidence than the lexicon's scores)."""
    return np.array([bow if n.startswith(("t:", "l:")) else 1.0 for n in names])


def prior(names: Sequence[str], slugs: Sequence[str], strength: float) -> tuple[Matrix, Matrix]:
    """The lexicon rule as the model's starting point: `rule:<slug>` adds 2·strength to the theme's
    logit, over a bias of -strength. The learned weights are corrections of the rule, and the L2 pulls
    them towards the rule rather than towards nothing."""
    w0 = np.zeros((len(names), len(slugs)))
    index = {n: k for k, n in enumerate(names)}
    for j, slug in enumerate(slugs):
        k = index.get("rule:" + slug)
        if k is not None:
            w0[k, j] = 2.0 * strength
    return w0, np.full(len(slugs), -strength)


def fit(
    x: Matrix, y: Matrix, l2: float, w0: Matrix | None = None, b0: Matrix | None = None
) -> tuple[Matrix, Matrix]:
    """One-vs-rest logistic regression, all themes at once: mean log-loss + l2/2·(|W - W0|² + |b - b0|²);
    the result is W (W0 included) and the bias (b0 included)."""
    n, d = x.shape
    t = y.shape[1]
    w0 = np.zeros((d, t)) if w0 is None else w0
    b0 = np.zeros(t) if b0 is None else b0
    z0 = x @ w0 + b0

    def loss(theta: Matrix) -> tuple[float, Matrix]:
        w, b = theta[: d * t].reshape(d, t), theta[d * t :]
        z = z0 + x @ w + b
        # log(1 + e^z) - y·z, computed stably
        penalty = 0.5 * l2 * float((w * w).sum() + (b * b).sum())
        value = float((np.logaddexp(0.0, z) - y * z).sum() / n) + penalty
        g = (1.0 / (1.0 + np.exp(-z)) - y) / n
        grad = np.concatenate([(x.T @ g + l2 * w).ravel(), g.sum(axis=0) + l2 * b])
        return value, grad

    result = minimize(loss, np.zeros(d * t + t), jac=True, method="L-BFGS-B", options={"maxiter": 3000})
    theta = result.x
    return w0 + theta[: d * t].reshape(d, t), theta[d * t :] + b0


def learned(y: Matrix) -> Matrix:
    """Which themes the model learns: those with MIN_POSITIVES positive training articles. Thousands
    of weights cannot be learned from the three to nine articles of AIoT, telecom, cloud or security:
    they would learn from those few that the rule's hits mostly mislead, and silence the theme where
    the rule is right. The others keep the rule (their weights stay the prior's)."""
    out: Matrix = y.sum(axis=0) >= MIN_POSITIVES
    return out


def train(
    feats: Sequence[dict[str, float]], y: Matrix, slugs: Sequence[str], setting: Setting
) -> tuple[list[str], Matrix, Matrix]:
    """Feature names, weights (for the raw features) and bias of one fit."""
    names = vocabulary(feats)
    scale = group_scale(names, setting.bow)
    w, b = prior(names, slugs, setting.prior)
    free = np.flatnonzero(learned(y))
    # One-vs-rest: each theme's loss is its own, so the learned themes are fitted apart from the rest.
    w[:, free], b[free] = fit(matrix(feats, names) * scale, y[:, free], setting.l2, w[:, free], b[free])
    return names, w * scale[:, None], b


def story_sets(pred: Sequence[dict[str, float]], story: Sequence[Hashable]) -> list[set[str]]:
    """Each article's story themes (`story_themes`, stories in input order) from its own scored themes."""
    from briefings.digest.pipeline import THEMES_PER_STORY
    from briefings.digest.themes import story_themes

    members: dict[Hashable, list[int]] = {}
    for k, s in enumerate(story):
        members.setdefault(s, []).append(k)
    out: list[set[str]] = [set() for _ in story]
    for ks in members.values():
        themes = set(
            story_themes([sorted(pred[k].items(), key=lambda p: -p[1]) for k in ks], limit=THEMES_PER_STORY)
        )
        for k in ks:
            out[k] = themes
    return out


def predictions(p: Matrix, slugs: Sequence[str], threshold: float) -> list[dict[str, float]]:
    return [{slugs[int(j)]: float(row[j]) for j in np.flatnonzero(row >= threshold)} for row in p]


def cross_validate(data: Data, slugs: list[str], grid: Sequence[Setting]) -> dict[Setting, float]:
    """Pooled story-theme micro F1 of the two folds, for each setting (and each threshold)."""
    y = np.array([[1.0 if s in g else 0.0 for s in slugs] for g in data.gold])
    fold = np.array(data.fold)
    # Stories are split by fold: an article is judged with the articles of its own fold.
    story = list(zip(data.story, data.fold, strict=True))
    scores: dict[Setting, float] = {}
    for setting in grid:
        p = np.zeros(y.shape)
        for test in (0, 1):
            train_rows, test_rows = np.flatnonzero(fold != test), np.flatnonzero(fold == test)
            names, w, b = train([data.feats[k] for k in train_rows], y[train_rows], slugs, setting)
            p[test_rows] = 1.0 / (1.0 + np.exp(-(matrix([data.feats[k] for k in test_rows], names) @ w + b)))
        for threshold in THRESHOLDS:
            chosen = replace(setting, threshold=threshold)
            scores[chosen] = prf(data.gold, story_sets(predictions(p, slugs, threshold), story)).f1
    return scores


def speed() -> None:
    """CPU time per article of the themes (lexicon evidence, features, model) against the lexicon rule
    alone, on the tuning articles' morphemes (Kiwi's time is not counted: its morphemes are given)."""
    from briefings.digest.pipeline import LEAD_CHARS
    from briefings.digest.terms import MorphScan
    from briefings.digest.text import analysed_body, analysed_title
    from briefings.digest.theme_model import Themer, default_model

    corpus_root(None)
    labelled = theme_labelled(load("stories.jsonl"), load("theme_items.jsonl"))
    texts = [i.text for i in labelled[TUNE][0] + labelled[OTHER_DAYS][0]]
    digest = Digest()
    digester = digest.fresh()
    scanned = []
    for t in texts:
        title, body = analysed_title(t.title), analysed_body(t.body, digester.max_chars)
        tm, bm = digest.nlp.tokenize([title, body])
        hits = tuple(digester.matcher.find(title, body, tm, bm))
        scanned.append((MorphScan(bm, LEAD_CHARS).runs, MorphScan(tm).runs, bm, tm, hits))
    taxonomy = digester.taxonomy
    themer = Themer(taxonomy, default_model())
    for name, run in (
        ("lexicon rule", lambda a: taxonomy.score_runs(a[0], a[1], morphs=a[2], title_morphs=a[3])),
        (
            "lexicon + model",
            lambda a: themer.themes(a[0], a[1], morphs=a[2], title_morphs=a[3], companies=a[4]),
        ),
    ):
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            for a in scanned:
                run(a)
            best = min(best, time.process_time() - start)
        print(
            f"{name}: {best / len(scanned) * 1e3:.3f} ms CPU per article ({len(scanned)} articles, best of 5)"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.train_themes", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="cross-validate only; write nothing")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument(
        "--speed", action="store_true", help="time the theme scoring per article; train nothing"
    )
    args = parser.parse_args(argv)
    if args.speed:
        speed()
        return 0

    from briefings.digest.theme_model import ThemeModel

    data, slugs = gather()
    scores = cross_validate(data, slugs, GRID)
    for setting, f1 in sorted(scores.items(), key=lambda kv: astuple(kv[0])):
        print(f"{setting}  cross-validated story-theme F1 {f1:.3f}")
    # The best; among equals the more regularised (larger l2, smaller bow), then threshold 0.5.
    chosen, best = max(
        scores.items(),
        key=lambda kv: (round(kv[1], 3), kv[0].l2, -kv[0].bow, -abs(kv[0].threshold - 0.5)),
    )
    print(f"chosen: {chosen} (cross-validated F1 {best:.3f})")
    if args.dry_run:
        return 0
    y = np.array([[1.0 if s in g else 0.0 for s in slugs] for g in data.gold])
    names, w, b = train(data.feats, y, slugs, chosen)
    keep = [k for k in range(len(names)) if np.abs(w[k]).max() >= KEEP]
    model = ThemeModel(slugs, [names[k] for k in keep], w[keep], b.tolist(), chosen.threshold)
    about = {
        "about": "Theme model of Briefings (briefings/digest/theme_model.py): one-vs-rest logistic weights "
        "per feature, trained by `python -m bench.train_themes` on the tuning data only.",
        "trained_on": {"articles": len(data.feats), **asdict(chosen), "cv_story_f1": round(best, 4)},
    }
    text = json.dumps(model.to_data(**about), ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text.replace('],"', '],\n"') + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(keep)} features of {len(names)}, {len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
