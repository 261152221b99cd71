"""A real Apache Kafka broker for development and tests, run from Maven Central jars.

``ensure_jars`` fetches a pinned Kafka release (with its runtime dependencies and a
log4j2 binding) once into a cache outside the repository; ``LocalKafka`` formats a
fresh KRaft storage directory and runs a single-node combined broker+controller on
free loopback ports, and removes everything again when stopped.
"""

from footfall.devkafka.broker import LocalKafka
from footfall.devkafka.errors import BrokerError
from footfall.devkafka.jars import KAFKA_VERSION, ensure_jars, kafka_home
from footfall.devkafka.listeners import BrokerTls, Listener

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "BrokerTls",
    "Listener",
    "LocalKafka",
    "ensure_jars",
    "kafka_home",
]
