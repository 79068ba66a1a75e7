"""The collector's settings a long-running process takes (briefings/heap.py, the digester's)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from briefings.digest.pipeline import GC_YOUNG_OBJECTS, settle_digest_heap
from briefings.heap import grow_young_generation


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()  # the rest of the run collects as before


def test_the_digester_heap_has_a_large_young_generation_and_keeps_the_older_ones(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    settle_digest_heap()
    assert gc.get_threshold() == (GC_YOUNG_OBJECTS, 10, 10)
    assert gc.get_freeze_count() > 0


def test_a_young_generation_is_never_made_smaller(thresholds: None) -> None:
    gc.set_threshold(50_000, 5, 20)
    grow_young_generation(10_000)
    assert gc.get_threshold() == (50_000, 5, 20)
    grow_young_generation(60_000)
    assert gc.get_threshold() == (60_000, 5, 20)
