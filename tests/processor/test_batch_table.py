from __future__ import annotations

from footfall.processor.batch_table import BatchTable


def test_writes_are_buffered_until_commit() -> None:
    real: dict[str, bytes] = {"a": b"1", "gone": b"x"}
    table = BatchTable(real)
    table["a"] = b"2"
    table["b"] = b"3"
    del table["gone"]
    assert table.get("a") == b"2" and table.get("b") == b"3"
    assert "gone" not in table and table.get("gone") is None
    assert real == {"a": b"1", "gone": b"x"}
    table.commit()
    assert real == {"a": b"2", "b": b"3"}
    assert table.pending == 0


def test_delete_of_absent_key_and_discard() -> None:
    real: dict[str, bytes] = {}
    table = BatchTable(real)
    del table["never"]
    table["x"] = b"1"
    table.discard()
    table.commit()
    assert real == {}
