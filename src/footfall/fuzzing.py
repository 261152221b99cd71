"""Hostile input for the parser and the engine: fuzzed and mutated messages.

:func:`hostile_messages` yields, from a seed, messages as they could arrive on the input
topics: valid events of every type and control messages, and mutations of them (wrong
types, huge strings, deep nesting, NaN and 1e309, duplicate keys, lone surrogates,
invalid UTF-8, odd offsets and extreme years, bytes flipped, cut or repeated).
:func:`run_hostile` sends them through the parser and then, those it accepts, through
the processor's step (engine, stored state, dead letters) and ``footfall simulate``'s
core: anything but an :class:`~footfall.events.EventError` from the parser, and any
exception at all after it, is a crash. The tests and ``benchmarks/fuzz_events.py`` use
them.
"""

from __future__ import annotations

import json
import random
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from footfall.engine import Engine, EngineConfig
from footfall.events import (
    CHAT_EVENT_TYPES,
    CONTROL_TYPES,
    EVENT_TYPES,
    Control,
    Event,
    EventError,
    format_time,
    parse_message,
)
from footfall.events.errors import REASONS
from footfall.processor.handling import CONTROL, TICKS, VISITOR_EVENTS, VisitorStep
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.ticks import Tick, encode_tick
from footfall.rules import RuleSet, compile_rules
from footfall.rules.events import RULE_EVENTS
from footfall.simulation import Simulation

__all__ = ["HostileReport", "hostile_messages", "hostile_rules", "run_hostile", "valid_message"]

#: Monday 2 March 2026, 08:00:00 UTC: valid messages fall in the days after it.
_START = 1772438400.0
_VISITORS = [f"v{i}" for i in range(12)] + ["ü" * 128, "x" * 128, "0", " ", "\u0000"]
_URLS = [
    "https://example.com/",
    "https://example.com/pricing?x=1",
    "https://example.com/support/ticket",
    "https://example.com/checkout#cart",
    "/relative",
    "",
    "https://例え.jp/パス",
]
_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "curl/8.0",
    "",
]
_TIMES_ODD = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:00:00Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999Z",
    "2000-01-01T00:00:00Z",
    "2000-01-01T00:30:00+01:00",
    "2199-12-31T23:59:59.999999999Z",
    "2200-01-01T00:00:00Z",
    "2199-12-31T23:30:00-01:00",
    "2026-03-02T08:00:00",
    "2026-03-02T08:00:00+24:00",
    "2026-03-02T08:00:00-00:00",
    "2026-03-02T08:00:00+00:99",
    "2026-03-02t08:00:00z",
    "2026-03-02 08:00:00Z",
    "2026-02-29T08:00:00Z",
    "2024-02-29T23:59:60Z",
    "2026-03-02T08:00:00.1234567890Z",
    "٢٠٢٦-03-02T08:00:00Z",
    "2026-03-02T08:00:00Z\n",
    "+2026-03-02T08:00:00Z",
    "",
    "now",
]
_JSON_ODD = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    "123456789012345678901234567890",
    "-0",
    "1.5e300",
    "true",
    "null",
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u0000"',
    "[]",
    "{}",
    '"' + "\\n" * 50 + '"',
]


_LINE = (
    "{{event.time}} {{visitor_id}} {{current_page}} {{customer_name}} <{{customer_email}}> "
    "{{hits}} {{idle_minutes}} {{time_of_day}} {{day_of_week}} {{chat_status}} {{agent}}"
)


