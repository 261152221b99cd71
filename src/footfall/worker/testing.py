"""Test helpers shipped with the worker: command builders and recording transports."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import orjson

from footfall.settings import Settings

__all__ = [
    "PeerRequest",
    "RecordingMailer",
    "RecordingPublisher",
    "ScriptedPeer",
    "build_command",
    "encode_command",
    "eventually",
    "produce_commands",
    "read_topic",
]


def build_command(
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    visitor_id: str = "v-1",
    rule_id: str = "test-rule",
    owner: dict[str, Any] | None = None,
    command_id: str | None = None,
    seq: int = 0,
    caused_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A command shaped as SPEC §7 produces it, with a deterministic id from its inputs."""
    params = dict(params or {})
    if command_id is None:
        digest = hashlib.sha256(f"{rule_id}|{kind}|{visitor_id}|{seq}".encode()).hexdigest()
        command_id = digest[:40]
    return {
        "command_id": command_id,
        "rule": {
            "id": rule_id,
            "name": f"Rule {rule_id}",
            "version": "v1",
            "owner": owner or {"role": "admin"},
        },
        "action": {"index": 0, "kind": kind, "params": params},
        "visitor_id": visitor_id,
        "trigger": {
            "event": "online_activity",
            "source": "event",
            "event_id": f"e-{seq}",
            "time": "2026-11-26T10:00:00Z",
        },
        "facts": {"visitor_id": visitor_id, "hits": 3},
        "fired_at": "2026-11-26T10:00:00Z",
        "suppressed_since_last": 0,
        "caused_by": caused_by,
    }


def encode_command(command: dict[str, Any]) -> tuple[bytes, bytes]:
    """(key, value) to produce a command on the ``actions`` topic."""
    return str(command["visitor_id"]).encode(), orjson.dumps(command)


@dataclass
class RecordingMailer:
    """A mail transport that keeps what it was asked to send."""

    sent: list[tuple[EmailMessage, str, list[str]]] = field(default_factory=list)

    async def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        self.sent.append((message, sender, list(recipients)))


@dataclass
class RecordingPublisher:
    """A ``publish`` function that keeps (topic, key, value) instead of producing."""

    messages: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, topic: str, key: str, value: dict[str, Any]) -> None:
        self.messages.append((topic, key, value))


async def produce_commands(settings: Settings, commands: list[dict[str, Any]]) -> None:
    """Produce commands on the ``actions`` topic, keyed by visitor id, and wait for acks."""
    from footfall.kafka_clients import make_producer

    producer = make_producer(settings)
    await producer.start()
    try:
        futures = []
        for command in commands:
            key, value = encode_command(command)
            futures.append(await producer.send(settings.topic("actions"), value, key=key))
        for future in futures:
            await future
    finally:
        await producer.stop()


async def read_topic(
    settings: Settings,
    name: str,
    *,
    count: int | None = None,
    wait: float = 10.0,
    full_name: bool = False,
) -> list[tuple[bytes | None, Any]]:
    """Read a topic from the beginning (no group) until ``count`` messages or ``wait`` seconds.

    Values are decoded as JSON where they are JSON. Returns (key, value) pairs.
    """
    import asyncio

    from footfall.kafka_clients import make_consumer

    topic = name if full_name else settings.topic(name)
    consumer = make_consumer(settings, topic, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    found: list[tuple[bytes | None, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    try:
        while loop.time() < deadline and (count is None or len(found) < count):
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    value: Any = record.value
                    if value is not None:
                        with contextlib.suppress(orjson.JSONDecodeError):
                            value = orjson.loads(value)
                    found.append((record.key, value))
    finally:
        await consumer.stop()
    return found


@dataclass(frozen=True, slots=True)
class PeerRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class ScriptedPeer:
    """A real aiohttp server on loopback that records requests and answers by script.

    ``script[path]`` is a list of statuses answered in turn (the last one repeats; 200
    when absent); ``delays[path]`` makes answers to that path slow.
    """

    def __init__(self, *, keep_requests: bool = True) -> None:
        self.requests: list[PeerRequest] = []
        self.count = 0
        self.script: dict[str, list[int]] = {}
        self.delays: dict[str, float] = {}
        self.headers: dict[str, str] = {}
        self._keep = keep_requests
        self._runner: Any = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def for_path(self, path: str) -> list[PeerRequest]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: Any) -> Any:
        import asyncio
        import time

        from aiohttp import web

        body = await request.read()
        self.count += 1
        path = request.path
        if self._keep:
            self.requests.append(
                PeerRequest(request.method, path, dict(request.headers), body, time.time())
            )
        delay = self.delays.get(path)
        if delay:
            await asyncio.sleep(delay)
        statuses = self.script.get(path)
        status = 200
        if statuses:
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return web.Response(status=status, text="ok", headers=self.headers)


async def eventually(check: Callable[[], bool], wait: float = 15.0) -> None:
    """Wait until ``check()`` is true, polling every 50 ms; fail after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {wait:g} s")
        await asyncio.sleep(0.05)
