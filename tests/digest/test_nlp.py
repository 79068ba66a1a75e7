"""The Kiwi wrapper: one analyser per process, batch analysis, offsets, and the user dictionary."""

from __future__ import annotations

import threading

import pytest

from briefings.digest.nlp import KoreanNLP, Morph, SimpleMorph, get_nlp, nouns

pytestmark = pytest.mark.kiwi


def test_one_analyser_per_process_even_when_threads_race(nlp: KoreanNLP) -> None:
    seen: list[KoreanNLP] = []
    threads = [threading.Thread(target=lambda: seen.append(get_nlp())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s is nlp for s in seen) and len(seen) == 4


def test_batch_analysis_equals_one_by_one(nlp: KoreanNLP) -> None:
    texts = ["화웨이는 삼성전자와 협력한다.", "", "KT&G, 배당 확대", "中華爲 급성장"]
    batch = nlp.tokenize(texts)
    assert len(batch) == len(texts) and batch[1] == []
    for text, morphs in zip(texts, batch, strict=True):
        one = nlp.tokenize_one(text)
        assert [(m.form, m.tag, m.start, m.len) for m in morphs] == [
            (m.form, m.tag, m.start, m.len) for m in one
        ]


def test_offsets_index_the_original_string(nlp: KoreanNLP) -> None:
    text = "😀 이모지 뒤에도 화웨이가 나온다. 中華爲 KT&G"
    [morphs] = nlp.tokenize([text])
    for m in morphs:
        if m.tag in ("NNG", "NNP", "SL", "SH", "JKS"):
            assert text[m.start : m.start + m.len] == m.form
    huawei = next(m for m in morphs if m.form == "화웨이")
    assert next(m for m in morphs if m.start == huawei.start + huawei.len).tag == "JKS"


def test_user_words_keep_a_made_up_name_whole_and_are_idempotent(nlp: KoreanNLP) -> None:
    word = "허상커지"  # a made-up transliteration that Kiwi splits into 허상 + 커지(다)
    before = [m.form for m in nlp.tokenize_one(f"{word}는 상장했다")]
    assert word not in before
    assert nlp.add_user_words([(word, "NNP", 0.0)]) == 1
    assert nlp.add_user_words([(word, "NNP", 0.0), ("  ", "NNP", 0.0)]) == 0
    assert nlp.has_user_word(word)
    after = nlp.tokenize_one(f"{word}는 상장했다")
    assert (after[0].form, after[0].tag) == (word, "NNP") and after[1].tag == "JX"


def test_nouns_and_hand_made_morphemes_share_one_shape(nlp: KoreanNLP) -> None:
    made: list[Morph] = [SimpleMorph("애플", "NNP", 0, 2), SimpleMorph("은", "JX", 2, 1)]
    assert nouns(made) == ["애플"]
    assert nouns(nlp.tokenize_one("TSMC와 인텔의 공장")) == ["TSMC", "인텔", "공장"]
