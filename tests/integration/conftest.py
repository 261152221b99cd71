"""Fixtures shared by the integration tests (the broker fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from footfall.worker.testing import ScriptedPeer


@pytest.fixture
async def peer() -> AsyncIterator[ScriptedPeer]:
    """A real aiohttp server on loopback that records requests and answers as scripted."""
    p = ScriptedPeer()
    await p.start()
    yield p
    await p.stop()
