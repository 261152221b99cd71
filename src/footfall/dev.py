"""``footfall dev``: the whole system on one machine, started and stopped as one.

Starts, in this order: a real Kafka broker (:mod:`footfall.devkafka`) and footfall's
topics; the SMTP and webhook sinks (in this process); the processor and the workers
(``python -m footfall processor|worker`` subprocesses, logs in the run directory) while
the example profiles, providers and rules are pushed with ``footfall ... push``; and,
once every service answers ``/readyz``, the traffic generator (in this process). It
prints every address, reports progress, and on Ctrl-C or SIGTERM stops everything in
reverse order, leaving no process and (without ``keep``) no directory behind.

The example rules point their web calls at ``http://127.0.0.1:8025``: when the webhook
sink listens elsewhere, the pushed copies are rewritten to its address.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import aiohttp

from footfall.devkafka import LocalKafka
from footfall.devsinks import SmtpSink, WebhookSink
from footfall.devtraffic import TrafficModel
from footfall.devtraffic.producer import TrafficStats, produce_traffic
from footfall.errors import FootfallError
from footfall.settings import KafkaSecurity, Settings
from footfall.topics import ensure_topics

__all__ = [
    "EXAMPLE_SINK_URL",
    "PROVIDER_SECRET_ENV",
    "DevError",
    "DevOptions",
    "child_environment",
    "copy_examples",
    "run_dev",
]

EXAMPLE_SINK_URL = "http://127.0.0.1:8025"
PROVIDER_SECRET_ENV = "FOOTFALL_DEV_PROVIDER_SECRET"  # noqa: S105 - a variable name
_STOP_GRACE = 20.0

T = TypeVar("T")


class DevError(FootfallError):
    """A part of the local system could not be started."""


@dataclass(frozen=True, slots=True)
class DevOptions:
    """What ``footfall dev`` runs and where."""

    examples: Path = Path("examples")
    workers: int = 2
    rate: float = 5.0
    visitors: int = 50
    seed: int | None = None
    host: str = "127.0.0.1"
    web_port: int = 6066  # processor; workers get the next ports
    webhook_port: int = 8025
    smtp_port: int = 0  # 0: a free port
    kafka_port: int | None = None
    ready_timeout: float = 180.0
    progress_every: float = 30.0
    keep: bool = False
    run_dir: Path | None = None


@dataclass(slots=True)
class _Child:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    ready_url: str | None = None


@dataclass(slots=True)
class _Run:
    options: DevOptions
    out: IO[str]
    began: float = field(default_factory=time.monotonic)
    directory: Path | None = None
    broker: LocalKafka | None = None
    mail: SmtpSink | None = None
    hooks: WebhookSink | None = None
    children: list[_Child] = field(default_factory=list)
    traffic: asyncio.Task[TrafficStats] | None = None
    push: asyncio.Task[int] | None = None

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.began:6.1f}s] {text}", file=self.out, flush=True)


def child_environment(
    base: Mapping[str, str],
    *,
    broker: str,
    run_dir: Path,
    web_port: int,
    smtp: tuple[str, int],
    provider_secret: str,
    admin_token: str,
) -> dict[str, str]:
    """The environment of a processor or worker subprocess of ``footfall dev``."""
    env = dict(base)
    allowlist = [item for item in env.get("FOOTFALL_HTTP_ALLOWLIST", "").split(",") if item]
    for host in ("127.0.0.1", "localhost"):
        if host not in allowlist:
            allowlist.append(host)
    env.update(
        {
            "FOOTFALL_BROKER": broker,
            "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
            "FOOTFALL_STATE_DIR": str(run_dir / "state"),
            "FOOTFALL_LOG_DIR": str(run_dir / "action-logs"),
            "FOOTFALL_WEB_PORT": str(web_port),
            "FOOTFALL_WEB_HOST": "127.0.0.1",
            "FOOTFALL_SMTP_HOST": smtp[0],
            "FOOTFALL_SMTP_PORT": str(smtp[1]),
            "FOOTFALL_SMTP_TLS": "none",
            "FOOTFALL_HTTP_ALLOWLIST": ",".join(allowlist),
            "FOOTFALL_ADMIN_TOKEN": admin_token,
            PROVIDER_SECRET_ENV: provider_secret,
            "PYTHONUNBUFFERED": "1",
        }
    )
    # the run is thrown away at exit: keep the processor's tables in memory unless asked
    env.setdefault("FOOTFALL_STORE", "memory://")
    for name in ("FOOTFALL_SMTP_USERNAME", "FOOTFALL_SMTP_PASSWORD"):
        env.pop(name, None)
    return env


def copy_examples(source: Path, target: Path, sink_url: str) -> dict[str, Path]:
    """Copy ``rules``, ``profiles`` and ``providers`` of ``source`` with sink URLs rewritten."""
    found: dict[str, Path] = {}
    for kind in ("profiles", "providers", "rules"):
        directory = source / kind
        if not directory.is_dir():
            continue
        into = target / kind
        into.mkdir(parents=True, exist_ok=True)
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() in (".yaml", ".yml", ".json") and path.is_file():
                text = path.read_text(encoding="utf-8").replace(EXAMPLE_SINK_URL, sink_url)
                (into / path.name).write_text(text, encoding="utf-8")
        found[kind] = into
    if "rules" not in found:
        raise DevError(f"no rules directory in {source} (pass --examples DIR)")
    return found


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def run_dev(
    settings: Settings,
    options: DevOptions,
    *,
    out: IO[str] = sys.stdout,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[dict[str, str]], None] | None = None,
) -> int:
    """Run the local system until ``stop`` is set (or SIGINT/SIGTERM); return an exit code."""
    stop = stop or asyncio.Event()
    run = _Run(options, out)
    try:
        try:
            addresses = await _start(run, settings, stop)
        except (FootfallError, OSError) as exc:
            run.say(f"footfall dev: {exc}")
            return 1
        if addresses is None:  # stopped while starting
            return 0
        if on_ready is not None:
            on_ready(addresses)
        return await _watch(run, stop)
    finally:
        # whatever happened (an error, a cancellation), stop every part that was started
        await asyncio.shield(_shutdown(run))


async def _start(run: _Run, settings: Settings, stop: asyncio.Event) -> dict[str, str] | None:
    options = run.options
    if options.run_dir is not None:
        options.run_dir.mkdir(parents=True, exist_ok=True)
        run.directory = Path(tempfile.mkdtemp(prefix="footfall-dev-", dir=options.run_dir))
    else:
        run.directory = Path(tempfile.mkdtemp(prefix="footfall-dev-"))
    directory = run.directory
    examples = options.examples.resolve()
    if not (examples / "rules").is_dir():
        raise DevError(f"no example rules in {examples}/rules (pass --examples DIR)")

    # fail before anything is started when a fixed port is taken
    for port in [
        options.webhook_port,
        *range(options.web_port, options.web_port + 1 + options.workers),
    ]:
        if port:
            _check_port_free(options.host, port)
    broker = LocalKafka(
        port=options.kafka_port, version=settings.kafka_version, home=settings.kafka_home
    )
    run.broker = broker
    run.say(f"starting Kafka {broker.version} (KRaft) on 127.0.0.1:{broker.port} ...")
    bootstrap = await _start_broker(run, broker, stop)
    if bootstrap is None:
        return None
    run.say(f"Kafka ready at {bootstrap} in {broker.started_in or 0:.1f}s")
    # the local broker speaks plain Kafka on loopback, whatever the shell is set up for
    local = settings.with_overrides(broker=bootstrap, kafka=KafkaSecurity())
    created = await ensure_topics(local)
    run.say(f"created {len(created)} topics under prefix {local.topic_prefix!r}")

    provider_secret = os.environ.get(PROVIDER_SECRET_ENV) or _new_secret()
    admin_token = settings.admin_token or secrets.token_urlsafe(24)
    run.mail = SmtpSink(directory / "sinks" / "mails")
    run.hooks = WebhookSink(
        directory / "sinks" / "webhooks.jsonl", secrets=(provider_secret,), mail_sink=run.mail
    )
    smtp = await run.mail.start(options.host, options.smtp_port)
    await run.hooks.start(options.host, options.webhook_port)
    run.say(f"SMTP sink on {smtp[0]}:{smtp[1]}, webhook sink on {run.hooks.url}")

    pushed = copy_examples(examples, directory / "examples", run.hooks.url)
    base_env = dict(os.environ)
    base_env["FOOTFALL_BROKER"] = bootstrap
    base_env["FOOTFALL_KAFKA_SECURITY_PROTOCOL"] = "PLAINTEXT"
    push = run.push = asyncio.create_task(_push(run, base_env, pushed))

    def env_for(port: int) -> dict[str, str]:
        return child_environment(
            base_env,
            broker=bootstrap,
            run_dir=directory,
            web_port=port,
            smtp=smtp,
            provider_secret=provider_secret,
            admin_token=admin_token,
        )

    await _spawn(run, "processor", ["processor"], env_for(options.web_port), options.web_port)
    for n in range(options.workers):
        port = options.web_port + 1 + n
        await _spawn(run, f"worker-{n + 1}", ["worker"], env_for(port), port)
    run.say(f"started the processor and {options.workers} workers; waiting until ready ...")

    if await _until_stopped(push, stop) is None:
        run.say("stopping ...")
        return None
    ready = await _until_stopped(_wait_ready(run), stop)
    if ready is None:
        run.say("stopping ...")
        return None

    run.traffic = asyncio.create_task(
        produce_traffic(
            local,
            TrafficModel(visitors=options.visitors, seed=options.seed),
            rate=options.rate,
            stop=stop,
            on_progress=lambda stats: _progress(run, stats),
            progress_every=options.progress_every,
        )
    )
    web = f"http://{options.host}:{options.web_port}"
    workers = ", ".join(
        f"http://{options.host}:{options.web_port + 1 + n}/metrics" for n in range(options.workers)
    )
    addresses = {
        "Kafka broker": f"{bootstrap}   (FOOTFALL_BROKER={bootstrap})",
        "Who's On page": f"{web}/",
        # the fragment never reaches the server; the page keeps the token and drops it
        "Who's On, signed in": f"{web}/#token={admin_token}",
        "Visitors API": f"{web}/api/visitors",
        "Rules API": f"{web}/api/rules",
        "Dead letters": f"{web}/api/dead-letters",
        "Processor metrics": f"{web}/metrics",
        "Worker metrics": workers,
        "Mail sink": f"smtp://{smtp[0]}:{smtp[1]}   (mails: {run.hooks.url}/_sink/mails)",
        "Webhook sink": f"{run.hooks.url}/   (listing: {run.hooks.url}/_sink/)",
        "Admin token": admin_token,
        "Run directory": f"{directory}   (logs, state, action logs, received mails)",
        "Traffic": f"{options.rate:g} events/s from about {options.visitors} visitors",
    }
    run.say(f"footfall dev is ready in {time.monotonic() - run.began:.1f}s")
    width = max(len(label) for label in addresses)
    for label, value in addresses.items():
        print(f"  {label + ':':<{width + 1}} {value}", file=run.out, flush=True)
    print("Press Ctrl-C to stop.", file=run.out, flush=True)
    return addresses


async def _until_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """Await ``work`` unless ``stop`` is set first (then cancel it and return None)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


