"""VisitorStep and ThrottleStep against a dict table: the processor's step without Kafka."""

from __future__ import annotations

import random

import orjson

from footfall.engine.engine import Engine, EngineConfig
from footfall.engine.state import VisitorState
from footfall.events import format_time
from footfall.kafka_clients import MAX_RECORD_BYTES
from footfall.processor.handling import VisitorStep
from footfall.processor.metrics import ProcessorMetrics
from footfall.processor.online_index import OnlineIndex
from footfall.processor.throttling import ThrottleStep
from footfall.processor.ticks import Tick, encode_tick
from footfall.rules import compile_rules

RULES: list[dict[str, object]] = [
    {
        "id": "every-view",
        "name": "Every view",
        "event": "online_activity",
        "actions": [{"kind": "log_to_file", "file": "v.log"}],
    },
    {
        "id": "once-an-hour",
        "name": "Once an hour",
        "event": "online_activity",
        "actions": [{"kind": "log_to_file", "file": "h.log", "max_frequency": "1h"}],
    },
    {
        "id": "purged",
        "name": "Purged",
        "event": "online_visitor_purged",
        "actions": [{"kind": "log_to_file", "file": "p.log"}],
    },
]
FULL = {"visitor-events": "p.visitor-events", "control": "p.control", "ticks": "p.ticks"}


def _step(
    table: dict[str, bytes],
    rules: list[dict[str, object]] = RULES,
    *,
    idle_timeout: float = 600.0,
    max_event_bytes: int = 4096,
    skip_quiet: bool = True,
) -> tuple[VisitorStep, OnlineIndex, ProcessorMetrics]:
    index, metrics = OnlineIndex(), ProcessorMetrics()
    engine = Engine(compile_rules(rules), EngineConfig(idle_timeout=idle_timeout))
    step = VisitorStep(
        engine,
        table,
        index,
        metrics,
        max_event_bytes=max_event_bytes,
        full_topic=FULL,
        skip_quiet=skip_quiet,
    )
    return step, index, metrics


def _view(visitor: str, time: str, event_id: str) -> bytes:
    return orjson.dumps(
        {
            "type": "page_view",
            "visitor_id": visitor,
            "time": time,
            "event_id": event_id,
            "url": "https://example.com/",
        }
    )


def test_a_page_view_stores_state_and_routes_commands() -> None:
    table: dict[str, bytes] = {}
    step, index, metrics = _step(table)
    result = step.handle("visitor-events", 2, 7, b"v1", _view("v1", "2026-03-02T10:00:00Z", "e1"))
    topics = sorted((o.topic, o.key) for o in result.outgoing)
    # the per-rule throttled action goes to the throttle topic keyed by rule#action
    assert topics == [("actions", b"v1"), ("throttle", b"once-an-hour#0")]
    assert VisitorState.from_bytes(table["v1"]).hits == 1
    assert index.visitors(2) == ["v1"]
    assert metrics.inputs == 1
    # the same event again is a duplicate: nothing out
    again = step.handle("visitor-events", 2, 8, b"v1", _view("v1", "2026-03-02T10:00:00Z", "e1"))
    assert again.outgoing == []


def test_the_throttle_step_admits_once_per_window() -> None:
    table: dict[str, bytes] = {}
    step, _, metrics = _step(table)
    throttle = ThrottleStep({}, metrics)
    admitted = []
    for n, visitor in enumerate(["a", "b", "c"]):
        result = step.handle(
            "visitor-events",
            0,
            n,
            visitor.encode(),
            _view(visitor, f"2026-03-02T10:0{n}:00Z", f"x{n}"),
        )
        for out in result.outgoing:
            if out.topic == "throttle":
                admitted.extend(throttle.handle(out.value))
    assert [orjson.loads(o.value)["visitor_id"] for o in admitted] == ["a"]
    assert metrics.suppressed_by_rule["once-an-hour"] == 2
    assert metrics.fired_by_rule["once-an-hour"] == 1


def test_bad_input_becomes_a_dead_letter() -> None:
    step, _, metrics = _step({})
    result = step.handle("visitor-events", 1, 42, b"k", b"{nope")
    assert result.kind == "invalid"
    [letter] = result.outgoing
    assert letter.topic == "dead-letters" and letter.key == b"k"
    record = orjson.loads(letter.value)
    assert record["reason"] == "not_json"
    assert record["source"] == {"topic": "p.visitor-events", "partition": 1, "offset": 42}
    assert metrics.inputs == 1


