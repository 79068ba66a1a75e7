"""What a long-running process holds for good, taken out of the garbage collector's full passes."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Take what the process holds for good (Kiwi, the registry, the matcher) out of garbage collection.

    The digest and the bot make many short-lived objects, so the collector's full passes come often,
    and each went through the registry's hundred thousand objects again: about half of the
    collector's time in a digest of 4,000 articles, and a pause of 100-200 ms in one `/news` answer
    of a few hundred (against 10-20 ms for the answer itself). Called again after a rebuild (the
    registry changed), it lets the previous objects be collected first.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def grow_young_generation(objects: int) -> None:
    """Let the collector's youngest generation take `objects` container objects (allocated, net of
    those freed) between its passes; never fewer than it takes already."""
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(objects, young), middle, oldest)
