import logging

import orjson

from footfall.logs import JsonFormatter


def test_json_lines_with_extra_fields_and_exceptions() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "footfall.worker", logging.WARNING, __file__, 1, "failed %s", ("x",), None
    )
    record.command_id = "c1"
    entry = orjson.loads(formatter.format(record))
    assert entry["level"] == "WARNING" and entry["logger"] == "footfall.worker"
    assert entry["message"] == "failed x" and entry["command_id"] == "c1"
    assert entry["time"].endswith("+00:00")
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "oops", None, sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line
    assert "ValueError" in orjson.loads(line)["exception"]