def test_a_message_keyed_wrongly_is_sent_again_under_the_visitor_id() -> None:
    table: dict[str, bytes] = {}
    step, _, _ = _step(table)
    value = _view("v9", "2026-03-02T10:00:00Z", "e9")
    result = step.handle("visitor-events", 0, 0, b"something-else", value)
    assert [(o.topic, o.key, o.value) for o in result.outgoing] == [
        ("visitor-events", b"v9", value)
    ]
    assert table == {}


def test_purge_leaves_a_tombstone_until_it_expires_and_ticks_end_idle_sessions() -> None:
    table: dict[str, bytes] = {}
    step, index, metrics = _step(table)
    step.handle("visitor-events", 3, 0, b"gone", _view("gone", "2026-03-02T10:00:00Z", "g1"))
    step.handle("visitor-events", 3, 1, b"idle", _view("idle", "2026-03-02T10:00:00Z", "i1"))
    purge = orjson.dumps({"type": "purge", "visitor_id": "gone", "time": "2026-03-02T10:01:00Z"})
    result = step.handle("control", 3, 0, b"gone", purge)
    assert [orjson.loads(o.value)["rule"]["id"] for o in result.outgoing] == ["purged"]
    # nothing personal is left: the id and the purge time, ticked until it expires
    assert orjson.loads(table["gone"]) == {"visitor_id": "gone", "purged_at": 1_772_445_660.0}
    assert index.visitors(3) == ["gone", "idle"]
    # the echo of an invitation sent before the purge changes nothing and is counted
    invited = orjson.dumps(
        {
            "type": "chat_invited",
            "visitor_id": "gone",
            "time": "2026-03-02T10:01:01Z",
            "event_id": "echo",
            "caused_by": {"rule_id": "every-view", "depth": 1},
        }
    )
    assert step.handle("chat-events", 3, 0, b"gone", invited).outgoing == []
    assert orjson.loads(table["gone"]) == {"visitor_id": "gone", "purged_at": 1_772_445_660.0}
    sample = metrics.registry.get_sample_value
    assert sample("footfall_processor_events_total", {"type": "after_purge"}) == 1.0
    # 10:00 + 10 minutes idle: the tick at 10:20 ends the session
    tick = encode_tick(Tick(1_772_446_800.0, 0.0))  # 2026-03-02T10:20:00Z
    step.handle("ticks", 3, 0, b"tick", tick)
    assert index.visitors(3) == ["gone"]
    assert VisitorState.from_bytes(table["idle"]).online is False
    assert sample("footfall_processor_online_visitors") == 0.0  # a tombstone is nobody
    # the same tick read again is skipped
    assert step.handle("ticks", 3, 1, b"tick", tick).outgoing == []
    # a day after the purge a tick deletes the tombstone
    step.handle("ticks", 3, 2, b"tick", encode_tick(Tick(1_772_445_660.0 + 86_400.0, 0.0)))
    assert "gone" not in table and index.visitors(3) == []


class CountingTable(dict[str, bytes]):
    """A dict table that counts its writes."""

    writes = 0

    def __setitem__(self, key: str, value: bytes) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_a_tick_that_changes_nothing_writes_nothing() -> None:
    table = CountingTable()
    step, index, _ = _step(table)
    step.handle("visitor-events", 1, 0, b"v", _view("v", "2026-03-02T10:00:00Z", "e"))
    assert table.writes == 1
    # 10:00:30: online, not idle yet, no rule fires on the tick; read twice, so that
    # the second tick meets the state exactly as the first left it
    for offset, seconds in enumerate((30, 60)):
        tick = encode_tick(Tick(1_772_445_600.0 + seconds, 0.0))
        assert step.handle("ticks", 1, offset, b"tick", tick).outgoing == []
    assert table.writes <= 2  # the first tick may note what it evaluated; the second not
    before = table.writes
    step.handle("ticks", 1, 2, b"tick", encode_tick(Tick(1_772_445_600.0 + 90, 0.0)))
    assert table.writes == before
    # the tick that ends the idle session does write
    step.handle("ticks", 1, 3, b"tick", encode_tick(Tick(1_772_446_800.0, 0.0)))
    assert table.writes == before + 1
    assert VisitorState.from_bytes(table["v"]).online is False
    assert index.visitors(1) == []


