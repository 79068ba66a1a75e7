"""Korean particles that agree with the word before them (삼성전자를, 카카오를, KT를, LG를 …).

A name's last sound decides: a Hangul syllable by its final consonant, a Latin letter or a digit by how
it is read aloud (엘, 엠, 엔, 알 and 영, 일, 삼, 육, 칠, 팔 end in a consonant).
"""

from __future__ import annotations

_PAIRS = {"을/를": ("을", "를"), "은/는": ("은", "는"), "이/가": ("이", "가"), "과/와": ("과", "와")}
_CONSONANT_LATIN = set("LMNRlmnr")
_CONSONANT_DIGITS = set("013678")


def has_final_consonant(word: str) -> bool:
    """Whether the word is read with a final consonant (받침); unknown endings count as vowels."""
    stripped = word.rstrip(" )]}'\"*_~.")
    if not stripped:
        return False
    last = stripped[-1]
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28 != 0
    return last in _CONSONANT_LATIN or last in _CONSONANT_DIGITS


def josa(word: str, pair: str) -> str:
    """`word` followed by the agreeing particle of `pair` ("을/를", "은/는", "이/가", "과/와")."""
    with_final, without = _PAIRS[pair]
    return word + (with_final if has_final_consonant(word) else without)


def euro(word: str) -> str:
    """`word` + (으)로: 로 after a vowel or ㄹ, 으로 after any other final consonant."""
    stripped = word.rstrip(" )]}'\"*_~.")
    last = stripped[-1:] or " "
    if "가" <= last <= "힣":
        final = (ord(last) - ord("가")) % 28
        return word + ("으로" if final not in (0, 8) else "로")
    return word + ("으로" if has_final_consonant(word) and last not in "Ll" else "로")
