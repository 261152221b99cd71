"""``footfall kafka`` starts a usable broker with the topics and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from footfall.kafka_clients import make_admin
from footfall.settings import Settings

pytestmark = pytest.mark.integration


def _kafka_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("footfall-kafka-*")}


async def test_kafka_command_runs_and_cleans_up() -> None:
    before = _kafka_dirs()
    env = {**os.environ, "FOOTFALL_TOPIC_PREFIX": "cmd.", "FOOTFALL_PARTITIONS": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "footfall", "kafka"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        began = time.monotonic()
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        elapsed = time.monotonic() - began
        assert line.startswith("FOOTFALL_BROKER=127.0.0.1:"), line
        assert elapsed < 60, f"broker took {elapsed:.1f}s"
        bootstrap = line.split("=", 1)[1]
        started = _kafka_dirs() - before
        assert len(started) == 1

        admin = make_admin(Settings(broker=bootstrap, topic_prefix="cmd."))
        await admin.start()
        try:
            topics = set(await admin.list_topics())
            described = await admin.describe_topics(["cmd.visitor-events"])
        finally:
            await admin.close()
        assert {"cmd.visitor-events", "cmd.actions", "cmd.rules", "cmd.dead-letters"} <= topics
        assert len(described[0]["partitions"]) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Kafka stopped" in err
    assert not (_kafka_dirs() - before), "the broker's data directory was left behind"
    java = subprocess.run(
        ["pgrep", "-f", f"kafka.Kafka .*{next(iter(started))}"], capture_output=True, check=False
    )
    assert java.returncode == 1, "a Kafka JVM was left running"
