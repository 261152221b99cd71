from __future__ import annotations

import base64

import orjson

from footfall.processor.dead_letters import dead_letter


def test_text_payload_is_kept_as_text() -> None:
    letter = dead_letter(
        "not_json",
        "bad",
        topic="p.visitor-events",
        partition=3,
        offset=17,
        key=b"v1",
        payload=b"{oops",
    )
    record = orjson.loads(letter.value)
    assert record == {
        "reason": "not_json",
        "error": "bad",
        "source": {"topic": "p.visitor-events", "partition": 3, "offset": 17},
        "payload": "{oops",
    }
    assert letter.key == b"v1"
    assert letter.reason == "not_json"


def test_binary_payload_is_base64() -> None:
    raw = b"\xff\xfe\x00binary"
    letter = dead_letter("not_json", "bad", topic="t", partition=0, offset=0, key=None, payload=raw)
    record = orjson.loads(letter.value)
    assert record["payload_encoding"] == "base64"
    assert base64.b64decode(record["payload"]) == raw


def test_missing_payload_is_null() -> None:
    letter = dead_letter(
        "missing_field", "x", topic="t", partition=0, offset=1, key=None, payload=None
    )
    assert orjson.loads(letter.value)["payload"] is None
