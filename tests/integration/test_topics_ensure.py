"""``footfall topics ensure`` on a real broker; processors and workers refuse to start on
topics that disagree with the settings (at once, with the topic named, no retries)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import NewTopic

from footfall.devkafka import LocalKafka
from footfall.kafka_clients import make_admin
from footfall.settings import Settings
from footfall.topics import TopicMismatchError, ensure_topics

pytestmark = pytest.mark.integration


def _env(broker: LocalKafka, prefix: str, partitions: int, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FOOTFALL_BROKER": broker.bootstrap,
        "FOOTFALL_TOPIC_PREFIX": prefix,
        "FOOTFALL_PARTITIONS": str(partitions),
        "FOOTFALL_STATE_DIR": str(tmp_path / "state"),
        "FOOTFALL_LOG_DIR": str(tmp_path / "logs"),
        "FOOTFALL_WEB_PORT": "0",
        "FOOTFALL_WEB_HOST": "127.0.0.1",
    }


def _footfall(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "footfall", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


async def _create(settings: Settings, name: str, partitions: int, config: dict[str, str]) -> None:
    admin = make_admin(settings)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=config)])
    finally:
        await admin.close()


def _prefix() -> str:
    return f"e{uuid.uuid4().hex[:10]}."


async def test_ensure_creates_every_topic_then_verifies_them(
    kafka_broker: LocalKafka, tmp_path: Path
) -> None:
    env = _env(kafka_broker, _prefix(), 3, tmp_path)
    first = _footfall(env, "topics", "ensure")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    prefix = env["FOOTFALL_TOPIC_PREFIX"]
    assert f"created {prefix}visitor-events (3 partitions)" in lines
    assert f"created {prefix}rules (1 partitions compacted)" in lines
    assert any(line.startswith(f"created {prefix}actions-done") for line in lines), lines
    assert all(line.startswith("created ") for line in lines)
    settings = Settings.from_env(env)
    admin = make_admin(settings)
    await admin.start()
    try:
        names = {n for n in await admin.list_topics() if n.startswith(prefix)}
    finally:
        await admin.close()
    assert names == {line.split()[1] for line in lines}
    again = _footfall(env, "topics", "ensure")
    assert again.returncode == 0, again.stderr
    assert all(line.startswith("verified ") for line in again.stdout.splitlines())
    assert len(again.stdout.splitlines()) == len(lines)


async def test_ensure_refuses_topics_with_another_partition_count(
    kafka_broker: LocalKafka, tmp_path: Path
) -> None:
    env = _env(kafka_broker, _prefix(), 8, tmp_path)
    settings = Settings.from_env(env)
    await _create(settings, settings.topic("actions"), 4, {})
    result = _footfall(env, "topics", "ensure")
    assert result.returncode == 1
    message = result.stderr
    assert f"topic '{settings.topic('actions')}' has 4 partition(s)" in message
    assert "FOOTFALL_PARTITIONS=8" in message
    with pytest.raises(TopicMismatchError):
        await ensure_topics(settings)


async def test_ensure_refuses_a_config_topic_that_is_not_compacted(
    kafka_broker: LocalKafka, tmp_path: Path
) -> None:
    env = _env(kafka_broker, _prefix(), 2, tmp_path)
    settings = Settings.from_env(env)
    await _create(settings, settings.topic("rules"), 1, {"cleanup.policy": "delete"})
    result = _footfall(env, "topics", "ensure")
    assert result.returncode == 1
    assert f"topic '{settings.topic('rules')}' has cleanup.policy='delete'" in result.stderr


@pytest.mark.parametrize("service", ["processor", "worker"])
async def test_a_service_refuses_to_start_on_mismatched_topics(
    kafka_broker: LocalKafka, tmp_path: Path, service: str
) -> None:
    env = _env(kafka_broker, _prefix(), 6, tmp_path)
    settings = Settings.from_env(env)
    await _create(settings, settings.topic("visitor-events"), 2, {})
    began = time.monotonic()
    result = _footfall(env, service, timeout=90)
    took = time.monotonic() - began
    assert result.returncode != 0
    assert f"topic '{settings.topic('visitor-events')}' has 2 partition(s)" in result.stderr
    assert "FOOTFALL_PARTITIONS=6" in result.stderr
    assert "trying again" not in result.stderr  # not taken for an unreachable broker
    assert took < 45, f"{service} took {took:.0f}s to give up"
