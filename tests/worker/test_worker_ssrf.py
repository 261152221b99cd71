"""Loopback targets against a real canary server: a refused target receives nothing.

Every lookup goes through a resolver the test controls that only ever answers loopback
addresses, so no test can reach anything but this machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from footfall.worker.errors import RejectedError, TargetRefusedError
from footfall.worker.http import make_session, send
from footfall.worker.netguard import Allowlist


class Canary:
    """An aiohttp server that counts every TCP connection and request it receives."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[str] = []
        self.status = 200
        self.location = ""
        self._runner: web.AppRunner | None = None
        self._servers: list[asyncio.AbstractServer] = []

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        headers = {"Location": self.location} if self.location else {}
        return web.Response(status=self.status, text="canary", headers=headers)

    async def start(self, hosts: list[str], port: int = 0) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        handler = self._runner.server
        assert handler is not None

        def accept() -> Any:
            self.connections += 1
            return handler()

        loop = asyncio.get_running_loop()
        for host in hosts:
            server = await loop.create_server(accept, host, port)
            port = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        return port

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        if self._runner is not None:
            await self._runner.cleanup()


class LoopbackResolver:
    """Answers from a script (one list per lookup, the last one repeated); refuses to
    answer anything but loopback addresses so that no test can leave this machine."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[dict[str, Any]]:
        self.lookups.append(host)
        script = self.answers.get(host)
        if not script:
            raise OSError(f"{host}: unknown to the test resolver")
        addresses = script.pop(0) if len(script) > 1 else script[0]
        assert all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses
        return [
            {
                "hostname": host,
                "host": a,
                "port": port,
                "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for a in addresses
        ]

    async def close(self) -> None:
        pass


def _names() -> dict[str, list[list[str]]]:
    return {
        "localhost": [["127.0.0.1", "::1"]],
        "localhost.": [["127.0.0.1", "::1"]],
        "loopback.test": [["127.0.0.1"]],
        "loopback6.test": [["::1"]],
        "other-loopback.test": [["127.0.0.2"]],
        "x": [["127.0.0.1"]],
    }


@pytest.fixture
async def canary() -> AsyncIterator[tuple[Canary, int]]:
    c = Canary()
    for _ in range(10):  # the same port on 127.0.0.1 and ::1
        try:
            port = await c.start(["127.0.0.1"])
            await c.start(["::1"], port)
            break
        except OSError:
            await c.stop()
            c = Canary()
    else:
        pytest.fail("no port free on both 127.0.0.1 and ::1")
    yield c, port
    await c.stop()


async def _send(allow: Allowlist, resolver: LoopbackResolver, url: str) -> int:
    session = make_session(allow, lookup=resolver)  # type: ignore[arg-type]
    try:
        return await send(session, allow, "GET", url, headers={}, body=None, timeout=5.0, now=0.0)
    finally:
        await session.close()


LOOPBACK_URLS = [
    "http://127.0.0.1:{port}/",
    "https://127.0.0.1:{port}/",
    "http://127.0.0.2:{port}/",
    "http://127.1:{port}/",
    "http://127.0.1:{port}/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0x7f.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://017700000001:{port}/",
    "http://127.000.000.001:{port}/",
    "http://127.0.0.1.:{port}/",
    "http://[::1]:{port}/",
    "http://[0:0:0:0:0:0:0:1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    "http://[64:ff9b::127.0.0.1]:{port}/",
    "http://[2002:7f00:1::1]:{port}/",
    "http://localhost:{port}/",
    "http://LocalHost.:{port}/",
    "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:{port}/",
    "http://loopback.test:{port}/",
    "http://loopback6.test:{port}/",
    "http://example.com@127.0.0.1:{port}/",
    "http://user:secret@127.0.0.1:{port}/",
    "http://127.0.0.1%2f@x:{port}/",
    "http://１２７.０.０.１:{port}/",
    "http://127。0。0。1:{port}/",
    "http://０ｘ７ｆ.１:{port}/",
    "http://127.0.0.%31:{port}/",
    "http://127.0.0.1\\@example.com:{port}/",
]


@pytest.mark.parametrize("template", LOOPBACK_URLS)
async def test_loopback_targets_reach_nothing(template: str, canary: tuple[Canary, int]) -> None:
    server, port = canary
    with pytest.raises(TargetRefusedError):
        await _send(Allowlist(), LoopbackResolver(_names()), template.format(port=port))
    assert server.connections == 0
    assert server.requests == []


async def test_the_canary_does_count(canary: tuple[Canary, int]) -> None:
    server, port = canary
    allow = Allowlist.parse(["127.0.0.1"])
    assert await _send(allow, LoopbackResolver(_names()), f"http://127.0.0.1:{port}/a") == 200
    assert server.connections == 1
    assert server.requests == ["/a"]


async def test_allowlisted_loopback_reaches_only_what_it_names(
    canary: tuple[Canary, int],
) -> None:
    # How the tests' own sinks are reached: FOOTFALL_HTTP_ALLOWLIST=127.0.0.1.
    server, port = canary
    allow = Allowlist.parse(["127.0.0.1"])
    names = LoopbackResolver(_names())
    assert await _send(allow, names, f"http://127.0.0.1:{port}/direct") == 200
    assert await _send(allow, names, f"http://loopback.test:{port}/named") == 200
    for url in (
        f"http://[::1]:{port}/",  # another address
        f"http://127.1:{port}/",  # a loose spelling, even of the allowed address
        f"http://2130706433:{port}/",
        f"http://localhost:{port}/",  # one of its answers, ::1, is not allowed
        f"http://other-loopback.test:{port}/",
    ):
        with pytest.raises(TargetRefusedError):
            await _send(allow, names, url)
    assert server.requests == ["/direct", "/named"]


async def test_dns_rebinding_connects_to_the_checked_address() -> None:
    # rebind.test answers 127.0.0.2 (allowlisted) first and 127.0.0.1 (refused) after:
    # a second lookup between check and connect would reach the canary.
    canary, good = Canary(), Canary()
    port = await canary.start(["127.0.0.1"])
    await good.start(["127.0.0.2"], port)
    try:
        allow = Allowlist.parse(["127.0.0.2"])
        resolver = LoopbackResolver({"rebind.test": [["127.0.0.2"], ["127.0.0.1"]]})
        session = make_session(allow, lookup=resolver)  # type: ignore[arg-type]
        try:
            for _ in range(3):
                status = await send(
                    session,
                    allow,
                    "GET",
                    f"http://rebind.test:{port}/",
                    headers={},
                    body=None,
                    timeout=5.0,
                    now=0.0,
                )
                assert status == 200
        finally:
            await session.close()
        assert resolver.lookups == ["rebind.test"]  # one lookup, checked, then pinned
        assert len(good.requests) == 3
        # A fresh session looks the name up again: the new answer is checked in turn.
        with pytest.raises(TargetRefusedError):
            await _send(allow, resolver, f"http://rebind.test:{port}/")
        assert canary.connections == 0
    finally:
        await canary.stop()
        await good.stop()


async def test_a_name_with_one_refused_answer_reaches_nothing() -> None:
    canary, good = Canary(), Canary()
    port = await canary.start(["127.0.0.1"])
    await good.start(["127.0.0.2"], port)
    try:
        allow = Allowlist.parse(["127.0.0.2"])
        resolver = LoopbackResolver({"mixed.test": [["127.0.0.2", "127.0.0.1"]]})
        with pytest.raises(TargetRefusedError):
            await _send(allow, resolver, f"http://mixed.test:{port}/")
        assert canary.connections == good.connections == 0
    finally:
        await canary.stop()
        await good.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_not_followed(status: int) -> None:
    canary, good = Canary(), Canary()
    port = await canary.start(["127.0.0.1"])
    await good.start(["127.0.0.2"], port)
    try:
        good.status = status
        allow = Allowlist.parse(["127.0.0.2"])
        names = LoopbackResolver(_names())
        for location in (
            f"http://127.0.0.1:{port}/stolen",
            f"http://localhost:{port}/stolen",
            f"http://127.0.0.2:{port}/allowed-but-still-a-redirect",
        ):
            good.location = location
            with pytest.raises(RejectedError, match="redirect"):
                await _send(allow, names, f"http://127.0.0.2:{port}/hook")
        assert canary.connections == 0
        assert good.requests == ["/hook"] * 3
        assert names.lookups == []
    finally:
        await canary.stop()
        await good.stop()