async def _start_broker(run: _Run, broker: LocalKafka, stop: asyncio.Event) -> str | None:
    """Start the broker in a thread; a stop while it starts waits for the start to end."""
    starting = asyncio.ensure_future(asyncio.to_thread(broker.start))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not starting.done():
        run.say("stopping: waiting for Kafka to finish starting ...")
        with contextlib.suppress(Exception):
            await asyncio.shield(starting)
        return None
    return starting.result()


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            raise DevError(
                f"port {port} on {host} is in use (another footfall dev?); "
                "choose other ports with --web-port / --webhook-port"
            ) from None


async def _spawn(run: _Run, name: str, args: list[str], env: dict[str, str], port: int) -> None:
    assert run.directory is not None
    _check_port_free(run.options.host, port)
    log = run.directory / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "footfall",
            *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    run.children.append(_Child(name, process, log, f"http://{run.options.host}:{port}/readyz"))


async def _push(run: _Run, env: dict[str, str], pushed: dict[str, Path]) -> int:
    """Push the example profiles, providers and rules with the admin CLI, in that order."""
    files = 0
    for kind in ("profiles", "providers", "rules"):
        if kind not in pushed:
            continue
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "footfall",
            kind,
            "push",
            str(pushed[kind]),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await process.communicate()
        except BaseException:  # cancelled (stopped while starting): leave no push behind
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise
        text = output.decode("utf-8", "replace").strip()
        if process.returncode != 0:
            raise DevError(f"footfall {kind} push {pushed[kind]} failed:\n{text}")
        count = len([p for p in pushed[kind].iterdir() if p.is_file()])
        run.say(f"pushed the example {kind} ({count} files)")
        files += count
    return files


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def _exited(child: _Child) -> DevError:
    return DevError(
        f"{child.name} exited with code {child.process.returncode}; "
        f"the end of {child.log}:\n{_tail(child.log)}"
    )


