"""A single-node KRaft Kafka broker (combined broker + controller) on loopback."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from footfall.devkafka.errors import BrokerError
from footfall.devkafka.jars import KAFKA_VERSION, ensure_jars
from footfall.devkafka.listeners import SCRAM_MECHANISMS, BrokerTls, Listener

__all__ = ["LocalKafka"]

_LOG4J2 = """status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""

_READY_LINE = "Kafka Server started"


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 bytes, URL-safe base64 without padding.

    Like Kafka's own ``Uuid.randomUuid()``, never one that starts with ``-``: the storage
    tool would read it as an option ("argument --cluster-id/-t: expected one argument",
    one start in 64).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalKafka:
    """Run a real Kafka broker from the cached Maven jars; use as a context manager.

    ``start()`` formats a fresh storage directory in a temporary directory, starts the
    JVM, waits until the broker reports it has started and accepts connections, and
    returns the bootstrap address. ``stop()`` sends SIGTERM (SIGKILL after a grace
    period) and removes the directory.

    With ``data_dir`` the broker keeps its storage there instead: the directory is
    formatted only the first time and is kept on ``stop()``, so that a broker killed
    with :meth:`kill` (SIGKILL, as a crash) comes back by :meth:`restart` (or a new
    ``LocalKafka`` on the same directory and ports) with its topics and messages.
    ``controller_port`` fixes the KRaft controller's port too (both ports must stay the
    same across restarts for clients and the stored quorum to find the broker again).

    ``listeners`` adds listeners besides the PLAINTEXT one (TLS, mutual TLS, SASL; each
    on a free port unless it names one, see :meth:`address`), with the broker's key and
    trusted CA in ``tls``; ``scram_users`` (name to password) are created for both SCRAM
    mechanisms when the storage is formatted; ``properties`` are added to (or override)
    the broker's server.properties.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        controller_port: int | None = None,
        data_dir: Path | None = None,
        version: str = KAFKA_VERSION,
        home: Path | None = None,
        heap: str = "512m",
        start_timeout: float = 90.0,
        listeners: Sequence[Listener] = (),
        tls: BrokerTls | None = None,
        scram_users: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        self.version = version
        self.home = home
        self.heap = heap
        self.start_timeout = start_timeout
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self.data_dir = data_dir
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None
        self._log_offset = 0  # where this start's lines begin in server.log
        self.listeners = [
            listener if listener.port else replace(listener, port=free_port())
            for listener in listeners
        ]
        self.tls = tls
        self.scram_users = dict(scram_users or {})
        self.extra_properties = dict(properties or {})
        if any(li.protocol in ("SSL", "SASL_SSL") for li in self.listeners) and tls is None:
            raise BrokerError("TLS listeners need the broker's keystore (pass tls=BrokerTls(...))")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def address(self, listener: str) -> str:
        """The bootstrap address of the extra listener named ``listener``."""
        for extra in self.listeners:
            if extra.name == listener:
                return f"127.0.0.1:{extra.port}"
        raise BrokerError(f"no listener named {listener!r}")

    @property
    def log_file(self) -> Path:
        if self.directory is None:
            raise BrokerError("the broker has not been started")
        return self.directory / "server.log"

    def start(self) -> str:
        began = time.monotonic()
        jars = ensure_jars(self.version, self.home)
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.directory = self.data_dir
        else:
            self.directory = Path(tempfile.mkdtemp(prefix="footfall-kafka-"))
        try:
            self._launch(jars)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self.bootstrap

    def kill(self) -> None:
        """Kill the broker with SIGKILL (a crash: nothing is flushed); keep its directory."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self) -> str:
        """Kill the broker if it runs, start it again on the same ports and storage.

        Only a broker with a ``data_dir`` keeps its topics and messages across a restart.
        """
        if self.data_dir is None:
            raise BrokerError("only a broker with a data_dir can be restarted (pass data_dir=)")
        self.kill()
        return self.start()

    def _launch(self, jars: Path) -> None:
        assert self.directory is not None
        java = shutil.which("java")
        if java is None:
            raise BrokerError("Java ('java', 17 or newer) is not on PATH: the broker needs it")
        properties = self.directory / "server.properties"
        properties.write_text(self._server_properties())
        log4j = self.directory / "log4j2.properties"
        log4j.write_text(_LOG4J2.format(log=self.directory / "server.log"))
        classpath = f"{jars}/*"
        if not (self.directory / "data" / "meta.properties").exists():
            self._format(java, classpath, properties)
        with contextlib.suppress(FileNotFoundError):
            self._log_offset = (self.directory / "server.log").stat().st_size
        out = (self.directory / "stdout.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [java, f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC",
             "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}",
             "-cp", classpath, "kafka.Kafka", str(properties)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        out.close()

    def _format(self, java: str, classpath: str, properties: Path) -> None:
        cluster_id = new_cluster_id()
        scram = [
            arg
            for user, password in self.scram_users.items()
            for mechanism in SCRAM_MECHANISMS
            for arg in ("--add-scram", f"{mechanism}=[name={user},password={password}]")
        ]
        fmt = subprocess.run(  # noqa: S603
            [java, "-Xmx256m", "-cp", classpath, "kafka.tools.StorageTool", "format",
             "-t", cluster_id, "-c", str(properties), "--ignore-formatted", *scram],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if fmt.returncode != 0:
            raise BrokerError(f"formatting KRaft storage failed:\n{fmt.stdout}{fmt.stderr}")

    def _server_properties(self) -> str:
        assert self.directory is not None
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.directory / "data"),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "group.min.session.timeout.ms": "1000",
            "auto.create.topics.enable": "false",
            "log.segment.bytes": str(64 * 1024 * 1024),
            "log.cleaner.backoff.ms": "1000",
        }
        for listener in self.listeners:
            address = f"{listener.name}://127.0.0.1:{listener.port}"
            settings["listeners"] += f",{address}"
            settings["advertised.listeners"] += f",{address}"
            settings["listener.security.protocol.map"] += f",{listener.name}:{listener.protocol}"
            settings.update(listener.properties())
        if self.tls is not None:
            settings.update(self.tls.properties())
        settings.update(self.extra_properties)
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise BrokerError(
                    f"the Kafka broker exited with code {self.process.returncode}:\n{self._tail()}"
                )
            if self._log_says_started() and self._accepts_connections():
                return
            time.sleep(0.1)
        raise BrokerError(
            f"the Kafka broker did not start within {self.start_timeout:.0f}s:\n{self._tail()}"
        )

    def _log_says_started(self) -> bool:
        try:
            with self.log_file.open("rb") as log:
                log.seek(self._log_offset)
                return _READY_LINE.encode() in log.read()
        except FileNotFoundError:
            return False

    def _accepts_connections(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            return True
        return False

    def _tail(self, lines: int = 40) -> str:
        assert self.directory is not None
        text = ""
        for name in ("stdout.log", "server.log"):
            with contextlib.suppress(FileNotFoundError):
                text += "\n".join(
                    (self.directory / name).read_text(errors="replace").splitlines()[-lines:]
                )
        return text

    def stop(self, grace: float = 20.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL) and remove its directory.

        A ``data_dir`` given by the caller is kept.
        """
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.directory is not None:
            if self.data_dir is None:
                shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
