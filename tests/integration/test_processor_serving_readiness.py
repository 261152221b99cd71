"""A rebalance does not take the Who's On page and the API away: ``/readyz/web`` (the
Service's readiness) stays 200 while ``/readyz`` reports the rebalance (real broker)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from footfall.processor.service import Processor
from footfall.processor.testing import fast_options
from footfall.settings import Settings

pytestmark = pytest.mark.integration


def _processor(settings: Settings) -> Processor:
    return Processor(
        settings.with_overrides(web_port=0, web_host="127.0.0.1"),
        ticks=False,
        faust_options=fast_options(),
    )


async def _until(check: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds:.0f}s")


async def test_a_rebalance_keeps_the_page_served(kafka_settings: Settings) -> None:
    one, two = _processor(kafka_settings), _processor(kafka_settings)
    seen: list[tuple[int, int]] = []
    stop = asyncio.Event()

    async def watch(session: aiohttp.ClientSession) -> None:
        base = one.own_url
        while not stop.is_set():
            async with session.get(f"{base}/readyz") as strict:
                strict_status = strict.status
            async with session.get(f"{base}/readyz/web") as serving:
                seen.append((strict_status, serving.status))
            await asyncio.sleep(0.01)

    await one.start()
    try:
        await _until(lambda: one.readiness()["ready"], 60)
        async with aiohttp.ClientSession() as session:
            watcher = asyncio.create_task(watch(session))
            await two.start()
            await _until(lambda: one.readiness()["ready"] and two.readiness()["ready"], 90)
            await _until(lambda: bool(one.readiness()["partitions"]), 30)
            stop.set()
            await watcher
        assert any(strict == 503 for strict, _ in seen), "no rebalance was seen"
        assert {serving for _, serving in seen} == {200}
        assert len(set(one.readiness()["partitions"])) < kafka_settings.partitions
    finally:
        await two.stop()
        await one.stop()


async def test_not_serving_before_the_start(kafka_settings: Settings) -> None:
    processor = _processor(kafka_settings)
    state = processor.readiness()
    assert state["serving"] is False
    assert state["ready"] is False
