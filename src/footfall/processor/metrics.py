"""The processor's Prometheus metrics, in a registry of its own per instance.

One registry per :class:`~footfall.processor.service.Processor` (not the global
default) so that two instances can run in one process, as the tests do.
"""

from __future__ import annotations

from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ProcessorMetrics"]


class ProcessorMetrics:
    """Counters and gauges of one processor instance (see docs/architecture.md)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events_in = Counter(
            "footfall_processor_events", "Input messages handled, by type", ["type"], registry=r
        )
        self.dead_letters = Counter(
            "footfall_processor_dead_letters",
            "Input messages rejected to dead-letters, by reason",
            ["reason"],
            registry=r,
        )
        self.rule_fired = Counter(
            "footfall_processor_rule_fired",
            "Actions executed (commands emitted), by rule",
            ["rule"],
            registry=r,
        )
        self.rule_suppressed = Counter(
            "footfall_processor_rule_suppressed",
            "Actions suppressed by max_frequency, by rule",
            ["rule"],
            registry=r,
        )
        self.commands_out = Counter(
            "footfall_processor_commands",
            "Commands written to actions, by kind",
            ["kind"],
            registry=r,
        )
        self.rules_rejected = Counter(
            "footfall_processor_rules_rejected",
            "Rules read from the rules topic that failed validation (previous version kept)",
            registry=r,
        )
        self.rules_loaded = Gauge(
            "footfall_processor_rules_loaded", "Rules in force on this instance", registry=r
        )
        self.tick_lag = Gauge(
            "footfall_processor_tick_lag_seconds",
            "How late the last tick was evaluated after its tick time",
            registry=r,
        )
        self.publish_retries = Counter(
            "footfall_processor_publish_retries",
            "Batches whose output was published again after Kafka did not acknowledge it",
            registry=r,
        )
        self.tick_visitors = Counter(
            "footfall_processor_tick_visitors",
            "Online visitors at ticks: evaluated, or passed over (the tick would change nothing)",
            ["outcome"],
            registry=r,
        )
        self.online_visitors = Gauge(
            "footfall_processor_online_visitors",
            "Online visitors in the partitions this instance owns",
            registry=r,
        )
        self.batch_seconds = Histogram(
            "footfall_processor_batch_seconds",
            "Time to handle one batch of input (engine, produce and acknowledge, store)",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=r,
        )
        #: input messages handled (valid or not, ticks excluded), for progress checks
        self.inputs = 0
        #: candidates sent to the throttle topic / decided by a throttle agent (this instance)
        self.throttle_routed = 0
        self.throttle_decided = 0
        #: plain per-rule tallies for ``/api/rules`` (Prometheus counters are write-only)
        self.fired_by_rule: Tally[str] = Tally()
        self.suppressed_by_rule: Tally[str] = Tally()

    def fired(self, rule_id: str, count: int = 1) -> None:
        self.rule_fired.labels(rule_id).inc(count)
        self.fired_by_rule[rule_id] += count

    def suppressed(self, rule_id: str, count: int = 1) -> None:
        self.rule_suppressed.labels(rule_id).inc(count)
        self.suppressed_by_rule[rule_id] += count

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)
