"""Hostile messages on a running processor (real broker): dead letters, good ones flow."""

from __future__ import annotations

import asyncio
import base64

import orjson
import pytest

from footfall.admin.config_push import publish, rule_record
from footfall.engine import Engine, EngineConfig, VisitorState
from footfall.events import Control, Event, EventError, parse_event, parse_message
from footfall.events.errors import REASONS
from footfall.fuzzing import hostile_messages
from footfall.processor.service import Processor
from footfall.processor.testing import TopicCollector, fast_options, produce
from footfall.rules import compile_rules
from footfall.settings import Settings

pytestmark = pytest.mark.integration

_LINE = "{{visitor_id}} {{current_page}} {{customer_name}} {{hits}} {{chat_status}} {{agent}}"
RULES = compile_rules(
    [
        {
            "id": f"log-{event}",
            "name": f"Log {event}",
            "owner": {"role": "admin"},
            "event": event,
            "actions": [{"kind": "log_to_file", "file": "hostile.log", "line": _LINE}],
        }
        for event in ("online_activity", "live_chat_message", "live_chat_started")
    ]
)


def _expected(events: list[Event], config: EngineConfig) -> list[bytes]:
    """The commands the engine fires for ``events`` alone, in order."""
    engine = Engine(RULES, config)
    states: dict[str, VisitorState] = {}
    out: list[bytes] = []
    for event in events:
        outcome = engine.handle(states.get(event.visitor_id), event)
        if outcome.state is None:
            states.pop(event.visitor_id, None)
        else:
            states[event.visitor_id] = outcome.state
        for candidate in outcome.candidates:
            assert not candidate.needs_rule_throttle
            out.append(candidate.command.to_json())
    return out


async def test_hostile_messages_become_dead_letters_and_the_good_ones_fire_as_alone(
    kafka_settings: Settings,
) -> None:
    settings = kafka_settings
    bad: list[bytes] = []
    good: list[Event] = []
    produced: list[tuple[bytes | None, bytes | None]] = []
    for data in hostile_messages(7, 400):
        try:
            message = parse_message(data)
        except EventError:
            bad.append(data)
            produced.append((b"hostile", data))
            continue
        if isinstance(message, Control):
            continue  # on another topic: its order against the events is not kept
        good.append(message)
        produced.append((message.visitor_id.encode(), data))
    assert len(bad) > 150 and len(good) > 150
    expected = _expected(good, EngineConfig.from_settings(settings))
    assert len(expected) > 50

    await publish(settings, settings.topic("rules"), [rule_record(r) for r in RULES.rules.values()])
    events = settings.topic("visitor-events")
    actions = TopicCollector(settings, settings.topic("actions"))
    letters = TopicCollector(settings, settings.topic("dead-letters"))
    inputs = TopicCollector(settings, events)
    for collector in (actions, letters, inputs):
        await collector.start()
    processor = Processor(
        settings.with_overrides(web_port=0, web_host="127.0.0.1"),
        ticks=False,
        faust_options=fast_options(),
    )
    await processor.start()
    try:
        await produce(settings, events, produced)
        dead = await letters.wait_for(lambda seen: len(seen) >= len(bad), seconds=120)
        got = await actions.wait_for(lambda seen: len(seen) >= len(expected), seconds=120)
        for _ in range(600):  # the raw records (wait_for reads them as JSON)
            if len(inputs.records) == len(produced):
                break
            await asyncio.sleep(0.1)
    finally:
        await processor.stop()
        for collector in (actions, letters, inputs):
            await collector.stop()
    assert processor.metrics.dead_letters.labels("processing_error")._value.get() == 0
    # every bad message is one dead letter, with its reason and where it was read
    at = {(r.partition, r.offset): r.value for r in inputs.records}
    assert len(dead) == len(bad)
    payloads = []
    for letter in dead:
        assert letter["reason"] in REASONS and letter["error"]
        source = letter["source"]
        assert source["topic"] == events
        payload = letter["payload"].encode()
        if letter.get("payload_encoding") == "base64":
            payload = base64.b64decode(payload)
        assert at[(source["partition"], source["offset"])] == payload
        with pytest.raises(EventError) as info:
            parse_event(payload)
        assert letter["reason"] == info.value.reason
        payloads.append(payload)
    assert sorted(payloads) == sorted(bad)
    # the good ones fire what the engine fires for them alone (each visitor in order)
    assert len(got) == len(expected)
    assert sorted(orjson.dumps(c) for c in got) == sorted(
        orjson.dumps(orjson.loads(c)) for c in expected
    )
