"""What two headlines share beyond words: numbers, the subject before the comma, the kind of report,
the names they quote, and whether one outlet is telling one story twice.

Word similarity cannot tell two firms' early payments to suppliers apart ("한화그룹, 설 앞두고 협력사 대금
1790억원 조기 지급" / "홈앤쇼핑, 설 앞두고 250억원 규모 협력사 대금 조기 지급"), nor Korea's and America's
January jobs figures, nor a company's earnings from its shares jumping on them. Headlines carry the
evidence that does: the amounts and percentages they report, the subject they open with, whether they
report a share-price move, and the product or campaign they name in quotes ('바로담는간편건강보험',
‘K파바’). The outlet is evidence too: one outlet rarely runs the same story twice in a day, except as
the web and print versions of one article (near-identical headlines) or as a breaking item and its
update ([속보] … / … (종합)). Each signal here is a pure function of two headlines (the outlet's also of
the hours between them) and returns how much the similarity needed to join should move (negative =
easier, positive = harder); stories.py adds them up.

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
from itertools import pairwise

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


# --- quoted names -------------------------------------------------------------------------------------

# A span in quotes: straight or curly, single or double (feeds mix them: ‘청소년 불법도박 근절'), or
# the corner and angle brackets of titles (「…」, 『…』, 《…》).
_QUOTED = re.compile(
    r"[\"“”]([^\"“”]{1,60})[\"“”]|['‘’]([^'‘’]{1,60})['‘’]|「([^」]{1,60})」|『([^』]{1,60})』|《([^》]{1,60})》"
)
# Longer quoted spans are sayings ("낭떠러지에 선 절박한 상황…"), which two outlets quote in their own
# words, and so is a span with a sentence's punctuation ("이게 뭔지 맞춰보실 분?"): only a short span
# of a few words is taken for a name.
MAX_NAME = 12
MAX_NAME_WORDS = 3
_SAYING = re.compile(r"[?!.,…~]")
# A model code inside a name: letters and digits together (HBM4, S26, KF-21, 6G).
_CODE = re.compile(r"[a-z]+\d[a-z\d]*|\d+[a-z][a-z\d]*")


def quoted_names(title: str) -> tuple[str, ...]:
    """The short spans a headline puts in quotes (casefolded letters and digits), in order."""
    text = unicodedata.normalize("NFKC", title)
    out: list[str] = []
    for m in _QUOTED.finditer(text):
        span = next(g for g in m.groups() if g)
        if _SAYING.search(span) or len(span.split()) > MAX_NAME_WORDS:
            continue
        name = _squeeze(span)
        if 2 <= len(name) <= MAX_NAME and name not in out:
            out.append(name)
    return tuple(out)


def _same_name(x: str, y: str) -> bool:
    """One name, or one a longer form of the other ('설 맞이 무상점검' / '설맞이 무상점검 서비스'): the
    shorter must be most of the longer, so '깜짝' is not '깜짝 고백'."""
    if x == y:
        return True
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    return len(short) >= 3 and 2 * len(short) > len(long_) and short in long_


def names_agree(a: str | HeadlineSignals, b: str | HeadlineSignals) -> int:
    """+1 when the headlines quote the same name, -1 when both quote model codes and share none
    ('갤럭시 S26' / '갤럭시 S25', "HBM4" / "HBM3E"), else 0: two different names of other kinds say
    little (one actor's death notice names '태양의 신부' in one outlet, '하나뿐인 내편' in another)."""
    return _names(_signals(a), _signals(b))


def _names(a: HeadlineSignals, b: HeadlineSignals) -> int:
    if not (a.names and b.names):
        return 0
    if any(_same_name(x, y) for x in a.names for y in b.names):
        return 1
    if a.codes and b.codes and not (set(a.codes) & set(b.codes)):
        return -1
    return 0


# --- the outlet: one story twice ----------------------------------------------------------------------

# A breaking item and its update: "[속보]", "(종합)", "[상보]", "(2보)", "(종합2보)".
_UPDATE = re.compile(r"[\[(【]\s*(?:속보|종합\s*\d*보?|상보|\d보)\s*[\])】]")
# Tags that are not part of what a headline says ("[단독]", "[밀라노 코르티나 2026]", "(상보)").
_TAGS = re.compile(r"\[[^\]]{1,20}\]|【[^】]{1,20}】|\([^)]{1,10}\)|<[^>]{1,15}>")
_NOT_WORD = re.compile(r"[\W_]+")


def reports_update(title: str) -> bool:
    """A breaking item or an update of one: the outlet's own earlier report of the same story."""
    return bool(_UPDATE.search(unicodedata.normalize("NFKC", title)))


def headline_sketch(title: str) -> int:
    """The headline's character pairs (tags left out) as bits of a 128-bit int: how near two
    headlines are is then two bit counts, and a headline costs one small int to keep."""
    core = _NOT_WORD.sub("", _TAGS.sub(" ", unicodedata.normalize("NFKC", title)).casefold())
    bits = 0
    for a, b in pairwise(map(ord, core)):
        # A fixed hash (not Python's salted one): a replaying process must sketch the same bits.
        bits |= 1 << (((a << 21 | b) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF) >> 57)
    return bits


def sketch_similarity(a: int, b: int) -> float:
    """Jaccard similarity of two headline sketches (1.0: the same character pairs)."""
    union = (a | b).bit_count()
    return (a & b).bit_count() / union if union else 0.0


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
    names: tuple[str, ...] = ()  # short quoted spans, squeezed
    codes: tuple[str, ...] = ()  # model codes in them (hbm4, s26)
    # For the outlet check only (so not counted in `says`): the headline's sketch and update marker.
    sketch: int = 0
    update: bool = False
    says: bool = False  # numbers, a subject, a share move or a quoted name: anything for pair_adjustment


NO_SIGNALS = HeadlineSignals()


def headline_signals(title: str) -> HeadlineSignals:
    """Read a headline's numbers, subject, kind of report, quoted names and sketch once."""
    if not title:
        return NO_SIGNALS
    numbers = tuple(sorted(headline_numbers(title), key=lambda q: (q.kind, q.value, q.round)))
    subject = headline_subject(title)
    share_move = reports_share_move(title)
    names = tuple(sys.intern(n) for n in quoted_names(title))
    codes = tuple(sorted({c for n in names for c in _CODE.findall(n)}))
    sketch, update = headline_sketch(title), reports_update(title)
    says = bool(numbers or subject is not None or share_move or names)
    if subject is None:
        return HeadlineSignals(
            numbers, share_move=share_move, names=names, codes=codes, sketch=sketch, update=update, says=says
        )
    words = tuple(sys.intern(w) for w in map(_squeeze, subject.split()) if len(w) >= 2)
    pairs = frozenset(sys.intern(p) for p in _bigrams(subject))
    return HeadlineSignals(
        numbers, pairs, words, _squeeze(title), share_move, names, codes, sketch, update, says
    )


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
    name_match: float = -0.1
    name_conflict: float = 0.2
    # One outlet, within `outlet_hours`: a second report of one story is rare, except as versions of
    # one article (sketches at least `version_similarity` alike) or a breaking item and its update.
    outlet_repeat: float = 0.2
    outlet_version: float = 0.0
    outlet_hours: float = 24.0
    version_similarity: float = 0.6


DEFAULT_SIGNALS = SignalWeights()


def gap_adjustment(hours: float | None, weights: SignalWeights = DEFAULT_SIGNALS) -> float:
    """More similarity needed the further apart two articles were published (unknown time: none)."""
    if hours is None:
        return 0.0
    return min(weights.max_gap, abs(hours) * weights.per_hour)


def versions_of_one(
    a: str | HeadlineSignals, b: str | HeadlineSignals, weights: SignalWeights = DEFAULT_SIGNALS
) -> bool:
    """Whether two headlines of one outlet are the web and print versions of one article."""
    return sketch_similarity(_signals(a).sketch, _signals(b).sketch) >= weights.version_similarity


def outlet_adjustment(
    a: str | HeadlineSignals,
    b: str | HeadlineSignals,
    hours: float | None,
    weights: SignalWeights = DEFAULT_SIGNALS,
) -> float:
    """What two articles of one outlet need more to be one story: `outlet_repeat` within the same
    day, unless their headlines are versions of one article or one is a breaking item or update."""
    if hours is None or abs(hours) > weights.outlet_hours:
        return 0.0
    sa, sb = _signals(a), _signals(b)
    if versions_of_one(sa, sb, weights):
        return weights.outlet_version
    if sa.update or sb.update:
        return 0.0
    return weights.outlet_repeat


def pair_adjustment(
    a: str | HeadlineSignals,
    b: str | HeadlineSignals,
    weights: SignalWeights = DEFAULT_SIGNALS,
    *,
    share_company: bool = False,
) -> float:
    """The change to the similarity two headlines need to be one story (sum of the signals).

    Articles about a common company may open with different names of it (카뱅 / 카카오뱅크), so their
    subjects are not held against them. The outlet is weighed apart (`outlet_adjustment`): it is a
    property of the article, not of its headline.
    """
    a, b = _signals(a), _signals(b)
    if not (a.says or b.says):  # most pairs: neither headline has anything to say
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
    q = _names(a, b)
    # An award's or a campaign's name is quoted by each of its firms ('가장 존경받는 기업',
    # '청소년 불법도박 근절'): a common name says one story only of headlines not opening with two subjects.
    if q > 0 and s >= 0:
        out += weights.name_match
    elif q < 0:
        out += weights.name_conflict
    return out
