"""What two headlines share beyond words: numbers, the subject before the comma, the kind of report.

Word similarity cannot tell two firms' early payments to suppliers apart ("한화그룹, 설 앞두고 협력사 대금
1790억원 조기 지급" / "홈앤쇼핑, 설 앞두고 250억원 규모 협력사 대금 조기 지급"), nor Korea's and America's
January jobs figures, nor a company's earnings from its shares jumping on them. Headlines carry the
evidence that does: the amounts and percentages they report, the subject they open with, and whether they
report a share-price move. Each signal here is a pure function of two headlines and returns how much the
similarity needed to join should move (negative = easier, positive = harder); stories.py adds them up.

What a headline says is read once (`headline_signals`) and kept with its article while the article is
in the window, so comparing two headlines compares a few prepared values and nothing outlives the
window. The comparisons also take plain headlines, read on the spot.

Only headlines are read: they are all a title-only outlet gives, and a story rebuilt from the database
keeps its articles' headlines.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass

# --- numbers -----------------------------------------------------------------------------------------

_BIG = {"만": 10**4, "억": 10**8, "조": 10**12}
_SMALL = {"천": 1000, "백": 100, "십": 10}
# A number written the Korean way: digits with 천/백 and 만/억/조 groups (1조6810억, 10만8천, 2천억).
_NUMBER = re.compile(r"(?<![\d.])(?:\d[\d,]*(?:\.\d+)?\s?[천백십]?\s?[만억조]?\s?)+")
_GROUP = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s?([천백십]?)\s?([만억조]?)")
# What the number counts. Dates, durations and ordinals (1월, 13개월, 9년 연속, 3위) are left out on
# purpose: one story's headlines mix them freely ("21개월째" / "13개월 만에").
_UNITS = (
    ("money", ("원", "달러", "유로", "엔", "위안", "불")),
    ("percent", ("%", "％", "퍼센트", "%p", "bp")),
    ("count", ("명", "개", "건", "곳", "가구", "대", "척", "셀", "주", "톤", "채")),
    ("level", ("선", "포인트", "p")),
)


@dataclass(frozen=True, slots=True)
class Quantity:
    kind: str
    value: float
    round: bool  # few significant digits: "4천억", "13만명", "10%" may stand for 4083억, 13만개, 10.1%


def _parse_number(text: str) -> tuple[float, bool] | None:
    total = 0.0
    current = 0.0
    for num, small, big in _GROUP.findall(text):
        n = float(num.replace(",", ""))
        if small:
            n *= _SMALL[small]
        if big:
            total += (current + n) * _BIG[big]
            current = 0.0
        else:
            current += n
    value = total + current
    if value <= 0:
        return None
    significant = f"{value:.8g}".replace(".", "").split("e")[0].strip("0")
    return value, len(significant) <= 2


# Durations and ordinals that begin like a unit ("21개월째", "10주년", "3세대").
_NOT_UNITS = ("개월", "개국", "주년", "주일", "주간", "주차", "대비", "대로", "대표", "대회", "세대")


def _unit_kind(rest: str, has_big: bool) -> str | None:
    if rest.startswith(_NOT_UNITS):
        return None
    if has_big and rest.startswith("대"):  # "7000억대": a range of money, not seven thousand things
        return "money"
    for kind, units in _UNITS:
        for unit in units:
            if rest.startswith(unit):
                if kind == "level" and unit == "p" and rest[1:2].isalpha():
                    continue
                return kind
    # "4083억 과징금", "1790억 조기 지급": large amounts without a unit are money in economic headlines.
    return "money" if has_big else None


def headline_numbers(title: str) -> frozenset[Quantity]:
    """The amounts, percentages, counts and index levels a headline reports."""
    text = unicodedata.normalize("NFKC", title)
    out: set[Quantity] = set()
    for m in _NUMBER.finditer(text):
        span = m.group(0).rstrip()
        parsed = _parse_number(span)
        if parsed is None:
            continue
        rest = text[m.start() + len(span) :].lstrip()
        kind = _unit_kind(rest, any(b in span for b in _BIG))
        if kind is None:
            continue
        value, is_round = parsed
        out.add(Quantity(kind, value, is_round))
    return frozenset(out)


def _kinds(quantities: tuple[Quantity, ...]) -> set[str]:
    return {q.kind for q in quantities}


def _compatible(a: Quantity, b: Quantity) -> bool:
    if a.kind != b.kind:
        return False
    big, small = max(a.value, b.value), min(a.value, b.value)
    gap = (big - small) / big
    if gap <= 0.005:
        return True
    # A round figure stands for the precise one near it ("4천억" for 4083억, "10%" for 10.1%).
    return (a.round or b.round) and gap <= 0.1


def numbers_agree(a: str | HeadlineSignals, b: str | HeadlineSignals) -> int:
    """+1 when the headlines report a common figure, -1 when they report figures of a kind and none
    of them match, 0 when the numbers say nothing (one side has none, or they count different things)."""
    return _numbers(_signals(a), _signals(b))


def _numbers(a: HeadlineSignals, b: HeadlineSignals) -> int:
    qa, qb = a.numbers, b.numbers
    if not (qa and qb) or not (_kinds(qa) & _kinds(qb)):
        return 0
    if any(_compatible(x, y) for x in qa for y in qb):
        return 1
    return -1


# --- the headline's subject ---------------------------------------------------------------------------

_LEADING_TAGS = re.compile(r"^(?:\s*(?:\[[^\]]{1,15}\]|【[^】]{1,15}】|<[^>]{1,15}>|\([^)]{1,10}\)))+\s*")
_LEADING_QUOTE = re.compile(r"^\s*[\"“‘'][^\"”’']{1,40}[\"”’']\s*(?:…|\.\.\.)?\s*")
# "삼성화재, …" / "한화-KAI, …": a short subject closed by a comma.
_SUBJECT = re.compile(r"^([^,，…\"“”‘’'\[\]()]{2,24}?)\s*[,，]\s")
_SPLIT_SUBJECT = re.compile(r"[\s·\-–/&]+|(?<=[가-힣A-Za-z])(?:와|과|and)(?=\s)")


def headline_subject(title: str) -> str | None:
    """What a headline of the "Subject, what it did" form is about, or None for other headlines."""
    text = unicodedata.normalize("NFKC", title)
    text = _LEADING_TAGS.sub("", text)
    text = _LEADING_QUOTE.sub("", text)
    m = _SUBJECT.match(text)
    if not m:
        return None
    subject = m.group(1).strip()
    # A clause ("코스피 5500 돌파,") is not a subject: subjects are a name or two, not a sentence.
    if len(subject.split()) > 2:
        return None
    return subject


def _bigrams(text: str) -> set[str]:
    squeezed = "".join(ch for ch in text.casefold() if ch.isalnum())
    return {squeezed[i : i + 2] for i in range(len(squeezed) - 1)} or ({squeezed} if squeezed else set())


def _squeeze(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _named_in(subject_words: tuple[str, ...], squeezed_title: str) -> bool:
    """Whether a word of the subject appears anywhere in the other headline (as the object, say)."""
    return any(w in squeezed_title for w in subject_words)


def subjects_agree(a: str | HeadlineSignals, b: str | HeadlineSignals) -> int:
    """-1 when both headlines open with a subject, the two share not a single character pair
    (파주시 / 충남도, 삼성화재 / 유명순 한국씨티은행장) and neither is named in the other headline
    ("금감원, 카카오뱅크 …" / "카카오뱅크, … 금감원 제재" is one story told from two sides);
    +1 when they open with the same subject; else 0."""
    return _subjects(_signals(a), _signals(b))


def _subjects(sa: HeadlineSignals, sb: HeadlineSignals) -> int:
    ga, gb = sa.subject_pairs, sb.subject_pairs
    if ga is None or gb is None:
        return 0
    if ga == gb:
        return 1
    if ga & gb or _named_in(sa.subject_words, sb.squeezed) or _named_in(sb.subject_words, sa.squeezed):
        return 0
    return -1


# --- the kind of report -------------------------------------------------------------------------------

_MARKET_MOVE = re.compile(
    r"특징주|급등|급락|강세|약세|상한가|하한가|신고가|신저가|주가\s*(?:상승|하락|반등|급)"
)
# Index, currency and commodity moves are market milestones of their own kind, not one stock's move.
_MARKET_SUBJECT = re.compile(
    r"코스피|코스닥|증시|지수|환율|나스닥|다우|S&P|니케이|상하이|달러|원화|엔화|금값|유가"
)


def reports_share_move(title: str) -> bool:
    """A headline about one stock's price move ("[특징주] …", "… 12%대 강세"), not about a market index."""
    text = unicodedata.normalize("NFKC", title)
    return bool(_MARKET_MOVE.search(text)) and not _MARKET_SUBJECT.search(text)


