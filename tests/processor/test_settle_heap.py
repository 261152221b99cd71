"""The processor keeps its long-lived heap out of the collector's full passes."""

from __future__ import annotations

import gc
import weakref

from footfall.heap import settle_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_settle_heap_freezes_what_lives_now() -> None:
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        gc.collect()  # a full collection does not thaw or shrink the frozen set
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_garbage_frozen_earlier_is_freed_by_the_next_settle() -> None:
    # a replaced rule set: frozen while it was in force, garbage after the change
    try:
        old = Node()
        ref = weakref.ref(old)
        settle_heap()
        del old
        gc.collect()
        assert ref() is not None  # frozen: a plain collection does not see it
        settle_heap()  # what a rule change does
        assert ref() is None
    finally:
        gc.unfreeze()