def hostile_rules() -> RuleSet:
    """Rules that fire on every rule event and write every fact into their commands,
    some on the time of day and day of week in a zone with summer time."""
    raw: list[dict[str, Any]] = []
    for event in sorted(RULE_EVENTS):
        owner = {"role": "admin"}
        raw.append(
            {
                "id": f"all-{event}",
                "name": f"Every {event}",
                "owner": owner,
                "event": event,
                "actions": [
                    {"kind": "log_to_file", "file": "fuzz/all.log", "line": _LINE},
                    {
                        "kind": "call_web_page",
                        "url": "http://127.0.0.1:9/{{visitor_id}}?p={{current_page}}",
                        "max_frequency": "1m",
                        "per": "visitor",
                    },
                ],
            }
        )
    raw.append(
        {
            "id": "berlin-mornings",
            "name": "Berlin mornings",
            "event": "online_activity",
            "timezone": "Europe/Berlin",
            "when": {
                "all": [
                    {"time_of_day": {"between": ["08:00", "08:30"]}},
                    {"day_of_week": {"in": ["mon", "tue"]}},
                    {"idle_minutes": {"gte": 1}},
                ]
            },
            "actions": [{"kind": "log_to_file", "file": "fuzz/berlin.log", "line": _LINE}],
        }
    )
    raw.append(
        {
            "id": "invite-on-pricing",
            "name": "Invite on pricing",
            "event": "online_activity",
            "when": {
                "all": [
                    {"current_page": {"contains": "pricing"}},
                    {"hits": {"gte": 2, "window": "5m"}},
                ]
            },
            "actions": [{"kind": "send_live_chat_invitation", "message": "Hi {{visitor_id}}"}],
        }
    )
    return compile_rules(raw)


def _time(rng: random.Random) -> str:
    return format_time(_START + rng.uniform(0, 3 * 86400))


def valid_message(rng: random.Random, index: int) -> dict[str, Any]:
    """A valid event of any type, or a control message (as a JSON object)."""
    kinds = sorted(EVENT_TYPES) + ["page_view"] * 6 + sorted(CONTROL_TYPES)
    kind = rng.choice(kinds)
    obj: dict[str, Any] = {
        "type": kind,
        "visitor_id": rng.choice(_VISITORS),
        "time": _time(rng),
    }
    if rng.random() < 0.7:
        obj["event_id"] = f"e{index}"
    if kind in CONTROL_TYPES:
        return obj
    if rng.random() < 0.5:
        obj["session_id"] = f"s{rng.randint(0, 3)}"
    if kind == "page_view":
        obj["url"] = rng.choice(_URLS)
        for name in ("title", "referrer", "country", "language", "site", "ip"):
            if rng.random() < 0.3:
                obj[name] = rng.choice(["DE", "x" * rng.randint(0, 300), "<b>&amp;", "1.2.3.4"])
        if rng.random() < 0.3:
            obj["user_agent"] = rng.choice(_AGENTS)
    if kind in ("page_view", "identify") and rng.random() < 0.5:
        obj["customer"] = {"name": "Ann {{visitor_id}}", "email": "ann@example.com"}
    if kind in CHAT_EVENT_TYPES:
        obj["chat_id"] = f"c{rng.randint(0, 3)}"
        obj["invitation_id"] = f"i{rng.randint(0, 5)}"
        obj["agent"] = rng.choice(["a1", "a2"])
    if kind == "chat_message":
        obj["sender"] = rng.choice(["visitor", "agent"])
        obj["text"] = rng.choice(["hi", "{{hits}}", "é" * 1000])
    if rng.random() < 0.1:
        obj["caused_by"] = {"rule_id": "r1", "depth": rng.randint(0, 12)}
    return obj


def _odd_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randint(0, 9)
    if choice == 0:
        return rng.choice([0, -1, 2**63 - 1, -(2**63), 1.5, -0.0, 1e308])
    if choice == 1:
        return rng.choice([True, False, None])
    if choice == 2:
        return "x" * rng.choice([0, 1, 129, 5000, 40000])
    if choice == 3:
        return rng.choice(["\u0000", "\u202e", "🙂" * 50, "\ufeff", "a\nb", "{{", "%s%n"])
    if choice == 4 and depth < 3:
        return [_odd_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if choice == 5 and depth < 3:
        return {rng.choice(["a", "type", "name", ""]): _odd_value(rng, depth + 1)}
    if choice == 6:
        return _nested(rng.randint(1, 300), rng.random() < 0.5)
    if choice == 7:
        return rng.choice(_TIMES_ODD)
    if choice == 8:
        return rng.choice([*sorted(EVENT_TYPES | CONTROL_TYPES), "", "PAGE_VIEW", "tick"])
    return rng.random()


def _nested(depth: int, objects: bool) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value} if objects else [value]
    return value