def kinds_agree(a: str | HeadlineSignals, b: str | HeadlineSignals) -> int:
    """-1 when one headline reports a share-price move and the other does not: the move on an
    announcement is a market event of its own, not the announcement."""
    return _kind(_signals(a), _signals(b))


def _kind(a: HeadlineSignals, b: HeadlineSignals) -> int:
    return -1 if a.share_move != b.share_move else 0


# --- read once per headline ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeadlineSignals:
    """What the comparisons above need of one headline, read once (small: kept per open article)."""

    numbers: tuple[Quantity, ...] = ()
    # Character pairs of the "Subject," opening (None: no such opening) and its words of 2+ characters.
    subject_pairs: frozenset[str] | None = None
    subject_words: tuple[str, ...] = ()
    squeezed: str = ""  # the headline's letters and digits, casefolded (where another subject is named)
    share_move: bool = False


NO_SIGNALS = HeadlineSignals()


def headline_signals(title: str) -> HeadlineSignals:
    """Read a headline's numbers, subject and kind of report once."""
    if not title:
        return NO_SIGNALS
    numbers = tuple(sorted(headline_numbers(title), key=lambda q: (q.kind, q.value, q.round)))
    subject = headline_subject(title)
    share_move = reports_share_move(title)
    if subject is None:
        if not numbers and not share_move:
            return NO_SIGNALS
        return HeadlineSignals(numbers, share_move=share_move)
    words = tuple(sys.intern(w) for w in map(_squeeze, subject.split()) if len(w) >= 2)
    pairs = frozenset(sys.intern(p) for p in _bigrams(subject))
    return HeadlineSignals(numbers, pairs, words, _squeeze(title), share_move)


