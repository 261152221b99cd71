"""The processor end to end on a real broker: events in, the same commands as simulate out."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson
import pytest

from footfall.admin.config_push import publish, rule_record
from footfall.cli.main import main as footfall_main
from footfall.processor.service import Processor
from footfall.processor.testing import TopicCollector, fast_options, produce
from footfall.rules import compile_rules, load_rule_files
from footfall.settings import Settings

pytestmark = pytest.mark.integration

RULES = """
- id: pricing-mail
  name: Mail sales about pricing visitors
  event: online_activity
  when:
    all:
      - current_page: {contains: /pricing}
      - hits: {gte: 2}
  actions:
    - kind: send_email
      to: [sales@example.com]
      subject: "Pricing visitor {{visitor_id}} from {{country}}"
      body: "{{hits}} pages, now on {{current_page}}"
    - kind: log_to_file
      file: pricing.log
      max_frequency: 1h
      per: visitor
- id: chat-hook
  name: Tell the CRM about chats
  event: live_chat_started
  actions:
    - kind: call_web_page
      url: "https://crm.example.com/chat?visitor={{visitor_id}}"
- id: german-speakers
  name: German speakers
  event: online_activity
  when: {language: {starts_with: de}}
  actions:
    - kind: log_to_file
      file: de.log
"""


def _events() -> list[dict[str, object]]:
    base = "2026-03-02T10:{:02d}:{:02d}Z"
    events: list[dict[str, object]] = []
    for n in range(12):
        visitor = f"visitor-{n}"
        for step in range(4):
            page = "/pricing" if (n + step) % 2 == 0 else "/features"
            event: dict[str, object] = {
                "type": "page_view",
                "visitor_id": visitor,
                "time": base.format(step * 3 + n % 3, n),
                "url": f"https://shop.example.com{page}",
                "country": "DE" if n % 3 == 0 else "US",
                "language": "de-DE" if n % 4 == 0 else "en-US",
            }
            if step != 2:  # some without event_id: identity is the canonical digest
                event["event_id"] = f"e-{n}-{step}"
            events.append(event)
        if n % 2 == 0:
            events.append(
                {
                    "type": "chat_started",
                    "visitor_id": visitor,
                    "time": base.format(14, n),
                    "chat_id": f"chat-{n}",
                }
            )
    # a duplicate of an event already seen: ignored by both
    events.append(dict(events[1]))
    return events


def _topic_for(event: dict[str, object]) -> str:
    return "chat-events" if str(event["type"]).startswith("chat_") else "visitor-events"


async def _send(settings: Settings, events: list[dict[str, object]]) -> None:
    for event in events:
        await produce(
            settings,
            settings.topic(_topic_for(event)),
            [(str(event["visitor_id"]).encode(), orjson.dumps(event))],
        )


async def _start(settings: Settings, **kwargs: object) -> Processor:
    processor = Processor(settings, faust_options=fast_options(), **kwargs)  # type: ignore[arg-type]
    await processor.start()
    return processor


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
async def test_commands_match_simulate(
    kafka_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], store: str
) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES)
    events = _events()
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for e in events))

    # what `footfall simulate` prints (a tick so long that none falls inside the events)
    assert (
        footfall_main(
            [
                "simulate",
                "--rules",
                str(rules_file),
                "--events",
                str(events_file),
                "--tick",
                "3650d",
            ]
        )
        == 0
    )
    expected = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(expected) > 10

    settings = kafka_settings.with_overrides(
        web_port=0, web_host="127.0.0.1", store=store, state_dir=tmp_path / "state"
    )
    rules = compile_rules(load_rule_files([rules_file]))
    await publish(settings, settings.topic("rules"), [rule_record(r) for r in rules.rules.values()])
    actions = TopicCollector(settings, settings.topic("actions"))
    await actions.start()
    processor = await _start(settings, ticks=False)
    try:
        assert len(processor.rule_book.rules) == 3
        # Kafka orders a visitor's events within one topic; across visitor-events and
        # chat-events the order is the order they are read in. The chats come last in
        # time, so they are sent once the page views have been handled.
        page_views = [e for e in events if _topic_for(e) == "visitor-events"]
        chats = [e for e in events if _topic_for(e) == "chat-events"]
        from_views = sum(1 for c in expected if c["trigger"]["event"] == "online_activity")
        await _send(settings, page_views)
        await actions.wait_for(lambda seen: len(seen) >= from_views, 90)
        await _send(settings, chats)
        await actions.wait_for(lambda seen: len(seen) >= len(expected), 90)
        await asyncio.sleep(1.5)  # nothing more may come
        got = actions.values()
    finally:
        await processor.stop()
        await actions.stop()

    def by_visitor(commands: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
        grouped: dict[str, list[dict[str, object]]] = {}
        for command in commands:
            grouped.setdefault(str(command["visitor_id"]), []).append(command)
        return grouped

    assert by_visitor(got) == by_visitor(expected)
    # every record on `actions` is keyed by its visitor
    assert all(r.key == orjson.loads(r.value)["visitor_id"].encode() for r in actions.records)
