from __future__ import annotations

import random
import zlib

import numpy as np
import pytest
from datasketch import MinHash

from briefings.digest.dedup import (
    MIN_SHINGLES,
    NUM_PERM,
    DuplicateIndex,
    Fingerprint,
    lemma_signature,
    shingles,
    shingles_of_lemmas,
    signature,
    word_hash,
)
from briefings.digest.nlp import KoreanNLP, SimpleMorph
from briefings.digest.text import strip_boilerplate
from tests.conftest import corpus_path
from tests.digest.helpers import knews_items

pytestmark = pytest.mark.kiwi

WIRE = (
    "삼성전자가 다음 달 10일 열리는 갤럭시 언팩 행사를 앞두고 미국 "
    "뉴욕 타임스스퀘어와 영국 런던 피커딜리 광장 등 "
    "세계 주요 랜드마크에서 대형 옥외광고를 시작했다고 31일 밝혔다. 광고는 새 폴더블 스마트폰의 접는 화면을 "
    "형상화한 영상으로 구성됐으며 이탈리아 밀라노 두오모 광장과 스페인 마드리드에서도 선보인다. 삼성전자는 "
    "언팩 당일까지 온라인과 오프라인에서 다양한 체험 행사도 진행할 예정이다."
)


def sig_of(nlp: KoreanNLP, text: str):  # type: ignore[no-untyped-def]
    return signature(shingles(nlp.tokenize([strip_boilerplate(text)])[0]))


def test_reprints_with_other_bylines_and_footers_are_duplicates(nlp: KoreanNLP) -> None:
    original = f"[서울=뉴시스]홍길동 기자 = {WIRE} 홍길동 기자 hong@newsis.com"
    edited = WIRE.replace("31일 밝혔다", "31일 밝혔다고 전했다")
    reprint = f"(서울=연합뉴스) 김철수 기자 = {edited} ⓒ 연합뉴스, 무단 전재 및 재배포 금지"
    other = (
        "LG유플러스가 소상공인을 위한 매장 관리 CCTV 요금제를 내놨다. 월 1만원대에 지능형 폐쇄회로 화면과 "
        "보안업체의 긴급출동 서비스를 함께 쓸 수 있다. 회사는 가입 첫 달 요금을 받지 않는다고 밝혔다."
    )
    index = DuplicateIndex()
    index.add("a", sig_of(nlp, original))
    assert index.find(sig_of(nlp, reprint)) == "a"
    assert index.find(sig_of(nlp, other)) is None
    index.remove(["a"])
    assert index.find(sig_of(nlp, reprint)) is None
    assert len(index) == 0


def test_the_earliest_copy_is_the_original(nlp: KoreanNLP) -> None:
    index = DuplicateIndex()
    for key in ("first", "second"):
        index.add(key, sig_of(nlp, WIRE))
    assert index.find(sig_of(nlp, WIRE)) == "first"


def test_real_wire_copy_reprinted_elsewhere_is_found(nlp: KoreanNLP) -> None:
    items = knews_items(corpus_path("knews-rss", "jsons"))
    newsis = items["http://www.newsis.com/view?id=NISX20220731_0001962352"]
    body = strip_boilerplate(newsis["body"])
    assert len(body) > 200
    # The same copy as another outlet runs it: its own dateline, the last sentence cut, its footer.
    reprint = (
        "(서울=연합뉴스) 김철수 기자 = " + body.rsplit(".", 2)[0] + ". ⓒ 연합뉴스, 무단 전재 및 재배포 금지"
    )
    others = [v["body"] for k, v in items.items() if v["outlet"] == "뉴시스" and len(v["body"]) > 300][:20]
    index = DuplicateIndex()
    index.add("newsis", sig_of(nlp, newsis["body"]))
    for i, text in enumerate(others):
        if text != newsis["body"]:
            index.add(i, sig_of(nlp, text))
    assert index.find(sig_of(nlp, reprint)) == "newsis"


def test_a_headline_alone_is_too_short_to_compare(nlp: KoreanNLP) -> None:
    morphs = nlp.tokenize(["삼성전자 2분기 매출 77조원"])[0]
    assert len(shingles(morphs)) < MIN_SHINGLES
    assert signature(shingles(morphs)) is None
    assert DuplicateIndex().find(None) is None


def test_shingles_ignore_particles_and_punctuation() -> None:
    a = [
        SimpleMorph("화웨이", "NNP", 0, 3),
        SimpleMorph("는", "JX", 3, 1),
        SimpleMorph("신제품", "NNG", 5, 3),
    ]
    a += [SimpleMorph("을", "JKO", 8, 1), SimpleMorph("공개", "NNG", 10, 2), SimpleMorph(".", "SF", 12, 1)]
    b = [
        SimpleMorph("화웨이", "NNP", 0, 3),
        SimpleMorph("가", "JKS", 3, 1),
        SimpleMorph("신제품", "NNG", 5, 3),
    ]
    b += [SimpleMorph("공개", "NNG", 9, 2)]
    assert shingles(a) == shingles(b) == ["화웨이\x1f신제품\x1f공개".encode()]


def test_fingerprints_survive_the_database_round_trip(nlp: KoreanNLP) -> None:
    sig = sig_of(nlp, WIRE)
    assert sig is not None
    fp = Fingerprint(sig, ((word_hash("삼성전자"), 4), (word_hash("언팩"), 1)))
    back = Fingerprint.decode(fp.encode())
    assert back.topic == fp.topic
    assert back.minhash is not None and back.minhash.jaccard(sig) == 1.0
    empty = Fingerprint.decode(Fingerprint(None, ()).encode())
    assert empty.minhash is None and empty.topic == ()
    with pytest.raises(ValueError):
        Fingerprint.decode(b"nonsense")


def test_signatures_are_datasketchs_affine32_minhash() -> None:
    """Stored signatures were made by datasketch: a new one must have the values datasketch gives."""
    rng = random.Random(7)
    words = ["삼성전자", "반도체", "수출", "hbm", "엔비디아", "공급", "계약", "체결", "m&a", "+"]
    for n in (MIN_SHINGLES + 2, 40, 300):
        lemmas = [rng.choice(words) + str(rng.randrange(40)) for _ in range(n)]
        shingle_set = shingles_of_lemmas(lemmas)
        reference = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=zlib.crc32, scheme="affine32")
        reference.update_batch(shingle_set)
        for sig in (signature(shingle_set), lemma_signature(lemmas)):
            assert sig is not None and sig.scheme == "affine32" and sig.seed == 1
            assert sig.hashvalues.dtype == np.uint32
            assert sig.hashvalues.tolist() == reference.hashvalues.tolist()


def test_too_few_distinct_shingles_make_no_signature() -> None:
    lemmas = ["가격", "인상", "발표"] * 6  # 16 shingles, three of them distinct
    assert len(shingles_of_lemmas(lemmas)) == 3
    assert lemma_signature(lemmas) is None
