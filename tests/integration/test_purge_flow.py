"""A purge read before the echo of an invitation sent just before it, on a real broker.

One page view fires both an invitation and a purge. The worker's own actions publish
what they feed back (the ``purge`` on ``control``, the ``chat_invited`` on
``chat-events``); they are produced here in the order that revived purged visitors: the
purge first, read by the running processor, then the invitation's ``chat_invited``,
stamped after the purge. The visitor must stay off the Who's On list and no command
may fire for them after the purge.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from footfall.admin.config_push import publish, rule_record
from footfall.processor.service import Processor
from footfall.processor.testing import TopicCollector, fast_options, produce
from footfall.rules import compile_rules, load_rule_files
from footfall.settings import Settings
from footfall.worker.actions import ACTIONS
from footfall.worker.command import command_from_dict
from footfall.worker.context import ActionContext
from footfall.worker.http import make_session
from footfall.worker.netguard import Allowlist
from footfall.worker.testing import RecordingMailer, RecordingPublisher, eventually

pytestmark = pytest.mark.integration

RULES = """
- id: forget-me
  name: Forget visitors who ask to be forgotten
  event: online_activity
  when:
    current_page: {contains: forget}
  actions:
    - kind: purge_from_list
- id: invite-help
  name: Invite visitors on help pages
  event: online_activity
  when:
    current_page: {contains: /help}
  actions:
    - kind: send_live_chat_invitation
      message: Need a hand?
- id: invited
  name: Invitations shown
  event: live_chat_invited
  actions:
    - kind: log_to_file
      file: invited.log
- id: purged
  name: Purged visitors
  event: online_visitor_purged
  actions:
    - kind: log_to_file
      file: purged.log
"""

#: 2026-03-02T10:00:00Z, the time of the page views; the worker runs 5 s later.
PAGE_TIME = 1_772_445_600.0


def _view(visitor: str, url: str, event_id: str) -> tuple[bytes, bytes]:
    event = {
        "type": "page_view",
        "visitor_id": visitor,
        "time": "2026-03-02T10:00:00Z",
        "event_id": event_id,
        "url": url,
    }
    return visitor.encode(), orjson.dumps(event)


class WorkerClock:
    """The worker's clock, moved by the test: when an action stamps what it publishes."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def worker_context(tmp_path: Path) -> AsyncIterator[tuple[ActionContext, WorkerClock]]:
    allow = Allowlist.parse(["127.0.0.1"])
    session = make_session(allow)
    clock = WorkerClock(PAGE_TIME + 5.0)
    context = ActionContext(
        settings=Settings(log_dir=tmp_path / "logs"),
        http=session,
        allowlist=allow,
        mailer=RecordingMailer(),
        publish=RecordingPublisher(),
        clock=clock,
    )
    yield context, clock
    await session.close()


async def _execute(context: ActionContext, command: dict[str, Any]) -> tuple[str, bytes, bytes]:
    """Run the worker's action for ``command``; what it published to its feedback topic."""
    publisher = context.publish
    assert isinstance(publisher, RecordingPublisher)
    publisher.messages.clear()
    await ACTIONS[command["action"]["kind"]](command_from_dict(command), context)
    topic, key, value = publisher.messages[-1]  # chat-invitations first, then chat-events
    return topic, key.encode(), orjson.dumps(value)


async def test_purge_read_before_the_invitation_echo_keeps_the_visitor_gone(
    kafka_settings: Settings, tmp_path: Path, worker_context: tuple[ActionContext, WorkerClock]
) -> None:
    context, clock = worker_context
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES)
    settings = kafka_settings.with_overrides(web_port=0, web_host="127.0.0.1")
    rules = compile_rules(load_rule_files([rules_file]))
    await publish(settings, settings.topic("rules"), [rule_record(r) for r in rules.rules.values()])
    actions = TopicCollector(settings, settings.topic("actions"))
    await actions.start()
    processor = Processor(settings, faust_options=fast_options(), ticks=False)
    await processor.start()
    try:
        await produce(
            settings,
            settings.topic("visitor-events"),
            [
                _view("dan", "https://e.com/help?forget=1", "d1"),  # invited and purged
                _view("sue", "https://e.com/help", "s1"),  # only invited
            ],
        )
        fired = await actions.wait_for(lambda seen: len(seen) >= 3, 90)
        by_rule = {(c["rule"]["id"], c["visitor_id"]): c for c in fired}
        assert sorted(by_rule) == [
            ("forget-me", "dan"),
            ("invite-help", "dan"),
            ("invite-help", "sue"),
        ]

        # the purge, stamped 5 s after the page view, is read first
        topic, key, value = await _execute(context, by_rule[("forget-me", "dan")])
        assert topic == "control"
        await produce(settings, settings.topic("control"), [(key, value)])
        await actions.wait_for(lambda seen: any(c["rule"]["id"] == "purged" for c in seen), 90)

        # then both invitations' echoes, stamped after the purge
        clock.now += 1.0
        echoes = [
            await _execute(context, by_rule[("invite-help", visitor)]) for visitor in ("dan", "sue")
        ]
        assert [topic for topic, _, _ in echoes] == ["chat-events", "chat-events"]
        await produce(settings, settings.topic("chat-events"), [(k, v) for _, k, v in echoes])
        # sue's echo fires "invited"; dan's is read too (5 inputs in all)
        await actions.wait_for(lambda seen: any(c["rule"]["id"] == "invited" for c in seen), 90)
        await eventually(lambda: processor.metrics.inputs >= 5, 60)
        await asyncio.sleep(1.5)  # a command fired for dan would be on `actions` by now
        listed = {row["visitor_id"]: row for row in processor.local_visitors()}
        got = actions.values()
        dropped = processor.metrics.events_in.labels("after_purge")._value.get()
    finally:
        await processor.stop()
        await actions.stop()

    assert sorted((c["rule"]["id"], c["visitor_id"]) for c in got) == [
        ("forget-me", "dan"),
        ("invite-help", "dan"),
        ("invite-help", "sue"),
        ("invited", "sue"),
        ("purged", "dan"),
    ]
    assert "dan" not in listed
    assert dropped == 1.0  # dan's echo, counted
    assert listed["sue"]["status"] == "invited" and listed["sue"]["hits"] == 1