async def _wait_ready(run: _Run) -> bool:
    deadline = time.monotonic() + run.options.ready_timeout
    waiting = list(run.children)
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while waiting:
            for child in list(waiting):
                if child.process.returncode is not None:
                    raise _exited(child)
                assert child.ready_url is not None
                try:
                    async with http.get(child.ready_url) as response:
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                if ok:
                    waiting.remove(child)
                    run.say(f"{child.name} ready")
            if not waiting:
                break
            if time.monotonic() > deadline:
                names = ", ".join(child.name for child in waiting)
                raise DevError(
                    f"not ready after {run.options.ready_timeout:.0f}s: {names} "
                    f"(logs in {run.directory}/logs)"
                )
            await asyncio.sleep(0.5)
    return True


def _progress(run: _Run, stats: TrafficStats) -> None:
    mails = 0 if run.mail is None else run.mail.received_count
    calls = 0 if run.hooks is None else run.hooks.received_count
    run.say(f"{stats.describe()}; sinks got {mails} mails, {calls} web calls")


async def _watch(run: _Run, stop: asyncio.Event) -> int:
    """Wait for ``stop``; a service that exits or a traffic failure ends the run early."""
    waits: dict[asyncio.Future[Any], str] = {
        asyncio.ensure_future(child.process.wait()): child.name for child in run.children
    }
    stopping = asyncio.ensure_future(stop.wait())
    waits[stopping] = "stop"
    if run.traffic is not None:
        waits[run.traffic] = "traffic"
    done, _ = await asyncio.wait(set(waits), return_when=asyncio.FIRST_COMPLETED)
    for future in waits:
        if future is not run.traffic and not future.done():
            future.cancel()
    if stopping in done:
        run.say("stopping ...")
        return 0
    first = next(iter(done))
    what = waits[first]
    if what == "traffic":
        if first.exception() is not None:
            run.say(f"the traffic generator failed: {first.exception()!r}")
            return 1
        run.say("the traffic generator stopped; stopping ...")
        return 0
    child = next(c for c in run.children if c.name == what)
    run.say(str(_exited(child)))
    return 1


async def _shutdown(run: _Run) -> None:
    if run.push is not None and not run.push.done():
        run.push.cancel()
    if run.push is not None:
        with contextlib.suppress(BaseException):
            await run.push
    if run.traffic is not None and not run.traffic.done():
        run.traffic.cancel()
    if run.traffic is not None:
        with contextlib.suppress(BaseException):
            await run.traffic
    await asyncio.gather(*(_terminate(run, child) for child in run.children))
    if run.hooks is not None:
        await run.hooks.stop()
    if run.mail is not None:
        await run.mail.stop()
    if run.broker is not None:
        await asyncio.to_thread(run.broker.stop)
        run.say("Kafka stopped")
    if run.directory is not None:
        if run.options.keep:
            run.say(f"kept {run.directory}")
        else:
            shutil.rmtree(run.directory, ignore_errors=True)
    run.say("stopped")


async def _terminate(run: _Run, child: _Child) -> None:
    process = child.process
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), _STOP_GRACE)
        except TimeoutError:
            run.say(f"{child.name} did not stop in {_STOP_GRACE:.0f}s; killing it")
    # the whole process group: nothing the service started may outlive it
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()
    run.say(f"{child.name} stopped (exit code {process.returncode})")
