"""Resolve development-set references to texts of ../shared/corpus at run time.

The corpus texts are licensed for internal testing only, so the development set stores references
(a corpus file and a locator) plus a short sha1 of the referenced text, never the text itself.
Locators:
  row:<index>        a row of a ynat-dacon-headlines TSV, by its `index` column (title only)
  guid:<guid>        a klue-ner sentence, inline <span:TAG> markup removed (body only)
  url:<link>         a knews-rss JSON item by its link (title + HTML summary turned into text), or a
                     tera-rss JSON-lines item by its url (title + lead; the row's `line` is a hint)
  chars:<start>+<n>  a slice of the one-line soynlp news file (body only)
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

_KLUE_SPAN = re.compile(r"<([^<>:]+):(?:PS|LC|OG|DT|TI|QT)>")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(?:br|/p|p|/div|div)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")


class CorpusMissing(RuntimeError):
    """The shared corpus is not next to the repository."""


@dataclass(frozen=True)
class Text:
    """One resolved item: what the digester is given, plus the raw form the checksum covers."""

    file: str
    loc: str
    title: str
    body: str
    raw: str
    published: str | None = None
    outlet: str | None = None

    @property
    def sha1(self) -> str:
        return sha1_prefix(self.raw)


def sha1_prefix(raw: str, n: int = 10) -> str:
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:n]


def html_to_text(fragment: str) -> str:
    """Feed summaries are HTML; keep paragraph breaks, drop tags and entities (twice-escaped too)."""
    text = _BREAK.sub("\n", fragment)
    text = _TAG.sub(" ", text)
    text = html.unescape(html.unescape(text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def corpus_root(root: Path | None = None) -> Path:
    path = root or CORPUS
    if not path.is_dir():
        raise CorpusMissing(f"말뭉치가 없습니다: {path} (../shared/corpus 가 있어야 평가할 수 있습니다)")
    return path


@cache
def _tsv_rows(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return {row[0]: row[1] for row in reader if len(row) >= 2}


@cache
def _klue_sentences(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") and "\t" in line:
            guid, sentence = line[3:].split("\t", 1)
            out.setdefault(guid, sentence)
    return out


@cache
def _knews_items(path: Path) -> dict[str, dict[str, object]]:
    items: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, object]] = {}
    for item in items:
        out.setdefault(str(item["url"]), item)
    return out


@cache
def _jsonl_items(path: Path) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            out.setdefault(str(item["url"]), item)
    return out


def _kst(stamp: str) -> str:
    """tera-rss dates are Korean wall-clock times written with a wrong "Z": read them as KST."""
    return stamp.removesuffix("Z").removesuffix(".000") + "+09:00"


@cache
def _whole(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def resolve(file: str, loc: str, root: Path | None = None) -> Text:
    """The text a reference points at; KeyError when the locator is not in the file."""
    path = corpus_root(root) / file
    kind, _, key = loc.partition(":")
    if kind == "row":
        title = _tsv_rows(path)[key]
        return Text(file, loc, title=title, body="", raw=title)
    if kind == "guid":
        marked = _klue_sentences(path)[key]
        return Text(file, loc, title="", body=_KLUE_SPAN.sub(r"\1", marked), raw=marked)
    if kind == "url" and path.suffix == ".jsonl":
        row = _jsonl_items(path)[key]
        raw_title, lead = str(row["title"]), str(row.get("lead") or "")
        return Text(
            file,
            loc,
            title=html.unescape(html.unescape(raw_title)).strip(),
            body=html_to_text(lead),
            raw=raw_title + "\n" + lead,
            published=_kst(str(row["date_as_given"])),
            outlet=str(row["outlet"]),
        )
    if kind == "url":
        item = _knews_items(path)[key]
        raw_title, raw_body = str(item["title"]), str(item.get("partialText") or "")
        spec = item.get("spec")
        outlet = None
        if isinstance(spec, dict):
            outlet = str(spec["publisher"]["name"])
        return Text(
            file,
            loc,
            title=html.unescape(html.unescape(raw_title)).strip(),
            body=html_to_text(raw_body),
            raw=raw_title + "\n" + raw_body,
            published=str(item.get("date")),
            outlet=outlet,
        )
    if kind == "chars":
        start, _, length = key.partition("+")
        piece = _whole(path)[int(start) : int(start) + int(length)]
        if len(piece) != int(length):
            raise KeyError(loc)
        return Text(file, loc, title="", body=piece, raw=piece)
    raise ValueError(f"unknown locator kind: {loc}")
