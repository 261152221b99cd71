"""The topics of SPEC §1, their names under the configured prefix, and creating them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from footfall.errors import FootfallError
from footfall.settings import Settings

__all__ = [
    "TOPICS",
    "TopicError",
    "TopicMismatchError",
    "TopicSpec",
    "ensure_topics",
    "topic_specs",
    "verify_topics",
]

_TOPIC_ALREADY_EXISTS = 36


class TopicError(FootfallError):
    """A topic could not be created (other than because it already exists)."""


class TopicMismatchError(TopicError):
    """An existing topic disagrees with the settings (partitions, compaction).

    Trying again cannot cure it: a service refuses to start, naming the topic.
    """


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic footfall uses: its short name, whether it is keyed by visitor, compaction."""

    name: str
    visitor_keyed: bool
    compacted: bool = False


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("visitor-events", visitor_keyed=True),
    TopicSpec("chat-events", visitor_keyed=True),
    TopicSpec("control", visitor_keyed=True),
    TopicSpec("actions", visitor_keyed=True),
    TopicSpec("chat-invitations", visitor_keyed=True),
    TopicSpec("dead-letters", visitor_keyed=True),
    TopicSpec("rules", visitor_keyed=False, compacted=True),
    TopicSpec("profiles", visitor_keyed=False, compacted=True),
    TopicSpec("providers", visitor_keyed=False, compacted=True),
)


def topic_specs(settings: Settings) -> list[tuple[str, int, dict[str, str]]]:
    """(full name, partitions, config) for every SPEC §1 topic.

    Visitor-keyed topics all get ``settings.partitions`` partitions so that they are
    co-partitioned with the visitor state; the compacted config topics get one
    partition (every instance reads them whole, and one partition keeps their order).
    """
    specs = []
    for topic in TOPICS:
        config = {"cleanup.policy": "compact"} if topic.compacted else {}
        partitions = settings.partitions if topic.visitor_keyed else 1
        specs.append((settings.topic(topic.name), partitions, config))
    return specs


async def ensure_topics(
    settings: Settings,
    extra: list[tuple[str, int, dict[str, str]]] | None = None,
    *,
    wait_seconds: float = 30.0,
) -> list[str]:
    """Create every SPEC §1 topic (and ``extra`` ones) that does not exist yet.

    Idempotent: existing topics are left as they are, and a topic another process
    creates at the same moment is not an error. An existing topic with another number
    of partitions, or a config topic that is not compacted, raises
    :class:`TopicMismatchError` naming it (the visitor state is partitioned like the
    topics: a service must not start on them). Waits until every partition of the
    created topics has a leader, so that clients can use them at once. Returns the
    names it created.
    """
    from footfall.kafka_clients import make_admin

    wanted = topic_specs(settings) + list(extra or [])
    admin = make_admin(settings)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        await verify_topics(admin, settings, [w for w in wanted if w[0] in existing])
        missing = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=settings.replication_factor,
                topic_configs=config,
            )
            for name, partitions, config in wanted
            if name not in existing
        ]
        if not missing:
            return []
        response = await admin.create_topics(missing, timeout_ms=int(wait_seconds * 1000))
        for name, code, *rest in response.topic_errors:
            if code not in (0, _TOPIC_ALREADY_EXISTS):
                message = rest[0] if rest else ""
                raise TopicError(f"could not create topic {name!r}: error {code} {message}")
        await _wait_for_leaders(admin, [t.name for t in missing], wait_seconds)
        return [topic.name for topic in missing]
    finally:
        await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], wait_seconds: float
) -> None:
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        described = await admin.describe_topics(names)
        ready = all(
            d.get("error_code", 0) == 0
            and d["partitions"]
            and all(p["leader"] >= 0 for p in d["partitions"])
            for d in described
        )
        if ready:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TopicError(f"topics {names} have no leader after {wait_seconds:.0f}s")
        await asyncio.sleep(0.1)


def _compacted(config: dict[str, str]) -> bool:
    return "compact" in config.get("cleanup.policy", "")


async def verify_topics(
    admin: AIOKafkaAdminClient,
    settings: Settings,
    wanted: list[tuple[str, int, dict[str, str]]],
) -> None:
    """Raise :class:`TopicMismatchError` for the first of the existing ``wanted`` topics
    whose partition count or compaction differs from what footfall needs."""
    if not wanted:
        return
    described = {d["topic"]: d for d in await admin.describe_topics([w[0] for w in wanted])}
    policies = await _cleanup_policies(admin, [w[0] for w in wanted if _compacted(w[2])])
    for name, partitions, config in wanted:
        found = described.get(name)
        if found is None or found.get("error_code", 0) != 0:
            continue  # deleted meanwhile: the caller's create reports it
        count = len(found["partitions"])
        if count != partitions:
            source = (
                f"FOOTFALL_PARTITIONS={settings.partitions}"
                if partitions == settings.partitions
                else f"footfall's {partitions}"
            )
            raise TopicMismatchError(
                f"topic {name!r} has {count} partition(s) but {source} asks for "
                f"{partitions}: visitor state is partitioned like the topics. Set "
                f"FOOTFALL_PARTITIONS to match the existing topics, or move to a new "
                f"FOOTFALL_TOPIC_PREFIX and create them with 'footfall topics ensure' "
                f"(docs/operations.md)"
            )
        if _compacted(config) and "compact" not in policies.get(name, "compact"):
            raise TopicMismatchError(
                f"topic {name!r} has cleanup.policy={policies[name]!r} but footfall keeps "
                f"the latest record per key there: set its cleanup.policy to "
                f"{config['cleanup.policy']!r} (kafka-configs.sh --alter --entity-type topics)"
            )


async def _cleanup_policies(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, configs={"cleanup.policy": ""})
        for name in names
    ]
    policies: dict[str, str] = {}
    for response in await admin.describe_configs(resources):
        resource: Any
        for resource in response.resources:
            error_code, _message, _type, name, entries = resource[:5]
            if error_code != 0:
                continue
            for entry in entries:
                if entry[0] == "cleanup.policy":
                    policies[name] = entry[1]
    return policies
