"""Retries, dead letters, non-blocking slow peers, dedupe and the address refusals."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from footfall.settings import Settings
from footfall.worker.service import Worker
from footfall.worker.testing import ScriptedPeer, build_command, produce_commands, read_topic

pytestmark = pytest.mark.integration


async def eventually(check: Callable[[], bool], wait: float = 15.0) -> None:
    deadline = time.monotonic() + wait
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def peer() -> AsyncIterator[ScriptedPeer]:
    p = ScriptedPeer()
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def start_worker() -> AsyncIterator[Callable[..., Any]]:
    workers: list[Worker] = []

    async def start(settings: Settings, **kw: Any) -> Worker:
        worker = Worker(settings, grace=5.0, serve_web=False, **kw)
        await worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        await worker.stop()


def web(peer: ScriptedPeer, path: str, seq: int, **kw: Any) -> dict[str, Any]:
    return build_command("call_web_page", {"url": f"{peer.base}{path}", **kw}, seq=seq)


def settings_for(kafka_settings: Settings, **kw: Any) -> Settings:
    base: dict[str, Any] = {"http_allowlist": ("127.0.0.1",), "retry_schedule": (0.3, 0.6)}
    base.update(kw)
    return kafka_settings.with_overrides(**base)


async def test_transient_failures_retry_then_succeed_once(
    kafka_settings, peer, start_worker
) -> None:
    settings = settings_for(kafka_settings)
    peer.script["/flaky"] = [503, 503, 200]
    command = web(peer, "/flaky", 1, method="POST")
    worker = await start_worker(settings)
    await produce_commands(settings, [command])
    await eventually(lambda: worker.metrics.executed.labels("call_web_page")._value.get() == 1)
    hits = peer.for_path("/flaky")
    assert len(hits) == 3
    assert {h.headers["Idempotency-Key"] for h in hits} == {command["command_id"]}
    assert hits[1].at - hits[0].at >= 0.2  # backed off (0.3 s ± 20 %)
    retries = await read_topic(settings, "actions-retry", count=2)
    assert [v["attempts"] for _, v in retries] == [1, 2]
    assert all(v["source"]["topic"] == settings.topic("actions") for _, v in retries)
    await asyncio.sleep(1.0)
    assert len(peer.for_path("/flaky")) == 3
    assert await read_topic(settings, "dead-letters", wait=0.5) == []


async def test_permanent_and_exhausted_failures_dead_letter(
    kafka_settings, peer, start_worker
) -> None:
    settings = settings_for(kafka_settings)
    peer.script["/bad"] = [400]
    peer.script["/down"] = [503]
    bad, down = web(peer, "/bad?token=s3cr3t", 1), web(peer, "/down", 2)
    await start_worker(settings)
    await produce_commands(settings, [bad, down])
    letters = {
        v["payload"]["command_id"]: v
        for _, v in await read_topic(settings, "dead-letters", count=2, wait=20)
    }
    assert letters[bad["command_id"]]["reason"] == "action_failed"
    assert letters[bad["command_id"]]["attempts"] == 1
    assert "HTTP 400" in letters[bad["command_id"]]["error"]
    assert "s3cr3t" not in letters[bad["command_id"]]["error"]
    assert letters[down["command_id"]]["reason"] == "retries_exhausted"
    assert letters[down["command_id"]]["attempts"] == 3  # first try + two scheduled retries
    assert letters[down["command_id"]]["source"]["topic"] == settings.topic("actions")
    assert len(peer.for_path("/bad")) == 1 and len(peer.for_path("/down")) == 3


async def test_retry_after_is_honoured(kafka_settings, peer, start_worker) -> None:
    settings = settings_for(kafka_settings, retry_schedule=(0.1, 5.0))
    peer.script["/busy"] = [429, 200]
    peer.headers = {"Retry-After": "2"}
    await start_worker(settings)
    await produce_commands(settings, [web(peer, "/busy", 1)])
    await eventually(lambda: len(peer.for_path("/busy")) == 2, wait=10)
    first, second = peer.for_path("/busy")
    assert second.at - first.at >= 1.9


async def test_slow_peer_does_not_block_the_partition(kafka_settings, peer, start_worker) -> None:
    settings = settings_for(kafka_settings, worker_concurrency=8)
    peer.delays["/slow"] = 4.0
    slow = web(peer, "/slow", 0)
    fast = [web(peer, "/fast", i) for i in range(1, 41)]  # same visitor: same partition
    await start_worker(settings)
    started = time.monotonic()
    await produce_commands(settings, [slow, *fast])
    await eventually(lambda: len(peer.for_path("/fast")) == 40, wait=10)
    assert time.monotonic() - started < 3.5
    assert len(peer.for_path("/slow")) == 1


async def test_repeated_command_executes_once(kafka_settings, peer, start_worker) -> None:
    settings = settings_for(kafka_settings)
    command = web(peer, "/once", 1)
    worker = await start_worker(settings)
    await produce_commands(settings, [command, command])
    await eventually(lambda: worker.metrics.duplicates.labels("call_web_page")._value.get() == 1)
    await produce_commands(settings, [command])
    await eventually(lambda: worker.metrics.duplicates.labels("call_web_page")._value.get() == 2)
    assert len(peer.for_path("/once")) == 1


async def test_without_allowlist_private_targets_are_refused(
    kafka_settings, peer, start_worker
) -> None:
    settings = kafka_settings.with_overrides(http_allowlist=(), retry_schedule=(0.2,))
    commands = [
        web(peer, "/loopback", 1),
        build_command("call_web_page", {"url": f"http://localhost:{peer.port}/name"}, seq=2),
        build_command("call_web_page", {"url": "http://169.254.169.254/latest/meta-data/"}, seq=3),
        build_command("call_web_page", {"url": f"http://[::ffff:127.0.0.1]:{peer.port}/m"}, seq=4),
        build_command("call_web_page", {"url": "http://10.1.2.3/"}, seq=5),
        build_command("call_web_page", {"url": "file:///etc/passwd"}, seq=6),
    ]
    await start_worker(settings)
    await produce_commands(settings, commands)
    letters = await read_topic(settings, "dead-letters", count=len(commands), wait=20)
    assert sorted(v["payload"]["command_id"] for _, v in letters) == sorted(
        c["command_id"] for c in commands
    )
    assert all(v["reason"] == "action_failed" and v["attempts"] == 1 for _, v in letters)
    assert peer.count == 0
