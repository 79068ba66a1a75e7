"""Keywords: the nouns that stand out in an article against what the news usually says.

The background is a document-frequency table that grows with every article digested in the process
(a new subject is rare at first, so it stands out the day it appears), seeded with the nouns almost
every Korean business story uses, which would otherwise win on a small background.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from briefings.digest.nlp import Morph
from briefings.digest.terms import STOP_NOUNS, topic_nouns

# Nouns of everyday business reporting: written from reading Korean economy sections, each given the
# document frequency of a word found in about one story in five.
COMMON_NOUNS = frozenset(
    " ".join(
        (
            "정부 기업 회사 시장 사업 서비스 국내 해외 글로벌 세계 한국 미국 중국 일본",
            "국가 산업 경제 제품 기술 개발 투자 매출 이익 실적 성장 확대 강화 지원 추진",
            "운영 진행 제공 이용 고객 소비자 사용 판매 가격 규모 수준 비중 증가 감소",
            "상승 하락 분석 평가 결과 조사 발표 문제 상황 필요 가능성 대표 회장 사장",
            "부회장 대통령 장관 위원장 의원 정책 방안 계열사 그룹 업체 기관 협회 지역",
            "국민 사회 정치 분야 부문 전략 경쟁 협력 관계 가운데 이후 이전 모습 의미",
            "입장 내용 방침 목표 과정 효과 영향 우려 기대 주요 핵심 최대 최고 최초",
            "세계적 처음 다양 이상 전체 일부 대상 관계자 데이터 플랫폼 콘텐츠 디지털",
            "온라인 모바일 인터넷 앱 브랜드 센터 연구 경영 주가 주식 증권 금융 은행 달러",
            "억원",
        )
    ).split()
)
_PRIOR_DOCS = 200.0
_PRIOR_DF = 40.0  # one story in five
_TITLE_WEIGHT = 3


class Background:
    """Document frequencies of topic nouns: the prior above plus every document added."""

    def __init__(self) -> None:
        self.docs = 0
        self.df: Counter[str] = Counter()
        self.unseen_idf: tuple[float, float, float] = self._unseen_idf()

    def add(self, words: Iterable[str]) -> None:
        """Count one document (its distinct words)."""
        self.docs += 1
        self.df.update(set(words))
        self.unseen_idf = self._unseen_idf()

    def _unseen_idf(self) -> tuple[float, float, float]:
        """The idf of a word never counted, for each prior: most of an article's words, worked out once."""
        return (self._idf(0, 0.0), self._idf(0, _PRIOR_DF), self._idf(0, _PRIOR_DOCS))

    def _idf(self, df: int, prior: float) -> float:
        return math.log((self.docs + _PRIOR_DOCS + 1.0) / (df + prior + 1.0))

    def idf(self, word: str) -> float:
        which = 2 if word in STOP_NOUNS else 1 if word in COMMON_NOUNS else 0
        df = self.df.get(word)
        if df is None:
            return self.unseen_idf[which]
        return self._idf(df, (0.0, _PRIOR_DF, _PRIOR_DOCS)[which])


def weighted_nouns(title_morphs: Sequence[Morph], body_morphs: Sequence[Morph]) -> Counter[str]:
    """Topic nouns with headline words counted several times: the headline names the subject."""
    counts: Counter[str] = Counter(topic_nouns(body_morphs))
    for word in topic_nouns(title_morphs):
        counts[word] += _TITLE_WEIGHT
    return counts


def top_keywords(counts: Counter[str], background: Background, k: int = 5) -> list[str]:
    """The k words with the highest tf-idf (sublinear tf), ties broken alphabetically."""
    log = math.log
    if background.df:
        idf = background.idf
        scored = [(-(1.0 + log(n)) * idf(w), w) for w, n in counts.items() if len(w) >= 2 or w.isascii()]
    else:
        # Nothing counted yet (the digester's fixed prior): a word's idf is its prior's, as `idf` says.
        unseen, stop, common = background.unseen_idf, STOP_NOUNS, COMMON_NOUNS
        scored = [
            (-(1.0 + log(n)) * unseen[2 if w in stop else 1 if w in common else 0], w)
            for w, n in counts.items()
            if len(w) >= 2 or w.isascii()
        ]
    scored.sort()
    return [w for _, w in scored[:k]]


def keywords(
    morphs: Sequence[Morph],
    k: int = 5,
    *,
    title_morphs: Sequence[Morph] = (),
    background: Background | None = None,
) -> list[str]:
    """Keywords of one text (body morphemes, optionally its headline's) against a background."""
    return top_keywords(weighted_nouns(title_morphs, morphs), background or Background(), k)
