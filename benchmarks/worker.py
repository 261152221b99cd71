"""Worker throughput and latency against local sinks, with one real broker.

    .venv/bin/python benchmarks/worker.py [--web N] [--mail N] [--concurrency C]

Starts a local Kafka broker (footfall.devkafka), an aiohttp sink and an aiosmtpd sink
on loopback (in this process), and ONE worker process (``python -m footfall worker``).
Phase 1 pre-loads N ``call_web_page`` commands and measures how fast the worker drains
them (actions/s). Phase 2 produces web commands at a steady rate (``--paced-rate``, default
1,000/s) and reports p50/p99 command latency from produce to the sink's receipt. Phase 3
drains M ``send_email`` commands (mails/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import orjson
from aiohttp import web

from footfall.devkafka import LocalKafka
from footfall.kafka_clients import make_producer
from footfall.settings import Settings
from footfall.topics import ensure_topics
from footfall.worker.service import internal_topics
from footfall.worker.testing import build_command


class Sink:
    """Counts requests; records produce-to-receipt latency from the ``t`` query value."""

    def __init__(self) -> None:
        self.count = 0
        self.latencies: list[float] = []
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.count += 1
        sent = request.query.get("t")
        if sent:
            self.latencies.append(time.time() - float(sent))
        return web.Response(text="ok")

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner


class CountingSmtp:
    """A minimal aiosmtpd sink: accepts every mail and counts it (no parsing)."""

    def __init__(self) -> None:
        self.received_count = 0
        self._server: asyncio.base_events.Server | None = None

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received_count += 1
        return "250 OK"

    async def start(self) -> tuple[str, int]:
        from aiosmtpd.smtp import SMTP

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="bench-sink"), host="127.0.0.1", port=0
        )
        return "127.0.0.1", self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def produce(settings: Settings, commands: list[dict]) -> None:
    producer = make_producer(settings, linger_ms=20, max_batch_size=256 * 1024)
    await producer.start()
    try:
        futures = [
            await producer.send(
                settings.topic("actions"), orjson.dumps(c), key=c["visitor_id"].encode()
            )
            for c in commands
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_count(get, target: int, limit: float = 600.0) -> float:
    start = time.perf_counter()
    while get() < target:
        if time.perf_counter() - start > limit:
            raise SystemExit(f"timed out: {get()} of {target}")
        await asyncio.sleep(0.01)
    return time.perf_counter() - start


async def main(args: argparse.Namespace) -> None:
    with TemporaryDirectory() as tmp, LocalKafka() as broker:
        settings = Settings(
            broker=broker.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}.", partitions=8
        )
        await ensure_topics(settings, internal_topics(settings))
        sink = Sink()
        runner = await sink.start()
        smtp = CountingSmtp()
        host, port = await smtp.start()
        env = {
            **os.environ,
            "FOOTFALL_BROKER": settings.broker,
            "FOOTFALL_TOPIC_PREFIX": settings.topic_prefix,
            "FOOTFALL_PARTITIONS": str(settings.partitions),
            "FOOTFALL_HTTP_ALLOWLIST": "127.0.0.1",
            "FOOTFALL_WEB_PORT": "0",
            "FOOTFALL_WORKER_CONCURRENCY": str(args.concurrency),
            "FOOTFALL_SMTP_HOST": host,
            "FOOTFALL_SMTP_PORT": str(port),
            "FOOTFALL_LOG_DIR": str(Path(tmp) / "logs"),
            "FOOTFALL_LOG_LEVEL": "WARNING",
        }
        url = f"http://127.0.0.1:{sink.port}/hook"
        web_commands = [
            build_command("call_web_page", {"url": url}, seq=i, visitor_id=f"v{i % 5000}")
            for i in range(args.web)
        ]
        await produce(settings, web_commands)
        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        worker = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
            [sys.executable, *profile, "-m", "footfall", "worker"],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            await wait_count(lambda: sink.count, 1, limit=120)  # the worker is up
            started_at = sink.count
            cpu = cpu_seconds(worker.pid)
            elapsed = await wait_count(lambda: sink.count, args.web)
            cpu = (cpu_seconds(worker.pid) - cpu) / elapsed
            web_rate = (args.web - started_at) / elapsed
            print(f"call_web_page: {args.web} commands, {web_rate:,.0f} actions/s", end="")
            print(f" (worker CPU {cpu:.0%}, {cpu / web_rate * 1e6:.0f} µs CPU per action)")

            rate = args.paced_rate
            paced = int(rate * args.paced_seconds)
            base = sink.count
            sent = 0
            producer = make_producer(settings)
            await producer.start()
            t0 = time.perf_counter()
            while sent < paced:
                due = int((time.perf_counter() - t0) * rate)
                for _ in range(min(due, paced) - sent):
                    command = build_command(
                        "call_web_page",
                        {"url": f"{url}?t={time.time():.6f}"},
                        seq=10_000_000 + sent,
                        visitor_id=f"p{sent % 5000}",
                    )
                    await producer.send(
                        settings.topic("actions"),
                        orjson.dumps(command),
                        key=command["visitor_id"].encode(),
                    )
                    sent += 1
                await asyncio.sleep(0.005)
            await producer.stop()
            await wait_count(lambda: sink.count, base + paced)
            lat = sorted(sink.latencies)
            p50 = lat[len(lat) // 2] * 1000
            p99 = lat[int(len(lat) * 0.99)] * 1000
            print(f"latency at {rate:,.0f} commands/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms")

            mail_commands = [
                build_command(
                    "send_email",
                    {"to": [f"u{i}@example.com"], "subject": f"m{i}", "body": "x"},
                    seq=20_000_000 + i,
                    visitor_id=f"m{i % 5000}",
                )
                for i in range(args.mail)
            ]
            base_mail = smtp.received_count
            await produce(settings, mail_commands)
            await wait_count(lambda: smtp.received_count, base_mail + 1)
            first = smtp.received_count
            cpu = cpu_seconds(worker.pid)
            elapsed = await wait_count(lambda: smtp.received_count, base_mail + args.mail)
            cpu = (cpu_seconds(worker.pid) - cpu) / elapsed
            mail_rate = (base_mail + args.mail - first) / elapsed
            print(f"send_email: {args.mail} commands, {mail_rate:,.0f} mails/s", end="")
            print(f" (worker CPU {cpu:.0%}, {cpu / mail_rate * 1e6:.0f} µs CPU per mail)")
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
            await smtp.stop()
            await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--web", type=int, default=30_000)
    parser.add_argument("--mail", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--paced-seconds", type=float, default=5.0)
    parser.add_argument("--paced-rate", type=float, default=1000.0)
    parser.add_argument("--profile", metavar="FILE", help="write the worker's cProfile stats here")
    asyncio.run(main(parser.parse_args()))
