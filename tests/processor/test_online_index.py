from __future__ import annotations

from footfall.processor.online_index import OnlineIndex


def test_mark_and_forget() -> None:
    index = OnlineIndex()
    index.mark(1, "b", True)
    index.mark(1, "a", True)
    index.mark(2, "c", True)
    assert index.visitors(1) == ["a", "b"]
    assert index.count() == 3
    index.mark(1, "a", False)
    index.mark(3, "zz", False)  # unknown partition: nothing to forget
    assert index.visitors(1) == ["b"]
    assert index.partitions() == [1, 2]


def test_replace_and_keep_only() -> None:
    index = OnlineIndex()
    index.mark(0, "old", True)
    index.replace([(1, "x"), (2, "y"), (2, "z")])
    assert index.visitors(0) == []
    assert index.visitors(2) == ["y", "z"]
    index.keep_only([2])
    assert index.partitions() == [2]
    assert index.count() == 2
