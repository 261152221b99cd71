"""One typed, frozen settings object built from ``FOOTFALL_*`` environment variables.

The CLI builds it once with :meth:`Settings.from_env` and passes it down; nothing else
reads the environment (except provider secrets, which workers read by name at send
time so that they never travel on a topic). Every variable is documented in
``docs/configuration.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from footfall.durations import parse_duration
from footfall.errors import ConfigError, DurationError
from footfall.netaddr import parse_allowlist

__all__ = ["KafkaSecurity", "RocksDBMemory", "Settings", "SmtpSettings"]

PROCESSOR_WEB_PORT = 6066
WORKER_WEB_PORT = 6067
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    """How to connect to a managed Kafka cluster (TLS and/or SASL)."""

    protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    sasl_mechanism: str | None = None  # PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    #: a client certificate (PEM, with its chain) and its key, for mutual TLS
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_key_password: str | None = field(default=None, repr=False)

    def ssl_context(self) -> Any:
        """The TLS context of the connections to the brokers (CA, client certificate).

        Unreadable files are a :class:`ConfigError` naming the variable, not an error a
        service would take for an unreachable broker and try again forever.
        """
        import ssl

        from aiokafka.helpers import create_ssl_context

        try:
            context = create_ssl_context(cafile=self.ssl_cafile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"FOOTFALL_KAFKA_SSL_CAFILE={self.ssl_cafile!r}: cannot load the CA "
                f"certificates ({exc})"
            ) from None
        if self.ssl_certfile is not None:
            try:
                context.load_cert_chain(
                    self.ssl_certfile, self.ssl_keyfile, password=self.ssl_key_password
                )
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"FOOTFALL_KAFKA_SSL_CERTFILE={self.ssl_certfile!r}, "
                    f"FOOTFALL_KAFKA_SSL_KEYFILE={self.ssl_keyfile!r}: cannot load the client "
                    f"certificate and key ({exc}; a wrong FOOTFALL_KAFKA_SSL_KEY_PASSWORD or "
                    "a key of another certificate is reported so too)"
                ) from None
        return context

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka producers, consumers and admin clients."""
        kwargs: dict[str, Any] = {"security_protocol": self.protocol}
        if self.protocol in ("SSL", "SASL_SSL"):
            kwargs["ssl_context"] = self.ssl_context()
        if self.protocol.startswith("SASL"):
            kwargs["sasl_mechanism"] = self.sasl_mechanism or "PLAIN"
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password
        return kwargs


