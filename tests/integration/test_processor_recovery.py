"""Restarts and a second instance while events flow: nothing lost, duplicates identical,
per-rule throttling holds across instances (real broker)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from footfall.admin.config_push import publish, rule_record
from footfall.cli.main import main as footfall_main
from footfall.events import format_time
from footfall.processor.service import Processor
from footfall.processor.testing import TopicCollector, fast_options, produce
from footfall.rules import compile_rules, load_rule_files
from footfall.settings import Settings

pytestmark = pytest.mark.integration

RULES = """
- id: busy
  name: Busy visitors
  event: online_activity
  when: {hits: {gte: 2}}
  actions:
    - kind: send_email
      to: [sales@example.com]
      subject: "{{visitor_id}} has {{hits}} hits"
- id: first-german
  name: One note per hour about German visitors
  event: online_activity
  when: {country: {eq: DE}}
  actions:
    - kind: log_to_file
      file: de.log
      max_frequency: 1h
"""
PER_RULE = "first-german"
START = 1_772_445_600.0  # 2026-03-02T10:00:00Z


def _events(visitors: int, views: int) -> list[dict[str, object]]:
    events = []
    for step in range(views):
        for n in range(visitors):
            events.append(
                {
                    "type": "page_view",
                    "visitor_id": f"v{n}",
                    "time": format_time(START + step * 10 + n * 0.01),
                    "event_id": f"v{n}-{step}",
                    "url": f"https://example.com/p{step}",
                    "country": "DE" if n % 2 else "US",
                }
            )
    return events


def _expected(
    tmp_path: Path, events: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> list[dict[str, object]]:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES)
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for e in events))
    argv = ["simulate", "--rules", str(rules_file), "--events", str(events_file)]
    assert footfall_main([*argv, "--tick", "3650d"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


async def _push_rules(settings: Settings, tmp_path: Path) -> None:
    rules = compile_rules(load_rule_files([tmp_path / "rules.yaml"]))
    await publish(settings, settings.topic("rules"), [rule_record(r) for r in rules.rules.values()])


async def _trickle(settings: Settings, events: list[dict[str, object]], pause: float) -> None:
    topic = settings.topic("visitor-events")
    for start in range(0, len(events), 20):
        chunk = events[start : start + 20]
        await produce(
            settings, topic, [(str(e["visitor_id"]).encode(), orjson.dumps(e)) for e in chunk]
        )
        await asyncio.sleep(pause)


def _check(got: list[dict[str, object]], expected: list[dict[str, object]]) -> None:
    """Every expected command arrived; copies of one command id are identical."""
    by_id: dict[str, dict[str, object]] = {}
    for command in got:
        seen = by_id.setdefault(str(command["command_id"]), command)
        assert seen == command, "two different commands share one id"
    plain = {str(c["command_id"]): c for c in expected if c["rule"]["id"] != PER_RULE}  # type: ignore[index]
    ours = {k: v for k, v in by_id.items() if v["rule"]["id"] != PER_RULE}  # type: ignore[index]
    assert ours == plain
    # per-rule throttling: one note in the hour, over every visitor and instance
    assert len([c for c in by_id.values() if c["rule"]["id"] == PER_RULE]) == 1  # type: ignore[index]


async def _all_arrive(
    actions: TopicCollector, expected: list[dict[str, object]], seconds: float
) -> None:
    wanted = {str(c["command_id"]): c for c in expected if c["rule"]["id"] != PER_RULE}  # type: ignore[index]
    try:
        await actions.wait_for(lambda seen: set(wanted) <= {c["command_id"] for c in seen}, seconds)
    except TimeoutError:
        got = {c["command_id"] for c in actions.values()}
        missing = sorted(
            (c["visitor_id"], c["trigger"]["event_id"])  # type: ignore[index]
            for k, c in wanted.items()
            if k not in got
        )
        raise AssertionError(f"{len(missing)} commands missing: {missing[:20]}") from None


def _processor(settings: Settings) -> Processor:
    return Processor(
        settings.with_overrides(web_port=0, web_host="127.0.0.1"),
        ticks=False,
        faust_options=fast_options(),
    )


@dataclass
class Flowing:
    """A first processor handling events that keep coming (see :func:`_flowing`)."""

    expected: list[dict[str, object]]
    actions: TopicCollector
    first: Processor
    feeding: asyncio.Task[None]
    later: list[Processor] = field(default_factory=list)

    async def start_another(self, settings: Settings) -> Processor:
        processor = _processor(settings)
        self.later.append(processor)
        await processor.start()
        return processor


@contextlib.asynccontextmanager
async def _flowing(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], visitors: int
) -> AsyncIterator[Flowing]:
    """One processor started, events trickling in, the first commands out; at the end
    everything stopped and every expected command checked on ``actions``."""
    events = _events(visitors=visitors, views=8)
    expected = _expected(tmp_path, events, capsys)
    await _push_rules(settings, tmp_path)
    actions = TopicCollector(settings, settings.topic("actions"))
    await actions.start()
    first = _processor(settings)
    await first.start()
    flow = Flowing(expected, actions, first, asyncio.create_task(_trickle(settings, events, 0.1)))
    try:
        await actions.wait_for(lambda seen: len(seen) >= 10, 60)
        yield flow
        await flow.feeding
        await _all_arrive(actions, expected, 90)
        await asyncio.sleep(1.0)
    finally:
        flow.feeding.cancel()
        for processor in reversed(flow.later):
            await processor.stop()
        await first.stop()
        await actions.stop()
    _check(actions.values(), expected)


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
async def test_restart_mid_stream_loses_nothing(
    kafka_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], store: str
) -> None:
    settings = kafka_settings.with_overrides(store=store, state_dir=tmp_path / "state")
    async with _flowing(settings, tmp_path, capsys, visitors=20) as flow:
        # mid-stream: events keep coming while no instance runs
        await asyncio.wait_for(flow.first.stop(), 60)
        await flow.start_another(settings)


async def test_two_instances_split_partitions_and_share_the_rule_throttle(
    kafka_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both instances join before the events flow (joining while they flow: the next test).
    settings = kafka_settings
    events = _events(visitors=24, views=8)
    expected = _expected(tmp_path, events, capsys)
    await _push_rules(settings, tmp_path)
    actions = TopicCollector(settings, settings.topic("actions"))
    await actions.start()
    one, two = _processor(settings), _processor(settings)
    await one.start()
    await two.start()
    feeding = None
    try:
        # the partitions are split between the two instances
        async def split() -> bool:
            a, b = one.readiness(), two.readiness()
            if not (a["ready"] and b["ready"]):
                return False
            return (
                set(a["partitions"]) | set(b["partitions"]) == set(range(4))
                and bool(a["partitions"])
                and bool(b["partitions"])
            )

        for _ in range(150):
            if await split():
                break
            await asyncio.sleep(0.2)
        feeding = asyncio.create_task(_trickle(settings, events, 0.05))
        await feeding
        await _all_arrive(actions, expected, 120)
        parts_one = set(one.readiness()["partitions"])
        parts_two = set(two.readiness()["partitions"])
        assert parts_one and parts_two and not parts_one & parts_two
        assert parts_one | parts_two == set(range(settings.partitions))
        # each instance lists its own visitors; the public list merges both
        assert one.peer_urls() == sorted([one.own_url, two.own_url])
        local = {r["visitor_id"] for r in one.local_visitors()}
        other = {r["visitor_id"] for r in two.local_visitors()}
        assert local and other and not local & other
        assert local | other == {f"v{n}" for n in range(24)}
        await asyncio.sleep(1.0)
    finally:
        if feeding is not None:
            feeding.cancel()
        await two.stop()
        await one.stop()
        await actions.stop()
    _check(actions.values(), expected)


async def test_a_second_instance_joining_while_events_flow_loses_nothing(
    kafka_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = kafka_settings
    async with _flowing(settings, tmp_path, capsys, visitors=24) as flow:
        second = await flow.start_another(settings)  # a rebalance while events keep coming
        await flow.feeding
        await _all_arrive(flow.actions, flow.expected, 90)
        parts_one = set(flow.first.readiness()["partitions"])
        parts_two = set(second.readiness()["partitions"])
        assert parts_one and parts_two and not parts_one & parts_two
