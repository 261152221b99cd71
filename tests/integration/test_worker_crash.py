"""A worker killed with SIGKILL mid-flight loses nothing; replicas in a group share work."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from footfall.devsinks.mail import SmtpSink
from footfall.settings import Settings
from footfall.worker.service import Worker
from footfall.worker.testing import ScriptedPeer, build_command, eventually, produce_commands

pytestmark = pytest.mark.integration


def spawn_worker(settings: Settings, smtp: SmtpSink, log: Path) -> subprocess.Popen[bytes]:
    host, port = smtp.address
    env = {
        **os.environ,
        "FOOTFALL_BROKER": settings.broker,
        "FOOTFALL_TOPIC_PREFIX": settings.topic_prefix,
        "FOOTFALL_PARTITIONS": str(settings.partitions),
        "FOOTFALL_HTTP_ALLOWLIST": "127.0.0.1",
        "FOOTFALL_WEB_PORT": "0",
        "FOOTFALL_WEB_HOST": "127.0.0.1",
        "FOOTFALL_WORKER_CONCURRENCY": "8",
        "FOOTFALL_RETRY_SCHEDULE": "1s",
        "FOOTFALL_SMTP_HOST": host,
        "FOOTFALL_SMTP_PORT": str(port),
        "FOOTFALL_LOG_DIR": str(settings.log_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "footfall", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


async def test_kill_9_mid_flight_then_restart_executes_everything(
    kafka_settings: Settings, peer: ScriptedPeer, tmp_path: Path
) -> None:
    smtp = SmtpSink()
    await smtp.start()
    peer.delays["/work"] = 0.4
    web = [
        build_command(
            "call_web_page",
            {"url": f"{peer.base}/work", "method": "POST"},
            seq=i,
            visitor_id=f"v{i % 7}",
        )
        for i in range(48)
    ]
    mail = [
        build_command("send_email", {"to": [f"u{i}@example.com"], "subject": f"m{i}"}, seq=100 + i)
        for i in range(10)
    ]
    log = tmp_path / "worker.log"
    first = spawn_worker(kafka_settings, smtp, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        await produce_commands(kafka_settings, web + mail)
        await eventually(lambda: peer.count >= 12, wait=60)
        first.send_signal(signal.SIGKILL)  # commands are in flight (the peer is slow)
        first.wait(10)
        killed_at = peer.count
        assert killed_at < len(web)
        second = spawn_worker(kafka_settings, smtp, log)
        wanted = {c["command_id"] for c in web}
        seen = lambda: {r.headers["Idempotency-Key"] for r in peer.for_path("/work")}  # noqa: E731
        await eventually(lambda: seen() >= wanted, wait=90)
        await eventually(lambda: smtp.received_count >= len(mail), wait=30)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
        await smtp.stop()
    assert second is not None and second.returncode == 0  # graceful stop on SIGTERM
    requests = peer.for_path("/work")
    for request in requests:  # each attempt carries its own command's id
        assert orjson.loads(request.body)["command_id"] == request.headers["Idempotency-Key"]
    repeats = Counter(r.headers["Idempotency-Key"] for r in requests)
    assert any(n > 1 for n in repeats.values()), "the kill should have interrupted some commands"
    message_ids = Counter(m.message_id for m in smtp.mails)
    assert set(message_ids) == {f"<{c['command_id']}@footfall>" for c in mail}


async def test_two_workers_in_one_group_share_the_load(
    kafka_settings: Settings, peer: ScriptedPeer
) -> None:
    settings = kafka_settings.with_overrides(http_allowlist=("127.0.0.1",))
    one = Worker(settings, serve_web=False, grace=5.0)
    two = Worker(settings, serve_web=False, grace=5.0)
    await one.start()
    await two.start()
    try:

        def split() -> bool:
            a, b = one._consumer.assignment(), two._consumer.assignment()
            return bool(a) and bool(b) and len(a) + len(b) == 2 * settings.partitions

        await eventually(split, wait=30)
        commands = [
            build_command("call_web_page", {"url": f"{peer.base}/share"}, seq=i, visitor_id=f"v{i}")
            for i in range(120)
        ]
        await produce_commands(settings, commands)

        def executed() -> list[float]:
            return [w.metrics.executed.labels("call_web_page")._value.get() for w in (one, two)]

        # the peer sees a request before the worker has its answer: wait for the workers
        await eventually(lambda: sum(executed()) >= len(commands), wait=30)
        await asyncio.sleep(0.5)
        counts = executed()
    finally:
        await one.stop()
        await two.stop()
    assert all(n > 0 for n in counts)
    assert sum(counts) == len(commands)
    keys = {r.headers["Idempotency-Key"] for r in peer.requests}
    assert keys == {c["command_id"] for c in commands}


async def test_a_held_retry_survives_a_rebalance(
    kafka_settings: Settings, peer: ScriptedPeer
) -> None:
    settings = kafka_settings.with_overrides(http_allowlist=("127.0.0.1",), retry_schedule=(4.0,))
    peer.script["/flaky"] = [503, 200]
    command = build_command("call_web_page", {"url": f"{peer.base}/flaky"}, seq=1)
    one = Worker(settings, serve_web=False, grace=5.0)
    two = Worker(settings, serve_web=False, grace=5.0)
    await one.start()
    try:
        await produce_commands(settings, [command])
        await eventually(lambda: one.metrics.waiting_retries._value.get() == 1, wait=20)
        await two.start()  # the group rebalances while the retry is held
        await eventually(lambda: len(peer.for_path("/flaky")) == 2, wait=30)
        await asyncio.sleep(2.0)
        executed = sum(w.metrics.executed.labels("call_web_page")._value.get() for w in (one, two))
    finally:
        await one.stop()
        await two.stop()
    assert len(peer.for_path("/flaky")) == 2
    assert executed == 1
