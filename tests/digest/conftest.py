"""Fixtures of the digester tests: one Kiwi for the whole session (it takes seconds to load)."""

from __future__ import annotations

import pytest

from briefings.digest.nlp import KoreanNLP, get_nlp


@pytest.fixture(scope="session")
def nlp() -> KoreanNLP:
    return get_nlp()
