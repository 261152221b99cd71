from footfall.worker.commits import CommitTracker


def test_commit_stops_at_the_lowest_pending_offset() -> None:
    tracker = CommitTracker()
    parts = {o: tracker.start("p0", o) for o in range(10, 15)}
    assert tracker.to_commit() == {"p0": 10}
    for o in (11, 12, 14):
        parts[o].finish(o)
    assert tracker.to_commit() == {"p0": 10}  # 10 still in flight
    parts[10].finish(10)
    assert tracker.to_commit() == {"p0": 13}
    parts[13].finish(13)
    assert tracker.to_commit() == {"p0": 15}
    tracker.mark_committed({"p0": 15})
    assert tracker.to_commit() == {}


def test_partitions_are_independent() -> None:
    tracker = CommitTracker()
    a = tracker.start("a", 0)
    tracker.start("b", 5)
    a.finish(0)
    assert tracker.to_commit() == {"a": 1, "b": 5}
    assert tracker.pending_count() == 1


def test_finish_after_revocation_does_not_touch_the_new_assignment() -> None:
    tracker = CommitTracker()
    old = tracker.start("p", 3)
    tracker.forget(["p"])
    tracker.start("p", 3)  # re-delivered to this worker after re-assignment
    old.finish(3)
    assert tracker.to_commit() == {"p": 3}
