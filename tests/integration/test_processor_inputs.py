"""Live rule updates and bad input on a running processor (real broker)."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from footfall.admin.config_push import publish, rule_record
from footfall.processor.service import Processor
from footfall.processor.testing import TopicCollector, fast_options, produce
from footfall.rules import compile_rule
from footfall.settings import Settings

pytestmark = pytest.mark.integration


def _rule(subject: str, rule_id: str = "greet") -> dict[str, object]:
    return {
        "id": rule_id,
        "name": "Greet",
        "event": "online_activity",
        "actions": [{"kind": "send_email", "to": ["a@example.com"], "subject": subject}],
    }


def _view(visitor: str, n: int, **fields: str) -> bytes:
    return orjson.dumps(
        {
            "type": "page_view",
            "visitor_id": visitor,
            "time": f"2026-03-02T10:00:{n:02d}Z",
            "event_id": f"{visitor}-{n}",
            "url": "https://example.com/",
            **fields,
        }
    )


async def _started(settings: Settings) -> Processor:
    processor = Processor(
        settings.with_overrides(web_port=0, web_host="127.0.0.1"),
        ticks=False,
        faust_options=fast_options(),
    )
    await processor.start()
    return processor


async def test_rule_updates_apply_live_and_invalid_versions_are_skipped(
    kafka_settings: Settings,
) -> None:
    settings = kafka_settings
    rules_topic = settings.topic("rules")
    first = compile_rule(_rule("v1"))
    await publish(settings, rules_topic, [rule_record(first)])
    actions = TopicCollector(settings, settings.topic("actions"))
    await actions.start()
    processor = await _started(settings)
    try:
        assert processor.rule_book.get("greet") == first
        await produce(settings, settings.topic("visitor-events"), [(b"v1", _view("v1", 1))])
        await actions.wait_for(lambda seen: len(seen) == 1)

        # a new version is in force within a second of the push
        second = compile_rule(_rule("v2"))
        await publish(settings, rules_topic, [rule_record(second)])
        pushed = time.monotonic()
        while processor.rule_book.get("greet") != second:
            assert time.monotonic() - pushed < 1.0, "new version not in force within 1 s"
            await asyncio.sleep(0.02)
        await produce(settings, settings.topic("visitor-events"), [(b"v1", _view("v1", 2))])
        seen = await actions.wait_for(lambda seen: len(seen) == 2)
        assert seen[1]["action"]["params"]["subject"] == "v2"
        assert seen[1]["rule"]["version"] == second.version

        # an invalid version and unreadable records are skipped: v2 stays in force
        bad = {**_rule("v3"), "when": {"hits": {"gtee": 3}}, "version": "x"}
        await publish(
            settings,
            rules_topic,
            [(b"greet", b"{not json"), (b"greet", orjson.dumps(bad)), (b"other", b"[]")],
        )
        await _until(lambda: processor.metrics.rules_rejected._value.get() == 3)
        assert "gtee" in processor.rule_book.rejected["greet"]
        assert processor.rule_book.get("greet") == second
        await produce(settings, settings.topic("visitor-events"), [(b"v1", _view("v1", 3))])
        seen = await actions.wait_for(lambda seen: len(seen) == 3)
        assert seen[2]["rule"]["version"] == second.version

        # a tombstone deletes the rule: no more commands
        await publish(settings, rules_topic, [(b"greet", None)])
        await _until(lambda: processor.rule_book.get("greet") is None)
        await produce(settings, settings.topic("visitor-events"), [(b"v1", _view("v1", 4))])
        await asyncio.sleep(1.5)
        assert len(actions.values()) == 3
    finally:
        await processor.stop()
        await actions.stop()


async def _until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_bad_input_goes_to_dead_letters_while_good_events_flow(
    kafka_settings: Settings,
) -> None:
    settings = kafka_settings
    await publish(settings, settings.topic("rules"), [rule_record(compile_rule(_rule("hi")))])
    actions = TopicCollector(settings, settings.topic("actions"))
    letters = TopicCollector(settings, settings.topic("dead-letters"))
    await actions.start()
    await letters.start()
    events = settings.topic("visitor-events")
    processor = await _started(settings)
    try:
        oversized = orjson.dumps(
            {
                "type": "page_view",
                "visitor_id": "big",
                "time": "2026-03-02T10:00:00Z",
                "url": "https://example.com/" + "x" * settings.max_event_bytes,
            }
        )
        bad = [
            (b"v1", b"this is not json"),
            (b"v1", orjson.dumps({"type": "page_view", "time": "2026-03-02T10:00:00Z"})),
            (b"big", oversized),
            (
                b"v1",
                orjson.dumps(
                    {"type": "teleport", "visitor_id": "v1", "time": "2026-03-02T10:00:00Z"}
                ),
            ),
            (b"v1", b"\xff\xfe binary"),
        ]
        good = [(b"v1", _view("v1", n)) for n in range(3)]
        # interleave: good, bad, good, bad ...
        mixed = [m for pair in zip(good + [None] * 2, bad, strict=False) for m in pair if m]
        await produce(settings, events, mixed)
        await produce(
            settings, settings.topic("control"), [(b"v1", orjson.dumps({"type": "explode"}))]
        )
        got = await actions.wait_for(lambda seen: len(seen) == 3)
        dead = await letters.wait_for(lambda seen: len(seen) == 6)
    finally:
        await processor.stop()
        await actions.stop()
        await letters.stop()
    assert sorted(c["trigger"]["event_id"] for c in got) == ["v1-0", "v1-1", "v1-2"]
    reasons = sorted(d["reason"] for d in dead)
    assert reasons == sorted(
        ["not_json", "missing_field", "too_large", "unknown_type", "not_json", "unknown_type"]
    )
    # each letter names where the message was; offsets are those of the bad messages
    by_reason = {d["reason"]: d for d in dead}
    assert by_reason["too_large"]["source"]["topic"] == events
    binary = [d for d in dead if d.get("payload_encoding") == "base64"]
    assert len(binary) == 1
    offsets = {
        (d["source"]["topic"], d["source"]["partition"], d["source"]["offset"]) for d in dead
    }
    assert len(offsets) == 6
    # the counters agree
    counted = {
        s.labels["reason"]: s.value
        for m in processor.metrics.registry.collect()
        if m.name == "footfall_processor_dead_letters"
        for s in m.samples
        if s.name.endswith("_total")
    }
    assert counted == {"not_json": 2, "missing_field": 1, "too_large": 1, "unknown_type": 2}


async def test_a_command_too_large_for_kafka_is_dead_lettered_and_the_rest_flows(
    kafka_settings: Settings,
) -> None:
    settings = kafka_settings
    huge = {
        "id": "huge",
        "name": "Every title, twenty times",
        "event": "online_activity",
        "actions": [
            {
                "kind": "send_email",
                "to": ["a@example.com"],
                "subject": "Big",
                "body": "{{current_page_title}}" * 20,
            }
        ],
    }
    records = [rule_record(compile_rule(_rule("hi"))), rule_record(compile_rule(huge))]
    await publish(settings, settings.topic("rules"), records)
    actions = TopicCollector(settings, settings.topic("actions"))
    letters = TopicCollector(settings, settings.topic("dead-letters"))
    await actions.start()
    await letters.start()
    processor = await _started(settings)
    try:
        # a title of 60,000 characters: 1.2 MB once the template repeats it
        titled = _view("v1", 0, event_id="titled", title="t" * 60_000)
        events = settings.topic("visitor-events")
        await produce(settings, events, [(b"v1", titled), (b"v1", _view("v1", 5))])
        got = await actions.wait_for(lambda seen: len(seen) == 3)
        [letter] = await letters.wait_for(lambda seen: len(seen) == 1)
    finally:
        await processor.stop()
        await actions.stop()
        await letters.stop()
    # "greet" fired on both views, "huge" only fits on the untitled one
    assert sorted((c["rule"]["id"], c["trigger"]["event_id"]) for c in got) == [
        ("greet", "titled"),
        ("greet", "v1-5"),
        ("huge", "v1-5"),
    ]
    assert letter["reason"] == "output_too_large"
    assert "rule huge" in letter["error"] and "send_email" in letter["error"]
    assert letter["source"]["topic"] == events and letter["source"]["offset"] == 0
    assert processor.metrics.publish_retries._value.get() == 0
