"""The system under drill: broker, sinks, processors and workers, killed and restarted.

The broker (:class:`footfall.devkafka.LocalKafka`) keeps its storage in the work
directory, so that :meth:`Cluster.bounce` can kill it with SIGKILL and start it again
on the same directory and ports. Processors and workers are ``python -m footfall``
subprocesses with the environment ``footfall dev`` gives them
(:func:`footfall.dev.child_environment`), each with its own web port, state directory
and log file (appended to across restarts); :meth:`Cluster.kill` kills one with
SIGKILL and :meth:`Cluster.start` starts it again with the same environment. A sampler
keeps each process's peak resident memory (``VmHWM`` in ``/proc``), across restarts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from footfall.dev import PROVIDER_SECRET_ENV, child_environment
from footfall.devkafka import LocalKafka
from footfall.devsinks import SmtpSink, WebhookSink
from footfall.settings import KafkaSecurity, Settings

__all__ = ["Child", "Cluster", "ClusterOptions"]

_STOP_GRACE = 15.0


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How many of each service, their timing settings, and where everything lives."""

    directory: Path
    processors: int = 2
    workers: int = 3
    partitions: int = 8
    web_port: int = 0  # the first of processors + workers consecutive ports; 0: free ones
    tick: str = "2s"
    idle_timeout: str = "90s"
    invitation_timeout: str = "20s"
    retry_schedule: str = "1s,2s,5s,10s,30s,60s,120s"
    store: str = "rocksdb://"


@dataclass(slots=True)
class Child:
    """One service process; ``process`` is the current one (None while it is down)."""

    name: str
    kind: str  # processor | worker
    port: int
    env: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    peak_rss_kb: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(slots=True)
