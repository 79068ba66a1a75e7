"""Quality report of the digester on the labelled development set: `make eval`.

The development set (bench/devset/*.jsonl) holds references into ../shared/corpus and labels written
by reading each text; the texts themselves are read from the corpus at run time (their licence does
not allow copying them here). The same texts go through the real digester and through a naive
substring matcher over the same registry, so the numbers say what the morpheme-aware matching buys.

  .venv/bin/python -m bench.eval            # the report
  .venv/bin/python -m bench.eval --json     # the figures as one JSON object
  .venv/bin/python -m bench.eval --errors   # also every false positive / negative, for tuning
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.corpus_refs import CorpusMissing, Text, corpus_root, resolve, sha1_prefix

DEVSET = Path(__file__).resolve().parent / "devset"

GOALS = {
    "company_f1": 0.98,
    "company_precision": 0.985,
    "story_bcubed_f1": 0.93,
    "story_bcubed_precision": 0.95,
    "theme_micro_f1": 0.85,
}


# --- metrics (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PRF:
    """Micro-averaged counts over (item, label) pairs."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        # Nothing predicted means nothing predicted wrongly.
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def prf(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> PRF:
    """Micro precision/recall/F1 of predicted label sets against gold label sets, item by item."""
    if len(gold) != len(pred):
        raise ValueError("gold and predictions differ in length")
    tp = fp = fn = 0
    for g, p in zip(gold, pred, strict=True):
        gs, ps = set(g), set(p)
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return PRF(tp, fp, fn)


def exact_agreement(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> float:
    """Share of items whose predicted label set equals the gold set exactly (empty = empty counts)."""
    if len(gold) != len(pred):
        raise ValueError("gold and predictions differ in length")
    if not gold:
        return 1.0
    return sum(set(g) == set(p) for g, p in zip(gold, pred, strict=True)) / len(gold)


def bcubed(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering (Bagga & Baldwin 1998).

    gold[i] and pred[i] are the cluster ids of item i. Per item: precision is the share of its
    predicted cluster that shares its gold cluster, recall the share of its gold cluster that the
    predicted cluster caught; both are averaged over items.
    """
    if len(gold) != len(pred):
        raise ValueError("gold and predictions differ in length")
    n = len(gold)
    if n == 0:
        return 1.0, 1.0, 1.0
    pred_members: dict[Hashable, list[int]] = defaultdict(list)
    gold_members: dict[Hashable, list[int]] = defaultdict(list)
    for i in range(n):
        pred_members[pred[i]].append(i)
        gold_members[gold[i]].append(i)
    precision = recall = 0.0
    for i in range(n):
        same_pred = pred_members[pred[i]]
        same_gold = gold_members[gold[i]]
        both = sum(1 for j in same_pred if gold[j] == gold[i])
        precision += both / len(same_pred)
        recall += both / len(same_gold)
    precision /= n
    recall /= n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- the development set ------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One labelled reference, resolved to its text."""

    row: dict[str, Any]
    text: Text


@dataclass
class Loaded:
    items: list[Item] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)


def load_rows(name: str, devset: Path = DEVSET) -> list[dict[str, Any]]:
    path = devset / name
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def resolve_row(row: dict[str, Any], root: Path | None = None) -> Text:
    """The text of a dev-set row: a corpus reference, or a headline written for the dev set itself."""
    if row["file"] == "authored":
        title = str(row["title"])
        return Text("authored", str(row["loc"]), title=title, body="", raw=title)
    return resolve(str(row["file"]), str(row["loc"]), root)


def load(name: str, root: Path | None = None) -> Loaded:
    """Rows with their texts; rows whose text changed (sha1 mismatch) or vanished are set aside."""
    out = Loaded()
    for row in load_rows(name):
        try:
            text = resolve_row(row, root)
        except KeyError:
            out.drift.append(f"{row['file']} {row['loc']}: not found")
            continue
        if row["file"] != "authored" and text.sha1 != row["sha1"]:
            out.drift.append(f"{row['file']} {row['loc']}: sha1 {text.sha1} != {row['sha1']}")
            continue
        out.items.append(Item(row, text))
    return out


# --- the systems under test ---------------------------------------------------------------------


class Unavailable(RuntimeError):
    """A part of the digester the report needs has not been built yet."""


Prediction = tuple[set[str], set[str]]  # (companies, primary companies)


class Digest:
    """The real digester, loaded once per process (Kiwi takes seconds): companies, themes and stories.

    Goes through `briefings.digest.pipeline` (boilerplate stripping, one Kiwi batch, matcher,
    taxonomy, duplicates, stories) exactly as `briefings analyze` does.
    """

    def __init__(self) -> None:
        try:
            from briefings.companies import default_registry
            from briefings.digest.nlp import get_nlp
            from briefings.digest.pipeline import Digester
        except ImportError as exc:  # pragma: no cover - depends on the tree's state
            raise Unavailable(f"digester: {exc}") from exc
        self.registry = default_registry()
        self.nlp = get_nlp()
        self._digester_class = Digester

    def fresh(self) -> Any:
        """A new Digester per section, so one section's texts never become another's background."""
        return self._digester_class(self.registry, self.nlp)

    @staticmethod
    def inputs(texts: Sequence[Text]) -> list[Any]:
        from briefings.digest.pipeline import ArticleInput

        out = []
        for i, t in enumerate(texts):
            published = datetime.fromisoformat(t.published) if t.published else None
            url = t.loc[4:] if t.loc.startswith("url:") else None
            out.append(ArticleInput(i, t.title, t.body, url=url, published=published, outlet=t.outlet or ""))
        return out

    def companies(self, texts: Sequence[Text]) -> list[Prediction]:
        analyses = self.fresh().analyze(self.inputs(texts))
        return [(set(a.company_names), set(a.primaries)) for a in analyses]

    def themes(self, texts: Sequence[Text]) -> list[set[str]]:
        analyses = self.fresh().analyze(self.inputs(texts))
        return [set(a.theme_slugs) for a in analyses]

    def story_themes(self, texts: Sequence[Text]) -> tuple[list[set[str]], list[set[str]]]:
        """Each text's own themes, and the themes of the story the digester puts it in: its own
        grouping of the same texts (as in `stories`), never the gold stories."""
        from briefings.digest.pipeline import group_analyses

        digester = self.fresh()
        inputs = self.inputs(texts)
        analyses = digester.analyze(inputs)
        groups = group_analyses(inputs, analyses, params=digester.story_params)
        return [set(a.theme_slugs) for a in analyses], [set(g.themes) for g in groups]

    def stories(self, texts: Sequence[Text]) -> list[Hashable]:
        try:
            from briefings.digest.pipeline import group_stories
        except ImportError as exc:  # pragma: no cover
            raise Unavailable(f"stories: {exc}") from exc
        return list(group_stories(self.fresh(), self.inputs(texts)))


def baseline_companies(registry: Any, texts: Sequence[Text]) -> list[Prediction]:
    """Plain substring search over the same registry; primary = in the title or the first 150 chars."""
    try:
        from briefings.companies import substring_baseline
    except ImportError:  # pragma: no cover
        substring_baseline = _substring_baseline
    out: list[Prediction] = []
    for t in texts:
        found = set(substring_baseline(registry, t.title, t.body))
        primary = set(substring_baseline(registry, t.title, t.body[:150])) & found
        out.append((found, primary))
    return out


def _substring_baseline(registry: Any, title: str, body: str = "") -> set[str]:
    text = f"{title}\n{body}".casefold()
    return {rec.name for rec in registry if any(a.alias and a.alias.casefold() in text for a in rec.aliases)}


_PUNCT = re.compile(r"[\W_]+")
_TAG = re.compile(r"^\s*[\[(【<][^\])】>]{1,12}[\])】>]\s*")


def title_prefix_stories(texts: Sequence[Text], chars: int = 8) -> list[Hashable]:
    """Baseline grouping: articles whose headlines start with the same characters are one story."""
    keys: list[Hashable] = []
    for t in texts:
        title = unicodedata.normalize("NFKC", _TAG.sub("", t.title))
        keys.append(_PUNCT.sub("", title)[:chars])
    return keys


# --- evaluation ---------------------------------------------------------------------------------


@dataclass
class Section:
    name: str
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # metric, ours, baseline, n
    figures: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _primary_accuracy(gold: Sequence[Item], pred: Sequence[Prediction]) -> tuple[float, int]:
    """Of the gold companies the system found, the share whose primary flag it got right."""
    right = total = 0
    for item, (found, primary) in zip(gold, pred, strict=True):
        for name in set(item.row["companies"]) & found:
            total += 1
            right += (name in primary) == (name in item.row["primary"])
    return (right / total if total else 1.0), total


def eval_companies(digest: Digest | None, loaded: Loaded) -> Section:
    sec = Section("companies")
    items = loaded.items
    texts = [i.text for i in items]
    gold = [set(i.row["companies"]) for i in items]
    gold_primary = [set(i.row["primary"]) for i in items]
    hard = [bool(i.row.get("hard")) for i in items]
    registry = digest.registry if digest else None
    ours = digest.companies(texts) if digest else None
    base = baseline_companies(registry, texts) if registry is not None else None

    def subset(pred: list[Prediction] | None, mask: list[bool]) -> tuple[list[set[str]], list[set[str]]]:
        g = [s for s, m in zip(gold, mask, strict=True) if m]
        p = [s[0] for s, m in zip(pred or [], mask, strict=True) if m] if pred else []
        return g, p

    everything = [True] * len(items)
    for label, mask in (("all", everything), ("hard", hard)):
        n = sum(mask)
        g, po = subset(ours, mask)
        _, pb = subset(base, mask)
        mo = prf(g, po) if ours else None
        mb = prf(g, pb) if base else None
        for metric in ("precision", "recall", "f1"):
            sec.rows.append(
                (
                    f"company {metric} ({label})",
                    _fmt(getattr(mo, metric) if mo else None),
                    _fmt(getattr(mb, metric) if mb else None),
                    str(n),
                )
            )
        sec.figures[label] = {
            "items": n,
            "pairs": sum(len(x) for x in g),
            "ours": mo.as_dict() if mo else None,
            "baseline": mb.as_dict() if mb else None,
        }
    if ours and base:
        by_source: dict[str, Any] = {}
        for source in sorted({_source(i) for i in items}):
            mask = [_source(i) == source for i in items]
            g, po = subset(ours, mask)
            _, pb = subset(base, mask)
            by_source[source] = {
                "items": sum(mask),
                "ours_f1": _r4(prf(g, po).f1),
                "baseline_f1": _r4(prf(g, pb).f1),
            }
        sec.figures["by_source"] = by_source
        acc_o, n_o = _primary_accuracy(items, ours)
        acc_b, n_b = _primary_accuracy(items, base)
        sec.rows.append(("primary flag accuracy (found pairs)", _fmt(acc_o), _fmt(acc_b), f"{n_o}/{n_b}"))
        po_prf = prf(gold_primary, [p[1] for p in ours])
        pb_prf = prf(gold_primary, [p[1] for p in base])
        sec.rows.append(("primary-company F1", _fmt(po_prf.f1), _fmt(pb_prf.f1), str(len(items))))
        sec.figures["primary"] = {
            "accuracy_ours": round(acc_o, 4),
            "accuracy_baseline": round(acc_b, 4),
            "ours": po_prf.as_dict(),
            "baseline": pb_prf.as_dict(),
        }
        for item, (found, primary) in zip(items, ours, strict=True):
            ref = _ref(item)
            want_set = set(item.row["companies"])
            for name in sorted(found - want_set):
                sec.errors.append(f"FP {name}  {ref}")
            for name in sorted(want_set - found):
                sec.errors.append(f"FN {name}  {ref}")
            for name in sorted(want_set & found):
                if (name in primary) != (name in item.row["primary"]):
                    want = "primary" if name in item.row["primary"] else "passing"
                    sec.errors.append(f"PRIMARY {name} should be {want}  {ref}")
    return sec


def _source(item: Item) -> str:
    """The corpus a row comes from (its first path part), for the per-source breakdown."""
    return item.text.file.split("/", 1)[0]


def _ref(item: Item) -> str:
    text = item.text
    head = (text.title or text.body).replace("\n", " ")[:70]
    note = f"  [{item.row['note']}]" if item.row.get("note") else ""
    return f"{text.file} {text.loc[:60]} | {head}{note}"


HELD_OUT = "heldout"
TUNE = "tune"


def _bigrams(text: Text) -> dict[str, float]:
    """Character bigrams of the headline (weight 1) and of the lead's first 200 characters (0.5)."""
    out: dict[str, float] = defaultdict(float)
    title = _PUNCT.sub(" ", unicodedata.normalize("NFKC", _TAG.sub("", text.title)))
    for word in title.split():
        out["W" + word] += 1.0
        for i in range(len(word) - 1):
            out[word[i : i + 2]] += 1.0
    for word in _PUNCT.sub(" ", text.body[:200]).split():
        for i in range(len(word) - 1):
            out["L" + word[i : i + 2]] += 0.5
    return out


def tfidf_vectors(texts: Sequence[Text]) -> list[dict[str, float]]:
    """Unit tf-idf vectors of character bigrams, idf taken over the texts themselves."""
    grams = [_bigrams(t) for t in texts]
    df: dict[str, int] = defaultdict(int)
    for g in grams:
        for k in g:
            df[k] += 1
    n = len(texts)
    out = []
    for g in grams:
        vec = {k: v * math.log((n + 1) / (df[k] + 1)) for k, v in g.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out.append({k: v / norm for k, v in vec.items()})
    return out


def _similarities(vectors: Sequence[dict[str, float]]) -> list[tuple[float, int, int]]:
    pairs = []
    for i in range(len(vectors)):
        a = vectors[i]
        for j in range(i + 1, len(vectors)):
            b = vectors[j]
            small, big = (a, b) if len(a) < len(b) else (b, a)
            sim = sum(v * big.get(k, 0.0) for k, v in small.items())
            if sim > 0.05:
                pairs.append((sim, i, j))
    return pairs


def single_link(n: int, pairs: Iterable[tuple[float, int, int]], threshold: float) -> list[Hashable]:
    """Connected components of the pairs at or above the threshold (union-find)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for sim, i, j in pairs:
        if sim >= threshold:
            parent[find(i)] = find(j)
    return [find(i) for i in range(n)]


def tune_tfidf_threshold(texts: Sequence[Text], gold: Sequence[str]) -> float:
    """The single-link threshold with the best B-cubed F1 on the given (tuning) texts."""
    pairs = _similarities(tfidf_vectors(texts))
    grid = [round(0.1 + 0.02 * k, 2) for k in range(41)]
    return max(grid, key=lambda t: (bcubed(gold, single_link(len(texts), pairs, t))[2], -t))


def tfidf_stories(texts: Sequence[Text], threshold: float) -> list[Hashable]:
    """Baseline grouping: single-link over character-bigram tf-idf cosines."""
    return single_link(len(texts), _similarities(tfidf_vectors(texts)), threshold)


def _bcubed_of(gold: Sequence[str], pred: Sequence[Hashable], mask: Sequence[bool]) -> tuple[float, float]:
    """B-cubed precision and recall averaged over the masked items only (clusters stay whole)."""
    members: dict[Hashable, list[int]] = defaultdict(list)
    gold_members: dict[str, list[int]] = defaultdict(list)
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        members[p].append(i)
        gold_members[g].append(i)
    picked = [i for i, m in enumerate(mask) if m]
    if not picked:
        return 1.0, 1.0
    prec = rec = 0.0
    for i in picked:
        both = sum(1 for j in members[pred[i]] if gold[j] == gold[i])
        prec += both / len(members[pred[i]])
        rec += both / len(gold_members[gold[i]])
    return prec / len(picked), rec / len(picked)


def _prf3(x: tuple[float, float, float]) -> dict[str, float]:
    return dict(zip(("precision", "recall", "f1"), map(_r4, x), strict=True))


def _split_items(loaded: Loaded, split: str) -> list[Item]:
    chosen = [i for i in loaded.items if i.row.get("split", HELD_OUT) == split]
    return sorted(chosen, key=lambda i: (i.text.published or "", i.text.loc))


def eval_stories(digest: Digest | None, loaded: Loaded) -> Section:
    """B-cubed on the held-out days; the TF-IDF baseline's threshold is tuned on the tuning days."""
    sec = Section("stories")
    tune = _split_items(loaded, TUNE)
    items = _split_items(loaded, HELD_OUT)
    texts = [i.text for i in items]
    gold = [str(i.row["story"]) for i in items]
    threshold = tune_tfidf_threshold([i.text for i in tune], [str(i.row["story"]) for i in tune])
    baselines: dict[str, tuple[float, float, float]] = {
        "every article alone": bcubed(gold, list(range(len(items)))),
        "same 8-character headline prefix": bcubed(gold, title_prefix_stories(texts)),
        f"TF-IDF single link (t={threshold:.2f}, tuned)": bcubed(gold, tfidf_stories(texts, threshold)),
    }
    ours: tuple[float, float, float] | None = None
    ours_tune: tuple[float, float, float] | None = None
    pred: list[Hashable] = []
    if digest:
        try:
            pred = digest.stories(texts)
            ours = bcubed(gold, pred)
            ours_tune = bcubed([str(i.row["story"]) for i in tune], digest.stories([i.text for i in tune]))
        except Unavailable as exc:
            sec.notes.append(str(exc))
    n = str(len(items))

    def prf3(x: tuple[float, float, float] | None) -> str:
        return "—" if x is None else f"{x[0]:.3f} / {x[1]:.3f} / {x[2]:.3f}"

    sec.rows.append(("story B-cubed P / R / F1, held-out days", prf3(ours), "", n))
    for label, fig in baselines.items():
        sec.rows.append((f"  baseline: {label}", "", prf3(fig), n))
    title_only = [not i.text.body.strip() for i in items]
    if ours:
        tp, tr = _bcubed_of(gold, pred, title_only)
        sec.rows.append(
            ("story B-cubed P / R, title-only articles", f"{tp:.3f} / {tr:.3f}", "", str(sum(title_only)))
        )
    if ours_tune:
        sec.rows.append(("story B-cubed P / R / F1, tuning days", prf3(ours_tune), "", str(len(tune))))
    sec.figures = {
        "articles": len(items),
        "days": sorted({str(i.row.get("day")) for i in items}),
        "gold_stories": len(set(gold)),
        "gold_groups": sum(1 for g in set(gold) if gold.count(g) > 1),
        "title_only": sum(title_only),
        "ours": _prf3(ours) if ours else None,
        "ours_tuning_days": _prf3(ours_tune) if ours_tune else None,
        "tfidf_threshold": threshold,
        "baselines": {label: _prf3(fig) for label, fig in baselines.items()},
    }
    if ours:
        by_pred: dict[Hashable, list[int]] = defaultdict(list)
        for i, p in enumerate(pred):
            by_pred[p].append(i)
        for members in by_pred.values():
            stories = {gold[i] for i in members}
            if len(stories) > 1:
                sec.errors.append("MERGED " + " + ".join(sorted(stories)))
                sec.errors.extend(f"    {gold[i]}: {_ref(items[i])}" for i in members)
        by_gold: dict[str, set[Hashable]] = defaultdict(set)
        for i, g in enumerate(gold):
            by_gold[g].add(pred[i])
        for g, ps in sorted(by_gold.items()):
            if len(ps) > 1:
                sec.errors.append(f"SPLIT {g} into {len(ps)} stories")
                sec.errors.extend(
                    f"    [{ps_id}] {_ref(items[i])}"
                    for ps_id, i in sorted(
                        ((str(pred[i]), i) for i in range(len(items)) if gold[i] == g), key=str
                    )
                )
    return sec


def sentence_key(text: str) -> str:
    """How a judged sentence is referred to: a short hash of its letters and digits (never its text)."""
    from briefings.digest.summary import _squeeze

    return sha1_prefix(_squeeze(text))


def first_sentence_baseline(digest: Digest, texts: Sequence[Text]) -> str | None:
    """The first sentence (Kiwi's split, byline removed) of the story's article with the longest lead."""
    from briefings.digest.summary import clean_sentence

    with_lead = [t for t in texts if t.body.strip()]
    if not with_lead:
        return None
    longest = max(with_lead, key=lambda t: len(t.body))
    sentences = digest.nlp.kiwi.split_into_sents(longest.body[:600])
    return clean_sentence(sentences[0].text) if sentences else None


def well_formed(summary: str, titles: Sequence[str]) -> bool:
    """A whole sentence, no byline or photo credit, not a headline of the story."""
    from briefings.digest.summary import _BOILERPLATE, _BYLINE, repeats_headline

    if not summary.rstrip("”’\"')").endswith(("다.", ".", "?", "!")):
        return False
    if _BYLINE.match(summary) or _BOILERPLATE.search(summary):
        return False
    return not any(repeats_headline(summary, t) for t in titles)


def eval_summaries(digest: Digest | None, loaded: Loaded) -> Section:
    """Summaries of the held-out gold stories, against the sentences judged to do (summaries.jsonl)."""
    sec = Section("summaries")
    if digest is None:
        return sec
    from briefings.digest.summary import summary_sentences

    items = _split_items(loaded, HELD_OUT)
    analyses = digest.fresh().analyze(digest.inputs([i.text for i in items]))
    members: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        members[str(item.row["story"])].append(k)
    judged = {r["story"]: set(r["good"]) for r in load_rows("summaries.jsonl")}
    ours_ok = base_ok = n = 0
    formed = total = empty = no_lead = 0
    for story, ks in sorted(members.items()):
        texts = [items[k].text for k in ks]
        titles = [t.title for t in texts]
        chosen = summary_sentences([analyses[k].sentences for k in ks], titles)
        ours = " ".join(s.text for s in chosen) if chosen else None
        # A two-sentence summary is judged by its first sentence (the second continues it).
        first = chosen[0].text if chosen else None
        if not any(t.body.strip() for t in texts):
            no_lead += 1
            empty += ours is None
            continue
        if ours is not None:
            total += 1
            formed += well_formed(ours, titles)
        good = judged.get(story)
        if good is None:
            continue
        n += 1
        base = first_sentence_baseline(digest, texts)
        ours_ok += first is not None and sentence_key(first) in good
        base_ok += base is not None and sentence_key(base) in good
        if first is None or sentence_key(first) not in good:
            sec.errors.append(f"SUMMARY {story}: {ours}")
    acc_o = ours_ok / n if n else None
    acc_b = base_ok / n if n else None
    sec.rows.append(("summary judged good (held-out stories)", _fmt(acc_o), _fmt(acc_b), str(n)))
    sec.rows.append(
        (
            "summary well-formed (all held-out stories with a lead)",
            _fmt(formed / total if total else None),
            "",
            str(total),
        )
    )
    sec.rows.append(("no summary for stories without a lead", f"{empty}/{no_lead}", "", str(no_lead)))
    sec.figures = {
        "judged_stories": n,
        "ours_good": _r4(acc_o) if acc_o is not None else None,
        "baseline_first_sentence_good": _r4(acc_b) if acc_b is not None else None,
        "well_formed": _r4(formed / total) if total else None,
        "stories_with_summary": total,
        "title_only_stories": no_lead,
        "title_only_without_summary": empty,
    }
    return sec


def eval_follow_ups(digest: Digest | None, loaded: Loaded) -> Section:
    """Links from later stories to the earlier story they develop, on the gold stories of all four
    days; scored on the labelled pairs whose later story starts on a held-out day (and, apart, on the
    tuning days)."""
    sec = Section("follow-ups")
    if digest is None:
        return sec
    from briefings.digest.follow_ups import StoryDigest, follow_up_links
    from briefings.digest.pipeline import story_article

    items = sorted(loaded.items, key=lambda i: (i.text.published or "", i.text.loc))
    inputs = digest.inputs([i.text for i in items])
    analyses = digest.fresh().analyze(inputs)
    members: dict[str, list[Any]] = defaultdict(list)
    first_day: dict[str, str] = {}
    split_of: dict[str, str] = {}
    for item, inp, analysis in zip(items, inputs, analyses, strict=True):
        story = str(item.row["story"])
        members[story].append(story_article(inp, analysis))
        day = str(item.row["day"])
        if story not in first_day or day < first_day[story]:
            first_day[story], split_of[story] = day, str(item.row.get("split", HELD_OUT))
    digests = [StoryDigest(k, tuple(v)) for k, v in members.items()]
    ours = follow_up_links(digests)
    base = _company_follow_ups(digests)
    # Every labelled pair counts, the same-day ones too: the linker links a story to one 6 hours older
    # on the same day as well, and a wrong same-day link shows in a briefing like any other.
    pairs = {
        (str(r["story"]), str(r["follow_up_of"]))
        for r in load_rows("follow_ups.jsonl")
        if str(r["story"]) in first_day and str(r["follow_up_of"]) in first_day
    }
    for split in (HELD_OUT, TUNE):
        gold = {p for p in pairs if split_of.get(p[0]) == split}
        for label, links in (("ours", ours), ("baseline", base)):
            pred = {(b, a) for b, a in links.items() if split_of.get(b) == split}
            m = PRF(len(gold & pred), len(pred - gold), len(gold - pred))
            sec.figures[f"{split}_{label}"] = m.as_dict()
            if label == "ours":
                mark = "" if split == HELD_OUT else "[tune] "
                sec.errors += [f"{mark}FOLLOW-UP not labelled: {b} -> {a}" for b, a in sorted(pred - gold)]
                sec.errors += [f"{mark}FOLLOW-UP missed: {b} -> {a}" for b, a in sorted(gold - pred)]
        o, b = sec.figures[f"{split}_ours"], sec.figures[f"{split}_baseline"]
        name = "held-out" if split == HELD_OUT else "tuning"
        sec.rows.append(
            (
                f"follow-up links P / R ({name} days, labelled pairs)",
                f"{o['precision']:.3f} / {o['recall']:.3f}",
                f"{b['precision']:.3f} / {b['recall']:.3f}",
                str(len(gold)),
            )
        )
    sec.notes.append(
        "follow-up pairs are few and not exhaustively labelled: an unlabelled link counts as wrong"
    )
    return sec


def _company_follow_ups(digests: Sequence[Any]) -> dict[Hashable, Hashable]:
    """Baseline: a story follows the latest story of an earlier day (6 h to 4 days) sharing a company."""
    out: dict[Hashable, Hashable] = {}
    ordered = sorted(digests, key=lambda d: d.first)
    for i, later in enumerate(ordered):
        for earlier in reversed(ordered[:i]):
            gap = later.first - earlier.last
            if 6 * 3600 <= gap <= 4 * 86400 and later.companies & earlier.companies:
                out[later.key] = earlier.key
                break
    return out


# The keyword baseline of the theme figures: a handful of obvious words per theme, in headline or lead.
THEME_KEYWORDS: dict[str, tuple[str, ...]] = {
    "ai": ("AI", "인공지능"),
    "aiot": ("IoT", "사물인터넷"),
    "semiconductor": ("반도체", "D램", "HBM", "파운드리"),
    "telecom": ("5G", "6G", "통신"),
    "cloud": ("클라우드",),
    "sanctions": ("제재", "과징금", "규제", "수출통제"),
    "investment": ("투자", "IPO", "상장"),
    "earnings": ("실적", "영업이익", "영업익", "매출"),
    "alliance": ("MOU", "업무협약", "협약", "제휴", "파트너십", "맞손"),
    "mna": ("인수", "합병", "M&A", "지분"),
    "people": ("선임", "임명", "사임", "인사", "사직"),
    "litigation": ("소송", "재판", "판결", "1심", "대법", "가압류"),
    "launch": ("출시", "공개", "선보"),
    "security": ("해킹", "보안", "개인정보", "유출"),
}


def keyword_themes(text: Text) -> set[str]:
    where = f"{text.title}\n{text.body[:300]}"
    return {slug for slug, words in THEME_KEYWORDS.items() if any(w in where for w in words)}


def _theme_figures(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> dict[str, Any]:
    per = {}
    for slug in THEME_KEYWORDS:
        g = [{slug} & x for x in gold]
        p_ = [{slug} & x for x in pred]
        support = sum(1 for x in g if x)
        if support:
            per[slug] = {"support": support, "f1": _r4(prf(g, p_).f1)}
    return {"micro": prf(gold, pred).as_dict(), "per_theme": per}


# Days of theme_items.jsonl: tuning items drawn from days other than the stories' four.
OTHER_DAYS = "other-days"


def theme_labelled(stories: Loaded, others: Loaded) -> dict[str, tuple[list[Item], list[set[str]]]]:
    """The RSS articles with gold themes, by split: the stories' articles carry their story's themes
    (story_themes.jsonl; `heldout`, `tune`), the other days' items their own (theme_items.jsonl)."""
    labels = {r["story"]: set(r["themes"]) for r in load_rows("story_themes.jsonl")}
    out: dict[str, tuple[list[Item], list[set[str]]]] = {}
    for split in (HELD_OUT, TUNE):
        items = _split_items(stories, split)
        out[split] = (items, [labels.get(str(i.row["story"]), set()) for i in items])
    out[OTHER_DAYS] = (others.items, [set(i.row["themes"]) for i in others.items])
    return out


def _prf_cell(m: dict[str, Any]) -> str:
    return f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}"


def _lowest_theme(figures: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    big = {k: v for k, v in figures["per_theme"].items() if v["support"] >= 10}
    return min(big.items(), key=lambda kv: kv[1]["f1"]) if big else None


def eval_story_themes(digest: Digest | None, stories: Loaded, others: Loaded) -> Section:
    """Themes of the RSS articles, two ways: each article by its own themes, and each article by the
    themes of the story the digester put it in (its own grouping of the day: what briefings, `/news`
    and theme filters show). The held-out days are reported; the tuning days and the tuning items of
    other days are shown alongside (the rules were tuned on them). The other days' items are single
    articles drawn without their stories, so each is scored as a one-article story."""
    sec = Section("themes (RSS held-out days)")
    for split, (items, gold) in theme_labelled(stories, others).items():
        base = [keyword_themes(i.text) for i in items]
        ours: list[set[str]] | None = None
        story: list[set[str]] | None = None
        if digest:
            if split == OTHER_DAYS:
                from briefings.digest.themes import story_themes

                ours = digest.themes([i.text for i in items])
                story = [set(story_themes([[(t, 1.0) for t in sorted(o)]])) for o in ours]
            else:
                ours, story = digest.story_themes([i.text for i in items])
        n = str(len(items))
        k = _theme_figures(gold, base)
        if split != HELD_OUT:
            if ours is not None and story is not None:
                t, st = _theme_figures(gold, ours)["micro"], _theme_figures(gold, story)
                what = "tuning days" if split == TUNE else "tuning items, other days"
                key = "tuning" if split == TUNE else "other_days"
                sec.figures[key] = {"ours": st["micro"], "per_article": t, "keywords": k["micro"]}
                sec.figures[key + "_per_theme"] = st["per_theme"]
                sec.rows.append((f"theme P / R / F1, story themes ({what})", _prf_cell(st["micro"]), "", n))
                sec.rows.append(
                    (f"theme P / R / F1, each article's own ({what})", _prf_cell(t), _prf_cell(k["micro"]), n)
                )
        else:
            o = _theme_figures(gold, story) if story is not None else None
            a = _theme_figures(gold, ours) if ours is not None else None
            sec.figures["keywords"] = k
            if o and a:
                sec.figures["ours"], sec.figures["per_article"] = o, a
            for metric in ("precision", "recall", "f1"):
                sec.rows.append(
                    (
                        f"theme {metric} (micro, held-out RSS articles, story themes)",
                        _fmt(o["micro"][metric]) if o else "—",
                        _fmt(k["micro"][metric]),
                        n,
                    )
                )
            if o and a:
                sec.rows.append(
                    ("theme P / R / F1, each article's own (held-out)", _prf_cell(a["micro"]), "", n)
                )
                for label, fig in (("story themes", o), ("each article's own", a)):
                    worst = _lowest_theme(fig)
                    if worst:
                        sec.rows.append(
                            (
                                f"lowest theme F1 with ≥ 10 examples, {label} ({worst[0]})",
                                _fmt(worst[1]["f1"]),
                                "",
                                str(worst[1]["support"]),
                            )
                        )
                for slug, v in o["per_theme"].items():
                    sec.rows.append(
                        (
                            f"  {slug} F1, story themes (each article's own)",
                            f"{v['f1']:.3f} ({a['per_theme'][slug]['f1']:.3f})",
                            _fmt(k["per_theme"][slug]["f1"]),
                            str(v["support"]),
                        )
                    )
        mark = {HELD_OUT: "", TUNE: "[tune] ", OTHER_DAYS: "[tune, other days] "}[split]
        for item, g, p_ in zip(items, gold, story or [], strict=False):
            if g != p_:
                extra, missing = ",".join(sorted(p_ - g)) or "-", ",".join(sorted(g - p_)) or "-"
                sec.errors.append(f"{mark}+{extra} -{missing}  {_ref(item)}")
    return sec


def _r4(x: float) -> float:
    return round(x, 4)


def eval_themes(digest: Digest | None, loaded: Loaded) -> Section:
    sec = Section("themes")
    items = loaded.items
    gold = [set(i.row["themes"]) for i in items]
    pred: list[set[str]] | None = None
    if digest:
        try:
            pred = digest.themes([i.text for i in items])
        except Unavailable as exc:
            sec.notes.append(str(exc))
    m = prf(gold, pred) if pred is not None else None
    exact = exact_agreement(gold, pred) if pred is not None else None
    for metric in ("precision", "recall", "f1"):
        sec.rows.append(
            (f"theme {metric} (micro)", _fmt(getattr(m, metric) if m else None), "", str(len(items)))
        )
    sec.rows.append(("theme exact-set agreement", _fmt(exact), "", str(len(items))))
    sec.figures = {"items": len(items), "ours": m.as_dict() if m else None, "exact_agreement": exact}
    if pred is not None:
        for item, p in zip(items, pred, strict=True):
            g = set(item.row["themes"])
            if p != g:
                extra = ",".join(sorted(p - g)) or "-"
                missing = ",".join(sorted(g - p)) or "-"
                sec.errors.append(f"+{extra} -{missing}  {_ref(item)}")
    return sec


# --- report -------------------------------------------------------------------------------------


def run(root: Path | None = None) -> tuple[list[Section], dict[str, Any]]:
    corpus_root(root)
    companies = load("companies.jsonl", root)
    stories = load("stories.jsonl", root)
    themes = load("themes.jsonl", root)
    theme_items = load("theme_items.jsonl", root)
    digest: Digest | None
    notes: list[str] = []
    try:
        digest = Digest()
    except Unavailable as exc:
        digest = None
        notes.append(str(exc))
    sections = [
        eval_companies(digest, companies),
        eval_stories(digest, stories),
        eval_themes(digest, themes),
        eval_summaries(digest, stories),
        eval_follow_ups(digest, stories),
        eval_story_themes(digest, stories, theme_items),
    ]
    drift = companies.drift + stories.drift + themes.drift + theme_items.drift
    summary: dict[str, Any] = {
        "companies": sections[0].figures,
        "stories": sections[1].figures,
        "themes": sections[2].figures,
        "summaries": sections[3].figures,
        "follow_ups": sections[4].figures,
        "story_themes": sections[5].figures,
        "drift": drift,
        "notes": notes + [n for s in sections for n in s.notes],
        "goals": GOALS,
    }
    return sections, summary


def render(sections: Sequence[Section], summary: dict[str, Any], *, errors: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=132)
    table = Table(title="Briefings digester — development set", show_lines=False)
    table.add_column("metric")
    table.add_column("ours", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("n", justify="right")
    for sec in sections:
        for row in sec.rows:
            table.add_row(*row)
        table.add_section()
    console.print(table)
    console.print(
        "baseline: companies = substring search over the same registry; "
        "stories = every article alone / same 8-character headline prefix / TF-IDF single link "
        "with its threshold tuned on the tuning days."
    )
    goals = summary["goals"]
    allc = summary["companies"]["all"]["ours"]
    if allc:
        ok = allc["f1"] >= goals["company_f1"] and allc["precision"] >= goals["company_precision"]
        console.print(
            f"goal company F1 ≥ {goals['company_f1']} with precision ≥ {goals['company_precision']}: "
            + ("[green]met[/green]" if ok else "[red]not met[/red]")
        )
    st = summary["stories"]["ours"]
    if st:
        ok = st["f1"] >= goals["story_bcubed_f1"] and st["precision"] >= goals["story_bcubed_precision"]
        console.print(
            f"goal story B-cubed F1 ≥ {goals['story_bcubed_f1']} with precision ≥ "
            f"{goals['story_bcubed_precision']} on the held-out days: "
            + ("[green]met[/green]" if ok else "[red]not met[/red]")
        )
    th = summary["story_themes"].get("ours")
    if th:
        low = [k for k, v in th["per_theme"].items() if v["support"] >= 10 and v["f1"] < 0.7]
        ok = th["micro"]["f1"] >= goals["theme_micro_f1"] and not low
        console.print(
            f"goal theme micro F1 ≥ {goals['theme_micro_f1']} on the held-out days, no theme with ≥ 10 "
            "examples below 0.7: "
            + ("[green]met[/green]" if ok else f"[red]not met[/red] (below 0.7: {', '.join(low) or 'none'})")
        )
    for note in summary["notes"]:
        console.print(f"[yellow]not measured:[/yellow] {note}")
    if summary["drift"]:
        console.print(f"[red]{len(summary['drift'])} references no longer match the corpus:[/red]")
        for d in summary["drift"]:
            console.print(f"  {d}", markup=False)
    if errors:
        for sec in sections:
            if sec.errors:
                console.rule(f"{sec.name}: {len(sec.errors)} errors")
                for line in sec.errors:
                    console.print(line, markup=False, highlight=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--errors", action="store_true", help="list false positives/negatives")
    parser.add_argument("--corpus", type=Path, default=None, help="the shared corpus folder")
    args = parser.parse_args(argv)
    try:
        sections, summary = run(args.corpus)
    except CorpusMissing as exc:
        print(f"평가를 건너뜁니다: {exc}", file=sys.stderr)
        return 2
    if args.json:
        if args.errors:
            summary["errors"] = {s.name: s.errors for s in sections}
        print(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        render(sections, summary, errors=args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