def test_a_batch_sends_one_throttle_message_per_key_deciding_as_one_by_one() -> None:
    from footfall.processor.faust_app import InputMessage

    messages = [
        InputMessage("visitor-events", 0, n, v.encode(), _view(v, f"2026-03-02T{hm}:00Z", f"y{n}"))
        for n, (v, hm) in enumerate(
            [("a", "10:00"), ("b", "10:10"), ("a", "11:00"), ("c", "11:05")]
        )
    ]
    # one by one, as single-candidate messages
    single_metrics = ProcessorMetrics()
    step, _, _ = _step({})
    one_by_one = ThrottleStep({}, single_metrics)
    singles: list[bytes] = []
    for m in messages:
        for out in step.handle(m.topic, m.partition, m.offset, m.key, m.value).outgoing:
            if out.topic == "throttle":
                singles.extend(o.value for o in one_by_one.handle(out.value))
    # as one batch: the four candidates of once-an-hour#0 travel in one message
    step, _, _ = _step({})
    out = step.handle_batch(messages)
    throttled = [o for o in out if o.topic == "throttle"]
    assert [o.key for o in throttled] == [b"once-an-hour#0"]
    assert len(orjson.loads(throttled[0].value)) == 4
    batch_metrics = ProcessorMetrics()
    grouped = ThrottleStep({}, batch_metrics).handle(throttled[0].value)
    assert [o.value for o in grouped] == singles
    # once an hour: the first and the third admitted, the third counting one suppressed
    admitted = [orjson.loads(v) for v in singles]
    assert [(c["visitor_id"], c["suppressed_since_last"]) for c in admitted] == [("a", 0), ("a", 1)]
    assert batch_metrics.throttle_decided == single_metrics.throttle_decided == 4


def test_merged_throttle_messages_stay_under_the_size_limit_and_in_order() -> None:
    from footfall.processor.handling import Outgoing, group_throttled

    values = [orjson.dumps({"n": n, "pad": "x" * 90}) for n in range(50)]  # ≈ 100 bytes
    out = [Outgoing("throttle", b"k", v) for v in values]
    out.insert(3, Outgoing("actions", b"v", b"{}"))
    out.append(Outgoing("throttle", b"other", values[0]))
    merged = group_throttled(out, most=1000)
    assert [m.topic for m in merged][:1] == ["actions"]
    ours = [m for m in merged if m.key == b"k"]
    assert len(ours) > 1 and all(len(m.value) <= 1000 for m in ours)
    decoded = [item for m in ours for item in orjson.loads(m.value)]
    assert [item["n"] for item in decoded] == list(range(50))
    assert [orjson.loads(m.value) for m in merged if m.key == b"other"] == [
        [orjson.loads(values[0])]
    ]


CLOCK_RULES: list[dict[str, object]] = [
    {
        "id": "long-visit",
        "name": "Long visit",
        "event": "online_activity",
        "when": {"duration_minutes": {"gte": 3}},
        "actions": [{"kind": "log_to_file", "file": "long.log"}],
    },
    {
        "id": "idle",
        "name": "Idle a while",
        "event": "online_activity",
        "when": {"all": [{"idle_minutes": {"gt": 2}}, {"hits": {"gte": 2}}]},
        "actions": [{"kind": "log_to_file", "file": "idle.log"}],
    },
    {
        "id": "busy",
        "name": "Busy minute",
        "event": "online_activity",
        "when": {"hits": {"gte": 3, "window": "1m"}},
        "actions": [{"kind": "log_to_file", "file": "busy.log"}],
    },
    {
        "id": "morning",
        "name": "Morning",
        "event": "online_activity",
        "when": {"time_of_day": {"between": ["10:04", "10:06"]}},
        "actions": [{"kind": "log_to_file", "file": "morning.log"}],
    },
    {
        "id": "invite",
        "name": "Invite on pricing",
        "event": "online_activity",
        "when": {"current_page": {"contains": "/pricing"}},
        "actions": [{"kind": "send_live_chat_invitation", "message": "Hi"}],
    },
]


def _traffic(seed: int) -> list[tuple[str, bytes, bytes]]:
    """Page views of a few visitors over 40 minutes, a tick every 30 s."""
    rng = random.Random(seed)
    start = 1_772_445_600.0  # 2026-03-02T10:00:00Z
    inputs: list[tuple[str, bytes, bytes]] = []
    t, next_tick = start, start + 30
    for n in range(120):
        t += rng.expovariate(1 / 20)
        while next_tick <= t:
            inputs.append(("ticks", b"tick", encode_tick(Tick(next_tick, 0.0))))
            next_tick += 30
        visitor = f"v{rng.randint(0, 6)}"
        page = rng.choice(["/", "/docs", "/pricing"])
        view = orjson.dumps(
            {
                "type": "page_view",
                "visitor_id": visitor,
                "time": format_time(t),
                "event_id": f"e{n}",
                "url": f"https://example.com{page}",
            }
        )
        inputs.append(("visitor-events", visitor.encode(), view))
    for _ in range(40):  # then nothing but ticks: sessions go idle and end
        inputs.append(("ticks", b"tick", encode_tick(Tick(next_tick, 0.0))))
        next_tick += 30
    return inputs


