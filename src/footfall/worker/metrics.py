"""Prometheus metrics of a worker, in their own registry (one per worker instance)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["WorkerMetrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass(slots=True)
class WorkerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    executed: Counter = field(init=False)
    failed: Counter = field(init=False)
    retried: Counter = field(init=False)
    dead_lettered: Counter = field(init=False)
    duplicates: Counter = field(init=False)
    latency: Histogram = field(init=False)
    in_flight: Gauge = field(init=False)
    waiting_retries: Gauge = field(init=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.executed = Counter(
            "footfall_worker_commands_executed", "Commands carried out", ["kind"], registry=r
        )
        self.failed = Counter(
            "footfall_worker_command_failures",
            "Failed attempts, by kind and whether they are retried",
            ["kind", "retriable"],
            registry=r,
        )
        self.retried = Counter(
            "footfall_worker_commands_retried",
            "Commands sent to the retry topic",
            ["kind"],
            registry=r,
        )
        self.dead_lettered = Counter(
            "footfall_worker_commands_dead_lettered",
            "Commands sent to dead-letters",
            ["kind", "reason"],
            registry=r,
        )
        self.duplicates = Counter(
            "footfall_worker_commands_duplicate",
            "Commands dropped because their id was already executed",
            ["kind"],
            registry=r,
        )
        self.latency = Histogram(
            "footfall_worker_command_seconds",
            "Time to carry out one attempt of a command",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "footfall_worker_in_flight", "Commands being carried out now", registry=r
        )
        self.waiting_retries = Gauge(
            "footfall_worker_waiting_retries", "Retries held until they are due", registry=r
        )
