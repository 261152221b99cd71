"""Retries, dead letters, non-blocking slow peers, dedupe and the address refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from footfall.settings import Settings
from footfall.worker.service import Worker
from footfall.worker.testing import (
    ScriptedPeer,
    build_command,
    eventually,
    produce_commands,
    read_topic,
)

pytestmark = pytest.mark.integration


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
    bad = web(peer, "/bad?token=s3cr3t", 1, headers={"Authorization": "Bearer top-secret"})
    down = web(peer, "/down", 2)
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
    assert "top-secret" not in str(letters[bad["command_id"]])  # masked in the payload
    assert peer.for_path("/bad")[0].headers["Authorization"] == "Bearer top-secret"
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
    await produce_commands(settings, [slow, *fast])
    await eventually(lambda: len(peer.for_path("/fast")) == 40, wait=20)
    (slow_request,) = peer.for_path("/slow")
    # every fast command was carried out while the slow one was still being answered
    assert max(r.at for r in peer.for_path("/fast")) < slow_request.at + 4.0


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


class FlakySmtp:
    """aiosmtpd handler answering DATA with scripted codes per recipient."""

    def __init__(self) -> None:
        self.script: dict[str, list[str]] = {}
        self.delivered: list[tuple[str, bytes]] = []
        self.attempts: list[str] = []
        self._server: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0]
        self.attempts.append(rcpt)
        answers = self.script.get(rcpt, [])
        answer = answers.pop(0) if answers else "250 OK"
        if answer.startswith("250"):
            self.delivered.append((rcpt, envelope.content))
        return answer

    async def start(self) -> int:
        from aiosmtpd.smtp import SMTP

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="flaky"), host="127.0.0.1", port=0
        )
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


async def test_smtp_4xx_is_retried_and_5xx_dead_letters(kafka_settings, start_worker) -> None:
    from footfall.settings import SmtpSettings

    smtp = FlakySmtp()
    port = await smtp.start()
    try:
        smtp.script = {
            "later@example.com": ["451 4.3.0 try again later", "451 4.3.0 still busy"],
            "never@example.com": ["550 5.1.1 no such user"],
        }
        settings = settings_for(
            kafka_settings,
            smtp=SmtpSettings(host="127.0.0.1", port=port, mail_from="f@example.com"),
        )
        later = build_command("send_email", {"to": ["later@example.com"], "subject": "a"}, seq=1)
        never = build_command("send_email", {"to": ["never@example.com"], "subject": "b"}, seq=2)
        await start_worker(settings)
        await produce_commands(settings, [later, never])
        ((_, letter),) = await read_topic(settings, "dead-letters", count=1, wait=20)
        assert letter["payload"]["command_id"] == never["command_id"]
        assert letter["reason"] == "action_failed" and "550" in letter["error"]
        await eventually(lambda: len(smtp.delivered) == 1)
        assert smtp.attempts.count("later@example.com") == 3
        assert f"<{later['command_id']}@footfall>".encode() in smtp.delivered[0][1]
    finally:
        await smtp.stop()


async def test_graceful_stop_finishes_in_flight_and_hands_back_the_rest(
    kafka_settings, peer
) -> None:
    settings = settings_for(kafka_settings, worker_concurrency=4)
    peer.delays["/slow"] = 1.5
    commands = [web(peer, "/slow", i) for i in range(12)]
    first = Worker(settings, grace=10.0, serve_web=False)
    await first.start()
    await produce_commands(settings, commands)
    await eventually(lambda: len(peer.for_path("/slow")) >= 4)
    in_flight = {r.headers["Idempotency-Key"] for r in peer.for_path("/slow")}
    await first.stop()  # waits for the 4 running requests, commits, leaves the group
    assert first.metrics.executed.labels("call_web_page")._value.get() >= len(in_flight)
    peer.delays["/slow"] = 0.0
    second = Worker(settings, grace=5.0, serve_web=False)
    await second.start()
    try:
        wanted = {c["command_id"] for c in commands}
        await eventually(lambda: {r.headers["Idempotency-Key"] for r in peer.requests} >= wanted)
        await asyncio.sleep(1.0)
    finally:
        await second.stop()
    counts: dict[str, int] = {}
    for r in peer.requests:
        counts[r.headers["Idempotency-Key"]] = counts.get(r.headers["Idempotency-Key"], 0) + 1
    assert all(counts[key] == 1 for key in in_flight)  # finished during the grace period
    assert sum(counts.values()) == len(commands)  # nothing ran twice after a graceful stop


async def test_long_retry_delays_are_parked_again_not_held(
    kafka_settings, peer, start_worker
) -> None:
    settings = settings_for(kafka_settings, retry_schedule=(2.5,))
    peer.script["/later"] = [503, 200]
    command = web(peer, "/later", 1)
    worker = await start_worker(settings)
    worker.retry_hold_max = 0.5
    await produce_commands(settings, [command])
    await eventually(lambda: worker.metrics.executed.labels("call_web_page")._value.get() == 1)
    first, second = peer.for_path("/later")
    assert second.at - first.at >= 2.0 - 0.01  # 2.5 s ± 20 %
    parked = await read_topic(settings, "actions-retry", count=3)
    assert len(parked) >= 3  # the first envelope and at least two re-parked copies
    assert {v["attempts"] for _, v in parked} == {1}
    assert len({v["due"] for _, v in parked}) == 1