def _run(
    inputs: list[tuple[str, bytes, bytes]], *, skip_quiet: bool
) -> tuple[list[tuple[str, bytes | None, bytes]], dict[str, bytes], int, dict[str, float]]:
    table = CountingReads()
    step, _, metrics = _step(table, CLOCK_RULES, idle_timeout=900.0, skip_quiet=skip_quiet)
    sent = []
    for offset, (topic, key, value) in enumerate(inputs):
        for out in step.handle(topic, 0, offset, key, value).outgoing:
            sent.append((out.topic, out.key, out.value))
    visits = {
        outcome: metrics.registry.get_sample_value(
            "footfall_processor_tick_visitors_total", {"outcome": outcome}
        )
        or 0.0
        for outcome in ("evaluated", "passed_over")
    }
    return sent, dict(table), table.reads, visits


class CountingReads(dict[str, bytes]):
    """A dict table that counts its reads."""

    reads = 0

    def get(self, key: str, default: bytes | None = None) -> bytes | None:  # type: ignore[override]
        self.reads += 1
        return super().get(key, default)


def test_ticks_passing_over_quiet_visitors_change_nothing_in_what_comes_out() -> None:
    fewer = 0
    for seed in range(6):
        inputs = _traffic(seed)
        every_visit, table, reads, all_visits = _run(inputs, skip_quiet=False)
        skipping, skipped_table, skipped_reads, visits = _run(inputs, skip_quiet=True)
        assert skipping == every_visit
        assert skipped_table == table
        assert len(every_visit) > 40
        fewer += reads - skipped_reads
        # the metric tells evaluated from passed-over visitors; together: all online ones
        assert all_visits["passed_over"] == 0
        assert visits["passed_over"] > 0
        assert visits["evaluated"] + visits["passed_over"] == all_visits["evaluated"]
    # the ticks read far fewer states: quiet visitors were passed over
    assert fewer > 500


def test_a_command_too_large_for_kafka_becomes_a_dead_letter_of_its_input() -> None:
    from footfall.processor.faust_app import InputMessage

    huge = {
        "kind": "send_email",
        "to": ["sales@example.com"],
        "subject": "Big",
        "body": "{{current_page_title}}" * 20,
    }
    rules: list[dict[str, object]] = [
        {"id": "huge", "name": "Huge", "event": "online_activity", "actions": [huge]},
        {
            "id": "huge-throttled",
            "name": "Huge, once a minute",
            "event": "online_activity",
            "actions": [{**huge, "max_frequency": "1m", "per": "rule"}],
        },
        {
            "id": "small",
            "name": "Small",
            "event": "online_activity",
            "actions": [{"kind": "log_to_file", "file": "v.log"}],
        },
    ]
    table: dict[str, bytes] = {}
    step, _, _ = _step(table, rules, max_event_bytes=65536)
    view = orjson.dumps(
        {
            "type": "page_view",
            "visitor_id": "v",
            "time": "2026-03-02T10:00:00Z",
            "event_id": "e1",
            "url": "https://example.com/",
            "title": "t" * 60_000,
        }
    )
    out = step.handle_batch([InputMessage("visitor-events", 3, 17, b"v", view)])
    by_topic: dict[str, list[bytes]] = {}
    for o in out:
        by_topic.setdefault(o.topic, []).append(o.value)
        assert len(o.value) <= MAX_RECORD_BYTES
    # the small rule's command goes out; the two huge ones (one of them through the
    # throttle topic) are dead letters naming their rule, with the input's position
    [small] = by_topic["actions"]
    assert orjson.loads(small)["rule"]["id"] == "small"
    assert "throttle" not in by_topic
    letters = [orjson.loads(v) for v in by_topic["dead-letters"]]
    assert [letter["reason"] for letter in letters] == ["output_too_large"] * 2
    assert sorted(letter["error"].split("(rule ")[1].split(",")[0] for letter in letters) == [
        "huge",
        "huge-throttled",
    ]
    assert letters[0]["source"] == {"topic": "p.visitor-events", "partition": 3, "offset": 17}
    assert letters[0]["payload"] == view.decode()
    # the state was stored all the same: the view counted
    assert VisitorState.from_bytes(table["v"]).hits == 1
