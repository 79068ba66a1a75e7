"""Particles agree with the name before them, Hangul or Latin."""

from __future__ import annotations

import pytest

from briefings.korean import euro, josa


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("카카오", "을/를", "카카오를"),
        ("삼성전자", "을/를", "삼성전자를"),
        ("화웨이", "은/는", "화웨이는"),
        ("LG유플러스", "은/는", "LG유플러스는"),
        ("센스타임", "을/를", "센스타임을"),
        ("KT", "을/를", "KT를"),
        ("LG", "이/가", "LG가"),
        ("KT&G", "은/는", "KT&G는"),
        ("3M", "을/를", "3M을"),
        ("*네이버*", "은/는", "*네이버*는"),
        ("'알리바바'", "을/를", "'알리바바'를"),
    ],
)
def test_particle_agrees_with_the_last_sound(word: str, pair: str, expected: str) -> None:
    assert josa(word, pair) == expected


def test_euro_after_vowel_rieul_and_other_finals() -> None:
    assert euro("화웨이") == "화웨이로"
    assert euro("서울") == "서울로"
    assert euro("삼성전자") == "삼성전자로"
    assert euro("센스타임") == "센스타임으로"
