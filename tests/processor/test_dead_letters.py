from __future__ import annotations

import base64

import orjson

from footfall.kafka_clients import MAX_RECORD_BYTES
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


def test_a_dead_letter_too_large_for_kafka_keeps_the_beginning_of_its_payload() -> None:
    # quotes double when JSON-escaped: 700,000 bytes become a 1.4 MB payload string
    payload = b'"' * 700_000
    letter = dead_letter(
        "too_large", "big", topic="t", partition=0, offset=9, key=b"k", payload=payload
    )
    assert len(letter.value) <= MAX_RECORD_BYTES
    record = orjson.loads(letter.value)
    assert record["payload_truncated"] is True
    assert record["payload_bytes"] == 700_000
    assert 100_000 < len(record["payload"]) < 700_000
    assert set(record["payload"]) == {'"'}
    assert record["source"] == {"topic": "t", "partition": 0, "offset": 9}
    # one that fits is left whole, with no truncation marks
    small = orjson.loads(
        dead_letter("x", "y", topic="t", partition=0, offset=1, key=None, payload=b'"' * 1000).value
    )
    assert small["payload"] == '"' * 1000 and "payload_truncated" not in small