class Cluster:
    """Start, attack and stop the local system."""

    options: ClusterOptions
    broker: LocalKafka | None = None
    mail: SmtpSink | None = None
    hooks: WebhookSink | None = None
    children: list[Child] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    broker_peak_kb: int = 0
    _sampler: asyncio.Task[None] | None = None

    @property
    def settings(self) -> Settings:
        assert self.broker is not None
        return Settings(
            broker=self.broker.bootstrap,
            kafka=KafkaSecurity(),
            partitions=self.options.partitions,
        )

    @property
    def action_logs(self) -> Path:
        return self.options.directory / "action-logs"

    async def start(self) -> None:
        """Broker, topics, sinks, definitions pushed; every service started and ready."""
        directory = self.options.directory
        self.broker = LocalKafka(data_dir=directory / "kafka")
        await asyncio.to_thread(self.broker.start)
        from footfall.topics import ensure_topics

        await ensure_topics(self.settings)
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        self.mail = SmtpSink(directory / "sinks" / "mails", keep=10_000_000)
        self.hooks = WebhookSink(
            directory / "sinks" / "webhooks.jsonl", secrets=(secret,), keep=10_000_000
        )
        smtp = await self.mail.start("127.0.0.1", 0)
        await self.hooks.start("127.0.0.1", 0)
        self._sampler = asyncio.create_task(self._sample_memory())
        base = os.environ | {PROVIDER_SECRET_ENV: secret}
        names = [("processor", n + 1) for n in range(self.options.processors)]
        names += [("worker", n + 1) for n in range(self.options.workers)]
        ports = _ports(self.options.web_port, len(names))
        for (kind, number), port in zip(names, ports, strict=True):
            name = f"{kind}-{number}"
            env = child_environment(
                base,
                broker=self.broker.bootstrap,
                run_dir=directory,
                web_port=port,
                smtp=smtp,
                provider_secret=secret,
                admin_token=self.token,
            )
            env.update(
                {
                    "FOOTFALL_PARTITIONS": str(self.options.partitions),
                    "FOOTFALL_STATE_DIR": str(directory / "state" / name),
                    "FOOTFALL_STORE": self.options.store,
                    "FOOTFALL_TICK": self.options.tick,
                    "FOOTFALL_IDLE_TIMEOUT": self.options.idle_timeout,
                    "FOOTFALL_INVITATION_TIMEOUT": self.options.invitation_timeout,
                    "FOOTFALL_RETRY_SCHEDULE": self.options.retry_schedule,
                    "FOOTFALL_INSTANCE_ID": name,
                    "FOOTFALL_READ_TOKEN": self.token,
                }
            )
            (directory / "state" / name).mkdir(parents=True, exist_ok=True)
            log = directory / "logs" / f"{name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            self.children.append(Child(name, kind, port, env, log))

    async def push(self, definitions: dict[str, Path]) -> None:
        """Push profiles, providers and rules with ``footfall ... push``."""
        assert self.broker is not None
        env = os.environ | {
            "FOOTFALL_BROKER": self.broker.bootstrap,
            "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
            "FOOTFALL_PARTITIONS": str(self.options.partitions),
        }
        for kind in ("profiles", "providers", "rules"):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "footfall", kind, "push", str(definitions[kind]),
                env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            output, _ = await process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"footfall {kind} push failed:\n{output.decode()}")

    async def start_all(self, ready_within: float = 240.0) -> None:
        for child in self.children:
            await self.launch(child)
        await self.wait_ready(ready_within)

    async def launch(self, child: Child) -> None:
        """Start ``child`` (again), appending to its log."""
        with child.log.open("ab") as file:
            file.write(f"\n=== start {child.starts + 1} at {time.time():.3f}\n".encode())
            file.flush()
            child.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "footfall", child.kind,
                env=child.env, stdin=asyncio.subprocess.DEVNULL, stdout=file,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        child.starts += 1

    async def kill(self, child: Child) -> None:
        """SIGKILL ``child``'s process group and reap it."""
        process, child.process = child.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()

    async def bounce(self, down: float) -> float:
        """Kill the broker (SIGKILL), wait ``down`` seconds, start it again; the outage (s)."""
        assert self.broker is not None
        began = time.monotonic()
        await asyncio.to_thread(self.broker.kill)
        await asyncio.sleep(down)
        await asyncio.to_thread(self.broker.start)
        return time.monotonic() - began

    async def wait_ready(self, within: float) -> None:
        deadline = time.monotonic() + within
        waiting = list(self.children)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while waiting:
                for child in list(waiting):
                    process = child.process
                    if process is not None and process.returncode is not None:
                        raise RuntimeError(f"{child.name} exited at start; see {child.log}")
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        async with http.get(f"{child.url}/readyz") as response:
                            if response.status == 200:
                                waiting.remove(child)
                if waiting and time.monotonic() > deadline:
                    names = ", ".join(child.name for child in waiting)
                    raise RuntimeError(f"not ready after {within:.0f}s: {names}")
                await asyncio.sleep(0.5)

    async def visitors(self) -> list[dict[str, object]] | None:
        """The merged Who's On list from a processor's API (None: none answered)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            for child in self.children:
                if child.kind != "processor":
                    continue
                with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
                    async with http.get(f"{child.url}/api/visitors", headers=headers) as r:
                        if r.status == 200:
                            data = await r.json()
                            if not data.get("unreachable"):
                                rows: list[dict[str, object]] = data["visitors"]
                                return rows
        return None

    async def stop(self) -> None:
        for child in self.children:
            process = child.process
            if process is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for child in self.children:
            process, child.process = child.process, None
            if process is None:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), _STOP_GRACE)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        if self.hooks is not None:
            await self.hooks.stop()
        if self.mail is not None:
            await self.mail.stop()
        if self.broker is not None:
            await asyncio.to_thread(self.broker.stop)

    async def _sample_memory(self) -> None:
        while True:
            for child in self.children:
                if child.process is not None:
                    child.peak_rss_kb = max(child.peak_rss_kb, _peak_kb(child.process.pid))
            if self.broker is not None and self.broker.process is not None:
                self.broker_peak_kb = max(self.broker_peak_kb, _peak_kb(self.broker.process.pid))
            await asyncio.sleep(0.5)


def _peak_kb(pid: int) -> int:
    """``VmHWM`` (peak resident set) of ``pid`` in KiB; 0 when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _ports(first: int, count: int) -> list[int]:
    if first:
        return list(range(first, first + count))
    from footfall.devkafka.broker import free_port

    found: list[int] = []
    while len(found) < count:
        port = free_port()
        if port not in found:
            found.append(port)
    return found