def _nested_text(depth: int, objects: bool) -> str:
    if objects:
        return '{"k":' * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth


_FIELDS = [
    "type",
    "visitor_id",
    "time",
    "event_id",
    "url",
    "sender",
    "customer",
    "caused_by",
    "session_id",
    "user_agent",
    "text",
    "invitation_id",
    "title",
]


def _mutate_object(rng: random.Random, obj: dict[str, Any]) -> bytes:
    """One structural mutation of a valid message, as JSON bytes."""
    choice = rng.randint(0, 11)
    name = rng.choice(_FIELDS)
    if choice == 0:  # a field of the wrong type (or an odd value of any type)
        obj[name] = _odd_value(rng)
    elif choice == 1:  # a required field missing or null
        if rng.random() < 0.5:
            obj.pop(name, None)
        else:
            obj[name] = None
    elif choice == 2:  # odd offsets and extreme years
        obj["time"] = rng.choice(_TIMES_ODD)
    elif choice == 3:  # a huge string, near or over the size limit
        obj[name] = "é" * rng.choice([1000, 20000, 32000, 40000])
    elif choice == 4:  # deep nesting written as text (orjson reads up to 1024 levels)
        if rng.random() < 0.5:
            obj.pop("event_id", None)
        text = orjson.dumps(obj)[:-1].decode()
        depth = rng.choice([200, 253, 254, 255, 300, 600, 1023, 1024, 1100])
        nested = _nested_text(depth, rng.random() < 0.5)
        field_name = rng.choice([*_FIELDS, "extra"])
        return f'{text},"{field_name}":{nested}}}'.encode()
    elif choice == 5:  # NaN, 1e309, huge numbers, lone surrogate escapes, in any field
        text = orjson.dumps({k: v for k, v in obj.items() if k != name})[:-1].decode()
        return f'{text},"{name}":{rng.choice(_JSON_ODD)}}}'.encode()
    elif choice == 6:  # duplicate keys: the later one wins
        text = orjson.dumps(obj)[:-1].decode()
        odd = _dumps(_odd_value(rng)).decode()
        return f'{text},"{name}":{odd}}}'.encode()
    elif choice == 7:  # caused_by at the edges
        obj["caused_by"] = rng.choice(
            [
                {"rule_id": "r1", "depth": 2**63 - 1},
                {"rule_id": "r1", "depth": -1},
                {"rule_id": "", "depth": 0},
                {"rule_id": "r" * 5000, "depth": 1},
                {"rule_id": "r1", "depth": 1.0},
                {"rule_id": "r1", "depth": True},
                {"depth": 1},
                [],
            ]
        )
    elif choice == 8:  # another type with this type's fields
        obj["type"] = rng.choice(sorted(EVENT_TYPES | CONTROL_TYPES))
    elif choice == 9:  # many keys
        for i in range(rng.randint(10, 2000)):
            obj[f"k{i}"] = i
    elif choice == 10:  # not an object at all
        return rng.choice([b"[]", b"1", b'"x"', b"null", b"", b" ", b"[{}]", b"{"])
    else:  # odd keys
        obj[rng.choice(["", "\u0000", "ü" * 300, "type ", "TYPE"])] = _odd_value(rng)
    return _dumps(obj)


