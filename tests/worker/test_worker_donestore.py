import orjson

from footfall.worker.donestore import CommandLedger, ledger_record


def test_finished_commands_are_stale_for_every_attempt() -> None:
    ledger = CommandLedger()
    assert not ledger.is_stale("c", 0)
    ledger.mark_finished("c")
    assert ledger.finished("c")
    assert ledger.is_stale("c", 0) and ledger.is_stale("c", 3)


def test_retrying_drops_older_attempts_only() -> None:
    ledger = CommandLedger()
    ledger.mark_retrying("c", 2)
    assert ledger.is_stale("c", 0)  # the original, re-delivered after a crash
    assert ledger.is_stale("c", 1)  # an older envelope
    assert not ledger.is_stale("c", 2)  # the envelope the chain is waiting on
    ledger.mark_retrying("c", 1)  # an older record arriving late does not go back
    assert ledger.attempts("c") == 2
    ledger.mark_finished("c")
    ledger.mark_retrying("c", 5)
    assert ledger.finished("c")


def test_bounded_oldest_first() -> None:
    ledger = CommandLedger(capacity=3)
    for name in "abcd":
        ledger.mark_finished(name)
    assert len(ledger) == 3
    assert not ledger.finished("a") and ledger.finished("d")


def test_records_from_the_topic() -> None:
    ledger = CommandLedger()
    ledger.on_record(b"x", ledger_record("retrying", "send_email", 1, 0.0))
    ledger.on_record(b"y", ledger_record("done", "send_email", 1, 0.0))
    ledger.on_record(b"z", orjson.dumps([1]))
    ledger.on_record(b"w", b"not json")
    ledger.on_record(None, b"{}")
    ledger.on_record(b"v", None)
    assert ledger.attempts("x") == 1 and ledger.finished("y")
    assert len(ledger) == 2
