"""What the live run left behind: topics read whole, the sinks' records, the log files.

Also :func:`wait_quiet`: the system is quiet when nothing it writes to has changed for
a while and the workers' consumer group has committed every command.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import TopicPartition

from footfall.devsinks import SmtpSink, WebhookSink
from footfall.kafka_clients import make_admin, make_consumer
from footfall.settings import Settings

__all__ = ["Execution", "LiveRecord", "Record", "collect", "read_topic", "wait_quiet"]


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record: partition, producer timestamp (s), key and decoded JSON value."""

    partition: int
    timestamp: float
    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class Execution:
    """One sign that a command was carried out: where, and when (epoch s, None: unknown)."""

    command_id: str
    where: str
    at: float | None


@dataclass(slots=True)
class LiveRecord:
    """Everything the checks read from the live run."""

    actions: list[Record] = field(default_factory=list)
    invitations: list[Record] = field(default_factory=list)
    controls: list[Record] = field(default_factory=list)
    dead_letters: list[Record] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)


async def read_topic(settings: Settings, topic: str) -> list[Record]:
    """Every record of ``topic`` up to its end offsets now, in partition order."""
    consumer = make_consumer(settings, enable_auto_commit=False)
    await consumer.start()
    found: list[Record] = []
    try:
        # every topic the drill reads is keyed by visitor: settings.partitions partitions
        assigned = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for r in records:
                    if r.offset < ends[tp]:
                        found.append(_record(tp.partition, r.timestamp, r.key, r.value))
                if records and records[-1].offset >= ends[tp] - 1:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return found


def _record(partition: int, timestamp: int, key: bytes | None, value: bytes | None) -> Record:
    try:
        decoded = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        decoded = None
    text = key.decode("utf-8", "replace") if key else ""
    return Record(partition, timestamp / 1000.0, text, decoded)


def _mail_executions(mail: SmtpSink) -> list[Execution]:
    found = []
    for received in mail.mails:
        local = (received.message_id or "").strip("<>").split("@")[0]
        command_id = local.split(".")[0]  # <id.sms@footfall>: the profile's SMS part
        if command_id:
            found.append(Execution(command_id, f"mail:{local}", received.received_at.timestamp()))
    return found


def _web_executions(hooks: WebhookSink) -> list[Execution]:
    found = []
    for request in hooks.requests:
        headers = {name.lower(): value for name, value in request.headers.items()}
        command_id = headers.get("idempotency-key")
        if command_id:
            at = request.received_at.timestamp()
            found.append(Execution(command_id, f"web:{request.path}", at))
    return found


def _log_executions(root: Path) -> list[Execution]:
    found = []
    for path in sorted(root.rglob("*.log")):
        for line in path.read_bytes().splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                data = orjson.loads(line)
                if isinstance(data, dict) and isinstance(data.get("command_id"), str):
                    found.append(Execution(data["command_id"], f"log:{path.name}", None))
    return found


async def collect(
    settings: Settings, mail: SmtpSink, hooks: WebhookSink, action_logs: Path
) -> LiveRecord:
    """Read the command, invitation, control and dead-letter topics and the sinks."""
    live = LiveRecord()
    live.actions = await read_topic(settings, settings.topic("actions"))
    live.invitations = await read_topic(settings, settings.topic("chat-invitations"))
    live.controls = await read_topic(settings, settings.topic("control"))
    live.dead_letters = await read_topic(settings, settings.topic("dead-letters"))
    live.executions = [
        *_mail_executions(mail),
        *_web_executions(hooks),
        *_log_executions(action_logs),
        *(
            Execution(str(r.value.get("command_id")), "chat-invitations", r.timestamp)
            for r in live.invitations
            if isinstance(r.value, dict) and r.value.get("command_id")
        ),
    ]
    return live


async def _end_offsets(settings: Settings, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = make_consumer(settings, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [
            TopicPartition(topic, p) for topic in topics for p in range(settings.partitions)
        ]
        return dict(await consumer.end_offsets(assigned))
    finally:
        await consumer.stop()


async def _committed(settings: Settings, group: str) -> dict[TopicPartition, int]:
    admin = make_admin(settings)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items()}
    finally:
        await admin.close()


async def wait_quiet(
    settings: Settings,
    signature: Callable[[], tuple[int, ...]],
    *,
    quiet_for: float,
    within: float,
    say: Callable[[str], None],
) -> bool:
    """Wait until the topics and ``signature()`` stay the same for ``quiet_for`` seconds
    and the workers have committed every command; False after ``within`` seconds."""
    topics = [
        settings.topic(name)
        for name in ("actions", "chat-invitations", "control", "dead-letters", "chat-events")
    ]
    deadline = time.monotonic() + within
    last: tuple[Any, ...] | None = None
    since = time.monotonic()
    while time.monotonic() < deadline:
        try:
            ends = await _end_offsets(settings, topics)
            committed = await _committed(settings, f"{settings.topic_prefix}worker")
        except Exception as exc:  # noqa: BLE001 - the broker may still be coming back
            say(f"waiting for quiet: {exc!r}")
            await asyncio.sleep(2)
            continue
        actions = settings.topic("actions")
        behind = sum(
            max(0, end - committed.get(tp, 0)) for tp, end in ends.items() if tp.topic == actions
        )
        now = (tuple(sorted((str(tp), end) for tp, end in ends.items())), signature(), behind)
        if now != last:
            last, since = now, time.monotonic()
        elif behind == 0 and time.monotonic() - since >= quiet_for:
            return True
        await asyncio.sleep(2)
    return False
