"""Quoted phrases: their words stand next to each other, in order, as the analyser reads the text.

`article_terms` holds which terms an article carries, not where, so the index can only say that a
story has every word of `"폴더블 폰"` somewhere. The candidates it gives are then read again: the
stored headline and lead of their articles, normalised exactly as the digester normalises them
(`briefings.digest.text.analysed_title` / `analysed_body`) and tokenised by the same Kiwi, must hold
the phrase's content morphemes as one unbroken run.

Runs are compared on their forms joined together, because Kiwi reads a word by its context: 폴더블
alone is one noun, but in 삼성전자 폴더블 스마트폰 it is 폴 + 더블; both spell 폴더블. Particles,
endings and punctuation (폴더블**을**, 공개**한**, 폴더블·폰) never break a phrase; another word between
(폴더블 신형 폰, 폴더블을 내놓은 폰) does.
"""

from __future__ import annotations

from collections.abc import Sequence

from briefings.digest.nlp import Morph, Tokenizer
from briefings.digest.terms import JOINING_SYMBOLS, lemma_of
from briefings.digest.text import analysed_body, analysed_title

# A phrase is looked for in the headline and in this much of the lead (the stored summary, else the
# start of the body): a briefing's reader sees no more, and it keeps the re-reading cheap.
LEAD_CHARS = 600


# What never breaks a phrase: particles, endings, the 하 of 공개하다 / 공개한, punctuation (the joining
# symbols of M&A and LGU+ stay, as in the digester's lemma runs).
_GLUE_TAGS = ("J", "E", "XSV", "XSA", "SF", "SP", "SS", "SE", "SO", "SW")


def morpheme_forms(morphs: Sequence[Morph]) -> tuple[str, ...]:
    """A text's morphemes in order, without the glue between words (Latin lower-cased, as `lemma_of`)."""
    return tuple(
        lemma_of(m)
        for m in morphs
        if not m.tag.startswith(_GLUE_TAGS) or (m.tag == "SW" and m.form in JOINING_SYMBOLS)
    )


def phrase_key(phrase: str, nlp: Tokenizer) -> str:
    """What a phrase's words spell once read by the analyser: its content morphemes joined."""
    return "".join(morpheme_forms(nlp.tokenize([analysed_title(phrase)])[0]))


def has_run(forms: Sequence[str], key: str) -> bool:
    """Whether consecutive `forms` spell `key` exactly (starting and ending on morpheme boundaries)."""
    if not key:
        return False
    for i in range(len(forms)):
        spelled = ""
        for form in forms[i:]:
            spelled += form
            if spelled == key:
                return True
            if not key.startswith(spelled):
                break
    return False


def article_texts(title: str, summary: str | None, body: str | None) -> tuple[str, str]:
    """The headline and the lead a phrase is looked for in, normalised as the digester does."""
    lead = summary or (body or "")[:LEAD_CHARS]
    return analysed_title(title), analysed_body(lead[:LEAD_CHARS])


def read_forms(texts: Sequence[str], nlp: Tokenizer) -> dict[str, tuple[str, ...]]:
    """Each distinct text's content morphemes, in one call of the analyser (stories repeat headlines)."""
    distinct = list(dict.fromkeys(t for t in texts if t))
    return {t: morpheme_forms(m) for t, m in zip(distinct, nlp.tokenize(distinct), strict=True)}
