from __future__ import annotations

from collections.abc import Callable

from footfall.engine.quiet import QuietSpan
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


def test_due_lists_the_visitors_whose_span_does_not_cover_the_tick() -> None:
    token = object()
    index = OnlineIndex()
    index.mark(0, "quiet", True, (token, 0.0, 100.0, ()))
    index.mark(0, "until-50", True, (token, 0.0, 50.0, ()))
    index.mark(0, "unknown", True)  # no span: every tick visits
    index.mark(1, "elsewhere", True, (token, 0.0, 10.0, ()))

    def covers(at: float) -> Callable[[QuietSpan | None], bool]:
        return lambda span: span is not None and span[1] <= at < span[2]

    assert index.due(0, covers(30.0)) == ["unknown"]
    assert index.due(0, covers(60.0)) == ["unknown", "until-50"]
    assert index.due(2, covers(60.0)) == []
    # a new write replaces the span; after a rebuild no visitor has one
    index.mark(0, "quiet", True, (token, 0.0, 20.0, ()))
    assert index.due(0, covers(30.0)) == ["quiet", "unknown"]
    index.replace([(0, "quiet")])
    assert index.due(0, covers(30.0)) == ["quiet"]
