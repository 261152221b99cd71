"""The executor with a recording producer and a real local HTTP peer (no broker)."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from footfall.settings import Settings
from footfall.worker.context import ActionContext
from footfall.worker.donestore import CommandLedger
from footfall.worker.executor import Executor
from footfall.worker.http import make_session
from footfall.worker.metrics import WorkerMetrics
from footfall.worker.netguard import Allowlist
from footfall.worker.retry import RetryEnvelope
from footfall.worker.testing import RecordingMailer, ScriptedPeer, build_command


class RecordingProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None]] = []

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future[Any]:
        self.sent.append((topic, value, key))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self.sent.append((topic, value, key))

    def on(self, topic: str) -> list[Any]:
        return [orjson.loads(v) for t, v, _ in self.sent if t.endswith(topic)]


def record(command: dict[str, Any], offset: int = 0) -> Any:
    return SimpleNamespace(
        topic="p.actions", partition=0, offset=offset, key=b"v-1", value=orjson.dumps(command)
    )


@pytest.fixture
async def setup():
    peer = ScriptedPeer()
    await peer.start()
    settings = Settings(topic_prefix="p.", retry_schedule=(1.0,))
    producer = RecordingProducer()
    metrics = WorkerMetrics()
    executor = Executor(settings, producer, CommandLedger(), metrics, time.time)
    allow = Allowlist.parse(["127.0.0.1"])
    session = make_session(allow)
    executor.context = ActionContext(
        settings=settings,
        http=session,
        allowlist=allow,
        mailer=RecordingMailer(),
        publish=executor.publish,
    )
    yield executor, producer, peer, metrics
    await session.close()
    await peer.stop()


async def test_a_redelivered_running_command_waits_then_is_dropped(setup) -> None:
    executor, producer, peer, metrics = setup
    peer.delays["/slow"] = 0.3
    command = build_command("call_web_page", {"url": f"{peer.base}/slow"})
    first = asyncio.create_task(executor.process(record(command, 0), None))
    await asyncio.sleep(0.05)
    second_started = time.monotonic()
    assert await executor.process(record(command, 1), None) is None
    assert time.monotonic() - second_started >= 0.2  # waited for the first one's outcome
    assert await first is not None  # the ledger write of the first
    assert len(peer.for_path("/slow")) == 1
    assert metrics.duplicates.labels("call_web_page")._value.get() == 1
    assert [d["state"] for d in producer.on("actions-done")] == ["done"]


async def test_transient_failure_goes_to_the_retry_topic_then_exhausts(setup) -> None:
    executor, producer, peer, _ = setup
    peer.script["/down"] = [503]
    command = build_command("call_web_page", {"url": f"{peer.base}/down"})
    assert await executor.process(record(command, 7), None) is None
    (envelope,) = producer.on("actions-retry")
    assert envelope["attempts"] == 1 and envelope["source"]["offset"] == 7
    assert producer.on("actions-done")[-1] == {
        "state": "retrying",
        "kind": "call_web_page",
        "attempts": 1,
        "at": pytest.approx(time.time(), abs=5),
    }
    retry = RetryEnvelope.decode(orjson.dumps(envelope))
    retry_record = SimpleNamespace(
        topic="p.actions-retry", partition=0, offset=0, key=b"v-1", value=b""
    )
    assert await executor.process(retry_record, retry) is None
    (letter,) = producer.on("dead-letters")
    assert letter["reason"] == "retries_exhausted" and letter["attempts"] == 2
    assert letter["source"] == {"topic": "p.actions", "partition": 0, "offset": 7}
    # the original, re-delivered after a crash, does not start a second chain
    assert await executor.process(record(command, 7), None) is None
    assert len(peer.for_path("/down")) == 2


async def test_malformed_and_unknown_commands_dead_letter(setup) -> None:
    executor, producer, _, _ = setup
    bad = SimpleNamespace(topic="p.actions", partition=1, offset=3, key=b"k", value=b"{nope")
    await executor.process(bad, None)
    unknown = build_command("launch_rockets", {})
    await executor.process(record(unknown, 4), None)
    letters = producer.on("dead-letters")
    assert [(d["reason"], d["attempts"]) for d in letters] == [
        ("malformed_command", 0),
        ("unknown_action", 0),
    ]
    assert letters[0]["payload"] == "{nope"
    assert letters[0]["source"] == {"topic": "p.actions", "partition": 1, "offset": 3}


async def test_refused_addresses_and_log_paths_dead_letter_at_once(setup) -> None:
    executor, producer, _, _ = setup
    mail = build_command("send_email", {"to": ["a@example.com\r\nBcc: e@vil.test"], "subject": "s"})
    await executor.process(record(mail, 1), None)
    await executor.process(record(build_command("log_to_file", {"file": "a" * 300}), 2), None)
    letters = producer.on("dead-letters")
    assert [(d["reason"], d["attempts"]) for d in letters] == [("action_failed", 1)] * 2
    assert letters[0]["error"] == "params.to[0]: line breaks are not allowed in an address"
    assert letters[1]["error"].startswith(
        "log_to_file: params.file: a part of the log file path is longer than 255 bytes"
    )
    assert producer.on("actions-retry") == []