@dataclass(frozen=True, slots=True)
class RocksDBMemory:
    """What each RocksDB database of the processor may hold in memory.

    The processor opens one database per table and partition it holds (two tables,
    active and standby partitions), each with its own write buffers and block cache:
    at most ``databases * (write_buffer * write_buffers + block_cache)`` bytes.
    """

    write_buffer: int = 4 * MIB
    write_buffers: int = 2
    block_cache: int = 8 * MIB

    def per_database(self) -> int:
        return self.write_buffer * self.write_buffers + self.block_cache

    def faust_options(self) -> dict[str, int]:
        """Faust's RocksDB table options (a new dict per table: Faust pops keys from it)."""
        return {
            "write_buffer_size": self.write_buffer,
            "max_write_buffer_number": self.write_buffers,
            "block_cache_size": self.block_cache,
        }


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where workers send mail."""

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: str = "none"  # none | starttls | tls
    mail_from: str = "footfall@localhost"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything footfall's commands and services are configured with."""

    broker: str = "localhost:9092"
    kafka: KafkaSecurity = KafkaSecurity()
    topic_prefix: str = "footfall."
    partitions: int = 8
    replication_factor: int = 1
    tick: float = 30.0
    idle_timeout: float = 900.0
    invitation_timeout: float = 120.0
    max_event_bytes: int = 65536
    state_dir: Path = Path("./footfall-state")
    store: str = "rocksdb://"
    web_port: int | None = None
    web_host: str = "0.0.0.0"  # noqa: S104 - services listen on all interfaces by design
    admin_token: str | None = field(default=None, repr=False)
    read_token: str | None = field(default=None, repr=False)
    smtp: SmtpSettings = SmtpSettings()
    log_dir: Path = Path("./footfall-logs")
    http_allowlist: tuple[str, ...] = ()
    worker_concurrency: int = 64
    retry_schedule: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0)
    log_level: str = "INFO"
    kafka_home: Path | None = None
    kafka_version: str = "4.1.2"
    #: How long the broker waits for a silent processor or worker before it hands its
    #: partitions to the others (the consumer groups' session timeout).
    session_timeout: float = 10.0
    #: A stable name for this instance in its consumer groups (static membership): a
    #: restarted instance with the same name takes its partitions back without a
    #: rebalance. Unique per instance, e.g. the StatefulSet pod name.
    instance_id: str | None = None
    #: How many other instances keep a warm copy of each partition's tables (Faust's
    #: standby replicas): a failed instance's partitions move without a changelog
    #: replay, at the price of that much more memory and disk per instance.
    standby_replicas: int = 1
    rocksdb: RocksDBMemory = RocksDBMemory()

    @property
    def bootstrap_servers(self) -> list[str]:
        return [s.strip() for s in self.broker.split(",") if s.strip()]

    def topic(self, name: str) -> str:
        """The full name of a SPEC §1 topic, e.g. ``topic("actions")``."""
        return f"{self.topic_prefix}{name}"

    def processor_web_port(self) -> int:
        return self.web_port if self.web_port is not None else PROCESSOR_WEB_PORT

    def worker_web_port(self) -> int:
        return self.web_port if self.web_port is not None else WORKER_WEB_PORT

    @property
    def heartbeat_interval(self) -> float:
        """How often group members tell the broker they are alive: a fifth of the session
        timeout, so that a few lost heartbeats never cost a member its partitions."""
        return self.session_timeout / 5

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``FOOTFALL_*`` variables; raise ConfigError naming a bad one."""
        env = _Env(os.environ if environ is None else environ)
        defaults = cls()
        kafka = _kafka_security(env, defaults.kafka.protocol)
        smtp = SmtpSettings(
            host=env.text("SMTP_HOST", defaults.smtp.host),
            port=env.integer("SMTP_PORT", defaults.smtp.port, minimum=1),
            username=env.optional("SMTP_USERNAME"),
            password=env.optional("SMTP_PASSWORD"),
            tls=env.choice("SMTP_TLS", defaults.smtp.tls, ("none", "starttls", "tls")),
            mail_from=env.text("MAIL_FROM", defaults.smtp.mail_from),
        )
        web_port = env.optional("WEB_PORT")
        home = env.optional("KAFKA_HOME")
        return cls(
            broker=env.text("BROKER", defaults.broker),
            kafka=kafka,
            topic_prefix=env.raw("TOPIC_PREFIX", defaults.topic_prefix),
            partitions=env.integer("PARTITIONS", defaults.partitions, minimum=1),
            replication_factor=env.integer(
                "REPLICATION_FACTOR", defaults.replication_factor, minimum=1
            ),
            tick=env.duration("TICK", defaults.tick, positive=True),
            idle_timeout=env.duration("IDLE_TIMEOUT", defaults.idle_timeout, positive=True),
            invitation_timeout=env.duration("INVITATION_TIMEOUT", defaults.invitation_timeout),
            max_event_bytes=env.integer("MAX_EVENT_BYTES", defaults.max_event_bytes, minimum=64),
            state_dir=Path(env.text("STATE_DIR", str(defaults.state_dir))),
            store=env.text("STORE", defaults.store),
            web_port=None if web_port is None else env.integer("WEB_PORT", 0, minimum=0),
            web_host=env.text("WEB_HOST", defaults.web_host),
            admin_token=env.optional("ADMIN_TOKEN"),
            read_token=env.optional("READ_TOKEN"),
            smtp=smtp,
            log_dir=Path(env.text("LOG_DIR", str(defaults.log_dir))),
            http_allowlist=_http_allowlist(env),
            worker_concurrency=env.integer(
                "WORKER_CONCURRENCY", defaults.worker_concurrency, minimum=1
            ),
            retry_schedule=env.durations("RETRY_SCHEDULE", defaults.retry_schedule),
            log_level=env.choice(
                "LOG_LEVEL", defaults.log_level, ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            kafka_home=None if home is None else Path(home),
            kafka_version=env.text("KAFKA_VERSION", defaults.kafka_version),
            session_timeout=_session_timeout(env, defaults.session_timeout),
            instance_id=env.optional("INSTANCE_ID"),
            standby_replicas=env.integer("STANDBY_REPLICAS", defaults.standby_replicas, minimum=0),
            rocksdb=RocksDBMemory(
                write_buffer=env.integer(
                    "ROCKSDB_WRITE_BUFFER_MB", defaults.rocksdb.write_buffer // MIB, minimum=1
                )
                * MIB,
                write_buffers=env.integer(
                    "ROCKSDB_WRITE_BUFFERS", defaults.rocksdb.write_buffers, minimum=2
                ),
                block_cache=env.integer(
                    "ROCKSDB_BLOCK_CACHE_MB", defaults.rocksdb.block_cache // MIB, minimum=1
                )
                * MIB,
            ),
        )

    @classmethod
    def variable_names(cls) -> list[str]:
        """Every FOOTFALL_* variable ``from_env`` reads (used to check docs and deploy files)."""
        return sorted(f"FOOTFALL_{name}" for name in _ENV_NAMES)


_ENV_NAMES = (
    "BROKER",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CAFILE",
    "KAFKA_SSL_CERTFILE",
    "KAFKA_SSL_KEYFILE",
    "KAFKA_SSL_KEY_PASSWORD",
    "TOPIC_PREFIX",
    "PARTITIONS",
    "REPLICATION_FACTOR",
    "TICK",
    "IDLE_TIMEOUT",
    "INVITATION_TIMEOUT",
    "MAX_EVENT_BYTES",
    "STATE_DIR",
    "STORE",
    "WEB_PORT",
    "WEB_HOST",
    "ADMIN_TOKEN",
    "READ_TOKEN",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_TLS",
    "MAIL_FROM",
    "LOG_DIR",
    "HTTP_ALLOWLIST",
    "WORKER_CONCURRENCY",
    "RETRY_SCHEDULE",
    "LOG_LEVEL",
    "KAFKA_HOME",
    "KAFKA_VERSION",
    "SESSION_TIMEOUT",
    "INSTANCE_ID",
    "STANDBY_REPLICAS",
    "ROCKSDB_WRITE_BUFFER_MB",
    "ROCKSDB_WRITE_BUFFERS",
    "ROCKSDB_BLOCK_CACHE_MB",
)


def _kafka_security(env: _Env, default_protocol: str) -> KafkaSecurity:
    """TLS and SASL settings, checked together: a combination that cannot connect is an
    error at start, naming the variables."""
    protocol = env.choice(
        "KAFKA_SECURITY_PROTOCOL",
        default_protocol,
        ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
    )
    sasl = protocol.startswith("SASL")
    tls = protocol in ("SSL", "SASL_SSL")
    mechanism = env.optional("KAFKA_SASL_MECHANISM")
    username = env.optional("KAFKA_SASL_USERNAME")
    password = env.optional("KAFKA_SASL_PASSWORD")
    if mechanism is not None:
        mechanism = env.choice("KAFKA_SASL_MECHANISM", mechanism, SASL_MECHANISMS)
    if sasl and (username is None or password is None):
        raise ConfigError(
            f"FOOTFALL_KAFKA_SECURITY_PROTOCOL={protocol} needs FOOTFALL_KAFKA_SASL_USERNAME "
            "and FOOTFALL_KAFKA_SASL_PASSWORD"
        )
    if not sasl and mechanism is not None:
        raise ConfigError(
            f"FOOTFALL_KAFKA_SASL_MECHANISM={mechanism} is set but "
            f"FOOTFALL_KAFKA_SECURITY_PROTOCOL={protocol} does not use SASL "
            "(SASL_SSL or SASL_PLAINTEXT do)"
        )
    certfile = env.optional("KAFKA_SSL_CERTFILE")
    keyfile = env.optional("KAFKA_SSL_KEYFILE")
    cafile = env.optional("KAFKA_SSL_CAFILE")
    if (certfile is None) != (keyfile is None):
        raise ConfigError(
            "FOOTFALL_KAFKA_SSL_CERTFILE and FOOTFALL_KAFKA_SSL_KEYFILE go together "
            "(mutual TLS needs the client certificate and its key)"
        )
    if not tls and (certfile is not None or cafile is not None):
        raise ConfigError(
            f"FOOTFALL_KAFKA_SSL_* files are set but FOOTFALL_KAFKA_SECURITY_PROTOCOL={protocol} "
            "does not use TLS (SSL or SASL_SSL do)"
        )
    return KafkaSecurity(
        protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username=username,
        sasl_password=password,
        ssl_cafile=cafile,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        ssl_key_password=env.optional("KAFKA_SSL_KEY_PASSWORD"),
    )


def _session_timeout(env: _Env, default: float) -> float:
    seconds = env.duration("SESSION_TIMEOUT", default, positive=True)
    if not 1.0 <= seconds <= 300.0:
        raise ConfigError(
            f"FOOTFALL_SESSION_TIMEOUT={seconds:g}s: must be between 1s and 5m "
            "(the broker's group.min/max.session.timeout.ms must allow it too)"
        )
    return seconds


def _http_allowlist(env: _Env) -> tuple[str, ...]:
    items = env.csv("HTTP_ALLOWLIST")
    parse_allowlist(items)  # a mistyped entry such as 10.0.0.0/33 stops the start
    return items


class _Env:
    """Typed reads of FOOTFALL_* variables with errors that name the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def raw(self, name: str, default: str) -> str:
        return self._environ.get(f"FOOTFALL_{name}", default)

    def optional(self, name: str) -> str | None:
        value = self._environ.get(f"FOOTFALL_{name}", "").strip()
        return value or None

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.optional(name)
        if value is None:
            return default
        for option in allowed:
            if value.lower() == option.lower():
                return option
        raise ConfigError(f"FOOTFALL_{name}={value!r}: expected one of {', '.join(allowed)}")

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        value = self.optional(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"FOOTFALL_{name}={value!r}: expected a whole number") from None
        if number < minimum:
            raise ConfigError(f"FOOTFALL_{name}={value!r}: must be at least {minimum}")
        return number

    def duration(self, name: str, default: float, *, positive: bool = False) -> float:
        value = self.optional(name)
        if value is None:
            return default
        try:
            seconds = parse_duration(value)
        except DurationError as exc:
            raise ConfigError(f"FOOTFALL_{name}: {exc}") from None
        if positive and seconds <= 0:
            raise ConfigError(f"FOOTFALL_{name}={value!r}: must be longer than 0")
        return seconds

    def durations(self, name: str, default: tuple[float, ...]) -> tuple[float, ...]:
        items = self.csv(name)
        if not items:
            return default
        try:
            return tuple(parse_duration(item) for item in items)
        except DurationError as exc:
            raise ConfigError(f"FOOTFALL_{name}: {exc}") from None

    def csv(self, name: str) -> tuple[str, ...]:
        value = self.optional(name) or ""
        return tuple(item.strip() for item in value.split(",") if item.strip())