def _signals(headline: str | HeadlineSignals) -> HeadlineSignals:
    return headline if isinstance(headline, HeadlineSignals) else headline_signals(headline)


# --- together -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignalWeights:
    """How far each signal moves the similarity a pair of articles needs (tuned on the tuning days)."""

    number_match: float = -0.1
    number_conflict: float = 0.3
    subject_match: float = -0.05
    subject_conflict: float = 0.2
    kind_conflict: float = 0.3
    # Articles of one story come out within hours of each other; a wide gap asks for more similarity.
    per_hour: float = 0.01
    max_gap: float = 0.15


DEFAULT_SIGNALS = SignalWeights()


def gap_adjustment(hours: float | None, weights: SignalWeights = DEFAULT_SIGNALS) -> float:
    """More similarity needed the further apart two articles were published (unknown time: none)."""
    if hours is None:
        return 0.0
    return min(weights.max_gap, abs(hours) * weights.per_hour)


def pair_adjustment(
    a: str | HeadlineSignals,
    b: str | HeadlineSignals,
    weights: SignalWeights = DEFAULT_SIGNALS,
    *,
    share_company: bool = False,
) -> float:
    """The change to the similarity two headlines need to be one story (sum of the signals).

    Articles about a common company may open with different names of it (카뱅 / 카카오뱅크), so their
    subjects are not held against them.
    """
    a, b = _signals(a), _signals(b)
    if a is NO_SIGNALS and b is NO_SIGNALS:  # most pairs: neither headline has anything to say
        return 0.0
    n = _numbers(a, b)
    s = _subjects(a, b)
    if share_company and s < 0:
        s = 0
    out = 0.0
    if n > 0:
        out += weights.number_match
    elif n < 0:
        out += weights.number_conflict
    if s > 0:
        out += weights.subject_match
    elif s < 0:
        out += weights.subject_conflict
    if _kind(a, b) < 0:
        out += weights.kind_conflict
    return out