def _dumps(obj: Any) -> bytes:
    """JSON bytes; the standard library's writer for what orjson will not write (more
    than 254 levels deep)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj).encode()


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """A byte-level mutation: flipped, cut, repeated or inserted bytes, bad UTF-8."""
    raw = bytearray(data)
    choice = rng.randint(0, 6)
    at = rng.randrange(len(raw) + 1)
    if choice == 0 and raw:
        raw[min(at, len(raw) - 1)] ^= 1 << rng.randrange(8)
    elif choice == 1:
        del raw[at:]
    elif choice == 2:
        raw[at:at] = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\x00"])
    elif choice == 3:
        chunk = raw[at : at + rng.randint(1, 40)]
        raw[at:at] = chunk * rng.randint(1, 5)
    elif choice == 4:
        del raw[at : at + rng.randint(1, 10)]
    elif choice == 5:  # a lone surrogate written raw (not valid UTF-8)
        raw[at:at] = "\ud800".encode("utf-8", "surrogatepass")
    else:
        raw[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(raw)


def hostile_messages(seed: int, count: int) -> Iterator[bytes]:
    """``count`` messages from ``seed``: about a third valid, the rest mutated."""
    rng = random.Random(seed)
    for index in range(count):
        obj = valid_message(rng, index)
        roll = rng.random()
        if roll < 0.3:
            yield orjson.dumps(obj)
        elif roll < 0.8:
            yield _mutate_object(rng, obj)
        else:
            yield _mutate_bytes(rng, orjson.dumps(obj))


@dataclass
class HostileReport:
    """What :func:`run_hostile` saw."""

    messages: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    commands: int = 0
    #: (stage, the message, the traceback) of the first crashes
    crashes: list[tuple[str, bytes, str]] = field(default_factory=list)
    crash_count: int = 0

    def crash(self, stage: str, data: bytes) -> None:
        self.crash_count += 1
        if len(self.crashes) < 10:
            self.crashes.append((stage, data[:300], traceback.format_exc()))


def run_hostile(
    messages: Iterator[bytes], rules: RuleSet, *, max_event_bytes: int = 65536
) -> HostileReport:
    """Parse every message; run each through the processor's step (a dead letter with
    the reason, topic, partition and offset for the rejected; the engine against state
    stored as bytes, with ticks, for the accepted) and the accepted through ``footfall
    simulate``'s core (ticks, throttle, fed-back events, commands as JSON)."""
    report = HostileReport()
    config = EngineConfig(idle_timeout=900.0, invitation_timeout=120.0)
    step = VisitorStep(
        Engine(rules, config),
        {},
        OnlineIndex(),
        ProcessorMetrics(),
        max_event_bytes=max_event_bytes,
        full_topic={},
    )
    sim = Simulation(rules, config, 30.0)
    for offset, data in enumerate(messages):
        report.messages += 1
        message: Event | Control | None = None
        try:
            message = parse_message(data, max_event_bytes)
        except EventError as exc:
            if exc.reason not in REASONS:
                report.crash("parse", data)
            report.rejected[exc.reason] += 1
        except Exception:  # noqa: BLE001 - a crash is what this looks for
            report.crash("parse", data)
            continue
        try:
            if message is None:
                result = step.handle(VISITOR_EVENTS, 0, offset, None, data)
                [letter] = result.outgoing
                record = orjson.loads(letter.value)
                if letter.topic != "dead-letters" or record["reason"] not in REASONS:
                    raise AssertionError(f"not a dead letter with a reason: {record}")
                if record["source"] != {"topic": VISITOR_EVENTS, "partition": 0, "offset": offset}:
                    raise AssertionError(f"a dead letter without its source: {record}")
                continue
            report.accepted += 1
            topic = CONTROL if isinstance(message, Control) else VISITOR_EVENTS
            result = step.handle(topic, 0, offset, message.visitor_id.encode(), data)
            if result.kind == "invalid":
                raise AssertionError(f"accepted, then dead-lettered: {result.outgoing}")
            for outgoing in result.outgoing:
                orjson.loads(outgoing.value)
            if offset % 20 == 0:
                tick = encode_tick(Tick(message.time + 60, message.time + 60))
                step.handle(TICKS, 0, offset, b"tick", tick)
        except Exception:  # noqa: BLE001
            report.crash("processor", data)
        if message is None:
            continue
        if report.accepted % _SIMULATE_FOR == 0:
            # a fresh run now and then: a message far ahead (2199) makes the rest old
            _finish(sim, report)
            sim = Simulation(rules, config, 30.0)
        try:
            for command in sim.feed(message):
                command.to_json()
                report.commands += 1
        except Exception:  # noqa: BLE001
            report.crash("simulate", data)
    _finish(sim, report)
    return report


#: accepted messages per ``simulate`` run
_SIMULATE_FOR = 500


def _finish(sim: Simulation, report: HostileReport) -> None:
    try:
        for command in sim.finish():
            command.to_json()
            report.commands += 1
    except Exception:  # noqa: BLE001
        report.crash("simulate", b"finish")
