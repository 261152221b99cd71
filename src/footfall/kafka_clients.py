"""aiokafka clients configured from Settings (bootstrap servers, TLS and SASL)."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from footfall.settings import Settings

__all__ = ["MAX_RECORD_BYTES", "make_admin", "make_consumer", "make_producer"]

#: The largest record footfall publishes: below the producers' ``max_request_size``
#: (1 MiB, aiokafka's default) and the broker's default ``message.max.bytes``, with room
#: for the record's own overhead. Anything larger would be refused by the producer.
MAX_RECORD_BYTES = 1_000_000


def make_producer(settings: Settings, **kwargs: Any) -> AIOKafkaProducer:
    """A producer with ``acks=all`` and idempotence unless overridden."""
    options: dict[str, Any] = {"acks": "all", "enable_idempotence": True, "linger_ms": 5}
    options.update(settings.kafka.aiokafka_kwargs())
    options.update(kwargs)
    return AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, **options)


def make_consumer(settings: Settings, *topics: str, **kwargs: Any) -> AIOKafkaConsumer:
    """A consumer of ``topics`` (full names); pass ``group_id`` etc. as keyword arguments."""
    options: dict[str, Any] = {"auto_offset_reset": "earliest"}
    options.update(settings.kafka.aiokafka_kwargs())
    options.update(kwargs)
    return AIOKafkaConsumer(*topics, bootstrap_servers=settings.bootstrap_servers, **options)


def make_admin(settings: Settings, **kwargs: Any) -> AIOKafkaAdminClient:
    options: dict[str, Any] = dict(settings.kafka.aiokafka_kwargs())
    options.update(kwargs)
    return AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **options)
